"""`estimate_once` (one read, `ipc-hmi report`) and the `--watch` estimate lines (issue 14)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core.model import UpdateState
from hmi.core.progress import STUCK_ENDED, Status, StepKey, StepRecord, estimate, estimate_once, hmi_json
from hmi.core.report import format_estimate_lines

from .test_progress import history_of, polls, proto_snapshot, snap, tracker_at


def test_one_read_says_what_is_usual_without_a_running_for() -> None:
    history = history_of([10, 120, 60], [10, 110, 120], [10, 130, 180])
    e = estimate_once(snap(100.0, 1), history)
    assert e.status is Status.ESTIMATE and e.running_for is None and not e.stuck
    assert e.step_text == "usually about 2 min here (3 earlier updates)"
    # From "the step just ended" (1 to 3 min left) to "it just began" (3 min to 5 min 10 s): 1 to 6 min.
    assert e.remaining == (1, 6) and e.remaining_text == "About 1 to 6 min left"
    assert hmi_json(e)["expected"]["running_for_s"] is None  # type: ignore[index]


def test_one_read_without_history_or_update() -> None:
    assert estimate_once(snap(1.0, 1), []).step_text == "No earlier update to compare with."
    assert estimate_once(snap(1.0, state=UpdateState.UP_TO_DATE), []).status is Status.IDLE
    assert estimate_once(None, []).status is Status.IDLE
    assert estimate_once(snap(1.0, None, None), []).status is Status.INCONSISTENT


@settings(max_examples=150, deadline=None)
@given(polls, st.lists(st.tuples(st.integers(0, 6), st.integers(1, 7), st.floats(0, 1e4), st.booleans()), max_size=30))
def test_one_read_of_anything_never_raises_and_never_gives_one_number(
    seq: list[tuple[float, UpdateState, int | None, int | None, str]],
    raw_history: list[tuple[int, int, float, bool]],
) -> None:
    history = [
        StepRecord(f"r{i % 4}", StepKey(idx, tot, "Migrating the database."), dur, trusted)
        for i, (idx, tot, dur, trusted) in enumerate(raw_history)
    ]
    t = 0.0
    for dt, state, step, total, text in seq:
        t += dt
        e = estimate_once(proto_snapshot(t, state, step, total, text), history)
        assert e.running_for is None and not e.stuck
        json.dumps(hmi_json(e), allow_nan=False)
        assert isinstance(e.step_text, str) and isinstance(e.remaining_text, str)
        if e.remaining is not None:
            assert 0 <= e.remaining[0] < e.remaining[1]


def test_watch_lines_when_the_estimate_changes_and_when_a_step_is_stuck() -> None:
    history = history_of([10, 120, 30], [10, 110, 30], [10, 130, 30])
    tracker = tracker_at(1, 100.0)
    first = estimate(tracker, history, now=101.0)
    lines = format_estimate_lines(None, first, 0.0)
    assert len(lines) == 1 and lines[0].endswith(
        "  Expected: usually about 2 min here (3 earlier updates) · About 2 to 3 min left"
    )
    assert format_estimate_lines(first, estimate(tracker, history, now=102.0, previous=first), 0.0) == []
    stuck = estimate(tracker, history, now=100.0 + 400.0, previous=first)
    lines = format_estimate_lines(first, stuck, 0.0)
    assert lines == [lines[0]] and "  Warning: This step is taking much longer than on earlier updates" in lines[0]
    done = estimate(tracker_at(2, 600.0), history, now=601.0)
    lines = format_estimate_lines(stuck, done, 0.0)
    assert lines[-1].endswith(f"  {STUCK_ENDED}")


def test_the_last_step_ends_at_the_next_offer_when_up_to_date_was_missed() -> None:
    from hmi.core.model import Snapshot, Version
    from hmi.core.progress import RunTracker, observe

    def offer(t: float, current: str) -> Snapshot:
        return Snapshot(UpdateState.UPDATE_AVAILABLE, 1, Version(current, current, None, ""),
                        Version("1.6.0", "1.6.0", None, ""), None, t, 1e6 + t)  # fmt: skip

    start = observe(RunTracker(), snap(0, state=UpdateState.UP_TO_DATE))
    t = observe(observe(start, snap(1, 0)), snap(3, 1))
    t = observe(observe(t, snap(4, 2)), offer(6, current="1.5.0"))  # 1.5.0 runs now, 1.6.0 is offered
    assert [r.key.index for r in t.finished] == [2] and t.finished[0].duration == 2 and not t.running
    t = observe(observe(start, snap(1, 0)), snap(3, 1))
    t = observe(observe(t, snap(4, 2)), offer(6, current="1.4.2"))  # still the old version: not a success
    assert t.finished == () and not t.running
