"""A client for a running mock's MockControl service (mock-ctl and the console's demo drawer).

Every call raises grpc.aio.AioRpcError when the mock refuses it (e.g.
FAILED_PRECONDITION for `fail()` with no update running) or cannot be reached
(UNAVAILABLE, DEADLINE_EXCEEDED).
"""

from __future__ import annotations

from typing import Any

import grpc

from hmi.mock.snapshot import message_to_state
from hmi.pb.ipc_hmi.mock.v1 import mock_control_pb2 as ctl
from hmi.pb.ipc_hmi.mock.v1 import mock_control_pb2_grpc as ctl_grpc


class ControlClient:
    """`async with ControlClient("127.0.0.1:50051") as mock: await mock.publish("1.6.0")`."""

    def __init__(self, target: str, *, timeout: float = 5.0) -> None:
        self.target = target
        self._timeout = timeout
        self._channel = grpc.aio.insecure_channel(target)
        self._stub = ctl_grpc.MockControlStub(self._channel)

    async def publish(self, version_id: str, notes: str | None = None, fail_at: str | None = None) -> None:
        """Adds a version to the release feed; `fail_at` (a stage name) makes its first attempt fail there."""
        request = ctl.PublishRequest(version_id=version_id)
        if notes is not None:
            request.update_notes = notes
        if fail_at is not None:
            request.fail_at = fail_at
        await self._stub.Publish(request, timeout=self._timeout)

    async def set_mode(self, mode: str) -> None:
        """ "approval" or "automatic"."""
        await self._stub.SetMode(ctl.SetModeRequest(mode=mode), timeout=self._timeout)

    async def fail(self) -> None:
        """The running update fails now and rolls back."""
        await self._stub.Fail(ctl.FailRequest(), timeout=self._timeout)

    async def power_loss(self) -> None:
        await self._stub.PowerLoss(ctl.PowerLossRequest(), timeout=self._timeout)

    async def state(self) -> dict[str, Any]:
        """The whole mock state, JSON-able; the same dict as `Engine.snapshot()`."""
        return message_to_state(await self._stub.GetState(ctl.GetStateRequest(), timeout=self._timeout))

    async def reset(self) -> None:
        await self._stub.Reset(ctl.ResetRequest(), timeout=self._timeout)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> ControlClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
