"""The estimator and the stuck-step rule (issue 14): examples for the texts and thresholds, properties for odd input."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core.model import Connection, Progress, Snapshot, UpdateState, Version, snapshot_from_proto
from hmi.core.progress import (
    Estimate,
    Liveness,
    ProgressSettings,
    RunTracker,
    Status,
    StepKey,
    StepRecord,
    estimate,
    format_duration,
    format_rough,
    hmi_json,
    is_stuck,
    liveness,
    observe,
    stuck_change,
)
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

DESCRIPTIONS = ("Downloading version {version}.", "Turning down workloads.", "Migrating the database.")


def version(vid: str) -> Version:
    return Version(vid, vid, None, "")


def snap(
    t: float,
    step: int | None = None,
    total: int | None = 3,
    description: str | None = None,
    state: UpdateState = UpdateState.RUNNING,
    vid: str = "1.5.0",
) -> Snapshot:
    progress = None
    if state is UpdateState.RUNNING:
        text = description if description is not None else DESCRIPTIONS[(step or 0) % 3].format(version=vid)
        progress = Progress(step, total, text)
    raw = {UpdateState.RUNNING: 2, UpdateState.UP_TO_DATE: 3, UpdateState.FAULT: 4}.get(state, 0)
    return Snapshot(state, raw, version("1.4.2"), version(vid), progress, t, 1_000_000.0 + t)


def run_update(
    start: float, durations: Sequence[float], vid: str = "1.5.0", poll: float = 1.0
) -> tuple[list[StepRecord], RunTracker]:
    """Polls an update with these step durations every `poll` seconds; returns the recorded steps."""
    out: list[StepRecord] = []
    t, tracker = start, observe(RunTracker(), snap(start, state=UpdateState.UP_TO_DATE))
    t += poll
    for i, d in enumerate(durations):
        end = t + d
        while t < end:
            tracker = observe(tracker, snap(t, i, len(durations), vid=vid))
            out.extend(tracker.finished)
            t += poll
    tracker = observe(tracker, snap(t, state=UpdateState.UP_TO_DATE))
    out.extend(tracker.finished)
    return out, tracker


def test_a_watched_update_records_every_step_trusted_with_the_version_taken_out() -> None:
    records, tracker = run_update(0.0, [10, 120, 30])
    assert [(r.key.index, r.duration, r.trusted) for r in records] == [(0, 10, True), (1, 120, True), (2, 30, True)]
    assert records[0].key.description == "Downloading version {version}."
    assert not tracker.running
    again, _ = run_update(1000.0, [10, 120, 30], vid="1.6.0")
    assert again[0].key == records[0].key  # the next version's download is the same step


def test_a_gap_in_the_data_marks_the_step_untrusted() -> None:
    t = observe(RunTracker(gap_limit=5), snap(0, state=UpdateState.UP_TO_DATE))
    t = observe(t, snap(1, 0))
    t = observe(t, snap(30, 0))  # 29 s without an answer
    t = observe(t, snap(31, 1))
    assert [(r.duration, r.trusted) for r in t.finished] == [(30, False)]
    t = observe(t, snap(34, 2))  # 3 s later: this step was watched throughout
    assert [r.trusted for r in t.finished] == [True]


def test_a_step_first_seen_mid_way_is_not_trusted() -> None:
    t = observe(RunTracker(), snap(0, 1))  # the console started while step 2 ran
    t = observe(t, snap(1, 2))
    assert [r.trusted for r in t.finished] == [False]


def test_a_failed_update_does_not_record_its_failing_step() -> None:
    t = observe(observe(RunTracker(), snap(0, state=UpdateState.UP_TO_DATE)), snap(1, 0))
    t = observe(t, snap(5, state=UpdateState.FAULT))
    assert t.finished == () and not t.running


def history_of(*runs: Sequence[float]) -> list[StepRecord]:
    out: list[StepRecord] = []
    for k, durations in enumerate(runs):
        out.extend(run_update(10_000.0 * (k + 1), durations)[0])
    return out


def tracker_at(step: int, started: float, total: int = 3) -> RunTracker:
    t = observe(RunTracker(), snap(started - 1, state=UpdateState.UP_TO_DATE))
    for i in range(step + 1):
        t = observe(t, snap(started - (step - i) * 0.01, i, total))
    return t


def test_the_step_text_names_the_usual_duration_and_how_many_updates() -> None:
    history = history_of([10, 120, 30], [10, 110, 30], [10, 130, 30])
    e = estimate(tracker_at(1, 100.0), history, now=200.0)
    assert e.status is Status.ESTIMATE
    assert e.step_text == "usually about 2 min here (3 earlier updates), running for 1 min 40 s"
    assert e.usual == 120 and e.longest == 130 and not e.stuck


def test_one_earlier_update_is_singular() -> None:
    e = estimate(tracker_at(1, 100.0), history_of([10, 120, 30]), now=110.0)
    assert "(1 earlier update)" in e.step_text


def test_the_remaining_range_is_whole_minutes_and_never_one_number() -> None:
    history = history_of([10, 300, 200], [10, 420, 240])
    e = estimate(tracker_at(1, 100.0), history, now=160.0)
    # Left: 240+200 = 440 s (7.3 min) to 360+240 = 600 s (10 min).
    assert e.remaining == (7, 10)
    assert e.remaining_text == "About 7 to 10 min left"
    single = estimate(tracker_at(1, 100.0), history_of([10, 300, 180]), now=100.0)
    assert single.remaining == (8, 9)  # 480 s exactly still gives a range


def test_no_history_gives_no_number() -> None:
    e = estimate(tracker_at(1, 100.0), [], now=200.0)
    assert e.status is Status.NO_HISTORY and e.remaining is None and e.usual is None
    assert e.step_text.startswith("No earlier update to compare with")
    assert e.remaining_text == ""


def test_untrusted_durations_are_not_used() -> None:
    history = [StepRecord("r1", StepKey(1, 3, "Turning down workloads."), 60.0, False)]
    e = estimate(tracker_at(1, 100.0), history, now=200.0)
    assert e.status is Status.NO_HISTORY


def test_the_stuck_warning_text_and_its_thresholds() -> None:
    history = history_of([10, 120, 30], [10, 180, 30])  # longest 180 s: stuck after 540 s (and >= 300 s)
    tracker = tracker_at(1, 100.0)
    assert not estimate(tracker, history, now=100.0 + 540).stuck
    e = estimate(tracker, history, now=100.0 + 541)
    assert e.stuck
    assert e.stuck_text == (
        "This step is taking much longer than on earlier updates (usually 3 min, now 9 min). "
        "Do not switch off. If the IPC still answers, it is working."
    )
    assert e.remaining is None  # past every earlier run of this step, no range is invented
    short = history_of([10, 20, 30])  # 3 x 20 s = 60 s, but stuck_minimum is 300 s
    assert not estimate(tracker, short, now=100.0 + 299).stuck
    assert estimate(tracker, short, now=100.0 + 300).stuck


def test_without_history_the_warning_waits_for_stuck_without_history() -> None:
    s = ProgressSettings(stuck_without_history=1200)
    assert not estimate(tracker_at(1, 0.0), [], now=1199.0, settings=s).stuck
    e = estimate(tracker_at(1, 0.0), [], now=1200.0, settings=s)
    assert e.stuck and "Do not switch off." in e.stuck_text and "20 min" in e.stuck_text


def test_is_stuck_rule() -> None:
    s = ProgressSettings(stuck_factor=3.0, stuck_minimum=300, stuck_without_history=1200)
    assert is_stuck(301, 100, s) and not is_stuck(300, 100, s)
    assert not is_stuck(299, 10, s) and is_stuck(300, 10, s)
    assert is_stuck(1200, None, s) and not is_stuck(1199.9, None, s)
    assert not is_stuck(float("nan"), 1, s)


@pytest.mark.parametrize(
    "bad", [{"stuck_factor": 0.5}, {"stuck_minimum": -1.0}, {"stuck_without_history": float("inf")}]
)
def test_settings_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ProgressSettings(**bad)


def test_the_estimate_moves_one_minute_per_poll_until_the_step_ends() -> None:
    tracker = tracker_at(1, 100.0)
    shown = Estimate(Status.ESTIMATE, tracker.step, remaining=(2, 3))
    e = estimate(tracker, history_of([10, 600, 300], [10, 700, 360]), now=100.0, previous=shown)
    assert e.remaining == (3, 4)  # raw 15 to 18 min, but one step per poll
    next_step = observe(tracker, snap(101.0, 2))
    jumped = estimate(next_step, history_of([10, 600, 300], [10, 700, 360]), now=101.0, previous=e)
    assert jumped.remaining == (5, 6)  # a new step: the range may move freely (raw 300..360 s)


def test_inconsistent_counts_give_no_estimate() -> None:
    history = history_of([10, 120, 30])
    base = tracker_at(1, 100.0)
    for bad in (snap(101, 0), snap(101, 1, total=4), snap(101, 1, description="Something else.")):
        t = observe(base, bad)
        e = estimate(t, history, now=102.0)
        assert e.status is Status.INCONSISTENT and e.remaining is None and e.usual is None
        assert e.step_text == "No estimate: not enough consistent data from the IPC."
        later = observe(t, snap(103, 2))  # stays inconsistent for the rest of the run
        assert estimate(later, history, now=104.0).status is Status.INCONSISTENT
        assert later.finished == ()


def test_durations_format() -> None:
    assert format_duration(100) == "1 min 40 s"
    assert format_duration(59.9) == "59 s"
    assert format_duration(3900) == "1 h 5 min"
    assert format_rough(120) == "2 min" and format_rough(44) == "40 s" and format_rough(3) == "3 s"


# ---- properties ----------------------------------------------------------------------------

states = st.sampled_from([UpdateState.RUNNING, UpdateState.RUNNING, UpdateState.UP_TO_DATE, UpdateState.FAULT])
polls = st.lists(
    st.tuples(
        st.floats(0.0, 40.0),  # time since the previous poll
        states,
        st.one_of(st.none(), st.integers(0, 8)),
        st.one_of(st.none(), st.integers(0, 8)),
        st.sampled_from(["", "Migrating the database.", "Downloading version 1.5.0.", "x\x00y"]),
    ),
    max_size=40,
)


def proto_snapshot(t: float, state: UpdateState, step: int | None, total: int | None, text: str) -> Snapshot:
    """Built the way the client builds it, from an UpdateInfo."""
    raw = {UpdateState.RUNNING: 2, UpdateState.UP_TO_DATE: 3, UpdateState.FAULT: 4}[state]
    info = pb.UpdateInfo(state=raw)  # type: ignore[arg-type]
    info.available.version_id = "1.5.0"
    if state is UpdateState.RUNNING:
        if step is not None:
            info.progress.current_step = step
        if total is not None:
            info.progress.total_steps = total
        info.progress.description = text
    return snapshot_from_proto(info, received_at=t, received_wall=1e6 + t)


@settings(max_examples=150, deadline=None)
@given(polls, st.lists(st.tuples(st.integers(0, 6), st.integers(1, 7), st.floats(0, 1e4), st.booleans()), max_size=30))
def test_any_poll_sequence_gives_a_sane_estimate(
    seq: list[tuple[float, UpdateState, int | None, int | None, str]],
    raw_history: list[tuple[int, int, float, bool]],
) -> None:
    descriptions = ["", "Migrating the database.", "Downloading version {version}."]
    history = [
        StepRecord(f"r{i % 4}", StepKey(idx, tot, descriptions[i % 3]), dur, trusted)
        for i, (idx, tot, dur, trusted) in enumerate(raw_history)
    ]
    tracker, shown, t = RunTracker(), None, 0.0
    for dt, state, step, total, text in seq:
        t += dt
        tracker = observe(tracker, proto_snapshot(t, state, step, total, text))
        for r in tracker.finished:
            assert r.duration >= 0 and r.run_id
        e = estimate(tracker, history, now=t + 0.5, previous=shown)
        for text_out in (e.step_text, e.remaining_text, e.stuck_text):
            assert isinstance(text_out, str)
        doc = json.loads(json.dumps(hmi_json(e), allow_nan=False))
        assert doc["stuck"] is e.stuck and (doc["expected"] is None) is (e.status is Status.IDLE)
        was_stuck = shown is not None and shown.stuck
        expected_change = None if was_stuck == e.stuck else "started" if e.stuck else "ended"
        assert stuck_change(shown, e) == expected_change
        if e.remaining is not None:
            low, high = e.remaining
            assert 0 <= low < high
            assert e.status is Status.ESTIMATE
            if shown is not None and shown.remaining is not None and shown.step == e.step:
                assert abs(low - shown.remaining[0]) <= 1 and abs(high - shown.remaining[1]) <= 1
        if e.status is Status.INCONSISTENT:
            assert e.remaining is None and e.usual is None
        if e.status is Status.ESTIMATE:
            assert e.step is not None and e.usual is not None and e.earlier >= 1
        shown = e


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0.5, 5.0)), min_size=1, max_size=30))
def test_counts_going_backwards_always_end_the_estimate(moves: list[tuple[int, float]]) -> None:
    """Whatever a run does, once a poll shows a lower step than before, the run is inconsistent."""
    tracker, t, highest = observe(RunTracker(), snap(0, state=UpdateState.UP_TO_DATE)), 0.0, -1
    went_back = False
    for step, dt in moves:
        t += dt
        tracker = observe(tracker, snap(t, step, total=6))
        went_back = went_back or step < highest
        highest = max(highest, step)
        assert tracker.consistent is not went_back
        if went_back:
            assert estimate(tracker, history_of([1, 2, 3, 4, 5, 6]), now=t).status is Status.INCONSISTENT


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(1.0, 900.0), min_size=3, max_size=3), st.lists(st.floats(0.5, 3.0), max_size=60))
def test_a_steady_run_moves_at_most_one_minute_per_poll(earlier: list[float], polls_dt: list[float]) -> None:
    history = history_of(earlier, [d * 1.5 for d in earlier])
    tracker, shown, t = tracker_at(0, 0.0), None, 0.0
    for dt in polls_dt:
        t += dt
        tracker = observe(tracker, snap(t, 0))
        e = estimate(tracker, history, now=t, previous=shown)
        if e.remaining is not None and shown is not None and shown.remaining is not None:
            assert max(abs(a - b) for a, b in zip(e.remaining, shown.remaining, strict=True)) <= 1
        shown = e


# ---- liveness ------------------------------------------------------------------------------


def conn(last_ok: float | None, failed: bool) -> Connection:
    return Connection("ipc:1", last_ok, failed, "UNAVAILABLE" if failed else None, None, stale_after=3.0)


def test_liveness_while_an_update_runs() -> None:
    ok = liveness(conn(99.0, False), 100.0, update_running=True)
    assert ok.kind is Liveness.ANSWERING and ok.status_text == "IPC answered 1 s ago" and ok.headline == ""
    away = liveness(conn(100.0, True), 100.0 + 299, update_running=True)
    assert away.kind is Liveness.RESTARTING
    assert away.headline == "The IPC is restarting as part of the update; do not switch off."
    assert away.status_text == "IPC last answered 4 min 59 s ago"
    late = liveness(conn(100.0, True), 100.0 + 300, update_running=True)
    assert late.kind is Liveness.TROUBLE and late.headline == ""
    never = liveness(conn(None, True), 5.0, update_running=True)
    assert never.kind is Liveness.TROUBLE and never.status_text == "No answer from the IPC yet"
    idle = liveness(conn(100.0, True), 200.0, update_running=False)
    assert idle.kind is Liveness.NOT_RUNNING and idle.status_text == "" and idle.headline == ""


@given(st.one_of(st.none(), st.floats(0, 1e6)), st.booleans(), st.floats(0, 2e6), st.booleans(), st.floats(1, 1e4))
def test_liveness_never_raises_and_restarting_only_within_the_grace(
    last_ok: float | None, failed: bool, now: float, running: bool, grace: float
) -> None:
    view = liveness(conn(last_ok, failed), now, running, restart_grace=grace)
    if view.kind is Liveness.RESTARTING:
        assert running and view.answered_ago is not None and view.answered_ago < grace and view.headline
    if not running:
        assert view.kind is Liveness.NOT_RUNNING


def test_the_json_for_report_and_the_timeline_changes() -> None:
    history = history_of([10, 120, 30], [10, 180, 30])
    tracker = tracker_at(1, 100.0)
    calm = estimate(tracker, history, now=200.0)
    stuck = estimate(tracker, history, now=100.0 + 600, previous=calm)
    assert stuck_change(None, calm) is None and stuck_change(calm, stuck) == "started"
    assert stuck_change(stuck, stuck) is None and stuck_change(stuck, calm) == "ended"
    doc = hmi_json(calm)
    assert doc["stuck"] is False
    assert doc["expected"] == {
        "status": "estimate",
        "step": {"index": 1, "total": 3, "description": "Turning down workloads."},
        "running_for_s": 100.0,
        "usual_s": 150.0,
        "longest_s": 180.0,
        "earlier_updates": 2,
        "remaining_min": [0, 2],
        "text": "usually about 3 min here (2 earlier updates), running for 1 min 40 s",
        "remaining_text": "Less than 2 min left",
        "warning": "",
    }
    assert hmi_json(estimate(RunTracker(), [], now=1.0)) == {"expected": None, "stuck": False}
