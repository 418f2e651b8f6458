"""The step history file (real SQLite): survives a restart, stays bounded, refuses a file that is not its own."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core import stephistory
from hmi.core.model import Progress, Snapshot, UpdateState, Version
from hmi.core.progress import Status, StepKey, StepRecord
from hmi.core.stephistory import StepHistory, StepHistoryError, StepRecorder, default_steps_path


def rec(run: str, index: int, duration: float = 60.0, trusted: bool = True, total: int = 3) -> StepRecord:
    return StepRecord(run, StepKey(index, total, f"Step {index}."), duration, trusted)


def test_rows_survive_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "data" / "steps.sqlite3"
    with StepHistory.open(path) as h:
        h.add("ipc-a:50051", [rec("r1", 0, 12.5), rec("r1", 1, 99.0, trusted=False)])
        h.add("ipc-b:50051", [rec("r9", 0)])
    with StepHistory.open(path) as h:
        assert h.records("ipc-a:50051") == (rec("r1", 0, 12.5), rec("r1", 1, 99.0, trusted=False))
        assert len(h.records("ipc-b:50051")) == 1
        assert h.records("nobody") == ()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_only_the_newest_runs_per_target_are_kept(tmp_path: Path) -> None:
    with StepHistory.open(tmp_path / "s.sqlite3", keep_runs=3) as h:
        for k in range(7):
            h.add("t", [rec(f"r{k}", 0), rec(f"r{k}", 1)])
            h.add("other", [rec(f"o{k}", 0)])
        assert sorted({r.run_id for r in h.records("t")}) == ["r4", "r5", "r6"]
        assert len(h.records("t")) == 6 and len(h.records("other")) == 3


def test_rows_per_run_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stephistory, "MAX_STEPS_PER_RUN", 5)
    with StepHistory.open(tmp_path / "s.sqlite3") as h:
        h.add("t", [rec("r", i % 3) for i in range(12)])
        assert len(h.records("t")) == 5


def test_a_database_that_is_not_a_step_history_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE records (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StepHistoryError, match="not a step history"):
        StepHistory.open(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_gives_one_error(tmp_path: Path) -> None:
    path = tmp_path / "steps.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StepHistoryError, match=str(path)):
        StepHistory.open(path)


def test_the_file_sits_beside_the_audit_trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_steps_path(tmp_path / "x" / "audit.sqlite3") == tmp_path / "x" / "steps.sqlite3"
    monkeypatch.setenv("IPC_HMI_DATA_DIR", str(tmp_path / "d"))
    assert default_steps_path() == tmp_path / "d" / "steps.sqlite3"


def snap(t: float, step: int | None, state: UpdateState = UpdateState.RUNNING) -> Snapshot:
    v = Version("2.0", "2.0", None, "")
    progress = Progress(step, 3, f"Step {step}.") if state is UpdateState.RUNNING else None
    raw = 2 if state is UpdateState.RUNNING else 3
    return Snapshot(state, raw, v, v, progress, t, t)


def watch(recorder: StepRecorder, start: float, durations: list[int]) -> None:
    t = start
    recorder.feed(snap(t, None, UpdateState.UP_TO_DATE), t)
    for i, d in enumerate(durations):
        for _ in range(d):
            t += 1
            recorder.feed(snap(t, i), t)
    recorder.feed(snap(t + 1, None, UpdateState.UP_TO_DATE), t + 1)


def test_a_recorder_learns_across_a_console_restart(tmp_path: Path) -> None:
    path = tmp_path / "steps.sqlite3"
    with StepHistory.open(path) as h:
        first = StepRecorder("ipc:1", h)
        watch(first, 0.0, [5, 30, 5])
        assert len(first.pending) == 3  # feed never writes
        assert first.flush()
        assert not first.pending
    with StepHistory.open(path) as h:  # the console starts again
        second = StepRecorder("ipc:1", h)
        assert len(second.known) == 3
        second.feed(snap(1000.0, None, UpdateState.UP_TO_DATE), 1000.0)
        second.feed(snap(1001.0, 0), 1001.0)
        second.feed(snap(1002.0, 1), 1002.0)
        e = second.feed(snap(1003.0, 1), 1012.0)
        assert e.status is Status.ESTIMATE and e.usual == 30 and e.earlier == 1
        assert e.step_text == "usually about 30 s here (1 earlier update), running for 10 s"


def test_a_write_failure_is_reported_and_the_rows_wait(tmp_path: Path) -> None:
    path = tmp_path / "steps.sqlite3"
    h = StepHistory.open(path)
    recorder = StepRecorder("ipc:1", h)
    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    watch(recorder, 0.0, [2, 2, 2])
    assert not recorder.flush()  # waits at most the short busy timeout, then gives up
    assert recorder.last_error and "step history" in recorder.last_error and len(recorder.pending) == 3
    blocker.execute("ROLLBACK")
    blocker.close()
    assert asyncio.run(recorder.aflush())  # the console's way: in a worker thread
    assert recorder.last_error is None and len(h.records("ipc:1")) == 3
    h.close()


def test_async_reads(tmp_path: Path) -> None:
    with StepHistory.open(tmp_path / "s.sqlite3") as h:
        asyncio.run(h.aadd("t", [rec("r", 0)]))
        assert asyncio.run(h.arecords("t")) == (rec("r", 0),)


records_strategy = st.lists(
    st.builds(
        StepRecord,
        st.text(min_size=1, max_size=12),
        st.builds(
            StepKey, st.integers(0, 5), st.integers(6, 9), st.text(alphabet=st.characters(exclude_categories=["Cs"]))
        ),
        st.floats(0, 1e7, allow_nan=False),
        st.booleans(),
    ),
    max_size=20,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records_strategy)
def test_whatever_is_stored_reads_back_the_same(tmp_path: Path, records: list[StepRecord]) -> None:
    path = tmp_path / "prop.sqlite3"
    path.unlink(missing_ok=True)
    with StepHistory.open(path, keep_runs=1000) as h:
        h.add("t", records)
    with StepHistory.open(path, keep_runs=1000) as h:
        assert h.records("t") == tuple(records)
