"""The hash-chained audit trail: every change is an event, `verify()` and `ipc-hmi history --verify` find tampering.

Proof of issue 15's "tamper-evident audit trail": random trails, random tamperings of a copy (an edited,
deleted, inserted or reordered row in either table), and the real CLI in a subprocess catches every one.
Also: migration of a schema-1 trail, retention checkpoints, and two writers keeping one chain.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core.audit import (
    GENESIS_HASH,
    AuditStore,
    EventType,
    Retention,
    event_hash,
    verify_connection,
)
from hmi.core.errors import EXIT_NO_CHAIN, EXIT_TAMPERED

from .helpers import WallClock

ROOT = Path(__file__).resolve().parents[2]
KEEP_ALL = Retention(min_records=10_000, min_age=timedelta(days=730), max_records=None)


def cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `ipc-hmi history` in a subprocess (bounded in time; it exits by itself)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), IPC_HMI_LANG="en")
    return subprocess.run(
        [sys.executable, "-m", "hmi", "history", "--audit-file", str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def events(path: Path) -> list[tuple[int, str | None, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute("SELECT seq, record_id, type, payload FROM events ORDER BY seq"))
    finally:
        conn.close()


# -- building trails ---------------------------------------------------------------------------------------

# One record's life: how it starts, and the steps after it.
LIFE = st.tuples(
    st.sampled_from(["approval", "signin"]),
    st.integers(0, 2),  # sends
    st.booleans(),  # one unmark_sent after them
    st.sampled_from([None, "approved", "refused", "unknown", "unknown-resolved"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)
TRAIL = st.tuples(
    st.lists(LIFE, min_size=3, max_size=6),
    st.sampled_from(["none", "prune", "migrate"]),
)


def build(path: Path, lives: list[tuple[str, int, bool, str | None, str]], extra: str) -> None:
    clock = WallClock()
    unknown: list[str] = []
    with AuditStore.open(path, clock=clock, retention=KEEP_ALL) as store:
        for kind, sends, unsend, outcome, text in lives:
            clock.advance(seconds=1)
            if kind == "signin":
                store.record_signin_failure(operator=text or None, reason="wrong-pin", message=text)
                continue
            rid = store.begin(
                target="10.0.0.5:50051", version_id=text or "1.5.0", current_version="1.4.2", operator=text
            )
            for _ in range(sends):
                store.mark_sent(rid, sent_state="update-available")
            if unsend and sends:
                store.unmark_sent(rid)
            if outcome is not None:
                store.complete(rid, outcome=outcome.split("-")[0], code=None, message=text)
                if outcome == "unknown-resolved":
                    unknown.append(rid)
        for rid in unknown:  # settled later, after other records: their events interleave
            clock.advance(seconds=1)
            store.resolve(rid, outcome="ran-later", message="ran later")
    if extra == "migrate":
        _unchain(path)
        AuditStore.open(path, clock=clock, retention=KEEP_ALL).close()
    elif extra == "prune":
        clock.advance(days=1)
        with AuditStore.open(path, clock=clock, retention=Retention(2, timedelta(0), None)) as store:
            store.prune()  # opening already pruned


def _unchain(path: Path) -> None:
    """Turns a trail into what schema 1 wrote: no events table, user_version 1."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TABLE events")
        conn.execute("PRAGMA user_version = 1")
    finally:
        conn.close()


# -- tampering ----------------------------------------------------------------------------------------------

EVENT_COLUMNS = ("seq", "record_id", "type", "at_us", "payload", "prev_hash", "hash")
RECORD_COLUMNS = (
    "seq",
    "id",
    "kind",
    "target",
    "version_id",
    "current_version",
    "operator",
    "created_us",
    "sent_us",
    "sends",
    "completed_us",
    "outcome",
    "code",
    "message",
    "resolved_us",
    "resolution",
    "sent_state",
    "language",
)
TAMPERINGS = st.sampled_from(
    [
        "edit-event",
        "delete-event",
        "insert-event",
        "reorder-events",
        "edit-record",
        "delete-record",
        "insert-record",
        "reorder-records",
    ]
)


def _changed(value: object) -> object:
    """A value that differs from `value`, of a type SQLite keeps."""
    if value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    return str(value) + "x"


def tamper(path: Path, how: str, data: st.DataObject) -> str:
    """Changes one thing in the trail's copy at `path`; returns what, for the failure message."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        table, columns, key = ("events", EVENT_COLUMNS, "seq") if "event" in how else ("records", RECORD_COLUMNS, "seq")
        keys = [r[0] for r in conn.execute(f"SELECT {key} FROM {table} ORDER BY {key}")]
        top = max(keys)
        if how.startswith("edit"):
            row_key = data.draw(st.sampled_from(keys), label="row")
            column = data.draw(st.sampled_from(columns), label="column")
            old = conn.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", (row_key,)).fetchone()[0]
            new = top + 10 if column == key else _changed(old)
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (new, row_key))
            return f"{table} {row_key}: {column} {old!r} -> {new!r}"
        if how.startswith("delete"):
            row_key = data.draw(st.sampled_from(keys), label="row")
            conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (row_key,))
            return f"{table} {row_key} deleted"
        if how.startswith("insert"):
            source = data.draw(st.sampled_from(keys), label="copied row")
            row = list(conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ?", (source,)).fetchone())
            where = data.draw(st.sampled_from([top + 1, min(keys) - 1]), label="at")
            row[0] = where
            if table == "records":
                row[1] = "00000000-0000-4000-8000-000000000000"
            conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", row)
            return f"{table}: copy of {source} inserted at {where}"
        a, b = data.draw(st.lists(st.sampled_from(keys), min_size=2, max_size=2, unique=True), label="swap")
        # Swap the two rows' places: everything but the key moves.
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", (-1, a))
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", (a, b))
        conn.execute(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", (b, -1))
        return f"{table} {a} and {b} swapped"
    finally:
        conn.close()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(trail=TRAIL, how=TAMPERINGS, data=st.data())
def test_verify_catches_every_edit_delete_insert_and_reorder(
    tmp_path_factory: pytest.TempPathFactory,
    trail: tuple[list[tuple[str, int, bool, str | None, str]], str],
    how: str,
    data: st.DataObject,
) -> None:
    folder = tmp_path_factory.mktemp("trail")
    original = folder / "audit.sqlite3"
    build(original, *trail)
    with AuditStore.open_readonly(original) as store:
        assert store.verify().intact, store.verify()
    copy = folder / "copy.sqlite3"
    shutil.copyfile(original, copy)  # the store was closed: everything is in the main file
    what = tamper(copy, how, data)
    done = cli(copy, "--verify", "--json")
    assert done.returncode == EXIT_TAMPERED, (what, done.stdout, done.stderr)
    report = json.loads(done.stdout)
    assert report["intact"] is False and report["problem"], (what, report)
    assert report["brokenSeq"] is not None or report["recordId"] is not None, (what, report)
    with AuditStore.open_readonly(original) as store:  # the original is untouched and still intact
        assert store.verify().intact


def test_verify_names_the_first_broken_event_in_words(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    build(path, [("approval", 1, False, "approved", "a"), ("signin", 0, False, None, "b")], "none")
    intact = cli(path, "--verify")
    assert intact.returncode == 0 and "is intact: 4 events verified" in intact.stdout, intact
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE events SET at_us = at_us + 1 WHERE seq = 2")
    conn.close()
    done = cli(path, "--verify")
    assert done.returncode == EXIT_TAMPERED, done
    assert "fails verification: Event 2 was changed after it was written" in done.stdout, done.stdout


# -- the chain's form ------------------------------------------------------------------------------------------


def test_every_step_is_one_event_with_the_full_state(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path, clock=WallClock()) as store:
        rid = store.begin(target="10.0.0.5:50051", version_id="1.5.0", current_version="1.4.2", operator="alice")
        store.mark_sent(rid, sent_state="update-available")
        store.unmark_sent(rid)
        store.mark_sent(rid)
        store.complete(rid, outcome="unknown", code="UNAVAILABLE", message="lost")
        store.resolve(rid, outcome="approved", message="ran")
        store.record_signin_failure(operator="bob", reason="wrong-pin")
        result = store.verify()
        hashes = store.event_hashes()
    rows = events(path)
    assert [r[2] for r in rows] == ["created", "sent", "unsent", "sent", "completed", "resolved", "created"]
    last = json.loads(rows[5][3])
    assert last["outcome"] == "approved" and last["resolution"] == "ran" and last["sends"] == 1 and last["seq"] == 1
    assert result.intact and result.events == 7 and result.records == 2 and result.head_seq == 7
    assert hashes[rid][0] == 6
    # The hash is reproducible from the documented form: previous hash, then the canonical event.
    conn = sqlite3.connect(path)
    first = conn.execute(
        "SELECT seq, record_id, type, at_us, payload, prev_hash, hash FROM events WHERE seq = 1"
    ).fetchone()
    conn.close()
    assert first[5] == GENESIS_HASH
    assert event_hash(GENESIS_HASH, first[0], first[2], first[1], first[3], first[4]) == first[6]
    assert first[4] == json.dumps(json.loads(first[4]), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_a_refused_step_appends_no_event(tmp_path: Path) -> None:
    with AuditStore.open(tmp_path / "a.sqlite3") as store:
        rid = store.begin(target="t", version_id="1", current_version=None, operator=None)
        store.complete(rid, outcome="approved", code="OK", message="")
        with pytest.raises(Exception, match="cannot take the step"):
            store.complete(rid, outcome="approved", code="OK", message="")
        assert store.verify().events == 2


def test_a_field_added_later_does_not_break_older_events(tmp_path: Path) -> None:
    """Another version adds a column (and a key in record_to_json): events written before it lack the key."""
    path = tmp_path / "a.sqlite3"
    with AuditStore.open(path) as store:
        store.begin(target="t", version_id="1", current_version=None, operator=None)
    conn = sqlite3.connect(path, isolation_level=None)
    row = conn.execute("SELECT seq, payload FROM events").fetchone()
    payload = json.loads(row[1])
    del payload["language"]  # as if `language` did not exist when the event was written
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    conn.execute("UPDATE records SET language = NULL")
    conn.execute(
        "UPDATE events SET payload = ?, hash = ? WHERE seq = ?",
        (
            text,
            event_hash(
                GENESIS_HASH, 1, "created", payload["id"], *conn.execute("SELECT at_us FROM events").fetchone(), text
            ),
            1,
        ),
    )
    conn.close()
    with AuditStore.open_readonly(path) as store:
        assert store.verify().intact
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE records SET language = 'de'")  # set after the event, without an event: an edit
    conn.close()
    with AuditStore.open_readonly(path) as store:
        assert "edited" in (store.verify().problem or "")


# -- migration -----------------------------------------------------------------------------------------------


def _schema1_trail(path: Path, n: int) -> list[str]:
    with AuditStore.open(path, clock=WallClock()) as store:
        ids = []
        for i in range(n):
            rid = store.begin(target="t", version_id=f"1.{i}", current_version=None, operator="alice")
            store.complete(rid, outcome="approved", code="OK", message="")
            ids.append(rid)
    _unchain(path)
    return ids


def test_an_old_trail_reads_fine_and_verify_says_it_has_no_chain_yet(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    _schema1_trail(path, 3)
    before = path.read_bytes()
    with AuditStore.open_readonly(path) as store:
        assert len(store.records()) == 3
        result = store.verify()
        assert store.event_hashes() == {}
    assert not result.chained and not result.intact and result.records == 3
    done = cli(path, "--verify")
    assert done.returncode == EXIT_NO_CHAIN and "has no hash chain yet" in done.stdout, done
    listing = json.loads(cli(path, "--json").stdout)
    assert len(listing) == 3 and listing[0]["eventHash"] is None
    assert path.read_bytes() == before  # reading never writes


def test_an_old_trail_is_migrated_once_when_opened_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    ids = _schema1_trail(path, 3)
    with AuditStore.open(path) as store:
        result = store.verify()
    rows = events(path)
    assert [r[2] for r in rows] == ["imported"] * 3 + ["migrated"]
    assert [r[1] for r in rows[:3]] == ids  # in seq order
    assert json.loads(rows[3][3]) == {"records": 3, "fromSchema": 1}
    assert result.intact and result.events == 4
    with AuditStore.open(path) as store:  # the second open migrates nothing
        store.begin(target="t", version_id="2", current_version=None, operator=None)
        assert store.verify().events == 5
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    assert cli(path, "--verify").returncode == 0


def test_a_migration_cut_short_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    _schema1_trail(path, 2)
    AuditStore.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM events WHERE type = 'migrated'")
    conn.close()
    done = cli(path, "--verify")
    assert done.returncode == EXIT_TAMPERED and "'migrated'" in done.stdout


# -- retention checkpoints ----------------------------------------------------------------------------------


def test_pruning_records_a_checkpoint_and_the_chain_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    clock = WallClock()
    rule = Retention(min_records=2, min_age=timedelta(days=1), max_records=None)
    with AuditStore.open(path, clock=clock, retention=rule) as store:
        first = store.begin(target="t", version_id="old", current_version=None, operator=None)
        store.begin(target="t", version_id="kept", current_version=None, operator=None)
        store.complete(first, outcome="unknown", code=None, message="")
        for i in range(3):
            rid = store.begin(target="t", version_id=f"v{i}", current_version=None, operator=None)
            store.complete(rid, outcome="approved", code="OK", message="")
        store.resolve(first, outcome="approved", message="")  # the old record's last event is late
        clock.advance(days=2)
        before = {r[0]: r for r in events(path)}
        conn = sqlite3.connect(path)
        hash_of = dict(conn.execute("SELECT seq, hash FROM events"))
        conn.close()
        removed = store.prune()
        result = store.verify()
        remaining = {r.version_id for r in store.records()}
    rows = events(path)
    assert removed == 3 and remaining == {"v1", "v2"}
    assert result.intact, result
    checkpoint = next(r for r in rows if r[2] == EventType.CHECKPOINT)
    payload = json.loads(checkpoint[3])
    last_removed = payload["lastRemovedSeq"]
    assert payload["removedRecords"] == 3 and payload["removedEvents"] == last_removed
    assert payload["lastRemovedHash"] == hash_of[last_removed]
    assert rows[0][0] == last_removed + 1  # the chain lost its prefix, up to the removed record's last event
    assert before[last_removed][1] == first
    # v1's and v2's events all lay in the removed prefix (before the old record's late resolve): restated.
    carried = [r for r in rows if r[2] == EventType.CARRIED]
    assert [json.loads(r[3])["versionId"] for r in carried] == ["v1", "v2"]
    assert cli(path, "--verify").returncode == 0


def test_the_checkpoint_carries_the_last_removed_hash(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    clock = WallClock()
    with AuditStore.open(path, clock=clock, retention=Retention(1, timedelta(0), None)) as store:
        for i in range(4):
            clock.advance(seconds=1)
            store.log_event(kind="signin-failed", outcome="wrong-pin", operator=f"op{i}")
        conn = sqlite3.connect(path)
        hash_of = dict(conn.execute("SELECT seq, hash FROM events"))
        conn.close()
        assert store.prune() == 3
        rows = events(path)
        payload = json.loads(rows[-1][3])
        assert rows[-1][2] == "checkpoint" and payload["lastRemovedSeq"] == 3
        assert payload["lastRemovedHash"] == hash_of[3] and len(hash_of) == 4
        # Removing the checkpoint (or the event it names) is caught.
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("DELETE FROM events WHERE type = 'checkpoint'")
        conn.close()
        assert "no checkpoint" in (store.verify().problem or "")


def test_pruning_everything_keeps_the_chain_going(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    clock = WallClock()
    with AuditStore.open(path, clock=clock, retention=Retention(0, timedelta(0), None)) as store:
        for _ in range(3):
            store.log_event(kind="signin-failed", outcome="wrong-pin")
        clock.advance(seconds=1)
        assert store.prune() == 3 and store.count() == 0
        assert store.verify().intact
        clock.advance(seconds=1)
        store.log_event(kind="signin-failed", outcome="wrong-pin")
        store.prune()
        result = store.verify()
    # The checkpoint continues at seq 4 from the removed head; the young record is kept by the second pass.
    assert result.intact and result.records == 1 and result.events == 2
    assert [(r[0], r[2]) for r in events(path)] == [(4, "checkpoint"), (5, "created")]


def test_prune_while_writing_keeps_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    clock = WallClock()
    with AuditStore.open(
        path, clock=clock, retention=Retention(min_records=5, min_age=timedelta(0), max_records=None)
    ) as store:
        for _ in range(600):  # two automatic retention passes (every 256 inserts)
            clock.advance(seconds=1)
            rid = store.begin(target="t", version_id="1", current_version=None, operator=None)
            store.complete(rid, outcome="approved", code="OK", message="")
        result = store.verify()
    assert result.intact, result
    # The second pass removed the first checkpoint with the prefix; the newest one names what went before it.
    rows = events(path)
    checkpoints = [json.loads(r[3]) for r in rows if r[2] == "checkpoint"]
    assert len(checkpoints) == 1 and checkpoints[0]["lastRemovedSeq"] == rows[0][0] - 1
    assert result.records == 600 - 251 - 256


# -- two writers -----------------------------------------------------------------------------------------------


def test_two_writers_interleaving_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    stores = [AuditStore.open(path), AuditStore.open(path)]
    errors: list[BaseException] = []
    per_writer = 40

    def write(store: AuditStore, tag: str) -> None:
        try:
            for i in range(per_writer):
                rid = store.begin(target=tag, version_id=str(i), current_version=None, operator=tag)
                store.mark_sent(rid)
                store.complete(rid, outcome="approved", code="OK", message="")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, f"w{n}")) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    try:
        assert not errors, errors
        result = stores[0].verify()
    finally:
        for s in stores:
            s.close()
    assert result.intact, result
    assert result.events == 2 * per_writer * 3 and result.records == 2 * per_writer
    targets = [r[1] for r in events(path)]
    assert len(targets) == 2 * per_writer * 3
    # They really interleaved: both writers' events are mixed in the one chain, not one block after another.
    writers = [json.loads(r[3])["target"] for r in events(path)]
    switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
    assert switches >= 1


def test_verify_connection_on_an_empty_database() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    assert verify_connection(conn).intact
