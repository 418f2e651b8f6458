"""A scriptable IpcUpdater for tests: a real gRPC server on 127.0.0.1 whose answers the test sets.

It runs on gRPC's own threads (a sync `grpc.server`), so the same server serves an asyncio client
in the test's loop and a CLI subprocess alike. It lets a test send UpdateInfo a real IPC might send
but our mock never would, require a token or TLS, fail calls on demand, and count what arrived.

Also runnable as a process for the benchmark and for kill/restart tests:
    python -m tests.core.fake_ipc --listen 127.0.0.1:0 [--state up-to-date|available]
prints `listening on HOST:PORT` and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

S = pb.UpdateInfo


def up_to_date(current: str = "1.4.2") -> pb.UpdateInfo:
    return pb.UpdateInfo(state=S.STATE_UP_TO_DATE, current=pb.IntrinsicVersion(version_id=current))


def available(version: str = "1.5.0", current: str = "1.4.2", notes: str | None = "Fixes things.") -> pb.UpdateInfo:
    av = pb.IntrinsicVersion(version_id=version)
    if notes is not None:
        av.update_notes = notes
    return pb.UpdateInfo(state=S.STATE_UPDATE_AVAILABLE, current=pb.IntrinsicVersion(version_id=current), available=av)


def running(version: str = "1.5.0", current: str = "1.4.2", step: int = 2, total: int = 7) -> pb.UpdateInfo:
    return pb.UpdateInfo(
        state=S.STATE_UPDATE_RUNNING,
        current=pb.IntrinsicVersion(version_id=current),
        available=pb.IntrinsicVersion(version_id=version),
        progress=pb.Progress(current_step=step, total_steps=total, description="Migrating database"),
    )


def fault(version: str = "1.5.0", current: str = "1.4.2") -> pb.UpdateInfo:
    return pb.UpdateInfo(
        state=S.STATE_FAULT,
        current=pb.IntrinsicVersion(version_id=current),
        available=pb.IntrinsicVersion(version_id=version),
    )


# An approve action: a status code to abort with, "ok", "apply-then-unavailable" (the approval takes
# effect but the answer is lost), "apply-then-hang" (takes effect, then no answer until the deadline),
# or "hang" (no effect, no answer).
Action = grpc.StatusCode | str


@dataclass
class FakeIpc:
    """What the server answers. Change the fields at any time; access is serialised by `lock`."""

    info: pb.UpdateInfo = field(default_factory=up_to_date)
    token: str | None = None  # required "authorization: Bearer <token>" when set
    report_error: grpc.StatusCode | None = None
    report_delay: float = 0.0
    approve_script: list[Action] = field(default_factory=list)  # consumed one per ApproveUpdate
    on_approve: Callable[[str], None] | None = None  # called with each approved id, before answering
    # Observations
    approvals: list[str] = field(default_factory=list)
    report_calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    auth_seen: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def set(self, info: pb.UpdateInfo) -> None:
        with self.lock:
            self.info = info

    def _check_auth(self, context: Any) -> None:
        auth = dict(context.invocation_metadata()).get("authorization")
        with self.lock:
            self.auth_seen.append(auth)
            token = self.token
        if token is not None and auth != f"Bearer {token}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad or missing token")

    def apply_approval(self, version_id: str) -> None:
        """The contract: exactly the offered id starts the update; the running id is OK again."""
        with self.lock:
            info = self.info
            if info.state in (S.STATE_UPDATE_AVAILABLE, S.STATE_FAULT) and info.available.version_id == version_id:
                self.info = running(version_id, info.current.version_id, 0, 7)


class _Servicer(pb_grpc.IpcUpdaterServicer):
    def __init__(self, ipc: FakeIpc) -> None:
        self.ipc = ipc

    def ReportUpdateInfo(self, request: Any, context: Any) -> pb.UpdateInfo:
        ipc = self.ipc
        with ipc.lock:
            ipc.report_calls += 1
            ipc.in_flight += 1
            ipc.max_in_flight = max(ipc.max_in_flight, ipc.in_flight)
        try:
            self.ipc._check_auth(context)
            if ipc.report_delay:
                ipc.released.wait(ipc.report_delay)
            with ipc.lock:
                error, info = ipc.report_error, pb.UpdateInfo()
                info.CopyFrom(ipc.info)
            if error is not None:
                context.abort(error, "scripted failure")
            return info
        finally:
            with ipc.lock:
                ipc.in_flight -= 1

    def ApproveUpdate(self, request: Any, context: Any) -> pb.ApproveUpdateResponse:
        ipc = self.ipc
        ipc._check_auth(context)
        version_id = request.approved.version_id
        with ipc.lock:
            ipc.approvals.append(version_id)
            action = ipc.approve_script.pop(0) if ipc.approve_script else "contract"
            hook = ipc.on_approve
        if hook is not None:
            hook(version_id)
        if isinstance(action, grpc.StatusCode):
            context.abort(action, "scripted failure")
        if action == "hang":
            ipc.released.wait(context.time_remaining() + 0.5)
            context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "too late")
        if action in ("apply-then-unavailable", "apply-then-hang"):
            ipc.apply_approval(version_id)
            if action == "apply-then-hang":
                ipc.released.wait(context.time_remaining() + 0.5)
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection lost")
        if action == "ok":
            return pb.ApproveUpdateResponse()
        # "contract": what the public contract says
        if not version_id:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty version id")
        with ipc.lock:
            info = ipc.info
            if info.state == S.STATE_UPDATE_RUNNING and info.available.version_id == version_id:
                return pb.ApproveUpdateResponse()
            offered = info.available.version_id if info.state in (S.STATE_UPDATE_AVAILABLE, S.STATE_FAULT) else None
        if offered != version_id:
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, f"version {version_id!r} is not the offered version {offered!r}"
            )
        ipc.apply_approval(version_id)
        return pb.ApproveUpdateResponse()


@dataclass
class RunningFake:
    ipc: FakeIpc
    server: grpc.Server
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.ipc.released.set()
        self.server.stop(grace=None).wait(5)


def start_fake(
    ipc: FakeIpc | None = None,
    *,
    port: int = 0,
    credentials: grpc.ServerCredentials | None = None,
) -> RunningFake:
    ipc = ipc or FakeIpc()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[("grpc.so_reuseport", 1)])
    pb_grpc.add_IpcUpdaterServicer_to_server(_Servicer(ipc), server)
    address = f"127.0.0.1:{port}"
    bound = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if bound == 0:
        raise OSError(f"cannot listen on {address}")
    server.start()
    return RunningFake(ipc=ipc, server=server, port=bound)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--state", choices=("up-to-date", "available"), default="available")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        parser.error("the fake IPC listens on 127.0.0.1 only")
    ipc = FakeIpc(info=available() if args.state == "available" else up_to_date())
    running_fake = start_fake(ipc, port=int(port))
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: done.set())
    print(f"listening on {running_fake.address}", flush=True)
    while not done.wait(0.5):
        pass
    running_fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
