"""One writer per target (issue 14): the console and `report --watch` on the same IPC store each step once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hmi.core.stephistory import StepHistory, StepRecorder, writer_lock_path

from .test_stephistory import watch


def test_a_second_watcher_of_the_same_ipc_estimates_but_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "steps.sqlite3"
    with StepHistory.open(path) as h1, StepHistory.open(path) as h2:
        console, report = StepRecorder("ipc:1", h1), StepRecorder("ipc:1", h2)
        other_ipc = StepRecorder("ipc:2", h2)
        for r in (console, report, other_ipc):
            watch(r, 0.0, [3, 4, 5])
        assert console.flush() and console.writer
        assert report.flush() and not report.writer  # the rows are dropped: the console wrote them
        assert not report.pending and len(report.known) == 3  # it still knows them for its own estimate
        assert other_ipc.flush() and other_ipc.writer  # another IPC has its own writer
        assert len(h1.records("ipc:1")) == 3 and len(h1.records("ipc:2")) == 3
        console.close()  # the console ends: the report takes over from its next step on
        watch(report, 100.0, [3, 4, 5])
        assert report.flush() and report.writer
        assert len({r.run_id for r in h1.records("ipc:1")}) == 2 and len(h1.records("ipc:1")) == 6
        report.close()
        other_ipc.close()


def test_the_lock_holds_across_processes(tmp_path: Path) -> None:
    """A recorder in another process holds the lock: this one does not write."""
    path = tmp_path / "steps.sqlite3"
    StepHistory.open(path).close()
    code = (
        "import sys, time; from hmi.core.filelock import FileLock; from pathlib import Path;"
        f"l = FileLock(Path({str(writer_lock_path(path, 'ipc:1'))!r})); l.acquire(0); print('held', flush=True);"
        "sys.stdin.readline()"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with StepHistory.open(path) as h:
            recorder = StepRecorder("ipc:1", h)
            watch(recorder, 0.0, [2, 2, 2])
            assert recorder.flush() and not recorder.writer and h.records("ipc:1") == ()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        try:
            holder.wait(timeout=10)
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait(timeout=10)
    with StepHistory.open(path) as h:  # the other process ended: this one writes
        recorder = StepRecorder("ipc:1", h)
        watch(recorder, 0.0, [2, 2, 2])
        assert recorder.flush() and recorder.writer and len(h.records("ipc:1")) == 3
        recorder.close()


def test_a_non_exclusive_recorder_always_writes(tmp_path: Path) -> None:
    with StepHistory.open(tmp_path / "s.sqlite3") as h:
        a, b = StepRecorder("t", h), StepRecorder("t", h, exclusive=False)
        watch(a, 0.0, [2, 2])
        watch(b, 0.0, [2, 2])
        assert a.flush() and b.flush() and len(h.records("t")) == 4
        a.close()
