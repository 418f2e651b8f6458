"""Client states built from real UpdateInfo messages (so normalisation is the real one), for view tests."""

from __future__ import annotations

from hmi.core.model import ClientState, Connection, snapshot_from_proto
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

STATE = {
    "available": pb.UpdateInfo.STATE_UPDATE_AVAILABLE,
    "running": pb.UpdateInfo.STATE_UPDATE_RUNNING,
    "up-to-date": pb.UpdateInfo.STATE_UP_TO_DATE,
    "fault": pb.UpdateInfo.STATE_FAULT,
    "unspecified": pb.UpdateInfo.STATE_UNSPECIFIED,
}

LONG_ID = "2025.11.21-release-candidate-build-000123456789-" + "x" * 40 + "-sha256-0123456789abcdef01234567"
assert len(LONG_ID) == 120, len(LONG_ID)
LONG_NOTES = "\n\n".join(
    f"## Section {i}\n\n" + " ".join(["This release changes a great many things in the workcell runtime."] * 6)
    for i in range(30)
)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def info(
    state: str | int = "available",
    *,
    current: str | None = "1.4.2",
    available: str | None = "1.5.0",
    notes: str | None = "## 1.5.0\n\n- Faster start-up.",
    step: int | None = None,
    total: int | None = None,
    description: str | None = None,
) -> pb.UpdateInfo:
    msg = pb.UpdateInfo(state=STATE[state] if isinstance(state, str) else state)
    if current is not None:
        msg.current.version_id = current
    if available is not None:
        msg.available.version_id = available
        if notes is not None:
            msg.available.update_notes = notes
    if step is not None or total is not None or description is not None:
        msg.progress.SetInParent()
        if step is not None:
            msg.progress.current_step = step
        if total is not None:
            msg.progress.total_steps = total
        if description is not None:
            msg.progress.description = description
    return msg


def client_state(
    msg: pb.UpdateInfo | None,
    *,
    now: float = 1000.0,
    age: float = 0.0,
    failed: bool = False,
    error: str | None = None,
    stale_after: float = 3.0,
    in_flight: bool = False,
    target: str = "127.0.0.1:50051",
) -> ClientState:
    """A state received `age` seconds before `now` (monotonic seconds)."""
    received = now - age
    snap = snapshot_from_proto(msg, received_at=received, received_wall=1_700_000_000.0) if msg is not None else None
    conn = Connection(
        target=target,
        last_ok_at=received if msg is not None else None,
        last_attempt_failed=failed,
        error_code=error,
        error_detail=None,
        stale_after=stale_after,
    )
    return ClientState(snapshot=snap, connection=conn, approval_in_flight=in_flight)
