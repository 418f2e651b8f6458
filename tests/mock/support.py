"""Shared helpers for the mock tests: bounded polling, gRPC stubs, a mock IPC child process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import grpc

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


async def poll(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, within: float = 10.0) -> T:
    """Fetches until `done(value)`; bounded in count and time, fails with the last value seen."""
    deadline = time.monotonic() + within
    value = await fetch()
    for _ in range(10_000):
        if done(value) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
        value = await fetch()
    assert done(value), f"condition not reached within {within} s; last value: {value}"
    return value


class Ipc:
    """IpcUpdater calls against one address, over grpc.aio."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        self.stub = pb_grpc.IpcUpdaterStub(self.channel)

    async def info(self) -> pb.UpdateInfo:
        return await self.stub.ReportUpdateInfo(pb.GetUpdateInfoRequest(), timeout=5)

    async def info_or_none(self) -> pb.UpdateInfo | None:
        """None while the IPC is unreachable (e.g. restarting after a power loss)."""
        try:
            return await self.info()
        except grpc.aio.AioRpcError as exc:
            if exc.code() is grpc.StatusCode.UNAVAILABLE:
                return None
            raise

    async def approve(self, version_id: str, notes: str | None = None) -> None:
        version = pb.IntrinsicVersion(version_id=version_id)
        if notes is not None:
            version.update_notes = notes
        await self.stub.ApproveUpdate(pb.ApproveUpdateRequest(approved=version), timeout=5)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> Ipc:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def state_is(name: str) -> Callable[[pb.UpdateInfo | None], bool]:
    wire = pb.UpdateInfo.State.Value(name)
    return lambda info: info is not None and info.state == wire


class MockProcess:
    """`ipc-hmi mock` as a child process; always stopped (killed on timeout) on exit."""

    def __init__(self, *args: str, listen: str = "127.0.0.1:0") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hmi", "mock", "--listen", listen, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.address = ""

    def wait_listening(self, timeout: float = 20.0) -> str:
        """Reads the one 'listening on HOST:PORT' line; fails with stderr when it does not come."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        assert line.startswith("listening on 127.0.0.1:"), f"no listening line: {line!r}; {self.stderr()}"
        self.address = line.removeprefix("listening on ").strip()
        return self.address

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def mock_process(*args: str) -> Iterator[MockProcess]:
    child = MockProcess(*args)
    try:
        yield child
    finally:
        child.stop()


def kill9(child: MockProcess) -> None:
    os.kill(child.proc.pid, signal.SIGKILL)
    child.wait(timeout=10)
