"""One ReportUpdateInfo, for `ipc-hmi report` without --watch.

The same security (`hmi.core.security.prepare`: TLS, token, channel options) and deadline as
`UpdaterClient`, without its polling machinery and without the snapshot model: `report --json`
prints the answer as received, so it never imports hmi.core.model. That keeps a one-shot report
within the start-up budget of benchmarks/bench_cli.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hmi.core.security import ChannelSecurity, create_channel

if TYPE_CHECKING:
    from hmi.core.config import ClientConfig
    from hmi.core.model import ClientState


@dataclass(frozen=True)
class ReadResult:
    """The answer, or why there is none."""

    info: Any  # UpdateInfo as received, or None when the call failed
    code: str | None  # grpc StatusCode name of the failure
    detail: str | None  # the server's or the transport's message
    received_at: float  # time.monotonic() when the call ended
    received_wall: float

    def client_state(self, config: ClientConfig) -> ClientState:
        """The same ClientState a polling client would hold after this one read."""
        from hmi.core.errors import describe
        from hmi.core.model import ClientState, Connection, snapshot_from_proto

        ok = self.info is not None
        snapshot = (
            snapshot_from_proto(self.info, received_at=self.received_at, received_wall=self.received_wall)
            if ok
            else None
        )
        connection = Connection(
            target=config.target,
            last_ok_at=self.received_at if ok else None,
            last_attempt_failed=not ok,
            error_code=self.code,
            error_detail=None if ok else describe(self.code or "UNKNOWN").with_detail(self.detail),
            stale_after=config.stale_after,
        )
        return ClientState(snapshot=snapshot, connection=connection)


async def read_update_info(config: ClientConfig, security: ChannelSecurity) -> ReadResult:
    """One call with the configured deadline; never raises for an RPC failure."""
    import grpc.aio

    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

    channel = create_channel(security)
    info = code = detail = None
    try:
        info = await pb_grpc.IpcUpdaterStub(channel).ReportUpdateInfo(
            pb.GetUpdateInfoRequest(), timeout=config.deadline, metadata=security.metadata or None
        )
    except grpc.aio.AioRpcError as exc:
        code, detail = exc.code().name, exc.details()
    except Exception as exc:  # e.g. a transport error outside a status: still a failed read, not a traceback
        code, detail = "UNKNOWN", f"{type(exc).__name__}: {exc}"
    finally:
        await channel.close(grace=None)
    return ReadResult(info, code, detail, time.monotonic(), time.time())
