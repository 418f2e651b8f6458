"""A long update as the console sees it (issue 14): three earlier updates in the history, and client states
of a fourth one at chosen times, fed to a real StepRecorder. Shared by the presenter and the panel tests."""

from __future__ import annotations

from hmi.core.model import ClientState
from hmi.core.progress import Estimate, ProgressSettings, StepKey, StepRecord
from hmi.core.stephistory import StepRecorder
from tests.ui.states import client_state, info

TOTAL = 7
DESCRIPTIONS = (
    "Downloading the update.",
    "Turning down workloads.",
    "Migrating the database.",
    "Writing new configs.",
    "Undoing the turn-down.",
    "Running post-install actions.",
    "Checking health.",
)
# Step 3 took 110, 120 and 130 s (usually about 2 min); the four later steps 90, 100 and 125 s each.
EARLIER = (("r1", 110.0, 90.0), ("r2", 120.0, 100.0), ("r3", 130.0, 125.0))


def history() -> list[StepRecord]:
    out = []
    for run, migrate, later in EARLIER:
        for i, text in enumerate(DESCRIPTIONS):
            d = migrate if i == 2 else later if i > 2 else 30.0
            out.append(StepRecord(run, StepKey(i, TOTAL, text), d, True))
    return out


def running(step: int, *, now: float, age: float = 0.0, failed: bool = False, error: str | None = None) -> ClientState:
    msg = info("running", available="1.6.0", step=step, total=TOTAL, description=DESCRIPTIONS[step])
    return client_state(msg, now=now, age=age, failed=failed, error=error)


def recorder(earlier: list[StepRecord] | None = None, settings: ProgressSettings | None = None) -> StepRecorder:
    return StepRecorder("ipc:1", None, earlier=history() if earlier is None else earlier, settings=settings)


def into_step_3(rec: StepRecorder, start: float = 1000.0) -> float:
    """Feeds step 2 at `start`, then step 3 from `start + 1`; returns when step 3 was first seen."""
    rec.feed(running(1, now=start).snapshot, start)
    rec.feed(running(2, now=start + 1).snapshot, start + 1)
    return start + 1


def poll_until(rec: StepRecorder, step: int, start: float, end: float) -> tuple[ClientState, Estimate]:
    """Polls once a second on `step` from `start` to `end`; the last state and estimate."""
    t = start
    state = running(step, now=t)
    e = rec.feed(state.snapshot, t)
    while t < end:
        t = min(end, t + 1.0)
        state = running(step, now=t)
        e = rec.feed(state.snapshot, t)
    return state, e
