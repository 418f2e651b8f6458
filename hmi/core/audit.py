"""The approval audit trail: one durable record per approval attempt and per failed sign-in.

Months later a plant must be able to answer who approved which version on which
IPC, when, and what happened. `AuditStore` implements `hmi.core.ports.AuditSink`
(begin → mark_sent → complete, and resolve for an "unknown" outcome) and adds
`log_event` for one-shot records such as a failed sign-in ("signin-failed").

The record follows the OperatorCommand model: an id, a type (`kind`), the
executer (`operator`), created/sent/completed times, and an error with code and
message. Instead of a per-record time to live, the store applies one retention
rule (see `Retention`).

Storage: SQLite (stdlib `sqlite3`) in WAL mode with `synchronous=FULL`.
Why SQLite and not JSON lines:
- Each write is one committed transaction. With WAL and synchronous=FULL the
  commit returns only after the WAL is fsynced, so an acknowledged record
  survives SIGKILL and power loss, and a transaction cut off half-way is never
  visible: there is no torn last line to skip and report.
- A record changes after it is created (sent, completed, resolved). In SQLite
  that is an UPDATE of one row; with JSON lines it is a fold over events, and a
  reader must merge them.
- Retention is a DELETE. With JSON lines it means rewriting the whole file.
- The console and the CLI can write at the same time: SQLite serialises the
  writers (busy_timeout), where appends from two processes need extra locking.
- `--since` and `--target` are indexed queries instead of a full scan.
The cost: the store must be on a local file system (WAL needs shared memory
between processes on one host), which the platform data directory is.

Tamper evidence (schema 2): every change to a record also appends one row to
the append-only `events` table, in the same transaction: the record's full state
after the change (`record_to_json` plus its `seq`, compact JSON with sorted keys)
and a SHA-256 over the previous event's hash and this event's canonical form
(`event_hash`). `verify()` walks the chain and checks that `records` is the fold
of the events (the latest payload per record). Anyone who can write the file can
still rewrite the whole chain; exporting the head hash elsewhere is what catches
that (docs/audit.md).

This module imports only the standard library (and hmi.core.i18n), so a writer
process starts fast and the CLI's `history` never loads grpc or Qt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from hmi.core.i18n import N_, _
from hmi.core.i18n import language as current_language
from hmi.core.ports import AuditOutcome, RecordKind, SignInStatus

APPROVE_UPDATE = RecordKind.APPROVE_UPDATE
SIGNIN_FAILED = RecordKind.SIGNIN_FAILED

# Outcomes of an approval (see hmi.core.ports.AuditSink) and of a failed sign-in (hmi.core.auth).
# "ran-later" only settles an "unknown": v ran after it, but another party may have started it (hmi.core.settle).
OUTCOMES = tuple(AuditOutcome)
SIGNIN_OUTCOMES = tuple(s for s in SignInStatus if s is not SignInStatus.OK)

SCHEMA_VERSION = 2  # 2: the hash-chained `events` table
GENESIS_HASH = "0" * 64  # the prev_hash of the first event of a trail
# Short on purpose: an approval waits for the audit trail before it is sent, and data older than this is
# re-checked anyway. A writer that holds the lock longer gets "audit trail busy: not sent" (AuditBusy).
_BUSY_TIMEOUT_S = 1.0
_PRUNE_EVERY = 256  # inserts between two retention passes (also one on open)

Clock = Callable[[], datetime]


class AuditError(Exception):
    """The audit trail cannot be read or written. The message names the file and what to do."""


def _not_a_file(path: Path | str) -> str:
    return _("The audit trail path {path} is not a file.").format(path=path)


class AuditBusy(AuditError):
    """Another process holds the audit trail's write lock for longer than the short busy timeout."""


class AuditStoreCorrupt(AuditError):
    """The file at the path is not a readable audit trail. It is left untouched."""


class AuditReadOnly(AuditError):
    """The audit trail is a good file that this process cannot write (read-only file, folder or medium)."""


class UnknownRecord(AuditError):
    """No record with this id (or it cannot take this step any more)."""


@dataclass(frozen=True, slots=True)
class Retention:
    """Keep a record while it is among the newest `min_records` OR younger than `min_age`.

    That is "at least the last 10,000 records or 2 years, whichever is more".
    `max_records` is a safety cap above both, so the file never grows without
    bound even if something floods it (for example endless failed sign-ins):
    beyond it the oldest records go whatever their age.
    """

    min_records: int = 10_000
    min_age: timedelta = timedelta(days=730)
    max_records: int | None = 1_000_000

    def __post_init__(self) -> None:
        if self.min_records < 0 or self.min_age < timedelta(0):
            raise ValueError("retention limits must not be negative")
        if self.max_records is not None and self.max_records < self.min_records:
            raise ValueError("max_records must be at least min_records")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: str
    kind: str  # "approve-update" or "signin-failed"
    target: str  # IPC address (HOST:PORT); "" when not tied to one
    version_id: str  # exactly the version id shown and approved; "" for sign-in records
    current_version: str | None  # what the IPC ran at the time
    operator: str | None  # who confirmed, when sign-in is on
    created_at: datetime  # aware, UTC
    sent_at: datetime | None  # when ApproveUpdate first went on the wire; None if it never did
    completed_at: datetime | None  # when the outcome was known; None if the attempt never finished
    outcome: str | None  # see OUTCOMES / SIGNIN_OUTCOMES; None: begun, never completed
    code: str | None  # gRPC status code name, e.g. "FAILED_PRECONDITION"
    message: str
    resolved_at: datetime | None = None  # when an "unknown" outcome was settled from a later poll
    resolution: str | None = None  # the message given when it was settled
    sends: int = 0  # how many times ApproveUpdate went on the wire for this attempt (resends after a lost answer)
    seq: int = 0  # storage order; newest has the highest
    sent_state: str | None = None  # the state the gate allowed the send in ("update-available" or "fault")
    language: str | None = None  # the language the operator's screen showed ("de", "en"); the outcome stays English
    # Four-eyes approval ([approval] require_two): the second operator and when each of the two confirmed.
    second_operator: str | None = None
    confirmed_at: datetime | None = None  # the first operator's confirmation
    second_confirmed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None


def default_audit_path() -> Path:
    """`audit.sqlite3` in hmi.core.config's data folder (IPC_HMI_DATA_DIR, else the platform's user data folder)."""
    from hmi.core.config import AUDIT_FILE_NAME, default_data_dir  # lazy: config is not needed to open a store

    return default_data_dir() / AUDIT_FILE_NAME


def utc_now() -> datetime:
    return datetime.now(UTC)


def _to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_us(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, microseconds when there are any."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def record_to_json(record: AuditRecord) -> dict[str, Any]:
    """A plain dict for `--json` and export: ISO 8601 UTC times, nulls where a step never happened."""
    return {
        "id": record.id,
        "kind": record.kind,
        "target": record.target,
        "versionId": record.version_id,
        "currentVersion": record.current_version,
        "operator": record.operator,
        "createdAt": iso_utc(record.created_at),
        "sentAt": iso_utc(record.sent_at),
        "sends": record.sends,
        "sentState": record.sent_state,
        "completedAt": iso_utc(record.completed_at),
        "outcome": record.outcome,
        "code": record.code,
        "message": record.message,
        "resolvedAt": iso_utc(record.resolved_at),
        "resolution": record.resolution,
        "language": record.language,
        "secondOperator": record.second_operator,
        "confirmedAt": iso_utc(record.confirmed_at),
        "secondConfirmedAt": iso_utc(record.second_confirmed_at),
    }


def export_fields() -> tuple[str, ...]:
    """The columns of `history --csv`: every field of `record_to_json` (so a new field is exported too), then the
    record's latest event seq and hash."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    blank = AuditRecord("", "", "", "", None, None, epoch, None, None, None, None, "")
    return (*record_to_json(blank), "eventSeq", "eventHash")


_OUTCOME_WORDS: dict[str, str] = {
    AuditOutcome.APPROVED: N_("Approved: the IPC accepted it"),
    AuditOutcome.REFUSED: N_("Refused by the IPC"),
    AuditOutcome.REFUSED_LOCALLY: N_("Not sent: refused by the console"),
    AuditOutcome.UNREACHABLE: N_("Not delivered: the IPC could not be reached"),
    AuditOutcome.UNKNOWN: N_("Unknown: the connection was lost during the call"),
    AuditOutcome.RAN_LATER: N_(
        "Unknown whether it reached the IPC: the version ran later, perhaps started by someone else"
    ),
    AuditOutcome.ERROR: N_("Failed with an error"),
    SignInStatus.WRONG_PIN: N_("Sign-in failed: wrong PIN"),
    SignInStatus.LOCKED_OUT: N_("Sign-in refused: operator locked out"),
    SignInStatus.UNKNOWN_OPERATOR: N_("Sign-in failed: name not in the operator list"),
    SignInStatus.NO_PIN_SET: N_("Sign-in refused: no PIN set for this operator"),
}

# A short text marker per outcome, so a state never depends on an icon or a colour.
_OUTCOME_MARKS: dict[str, str] = {
    AuditOutcome.APPROVED: N_("OK"),
    AuditOutcome.REFUSED: N_("REFUSED"),
    AuditOutcome.REFUSED_LOCALLY: N_("NOT SENT"),
    AuditOutcome.UNREACHABLE: N_("FAILED"),
    AuditOutcome.UNKNOWN: N_("UNKNOWN"),
    AuditOutcome.RAN_LATER: N_("RAN LATER"),
    AuditOutcome.ERROR: N_("FAILED"),
    **dict.fromkeys(SIGNIN_OUTCOMES, N_("SIGN-IN")),
}


def outcome_text(record: AuditRecord) -> str:
    """The outcome in plain words, the same in the CLI and the console."""
    if record.outcome is None:
        return _("No outcome recorded: the attempt did not finish")
    words = _(_OUTCOME_WORDS[record.outcome]) if record.outcome in _OUTCOME_WORDS else record.outcome
    if record.resolved_at is not None:
        words = _("{words} (settled later; first unknown)").format(words=words)
    return words


def outcome_marker(record: AuditRecord) -> str:
    if record.outcome is None:
        return _("NO RESULT")
    return _(_OUTCOME_MARKS[record.outcome]) if record.outcome in _OUTCOME_MARKS else "?"


class EventType(StrEnum):
    """What an event in the chain records. A record's events carry its full state after the change."""

    CREATED = "created"  # begin, or a one-shot record (log_event)
    SENT = "sent"  # mark_sent
    UNSENT = "unsent"  # unmark_sent
    COMPLETED = "completed"
    RESOLVED = "resolved"  # an unknown outcome settled later
    IMPORTED = "imported"  # a record that existed before the chain (migration), its state at that moment
    MIGRATED = "migrated"  # the migration itself: how many records were imported
    CHECKPOINT = "checkpoint"  # retention removed the oldest records and their events
    CARRIED = "carried"  # a kept record whose events the checkpoint removed, restated after it


def canonical_event(seq: int, type_: str, record_id: str | None, at_us: int, payload: str) -> str:
    """The text an event's hash covers (after the previous hash): compact JSON with sorted keys, and the
    stored payload inserted verbatim, so a reader in any language can recompute it."""
    head = json.dumps({"at": at_us, "record": record_id, "seq": seq, "type": type_}, separators=(",", ":"))
    return head[:-1] + ',"payload":' + payload + "}"


def event_hash(prev_hash: str, seq: int, type_: str, record_id: str | None, at_us: int, payload: str) -> str:
    """SHA-256 (hex) over the previous event's hash followed by this event's canonical form."""
    text = prev_hash + canonical_event(seq, type_, record_id, at_us, payload)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_payload(record: AuditRecord) -> str:
    """A record's state as an event stores it: `record_to_json` (so every field is in it) plus its `seq`."""
    return _compact({**record_to_json(record), "seq": record.seq})


def _empty(value: Any) -> bool:
    return value is None or value == 0 or value == "" or value is False


def _payload_matches(payload: dict[str, Any], state: dict[str, Any]) -> bool:
    """True when the record's state is what its last event says. A field missing from the event is accepted
    while the record's value is empty (null, 0, ""): a column added by a later version, never set since."""
    if any(key not in state for key in payload):
        return False
    return all(payload[key] == value if key in payload else _empty(value) for key, value in state.items())


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of walking the chain. `problem` is one plain sentence when it fails (None when intact)."""

    chained: bool  # False: a trail from before the chain (schema 1), not yet migrated
    events: int = 0
    records: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    broken_seq: int | None = None  # the first event found wrong (None when the problem is a record alone)
    record_id: str | None = None  # the record concerned, when there is one
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.chained and self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "chained": self.chained,
            "events": self.events,
            "records": self.records,
            "headSeq": self.head_seq,
            "headHash": self.head_hash,
            "brokenSeq": self.broken_seq,
            "recordId": self.record_id,
            "problem": self.problem,
        }


def verify_connection(conn: sqlite3.Connection) -> Verification:
    """Walks the chain on `conn` (inside one read transaction, so both tables are one snapshot).

    Checks, in this order: seq contiguity, each prev_hash link, each recomputed hash, the start of the
    chain (the genesis hash, or a checkpoint naming the removed event before it), and that `records`
    is exactly the fold of the events. An edited, deleted, inserted or reordered row in either table
    fails one of these. Runs in any thread; never writes.
    """
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "events" not in tables:
        if "records" not in tables:
            return Verification(chained=True)  # an empty trail
        count = int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
        return Verification(chained=False, records=count)
    conn.execute("BEGIN")
    try:
        return _walk(conn)
    finally:
        conn.execute("COMMIT")


def _walk(conn: sqlite3.Connection) -> Verification:
    latest: dict[str, tuple[int, str]] = {}  # record id -> (seq, payload) of its last event
    checkpoints: set[tuple[int, str]] = set()  # (lastRemovedSeq, lastRemovedHash)
    first: tuple[int, str] | None = None
    prev: tuple[int, str] | None = None
    count = 0
    imported: int | None = None  # imported events not yet closed by their `migrated` event

    def broken(seq: int, record_id: str | None, problem: str) -> Verification:
        return Verification(chained=True, events=count, broken_seq=seq, record_id=record_id, problem=problem)

    rows = conn.execute("SELECT seq, record_id, type, at_us, payload, prev_hash, hash FROM events ORDER BY seq")
    for seq, record_id, type_, at_us, payload, prev_hash, stored in rows:
        if prev is None:
            first = (seq, prev_hash)
        else:
            if seq != prev[0] + 1:
                return broken(
                    seq,
                    record_id,
                    _("Event {seq} follows event {prev}: the events between them are missing.").format(
                        seq=seq, prev=prev[0]
                    ),
                )
            if prev_hash != prev[1]:
                return broken(
                    seq,
                    record_id,
                    _("Event {seq} does not link to event {prev} (its previous hash differs).").format(
                        seq=seq, prev=prev[0]
                    ),
                )
        if not isinstance(payload, str) or not isinstance(at_us, int) or not isinstance(type_, str):
            return broken(seq, record_id, _("Event {seq} is malformed.").format(seq=seq))
        if event_hash(str(prev_hash), seq, type_, record_id, at_us, payload) != stored:
            return broken(
                seq,
                record_id,
                _("Event {seq} was changed after it was written (its hash does not match).").format(seq=seq),
            )
        try:
            data = json.loads(payload)
        except ValueError:
            return broken(seq, record_id, _("Event {seq} is malformed.").format(seq=seq))
        if type_ == EventType.CHECKPOINT and isinstance(data, dict):
            checkpoints.add((data.get("lastRemovedSeq"), data.get("lastRemovedHash")))  # type: ignore[arg-type]
        if type_ == EventType.IMPORTED:
            imported = (imported or 0) + 1
        elif type_ == EventType.MIGRATED:
            imported = None
        if record_id is not None:
            latest[record_id] = (seq, payload)
        prev = (seq, str(stored))
        count += 1
    genesis = first is None or (first[0] == 1 and first[1] == GENESIS_HASH)
    if first is not None and not genesis and (first[0] - 1, first[1]) not in checkpoints:
        return broken(
            first[0],
            None,
            _("The chain starts at event {seq}, but no checkpoint records the removal of the events before it.").format(
                seq=first[0]
            ),
        )
    if imported is not None and prev is not None:
        return broken(
            prev[0],
            None,
            _("The migration ends without its 'migrated' event after event {seq}.").format(seq=prev[0]),
        )
    seen: set[str] = set()
    records = 0
    for row in conn.execute(f"SELECT {_COLUMNS} FROM records ORDER BY seq"):
        records += 1
        try:
            record = _row_to_record(row)
        except (TypeError, ValueError, OverflowError):  # a value of the wrong type written into the file
            return Verification(
                chained=True,
                events=count,
                records=records,
                record_id=str(row[1]),
                problem=_("Record {id} holds a value of the wrong type (the record was edited).").format(id=row[1]),
            )
        seen.add(record.id)
        last = latest.get(record.id)
        if last is None:
            return Verification(
                chained=True,
                events=count,
                records=records,
                record_id=record.id,
                problem=_("Record {id} has no event in the chain (it was inserted afterwards).").format(id=record.id),
            )
        state = json.loads(record_payload(record))
        payload = json.loads(last[1])
        if not isinstance(payload, dict) or not _payload_matches(payload, state):
            return Verification(
                chained=True,
                events=count,
                records=records,
                broken_seq=last[0],
                record_id=record.id,
                problem=_("Record {id} differs from its last event {seq} (the record was edited).").format(
                    id=record.id, seq=last[0]
                ),
            )
    for record_id, (seq, _payload) in latest.items():
        if record_id not in seen:
            return Verification(
                chained=True,
                events=count,
                records=records,
                broken_seq=seq,
                record_id=record_id,
                problem=_("Record {id} was deleted (its last event is {seq}).").format(id=record_id, seq=seq),
            )
    return Verification(
        chained=True,
        events=count,
        records=records,
        head_seq=prev[0] if prev else None,
        head_hash=prev[1] if prev else None,
    )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    version_id TEXT NOT NULL,
    current_version TEXT,
    operator TEXT,
    created_us INTEGER NOT NULL,
    sent_us INTEGER,
    sends INTEGER NOT NULL DEFAULT 0,
    completed_us INTEGER,
    outcome TEXT,
    code TEXT,
    message TEXT NOT NULL DEFAULT '',
    resolved_us INTEGER,
    resolution TEXT,
    sent_state TEXT,
    language TEXT,
    second_operator TEXT,
    confirmed_us INTEGER,
    second_confirmed_us INTEGER
);
CREATE INDEX IF NOT EXISTS records_created ON records (created_us);
CREATE INDEX IF NOT EXISTS records_target ON records (target, seq);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    record_id TEXT,
    type TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_record ON events (record_id, seq);
"""

_TABLES = {"records", "sqlite_sequence", "events"}

_COLUMNS = (
    "seq, id, kind, target, version_id, current_version, operator, created_us, sent_us, completed_us,"
    " outcome, code, message, resolved_us, resolution, sends, sent_state, language,"
    " second_operator, confirmed_us, second_confirmed_us"
)


# Columns added in place after the first release (ALTER TABLE ADD COLUMN), oldest first.
_ADDED_COLUMNS = ("sent_state", "language", "second_operator", "confirmed_us", "second_confirmed_us")


def _row_to_record(row: tuple[Any, ...]) -> AuditRecord:
    (seq, rid, kind, target, version_id, current, operator, created, sent, completed) = row[:10]
    outcome, code, message, resolved, resolution, sends, sent_state, language = row[10:18]
    second_operator, confirmed, second_confirmed = row[18:21]
    created_at = _from_us(created)
    assert created_at is not None
    return AuditRecord(
        id=rid,
        kind=kind,
        target=target,
        version_id=version_id,
        current_version=current,
        operator=operator,
        created_at=created_at,
        sent_at=_from_us(sent),
        completed_at=_from_us(completed),
        outcome=outcome,
        code=code,
        message=message,
        resolved_at=_from_us(resolved),
        resolution=resolution,
        sends=sends,
        seq=seq,
        sent_state=sent_state,
        language=language,
        second_operator=second_operator,
        confirmed_at=_from_us(confirmed),
        second_confirmed_at=_from_us(second_confirmed),
    )


class AuditStore:
    """The audit trail in one SQLite file. Implements hmi.core.ports.AuditSink.

    Every write is its own committed transaction; when a method returns, the
    record is on disk. Several processes (console and CLI) may hold the same
    file open. One instance may be shared between threads.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, clock: Clock, retention: Retention) -> None:
        self._conn = conn
        self._path = path
        self._clock = clock
        self._retention = retention
        self._lock = threading.Lock()
        self._inserts = 0
        self._writable = False  # opened with open(): verify() reads through its own connection
        self._chained = True  # False: a schema-1 trail opened read-only (no events table)

    # -- opening and closing --------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        clock: Clock = utc_now,
        retention: Retention | None = None,
    ) -> AuditStore:
        """Opens (and creates, with its parent folders) the audit trail at `path` (default: `default_audit_path()`).

        Raises AuditStoreCorrupt, naming the path, when the file is not a
        readable audit trail; the file is then left exactly as it was.
        """
        path = Path(path) if path is not None else default_audit_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AuditError(
                _("Cannot create the folder for the audit trail {path}: {err}").format(path=path.parent, err=exc)
            ) from exc
        if path.exists() and not path.is_file():
            raise AuditError(_not_a_file(path))
        _check_header(path)
        try:
            conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise AuditError(_("Cannot open the audit trail {path}: {err}").format(path=path, err=exc)) from exc
        store = cls(conn, path, clock=clock, retention=retention or Retention())
        try:
            store._setup()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_read_only(exc):  # a good trail on read-only media: never advise moving it aside
                raise _read_only(path) from exc
            raise _corrupt(path, exc) from exc
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def open_readonly(cls, path: Path | str, *, clock: Clock = utc_now) -> AuditStore:
        """Opens an existing trail for reading only; never writes to the file or its folder.

        SQLite URI mode=ro, and immutable=1 where even that needs to write (a WAL file in a read-only
        folder). A zero-byte file reads as an empty trail and stays zero bytes. Raises
        AuditStoreCorrupt only for a file that truly is not an audit trail.
        """
        import urllib.parse

        path = Path(path)
        if not path.is_file():
            raise AuditError(_not_a_file(path))
        _check_header(path)
        empty = path.stat().st_size == 0
        conn: sqlite3.Connection | None = None
        if not empty:
            uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
            for suffix in ("", "&immutable=1"):
                try:
                    conn = sqlite3.connect(uri + suffix, uri=True, isolation_level=None, check_same_thread=False)
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                    break
                except sqlite3.OperationalError:
                    if conn is not None:
                        conn.close()
                    conn = None
                except sqlite3.DatabaseError as exc:
                    if conn is not None:
                        conn.close()
                    raise _corrupt(path, exc) from exc
            if conn is None:
                raise AuditError(_("Cannot read the audit trail {path}.").format(path=path))
            if tables - _TABLES:
                conn.close()
                raise AuditStoreCorrupt(
                    _(
                        "{path} is an SQLite database but not an audit trail (it has other tables). "
                        "It was left untouched; choose another file."
                    ).format(path=path)
                )
            if "records" not in tables:  # an SQLite file with nothing in it yet
                conn.close()
                conn = None
            else:
                # A trail from before some column (sent_state, …), on media we may not write: a temporary view (in
                # memory, searched before the file's own tables) adds the missing columns as NULL; the file stays.
                have = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
                missing = [c for c in _ADDED_COLUMNS if c not in have]
                if missing:
                    extra = ", ".join(f"NULL AS {c}" for c in missing)
                    conn.execute(f"CREATE TEMP VIEW records AS SELECT *, {extra} FROM main.records")
        chained = True
        if conn is None:  # nothing recorded: an empty trail in memory, the file untouched
            conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                conn.execute(statement)
        else:
            chained = "events" in tables  # a schema-1 trail reads fine; verify() says it has no chain yet
        store = cls(conn, path, clock=clock, retention=Retention())
        store._chained = chained
        return store

    def _setup(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        # Read-only checks first, so a file that is not ours is refused before anything is written to it.
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables - _TABLES:
            raise AuditStoreCorrupt(
                _(
                    "{path} is an SQLite database but not an audit trail (it has other tables). "
                    "It was left untouched; choose another file."
                ).format(path=self._path)
            )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise AuditError(
                _("The audit trail {path} was written by a newer version (schema {v}).").format(
                    path=self._path, v=version
                )
            )
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise AuditError(
                _("The audit trail {path} cannot use write-ahead logging (journal mode {mode}).").format(
                    path=self._path, mode=mode
                )
            )
        conn.execute("PRAGMA synchronous = FULL")
        self._writable = True
        unchained = "records" in tables and "events" not in tables
        with self._write() as cur:
            # Statement by statement: executescript() would commit on its own.
            for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
                cur.execute(statement)
            cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            # Added in place (older readers name their columns, so they still read the file).
            columns = {row[1] for row in cur.execute("PRAGMA table_info(records)")}
            if "sent_state" not in columns:
                cur.execute("ALTER TABLE records ADD COLUMN sent_state TEXT")
            if "language" not in columns:
                cur.execute("ALTER TABLE records ADD COLUMN language TEXT")
            if "second_operator" not in columns:  # four-eyes approval
                cur.execute("ALTER TABLE records ADD COLUMN second_operator TEXT")
                cur.execute("ALTER TABLE records ADD COLUMN confirmed_us INTEGER")
                cur.execute("ALTER TABLE records ADD COLUMN second_confirmed_us INTEGER")
            if unchained:  # once: the next open finds the events table
                self._migrate(cur, version)
            self._prune(cur)

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- AuditSink --------------------------------------------------------------

    def begin(
        self,
        *,
        target: str,
        version_id: str,
        current_version: str | None,
        operator: str | None,
        kind: str = APPROVE_UPDATE,
        second_operator: str | None = None,
        confirmed_at: datetime | None = None,
        second_confirmed_at: datetime | None = None,
    ) -> str:
        """Stores a new record (no outcome yet) and returns its id. With four-eyes approval, `second_operator`
        and the two confirmation times go into the same record."""
        record_id = str(_uuid4())
        now = _to_us(self._clock())
        first_us = _to_us(confirmed_at) if confirmed_at is not None else None
        second_us = _to_us(second_confirmed_at) if second_confirmed_at is not None else None
        with self._write() as cur:
            cur.execute(
                "INSERT INTO records (id, kind, target, version_id, current_version, operator, created_us, language,"
                " second_operator, confirmed_us, second_confirmed_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(record_id, kind, target, version_id, current_version, operator, now, current_language()),
                    *(second_operator, first_us, second_us),
                ),
            )
            self._chain(cur, record_id, EventType.CREATED)
            self._after_insert(cur)
        return record_id

    def mark_sent(self, record_id: str, *, sent_state: str | None = None) -> None:
        """Called right before each ApproveUpdate send: the first sets `sent_at`, every one counts in `sends`.

        `sent_state` is the state the gate allowed the send in; a later read settles an unknown outcome
        only from a transition away from it (hmi.core.settle).
        """
        with self._write() as cur:
            cur.execute(
                "UPDATE records SET sent_us = coalesce(sent_us, ?), sends = sends + 1,"
                " sent_state = coalesce(?, sent_state) WHERE id = ? AND completed_us IS NULL",
                (_to_us(self._clock()), sent_state, record_id),
            )
            if cur.rowcount != 1:
                raise self._cannot(cur, record_id, "mark_sent")
            self._chain(cur, record_id, EventType.SENT)

    def unmark_sent(self, record_id: str) -> None:
        """Takes back the last `mark_sent` when the gate closed after it and nothing went on the wire."""
        with self._write() as cur:
            cur.execute(
                "UPDATE records SET sends = max(sends - 1, 0),"
                " sent_us = CASE WHEN sends <= 1 THEN NULL ELSE sent_us END"
                " WHERE id = ? AND completed_us IS NULL",
                (record_id,),
            )
            if cur.rowcount != 1:
                raise self._cannot(cur, record_id, "unmark_sent")
            self._chain(cur, record_id, EventType.UNSENT)

    def complete(self, record_id: str, *, outcome: str, code: str | None, message: str) -> None:
        """Records the outcome once. A second `complete` for the same record raises UnknownRecord."""
        message = _english(message)
        with self._write() as cur:
            cur.execute(
                "UPDATE records SET completed_us = ?, outcome = ?, code = ?, message = ?"
                " WHERE id = ? AND completed_us IS NULL",
                (_to_us(self._clock()), outcome, code, message, record_id),
            )
            if cur.rowcount != 1:
                raise self._cannot(cur, record_id, "complete")
            self._chain(cur, record_id, EventType.COMPLETED)

    def resolve(self, record_id: str, *, outcome: str, message: str) -> None:
        """Settles an "unknown" outcome from a later poll. The original code and message are kept."""
        message = _english(message)
        with self._write() as cur:
            cur.execute(
                "UPDATE records SET outcome = ?, resolved_us = ?, resolution = ? WHERE id = ? AND outcome = 'unknown'",
                (outcome, _to_us(self._clock()), message, record_id),
            )
            if cur.rowcount != 1:
                raise self._cannot(cur, record_id, "resolve")
            self._chain(cur, record_id, EventType.RESOLVED)

    # -- one-shot records -------------------------------------------------------

    def log_event(
        self,
        *,
        kind: str,
        outcome: str,
        message: str = "",
        operator: str | None = None,
        target: str = "",
        version_id: str = "",
        current_version: str | None = None,
        code: str | None = None,
    ) -> str:
        """Stores a finished record in one step (created = completed = now) and returns its id."""
        message = _english(message)
        record_id = str(_uuid4())
        now = _to_us(self._clock())
        with self._write() as cur:
            cur.execute(
                "INSERT INTO records (id, kind, target, version_id, current_version, operator, created_us,"
                " completed_us, outcome, code, message, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record_id,
                    *(kind, target, version_id, current_version, operator, now, now, outcome, code, message),
                    current_language(),
                ),
            )
            self._chain(cur, record_id, EventType.CREATED)
            self._after_insert(cur)
        return record_id

    def record_signin_failure(self, *, operator: str | None, reason: str, message: str = "", target: str = "") -> str:
        """A failed sign-in attempt (kind "signin-failed"). Never pass the PIN, in any field."""
        return self.log_event(kind=SIGNIN_FAILED, outcome=reason, message=message, operator=operator, target=target)

    # -- reading ----------------------------------------------------------------

    def records(
        self,
        since: datetime | None = None,
        target: str | None = None,
        limit: int | None = None,
        *,
        kind: str | None = None,
    ) -> list[AuditRecord]:
        """Records newest first. `since` is inclusive; a naive datetime means local time."""
        where: list[str] = []
        params: list[int | str] = []
        if since is not None:
            where.append("created_us >= ?")
            params.append(_to_us(since))
        if target is not None:
            where.append("target = ?")
            params.append(target)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        sql = f"SELECT {_COLUMNS} FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        return [_row_to_record(row) for row in self._read(sql, params)]

    def get(self, record_id: str) -> AuditRecord | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM records WHERE id = ?", [record_id])
        return _row_to_record(rows[0]) if rows else None

    def unresolved(self, target: str | None = None) -> list[AuditRecord]:
        """Approvals whose outcome is "unknown", newest first: what the next poll should settle."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE outcome = 'unknown'"
        params: list[Any] = []
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        return [_row_to_record(row) for row in self._read(sql + " ORDER BY seq DESC", params)]

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM records", [])[0][0])

    def check(self) -> str:
        """SQLite's integrity check: "ok" or the problems found."""
        rows = self._read("PRAGMA integrity_check", [])
        return "\n".join(str(r[0]) for r in rows)

    # -- retention --------------------------------------------------------------

    def prune(self) -> int:
        """Applies the retention rule now; returns how many records were removed."""
        with self._write() as cur:
            return self._prune(cur)

    def _prune(self, cur: sqlite3.Cursor) -> int:
        rule = self._retention
        cutoff = _to_us(self._clock() - rule.min_age)
        # The seq of the oldest record among the newest min_records; older ones may go once old enough.
        conditions: list[str] = []  # {t}: the table's alias, if any
        params: list[int] = []
        row = cur.execute("SELECT seq FROM records ORDER BY seq DESC LIMIT 1 OFFSET ?", (rule.min_records,)).fetchone()
        if row is not None:
            conditions.append("({t}seq <= ? AND {t}created_us < ?)")
            params += [row[0], cutoff]
        if rule.max_records is not None:
            row = cur.execute(
                "SELECT seq FROM records ORDER BY seq DESC LIMIT 1 OFFSET ?", (rule.max_records,)
            ).fetchone()
            if row is not None:
                conditions.append("{t}seq <= ?")
                params.append(row[0])
        if not conditions:
            return 0
        gone = " OR ".join(conditions).format(t="")
        removed = int(cur.execute(f"SELECT count(*) FROM records WHERE {gone}", params).fetchone()[0])
        if removed == 0:
            return 0
        # Whole records go, with their events: the chain loses its prefix up to the last event of a removed
        # record. A kept record whose events all lie in that prefix is restated after the checkpoint.
        gone_r = " OR ".join(conditions).format(t="r.")
        last = cur.execute(
            f"SELECT max(e.seq) FROM events e JOIN records r ON r.id = e.record_id WHERE {gone_r}", params
        ).fetchone()[0]
        carried: list[str] = []
        payload: dict[str, Any] = {"removedRecords": removed, "removedEvents": 0}
        head = self._head(cur)
        if last is not None:
            carried = [
                r[0]
                for r in cur.execute(
                    f"SELECT id FROM records WHERE NOT ({gone}) AND"
                    " (SELECT max(seq) FROM events WHERE record_id = records.id) <= ? ORDER BY seq",
                    [*params, last],
                )
            ]
            last_hash = cur.execute("SELECT hash FROM events WHERE seq = ?", (last,)).fetchone()[0]
            cur.execute("DELETE FROM events WHERE seq <= ?", (last,))
            payload.update(removedEvents=cur.rowcount, lastRemovedSeq=last, lastRemovedHash=last_hash)
        cur.execute(f"DELETE FROM records WHERE {gone}", params)
        self._append(cur, EventType.CHECKPOINT, None, _compact(payload), head=head)
        for record_id in carried:
            self._chain(cur, record_id, EventType.CARRIED)
        return removed

    # -- the chain ----------------------------------------------------------------

    @staticmethod
    def _head(cur: sqlite3.Cursor) -> tuple[int, str]:
        """The newest event's (seq, hash), read inside the write transaction: another process may have appended
        since this one last wrote, and every writer must continue the one chain. A primary-key look-up."""
        row = cur.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)

    def _append(
        self,
        cur: sqlite3.Cursor,
        type_: str,
        record_id: str | None,
        payload: str,
        *,
        head: tuple[int, str] | None = None,
    ) -> tuple[int, str]:
        seq, prev = head or self._head(cur)
        seq += 1
        at = _to_us(self._clock())
        digest = event_hash(prev, seq, type_, record_id, at, payload)
        cur.execute(
            "INSERT INTO events (seq, record_id, type, at_us, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, record_id, type_, at, payload, prev, digest),
        )
        return seq, digest

    def _chain(self, cur: sqlite3.Cursor, record_id: str, type_: str) -> None:
        """Appends the record's state after a change, in the transaction that made the change. Every write to
        `records` must call this (a new step, a new column's setter), or verify() reports the record as edited."""
        row = cur.execute(f"SELECT {_COLUMNS} FROM records WHERE id = ?", (record_id,)).fetchone()
        self._append(cur, type_, record_id, record_payload(_row_to_record(row)))

    def _migrate(self, cur: sqlite3.Cursor, from_schema: int) -> None:
        """A trail from before the chain: one `imported` event per record (in seq order), then `migrated`."""
        head = self._head(cur)
        count = 0
        for row in cur.execute(f"SELECT {_COLUMNS} FROM records ORDER BY seq").fetchall():
            record = _row_to_record(row)
            head = self._append(cur, EventType.IMPORTED, record.id, record_payload(record), head=head)
            count += 1
        self._append(cur, EventType.MIGRATED, None, _compact({"records": count, "fromSchema": from_schema}), head=head)

    def verify(self) -> Verification:
        """Walks the chain (see `verify_connection`). Qt-free and thread-safe; on a trail opened for writing it
        reads through a connection of its own, so writers in this process do not wait for the walk."""
        if self._writable:
            import urllib.parse

            uri = "file:" + urllib.parse.quote(str(self._path.resolve())) + "?mode=ro"
            try:
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
            except sqlite3.Error as exc:
                raise self._error(exc) if isinstance(exc, sqlite3.DatabaseError) else AuditError(str(exc)) from exc
            try:
                return verify_connection(conn)
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc
            finally:
                conn.close()
        with self._lock:
            try:
                return verify_connection(self._conn)
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc

    def event_hashes(self) -> dict[str, tuple[int, str]]:
        """Each record's latest event as (seq, hash), for the exports. Empty for a trail without a chain."""
        if not self._chained:
            return {}
        # SQLite takes the bare column `hash` from the row that holds max(seq).
        rows = self._read(
            "SELECT record_id, max(seq), hash FROM events WHERE record_id IS NOT NULL GROUP BY record_id", []
        )
        return {str(r[0]): (int(r[1]), str(r[2])) for r in rows}

    def _after_insert(self, cur: sqlite3.Cursor) -> None:
        self._inserts += 1
        if self._inserts % _PRUNE_EVERY == 0:
            self._prune(cur)

    # -- plumbing ---------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One IMMEDIATE transaction (takes the write lock up front, so busy_timeout applies), committed on exit."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    cur.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError):
                    raise self._error(exc) from exc
                raise
            finally:
                cur.close()

    def _read(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from exc

    def _error(self, exc: sqlite3.DatabaseError) -> AuditError:
        if _is_read_only(exc):
            return _read_only(self._path)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower():
            return AuditBusy(
                _("The audit trail {path} is busy (another program is writing to it).").format(path=self._path)
            )
        if isinstance(exc, sqlite3.OperationalError | sqlite3.IntegrityError):
            return AuditError(_("Cannot write the audit trail {path}: {err}").format(path=self._path, err=exc))
        return _corrupt(self._path, exc)

    def _cannot(self, cur: sqlite3.Cursor, record_id: str, step: str) -> UnknownRecord:
        exists = cur.execute("SELECT outcome FROM records WHERE id = ?", (record_id,)).fetchone()
        if exists is None:
            return UnknownRecord(_("No audit record {id} in {path}.").format(id=record_id, path=self._path))
        return UnknownRecord(
            _("Audit record {id} cannot take the step '{step}' (outcome so far: {outcome}).").format(
                id=record_id, step=step, outcome=exists[0] or "none"
            )
        )


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_header(path: Path) -> None:
    """Refuses a file that is not SQLite before sqlite3 touches it (an empty file is a fresh store)."""
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise AuditError(_("Cannot read the audit trail {path}: {err}").format(path=path, err=exc)) from exc
    if head and head != _SQLITE_MAGIC:
        raise _corrupt(path, None)


def _is_read_only(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = str(getattr(exc, "sqlite_errorname", ""))
    text = str(exc).lower()
    return name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or "readonly" in text or "unable to open" in text


def _read_only(path: Path) -> AuditReadOnly:
    return AuditReadOnly(
        _(
            "the audit trail {path} cannot be written (read-only). The file itself is fine; "
            "make its folder writable or set another [audit] path."
        ).format(path=path)
    )


def _corrupt(path: Path, exc: BaseException | None) -> AuditStoreCorrupt:
    detail = f" ({exc})" if exc else ""
    return AuditStoreCorrupt(
        _(
            "The audit trail {path} is not a readable SQLite database{detail}. "
            "It was left untouched. Move it aside (keep it for the record); the next start then begins a new one."
        ).format(path=path, detail=detail)
    )


def _english(message: str) -> str:
    """The trail's values stay English whatever the screen showed: a message given in the operator's language
    is stored as its English source (hmi.core.retext), and the language itself goes in `language`."""
    if current_language() == "en" or not message:
        return message
    from hmi.core.retext import to_source  # only for a record written in another language

    return to_source(message)


def _uuid4() -> object:
    """A fresh record id. uuid (and the platform module it loads) is imported at the first record, not at start."""
    import uuid

    return uuid.uuid4()
