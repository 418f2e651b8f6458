"""The audit store: record lifecycle, queries, retention, concurrency, corrupt files."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hmi.core import ports
from hmi.core.audit import (
    APPROVE_UPDATE,
    SIGNIN_FAILED,
    AuditError,
    AuditStore,
    AuditStoreCorrupt,
    Retention,
    UnknownRecord,
    default_audit_path,
    outcome_marker,
    outcome_text,
    record_to_json,
)

from .helpers import WallClock

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def store(tmp_path: Path, clock: WallClock):
    with AuditStore.open(tmp_path / "audit" / "audit.sqlite3", clock=clock) as s:
        yield s


def _approve(store: AuditStore, version: str, *, target: str = "ipc:50051", operator: str | None = "alice") -> str:
    rid = store.begin(target=target, version_id=version, current_version="1.0.0", operator=operator)
    store.mark_sent(rid)
    store.complete(rid, outcome="approved", code="OK", message="")
    return rid


def test_implements_the_audit_sink_port_exactly() -> None:
    for name in ("begin", "mark_sent", "complete", "resolve"):
        port = inspect.signature(getattr(ports.AuditSink, name))
        ours = inspect.signature(getattr(AuditStore, name))
        assert list(ours.parameters) == list(port.parameters), name
        for pname, param in port.parameters.items():
            assert ours.parameters[pname].kind == param.kind, (name, pname)
            assert ours.parameters[pname].default == param.default, (name, pname)


def test_open_creates_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "audit.sqlite3"
    with AuditStore.open(path) as s:
        assert s.path == path
        assert s.records() == []
    assert path.is_file()


def test_default_path_is_in_the_sandboxed_data_dir() -> None:
    path = default_audit_path()
    assert path.name == "audit.sqlite3"
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])


def test_an_approval_goes_through_begin_sent_complete(store: AuditStore, clock: WallClock) -> None:
    created = clock.now
    rid = store.begin(target="10.0.0.5:50051", version_id="1.5.0", current_version="1.4.2", operator="alice")
    record = store.get(rid)
    assert record is not None
    assert (record.kind, record.target, record.version_id, record.current_version, record.operator) == (
        APPROVE_UPDATE,
        "10.0.0.5:50051",
        "1.5.0",
        "1.4.2",
        "alice",
    )
    assert record.created_at == created and record.created_at.tzinfo is not None
    assert record.sent_at is None and record.completed_at is None and record.outcome is None
    assert not record.finished

    clock.advance(seconds=1)
    store.mark_sent(rid)
    clock.advance(seconds=2)
    store.complete(rid, outcome="approved", code="OK", message="accepted")
    record = store.get(rid)
    assert record is not None
    assert record.sent_at == created + timedelta(seconds=1)
    assert record.completed_at == created + timedelta(seconds=3)
    assert (record.outcome, record.code, record.message) == ("approved", "OK", "accepted")
    assert record.finished


def test_resends_keep_the_first_send_time_and_count(store: AuditStore, clock: WallClock) -> None:
    rid = store.begin(target="ipc:1", version_id="2.0", current_version="1.0", operator=None)
    first = clock.now
    store.mark_sent(rid)
    clock.advance(seconds=3)
    store.mark_sent(rid)  # the client sends again after a lost answer, same record
    store.complete(rid, outcome="approved", code="OK", message="")
    record = store.get(rid)
    assert record is not None and record.sent_at == first and record.sends == 2
    assert record_to_json(record)["sends"] == 2


def test_a_local_refusal_is_never_sent(store: AuditStore) -> None:
    rid = store.begin(target="ipc:1", version_id="2.0", current_version="1.0", operator=None)
    store.complete(rid, outcome="refused-locally", code=None, message="the offered version changed")
    record = store.get(rid)
    assert record is not None and record.sent_at is None and record.outcome == "refused-locally"
    assert record.operator is None
    with pytest.raises(UnknownRecord):
        store.mark_sent(rid)  # too late: it is finished


def test_unknown_outcome_is_resolved_later_keeping_the_original(store: AuditStore, clock: WallClock) -> None:
    rid = store.begin(target="ipc:1", version_id="2.0", current_version="1.0", operator="bob")
    store.mark_sent(rid)
    store.complete(rid, outcome="unknown", code="UNAVAILABLE", message="connection lost")
    assert [r.id for r in store.unresolved()] == [rid]
    assert store.unresolved(target="other:1") == []
    clock.advance(minutes=1)
    store.resolve(rid, outcome="approved", message="next poll shows the update running")
    record = store.get(rid)
    assert record is not None
    assert record.outcome == "approved" and record.code == "UNAVAILABLE" and record.message == "connection lost"
    assert record.resolved_at == clock.now and record.resolution == "next poll shows the update running"
    assert "first unknown" in outcome_text(record)
    assert store.unresolved() == []
    with pytest.raises(UnknownRecord):
        store.resolve(rid, outcome="approved", message="again")


def test_steps_on_a_wrong_or_finished_record_raise(store: AuditStore) -> None:
    with pytest.raises(UnknownRecord, match="No audit record"):
        store.mark_sent("no-such-id")
    rid = _approve(store, "1.0")
    with pytest.raises(UnknownRecord, match="complete"):
        store.complete(rid, outcome="error", code="INTERNAL", message="twice")
    with pytest.raises(UnknownRecord):
        store.resolve(rid, outcome="refused", message="not unknown")
    assert store.get(rid).outcome == "approved"  # type: ignore[union-attr]


def test_records_newest_first_with_filters(store: AuditStore, clock: WallClock) -> None:
    ids = []
    for i in range(6):
        ids.append(_approve(store, f"v{i}", target="a:1" if i % 2 else "b:2"))
        clock.advance(hours=1)
    assert [r.id for r in store.records()] == ids[::-1]
    assert [r.version_id for r in store.records(target="a:1")] == ["v5", "v3", "v1"]
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert [r.version_id for r in store.records(since=start + timedelta(hours=3))] == ["v5", "v4", "v3"]
    assert [r.version_id for r in store.records(since=start + timedelta(hours=3), target="b:2")] == ["v4"]
    assert [r.version_id for r in store.records(limit=2)] == ["v5", "v4"]
    assert store.count() == 6


def test_signin_failures_are_records_too(store: AuditStore) -> None:
    rid = store.record_signin_failure(operator="alice", reason="wrong-pin", message="4 tries left", target="ipc:1")
    record = store.get(rid)
    assert record is not None
    assert (record.kind, record.outcome, record.operator, record.target) == (
        SIGNIN_FAILED,
        "wrong-pin",
        "alice",
        "ipc:1",
    )
    assert record.completed_at == record.created_at
    assert outcome_marker(record) == "SIGN-IN"
    assert [r.id for r in store.records(kind=SIGNIN_FAILED)] == [rid]
    other = store.log_event(kind="signin-failed", outcome="unknown-operator")
    assert store.get(other).operator is None  # type: ignore[union-attr]


def test_record_to_json_uses_iso_utc(store: AuditStore) -> None:
    rid = store.begin(target="ipc:1", version_id="1.5.0", current_version=None, operator="alice")
    data = record_to_json(store.get(rid))  # type: ignore[arg-type]
    assert data["createdAt"] == "2025-03-01T12:00:00Z"
    assert data["sentAt"] is None and data["outcome"] is None
    assert data["versionId"] == "1.5.0" and data["operator"] == "alice" and data["kind"] == "approve-update"


def test_records_survive_reopening(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path, clock=clock) as s:
        rid = _approve(s, "1.0")
    with AuditStore.open(path, clock=clock) as s:
        assert s.get(rid) is not None and s.check() == "ok"


def test_two_writers_on_one_file(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path, clock=clock) as console, AuditStore.open(path, clock=clock) as cli:
        a = console.begin(target="ipc:1", version_id="1", current_version=None, operator=None)
        b = cli.begin(target="ipc:1", version_id="2", current_version=None, operator=None)
        cli.complete(a, outcome="approved", code="OK", message="")
        console.complete(b, outcome="refused", code="FAILED_PRECONDITION", message="")
        assert {r.id: r.outcome for r in console.records()} == {a: "approved", b: "refused"}


def test_naive_since_means_local_time(store: AuditStore) -> None:
    _approve(store, "1.0")
    local_before = datetime(2025, 3, 1, 12, 0, tzinfo=UTC).astimezone().replace(tzinfo=None) - timedelta(seconds=1)
    assert len(store.records(since=local_before)) == 1
    assert store.records(since=local_before + timedelta(seconds=2)) == []


# -- retention ---------------------------------------------------------------------------------------


def _fill(store: AuditStore, clock: WallClock, n: int, *, step: timedelta) -> list[str]:
    ids = []
    for i in range(n):
        ids.append(store.log_event(kind=APPROVE_UPDATE, outcome="approved", version_id=f"v{i}", target="ipc:1"))
        clock.advance(seconds=step.total_seconds())
    return ids


def test_retention_keeps_the_newest_n_or_the_recent_ones_whichever_is_more(tmp_path: Path, clock: WallClock) -> None:
    rule = Retention(min_records=5, min_age=timedelta(days=10), max_records=None)
    with AuditStore.open(tmp_path / "a.sqlite3", clock=clock, retention=rule) as s:
        ids = _fill(s, clock, 30, step=timedelta(days=1))  # one a day; clock ends 30 days after the first
        # Younger than 10 days: the last 10 (created days 20..29, now is day 30) -> more than 5, so 10 stay.
        assert s.prune() == 20
        assert [r.id for r in s.records()] == ids[-10:][::-1]
        # A long quiet time: all are older than 10 days, the newest 5 stay.
        clock.advance(days=365)
        assert s.prune() == 5
        assert [r.id for r in s.records()] == ids[-5:][::-1]
        assert s.prune() == 0


def test_retention_keeps_everything_young(tmp_path: Path, clock: WallClock) -> None:
    rule = Retention(min_records=3, min_age=timedelta(days=730), max_records=None)
    with AuditStore.open(tmp_path / "a.sqlite3", clock=clock, retention=rule) as s:
        _fill(s, clock, 20, step=timedelta(days=1))
        assert s.prune() == 0 and s.count() == 20


def test_retention_safety_cap_bounds_the_file(tmp_path: Path, clock: WallClock) -> None:
    rule = Retention(min_records=2, min_age=timedelta(days=730), max_records=8)
    with AuditStore.open(tmp_path / "a.sqlite3", clock=clock, retention=rule) as s:
        ids = _fill(s, clock, 12, step=timedelta(seconds=1))
        assert s.prune() == 4
        assert [r.id for r in s.records()] == ids[-8:][::-1]


def test_retention_runs_on_open_and_while_writing(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "a.sqlite3"
    with AuditStore.open(path, clock=clock) as s:
        _fill(s, clock, 600, step=timedelta(minutes=1))
    small = Retention(min_records=50, min_age=timedelta(days=1), max_records=100)
    clock.advance(days=2)
    with AuditStore.open(path, clock=clock, retention=small) as s:
        assert s.count() == 50  # pruned on open
        _fill(s, clock, 300, step=timedelta(seconds=1))
        assert s.count() <= 100 + 256  # pruned at least every 256 inserts, never grows without bound


def test_retention_defaults_match_the_rule() -> None:
    rule = Retention()
    assert rule.min_records == 10_000 and rule.min_age == timedelta(days=730)
    assert rule.max_records is not None and rule.max_records >= 10 * rule.min_records
    with pytest.raises(ValueError):
        Retention(min_records=10, max_records=5)


# -- damaged files -----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_gives_a_clear_error_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    content = b'{"this": "is not sqlite"}\n' * 50
    path.write_bytes(content)
    with pytest.raises(AuditStoreCorrupt) as info:
        AuditStore.open(path)
    assert str(path) in str(info.value) and "untouched" in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.sqlite3"]


def test_a_torn_database_gives_a_clear_error_and_is_kept(tmp_path: Path, clock: WallClock) -> None:
    good = tmp_path / "good.sqlite3"
    with AuditStore.open(good, clock=clock) as s:
        _fill(s, clock, 400, step=timedelta(seconds=1))
    data = good.read_bytes()
    torn = tmp_path / "torn.sqlite3"
    torn.write_bytes(data[: len(data) // 2])
    with pytest.raises(AuditStoreCorrupt) as info, AuditStore.open(torn) as s:
        s.records()
    assert str(torn) in str(info.value)
    assert torn.read_bytes() == data[: len(data) // 2]


def test_an_empty_file_is_a_fresh_store(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    path.touch()
    with AuditStore.open(path) as s:
        assert s.records() == [] and s.check() == "ok"


def test_a_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(AuditStoreCorrupt, match="not an audit trail"):
        AuditStore.open(path)
    assert path.read_bytes() == content


def test_a_folder_at_the_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "audit.sqlite3").mkdir()
    with pytest.raises(AuditError, match="not a file"):
        AuditStore.open(tmp_path / "audit.sqlite3")


def test_importing_the_store_loads_neither_grpc_nor_qt() -> None:
    code = (
        "import sys, hmi.core.audit, hmi.core.auth; print(sorted(m for m in ('grpc', 'PySide6') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
