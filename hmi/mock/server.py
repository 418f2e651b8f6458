"""The mock IPC's gRPC server: IpcUpdater, MockControl, health and reflection on one port.

`await start_mock(...)` runs on the current asyncio loop (plain asyncio, or the
console's qasync loop): no threads, no blocking calls besides the small fsync of
the state file. The servicers are thin: they call the engine and turn its
EngineError into `context.abort(code, details)`.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from hmi.core.filelock import FileLock, LockBusy
from hmi.mock.clock import AsyncioClock
from hmi.mock.engine import Engine, EngineError
from hmi.mock.scenarios import load_scenario
from hmi.mock.snapshot import state_to_message
from hmi.mock.statefile import StateFileError, check_writable, load_state, save_state
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc
from hmi.pb.ipc_hmi.mock.v1 import mock_control_pb2 as ctl
from hmi.pb.ipc_hmi.mock.v1 import mock_control_pb2_grpc as ctl_grpc

IPC_UPDATER = pb.DESCRIPTOR.services_by_name["IpcUpdater"].full_name
MOCK_CONTROL = ctl.DESCRIPTOR.services_by_name["MockControl"].full_name
T = TypeVar("T")


class ListenRefused(ValueError):
    """A listen address that is not loopback (without allow_remote), or not HOST:PORT."""


def parse_listen(listen: str) -> tuple[str, int]:
    """'HOST:PORT' or '[v6]:PORT' into (host, port); ListenRefused when malformed."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ListenRefused(f"listen address {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:50051 (port 0 picks one)")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


class IpcUpdaterServicer(pb_grpc.IpcUpdaterServicer):
    """The public contract, delegated to the engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ReportUpdateInfo(self, request: pb.GetUpdateInfoRequest, context: Any) -> pb.UpdateInfo:
        return await _call(context, self._engine.update_info)

    async def ApproveUpdate(self, request: pb.ApproveUpdateRequest, context: Any) -> pb.ApproveUpdateResponse:
        # update_notes in the request is ignored, as the contract says.
        await _call(context, self._engine.approve, request.approved.version_id)
        return pb.ApproveUpdateResponse()


class MockControlServicer(ctl_grpc.MockControlServicer):
    """Live control of the engine (mock-ctl, the demo drawer)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def Publish(self, request: ctl.PublishRequest, context: Any) -> ctl.PublishResponse:
        notes = request.update_notes if request.HasField("update_notes") else None
        fail_at = request.fail_at if request.HasField("fail_at") else None
        await _call(context, self._engine.publish, request.version_id, notes, fail_at)
        return ctl.PublishResponse()

    async def SetMode(self, request: ctl.SetModeRequest, context: Any) -> ctl.SetModeResponse:
        await _call(context, self._engine.set_mode, request.mode)
        return ctl.SetModeResponse()

    async def Fail(self, request: ctl.FailRequest, context: Any) -> ctl.FailResponse:
        await _call(context, self._engine.fail)
        return ctl.FailResponse()

    async def PowerLoss(self, request: ctl.PowerLossRequest, context: Any) -> ctl.PowerLossResponse:
        await _call(context, self._engine.power_loss)
        return ctl.PowerLossResponse()

    async def GetState(self, request: ctl.GetStateRequest, context: Any) -> ctl.MockState:
        return state_to_message(self._engine.snapshot())

    async def Reset(self, request: ctl.ResetRequest, context: Any) -> ctl.ResetResponse:
        await _call(context, self._engine.reset)
        return ctl.ResetResponse()


async def _call(context: Any, fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except EngineError as exc:
        await context.abort(exc.code, exc.message)
        raise  # abort raises; this line only satisfies the type checker


class RunningMock:
    """A serving mock: `.address` ("127.0.0.1:PORT"), `.port`, `.engine`; `await stop()`."""

    def __init__(self, server: grpc.aio.Server, engine: Engine, health_servicer: Any, host: str, port: int) -> None:
        self._server = server
        self._health = health_servicer
        self.engine = engine
        self.port = port
        self.address = f"{host}:{port}"
        self._stopped = False
        self._lock: FileLock | None = None  # the state file's, released when the mock stops

    async def stop(self, grace: float | None = 0.5) -> None:
        """Stops serving; the state file keeps the last transition (a running update reads as a power loss)."""
        if self._stopped:
            return
        self._stopped = True
        self.engine.close()
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
        if self._lock is not None:
            self._lock.release()

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()

    async def __aenter__(self) -> RunningMock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_mock(
    *,
    scenario: str | Path = "demo",
    listen: str = "127.0.0.1:0",
    speed: float = 1.0,
    state_file: Path | None = None,
    allow_remote: bool = False,
) -> RunningMock:
    """Starts a mock IPC on the running loop; it serves once this returns.

    Raises ValueError for a bad speed, ListenRefused for a non-loopback address without
    allow_remote, ScenarioError for a bad scenario, StateFileError for a state file that
    cannot be used (left untouched), OSError when the port cannot be bound.
    """
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a number greater than 0, got {speed}")
    host, port = parse_listen(listen)
    if not allow_remote and not is_loopback(host):
        raise ListenRefused(
            f"refusing to listen on {listen}: {host} is not a loopback address; "
            "pass --allow-remote (allow_remote=True) to serve other machines"
        )
    loaded = load_scenario(scenario)
    record = None
    lock: FileLock | None = None
    if state_file is not None:
        state_file = Path(state_file)
        check_writable(state_file)
        lock = FileLock(state_file)
        try:
            lock.acquire()  # held while this mock serves: a second mock on the same file is refused
        except LockBusy:
            raise StateFileError(state_file, "is in use by another running mock; give this one its own file") from None
        except OSError as exc:
            raise StateFileError(state_file, f"cannot be locked ({exc.strerror or exc})") from None
    try:
        if state_file is not None:
            record = load_state(state_file)
        engine = Engine(loaded, AsyncioClock(speed), record=record)
    except ValueError as exc:
        if lock is not None:
            lock.release()
        if state_file is None:
            raise
        raise StateFileError(state_file, str(exc)) from None
    except BaseException:
        if lock is not None:
            lock.release()
        raise

    # No SO_REUSEPORT: a second mock on a busy port must fail, not silently share it.
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    try:
        bound = _bind(server, host, port, listen)
        pb_grpc.add_IpcUpdaterServicer_to_server(IpcUpdaterServicer(engine), server)
        ctl_grpc.add_MockControlServicer_to_server(MockControlServicer(engine), server)
        health_servicer = health.aio.HealthServicer()
        for name in ("", IPC_UPDATER, MOCK_CONTROL):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        names = (IPC_UPDATER, MOCK_CONTROL, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, server)
        if state_file is not None:
            _keep_state(engine, state_file)
        await server.start()
    except BaseException:
        engine.close()
        await server.stop(None)
        if lock is not None:
            lock.release()
        raise
    running = RunningMock(server, engine, health_servicer, host, bound)
    running._lock = lock
    return running


def _bind(server: grpc.aio.Server, host: str, port: int, listen: str) -> int:
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {listen}: {exc}") from None
    if not bound:
        raise OSError(f"cannot listen on {listen}")
    return int(bound)


def _keep_state(engine: Engine, path: Path) -> None:
    """Saves now and after every transition."""
    try:
        save_state(path, engine.to_record())
    except OSError as exc:
        raise StateFileError(path, f"cannot be written ({exc})") from None
    engine.add_listener(lambda e: save_state(path, e.to_record()))
