"""Step history: how long each step of each update took on each IPC, as observed from the polls (issue 14).

Storage: `steps.sqlite3`, an SQLite file beside the audit trail in the data folder (its own file,
so the audit trail keeps its single `records` table and its strict checks). WAL mode,
`synchronous = NORMAL` (a lost last row after power loss only costs one sample of an estimate),
and a short busy timeout (`BUSY_TIMEOUT_S`, 50 ms), so a write never waits long on another process.

Bounds: per target the newest `keep_runs` updates (default 20); at most `MAX_STEPS_PER_RUN`
rows per update and `MAX_TARGETS` targets (the least recently updated go first). Descriptions
are the model's cleaned, bounded display text.

Event loops: `StepRecorder.feed` is pure computation plus an in-memory append; it never touches
the disk. Rows to store wait in `pending` until `flush()` (synchronous: one small transaction,
at most `BUSY_TIMEOUT_S` waiting for a lock, for the CLI) or `await aflush()` (the same in a worker
thread via `asyncio.to_thread`, for the console's loop). Reading a target's history is one
indexed query, done once per target when the recorder is made (`StepHistory.records`), also
available as `await StepHistory.arecords(...)`.

A write or read failure never stops an update from being watched: the recorder keeps its
in-memory history and reports the problem in `last_error`.

One writer per target: the console and `ipc-hmi report --watch` may watch the same IPC at once,
and each would store the same steps under its own run id (doubling "3 earlier updates"). A
recorder therefore writes only while it holds an advisory lock on a sidecar file for its target
(`writer_lock_path`, taken without waiting on the first flush). A recorder that cannot take it
still estimates from its in-memory history but drops its rows; it tries again on each later
flush, so it takes over once the other watcher ends (from the next step on).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from hmi.core.filelock import FileLock, LockBusy
from hmi.core.i18n import _
from hmi.core.model import Snapshot
from hmi.core.progress import (
    DEFAULT_GAP_LIMIT,
    Estimate,
    ProgressSettings,
    RunTracker,
    StepKey,
    StepRecord,
    estimate,
    observe,
)

STEPS_FILE_NAME = "steps.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 0.05
KEEP_RUNS = 20
MAX_STEPS_PER_RUN = 200
MAX_TARGETS = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step_index INTEGER NOT NULL,
    total INTEGER NOT NULL,
    description TEXT NOT NULL,
    duration REAL NOT NULL,
    trusted INTEGER NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_by_target ON steps (target, run_id)
"""


def writer_lock_path(steps_path: Path, target: str) -> Path:
    """The file whose lock (hmi.core.filelock's `.NAME.lock` beside it) makes one process the writer for `target`."""
    digest = hashlib.sha256(target.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(steps_path).parent / f"{Path(steps_path).name}.{digest}"


class StepHistoryError(Exception):
    """The step history file cannot be opened, read or written. The message names the file."""


def default_steps_path(audit_path: Path | None = None) -> Path:
    """Beside the audit trail when its path is known, else in hmi.core.config's data folder."""
    if audit_path is not None:
        return Path(audit_path).parent / STEPS_FILE_NAME
    from hmi.core.config import default_data_dir  # lazy, as in hmi.core.audit

    return default_data_dir() / STEPS_FILE_NAME


class StepHistory:
    """The step history file. Thread-safe (one connection behind a lock); open with `StepHistory.open`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, keep_runs: int) -> None:
        self._conn = conn
        self._path = path
        self._keep_runs = keep_runs
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str, *, keep_runs: int = KEEP_RUNS) -> StepHistory:
        if keep_runs < 1:
            raise ValueError("keep_runs must be at least 1")
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StepHistoryError(_("Cannot open the step history {path}: {err}").format(path=path, err=exc)) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables - {"steps", "sqlite_sequence"}:
                raise StepHistoryError(
                    _("{path} is an SQLite database but not a step history; it was left untouched.").format(path=path)
                )
            if conn.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
                raise StepHistoryError(_("The step history {path} was written by a newer version.").format(path=path))
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.close()
            raise StepHistoryError(_("Cannot use the step history {path}: {err}").format(path=path, err=exc)) from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, keep_runs)

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> StepHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(self, target: str) -> tuple[StepRecord, ...]:
        """This target's stored steps, oldest first. Rows that do not make sense are skipped."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT run_id, step_index, total, description, duration, trusted FROM steps "
                    "WHERE target = ? ORDER BY seq",
                    (target,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise StepHistoryError(
                _("Cannot read the step history {path}: {err}").format(path=self._path, err=exc)
            ) from exc
        out = []
        for run_id, index, total, description, duration, trusted in rows:
            ok = isinstance(index, int) and isinstance(total, int) and 0 <= index < total
            ok = ok and isinstance(duration, int | float) and math.isfinite(duration) and duration >= 0
            if ok and isinstance(run_id, str) and isinstance(description, str):
                out.append(StepRecord(run_id, StepKey(index, total, description), float(duration), bool(trusted)))
        return tuple(out)

    async def arecords(self, target: str) -> tuple[StepRecord, ...]:
        return await asyncio.to_thread(self.records, target)

    def add(self, target: str, records: Sequence[StepRecord]) -> None:
        """Stores steps in one short transaction, then applies the bounds for this target."""
        if not records:
            return
        now = time.time()
        try:
            with self._lock:
                conn = self._conn
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for r in records:
                        (count,) = conn.execute(
                            "SELECT COUNT(*) FROM steps WHERE target = ? AND run_id = ?", (target, r.run_id)
                        ).fetchone()
                        if count >= MAX_STEPS_PER_RUN:
                            continue
                        conn.execute(
                            "INSERT INTO steps (target, run_id, step_index, total, description, duration, trusted, "
                            "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (
                                target,
                                r.run_id,
                                r.key.index,
                                r.key.total,
                                r.key.description,
                                r.duration,
                                int(r.trusted),
                                now,
                            ),
                        )
                    self._prune(conn, target)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise StepHistoryError(
                _("Cannot write the step history {path}: {err}").format(path=self._path, err=exc)
            ) from exc

    async def aadd(self, target: str, records: Sequence[StepRecord]) -> None:
        await asyncio.to_thread(self.add, target, records)

    def _prune(self, conn: sqlite3.Connection, target: str) -> None:
        conn.execute(
            "DELETE FROM steps WHERE target = ? AND run_id NOT IN ("
            " SELECT run_id FROM steps WHERE target = ? GROUP BY run_id ORDER BY MAX(seq) DESC LIMIT ?)",
            (target, target, self._keep_runs),
        )
        conn.execute(
            "DELETE FROM steps WHERE target NOT IN ("
            " SELECT target FROM steps GROUP BY target ORDER BY MAX(seq) DESC LIMIT ?)",
            (MAX_TARGETS,),
        )


class StepRecorder:
    """Fed each poll of one target: tracks the run, keeps the history in memory, and gives the estimate.

    `feed` never touches the disk; ended steps wait in `pending` for `flush()` / `await aflush()`.
    """

    def __init__(
        self,
        target: str,
        history: StepHistory | None,
        *,
        settings: ProgressSettings | None = None,
        gap_limit: float = DEFAULT_GAP_LIMIT,
        earlier: Sequence[StepRecord] | None = None,
        exclusive: bool = True,
    ) -> None:
        """`earlier` is the target's stored history if already read (e.g. with `await history.arecords`).

        With `exclusive` (the default) rows are written only while this recorder holds the target's
        writer lock (see the module docstring); `close()` lets it go."""
        self.target = target
        self._exclusive = exclusive
        self._writer: FileLock | None = None
        self.settings = settings or ProgressSettings()
        self.last_error: str | None = None
        self._history = history
        self._tracker = RunTracker(gap_limit=gap_limit)
        self._estimate: Estimate | None = None
        self._pending: list[StepRecord] = []
        self._known: list[StepRecord] = list(earlier) if earlier is not None else []
        if earlier is None and history is not None:
            try:
                self._known = list(history.records(target))
            except StepHistoryError as exc:
                self.last_error = str(exc)

    @property
    def history(self) -> StepHistory | None:
        return self._history

    @property
    def tracker(self) -> RunTracker:
        return self._tracker

    @property
    def estimate(self) -> Estimate | None:
        """The estimate after the last `feed`."""
        return self._estimate

    @property
    def pending(self) -> tuple[StepRecord, ...]:
        return tuple(self._pending)

    @property
    def known(self) -> tuple[StepRecord, ...]:
        return tuple(self._known)

    def feed(self, snapshot: Snapshot | None, now: float) -> Estimate:
        """One poll (the client state's snapshot, fresh or not) at monotonic time `now`."""
        self._tracker = observe(self._tracker, snapshot)
        if self._tracker.finished:
            self._pending.extend(self._tracker.finished)
            self._known.extend(self._tracker.finished)
            if len(self._known) > KEEP_RUNS * MAX_STEPS_PER_RUN:
                del self._known[: len(self._known) - KEEP_RUNS * MAX_STEPS_PER_RUN]
        self._estimate = estimate(self._tracker, self._known, now, self._estimate, self.settings)
        return self._estimate

    def flush(self) -> bool:
        """Writes the pending steps; True when nothing is left pending. Never raises for a file problem."""
        if not self._pending or self._history is None:
            return not self._pending
        if self._exclusive and not self._claim():
            self._pending.clear()  # another process records this target; this one only estimates
            return True
        batch = list(self._pending)
        try:
            self._history.add(self.target, batch)
        except StepHistoryError as exc:
            self.last_error = str(exc)
            if len(self._pending) > MAX_STEPS_PER_RUN:  # the file stays unwritable: do not grow without bound
                del self._pending[: len(self._pending) - MAX_STEPS_PER_RUN]
            return False
        del self._pending[: len(batch)]
        self.last_error = None
        return not self._pending

    async def aflush(self) -> bool:
        return await asyncio.to_thread(self.flush)

    @property
    def writer(self) -> bool:
        """True while this recorder holds the target's writer lock."""
        return self._writer is not None

    def _claim(self) -> bool:
        if self._writer is not None:
            return True
        assert self._history is not None
        lock = FileLock(writer_lock_path(self._history.path, self.target))
        try:
            lock.acquire(0.0)
        except LockBusy:
            return False
        except OSError as exc:  # no lock file can be made there: the rows could not be written either
            self.last_error = _("Cannot write the step history {path}: {err}").format(path=self._history.path, err=exc)
            return False
        self._writer = lock
        return True

    def close(self) -> None:
        """Lets the writer lock go (pending rows are not written: flush first)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
