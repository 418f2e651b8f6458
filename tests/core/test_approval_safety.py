"""Issue 9: approval safety under lost answers, time and contention. Each test names the seen problem it pins.

Real gRPC on loopback against the scriptable fake IPC; a real AuditStore (SQLite) where the store matters.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import grpc
import pytest

from hmi.core.audit import AuditStore
from hmi.core.client import ApprovalOutcome, UpdaterClient
from hmi.core.errors import EXIT_UNKNOWN, EXIT_UNREACHABLE
from hmi.core.model import CONFIRMATION_TTL
from tests.aio import run
from tests.core.fake_ipc import RunningFake, available, fault, running, up_to_date
from tests.core.test_client import FakeAudit, FakeClock, config


class ThreadAudit(FakeAudit):
    """Records the thread of every call, and runs a hook inside mark_sent (a slow or contended disk)."""

    def __init__(self, on_mark: Any = None) -> None:
        super().__init__()
        self.threads: list[int] = []
        self.on_mark = on_mark

    def begin(self, **kw: Any) -> str:
        self.threads.append(threading.get_ident())
        return super().begin(**kw)

    def mark_sent(self, record_id: str, *, sent_state: str | None = None) -> None:
        self.threads.append(threading.get_ident())
        if self.on_mark is not None:
            self.on_mark()
        super().mark_sent(record_id, sent_state=sent_state)

    def complete(self, record_id: str, **kw: Any) -> None:
        self.threads.append(threading.get_ident())
        super().complete(record_id, **kw)


def _approve(fake: RunningFake, version: str, *, audit: Any = None, clock: Any = None, **kw: Any) -> Any:
    opts = {k: kw.pop(k) for k in ("opened_at", "expect_retry") if k in kw}

    async def go() -> Any:
        client = UpdaterClient(config(fake, **kw), audit=audit, **({"clock": clock} if clock else {}))
        try:
            await client.refresh()
            return await client.approve(version, **opts)
        finally:
            await client.aclose()

    return run(go())


# --- seen 1: a lost answer after FAULT at once turned into an unrequested retry ------------------------------


def test_fault_at_once_with_the_answer_lost_is_never_resent(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda v: fake.ipc.set(fault(v))  # applied, failed at once, answer lost
    audit = FakeAudit()
    result = _approve(fake, "1.5.0", audit=audit)
    assert fake.ipc.approvals == ["1.5.0"]  # main sent it twice: the second was a retry nobody confirmed
    assert result.sends == 1 and result.outcome is ApprovalOutcome.APPROVED
    assert "fault" in result.message.lower() and "installing" not in result.message
    assert audit.steps().count("mark_sent") == 1


def test_a_retry_from_fault_is_never_resent_after_a_lost_answer(fake: RunningFake) -> None:
    fake.ipc.set(fault("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE] * 3
    result = _approve(fake, "1.5.0", audit=FakeAudit())
    assert fake.ipc.approvals == ["1.5.0"]
    assert result.outcome is ApprovalOutcome.UNKNOWN and result.exit_code == EXIT_UNKNOWN


def test_deadline_exceeded_is_not_resent(fake: RunningFake) -> None:
    """After a deadline the IPC may still be working on the first call; a resend could become a retry."""
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = ["hang"]
    result = _approve(fake, "1.5.0", audit=FakeAudit(), deadline=0.3)
    assert fake.ipc.approvals == ["1.5.0"] and result.outcome is ApprovalOutcome.UNKNOWN


# --- seen 2: unknown and not sent shared exit code 4 --------------------------------------------------------


def test_unknown_outcome_exits_6_and_nothing_sent_exits_4(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    unknown = _approve(fake, "1.5.0", audit=FakeAudit())
    assert unknown.outcome is ApprovalOutcome.UNKNOWN and unknown.sends == 1 and unknown.exit_code == 6 == EXIT_UNKNOWN
    fake.ipc.on_approve = None
    clock = FakeClock()

    async def offline() -> Any:
        client = UpdaterClient(config(fake, stale_after=1.0), audit=FakeAudit(), clock=clock)
        try:
            await client.refresh()
            clock.now += 10
            return await client.approve("1.5.0")
        finally:
            await client.aclose()

    nothing = run(offline())
    assert nothing.sends == 0 and nothing.exit_code == EXIT_UNREACHABLE == 4


# --- seen 3 and 4: settling, persisted, and only from what a transition proves ------------------------------


def _unknown_record(fake: RunningFake, store: AuditStore, start: Any) -> str:
    """An approval sent from `start` whose answer and re-read are both lost: an unknown record in `store`."""
    fake.ipc.set(start)
    fake.ipc.report_error = None
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    result = _approve(fake, "1.5.0", audit=store)
    fake.ipc.on_approve = None
    fake.ipc.report_error = None
    assert result.outcome is ApprovalOutcome.UNKNOWN and result.record_id is not None
    assert [r.id for r in store.unresolved(fake.address)] == [result.record_id]
    return result.record_id


def _read_with_new_client(fake: RunningFake, store: AuditStore) -> None:
    async def go() -> None:
        client = UpdaterClient(config(fake), audit=store)  # another process: nothing held in memory
        try:
            await client.refresh()
        finally:
            await client.aclose()

    run(go())


@pytest.mark.parametrize(
    ("start", "later", "outcome", "words"),
    [
        (available("1.5.0"), running("1.5.0"), "ran-later", "may or may not have caused it"),
        (available("1.5.0"), fault("1.5.0"), "ran-later", "FAULT"),  # main: "did not reach the IPC"
        (available("1.5.0"), up_to_date("1.5.0"), "ran-later", "installed"),
        (available("1.5.0"), available("1.5.0"), "unreachable", "did not take effect"),
        (fault("1.5.0"), running("1.5.0"), "ran-later", "may or may not have caused it"),
        (fault("1.5.0"), fault("1.5.0"), None, None),  # a retry that failed again, or never arrived: unknown
        (available("1.5.0"), available("1.6.0"), None, None),  # the offer moved on: proves nothing
        (available("1.5.0"), up_to_date("1.4.2"), None, None),  # the offer was withdrawn: proves nothing
    ],
)
def test_a_later_read_by_another_client_settles_from_the_store(
    fake: RunningFake, tmp_path: Path, start: Any, later: Any, outcome: str | None, words: str | None
) -> None:
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        rid = _unknown_record(fake, store, start)
        fake.ipc.set(later)
        _read_with_new_client(fake, store)
        record = store.get(rid)
        assert record is not None
        if outcome is None:
            assert record.outcome == "unknown" and record.resolved_at is None
        else:
            assert record.outcome == outcome and record.resolution is not None and words in record.resolution


def test_an_error_code_after_which_the_ipc_may_have_acted_is_settled_later(fake: RunningFake, tmp_path: Path) -> None:
    """Main left INTERNAL as "error" for ever, even when the next read showed v running."""
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.INTERNAL]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        result = _approve(fake, "1.5.0", audit=store)
        assert result.outcome is ApprovalOutcome.UNKNOWN and result.exit_code == 6
        fake.ipc.on_approve = None
        fake.ipc.report_error = None
        fake.ipc.set(running("1.5.0"))
        _read_with_new_client(fake, store)
        record = store.get(result.record_id)
        assert record is not None and record.outcome == "ran-later"


# --- seen 5: the confirmation's age at the moment of sending ------------------------------------------------


def test_an_intent_older_than_the_limit_is_not_sent(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    clock = FakeClock()
    result = _approve(fake, "1.5.0", audit=FakeAudit(), clock=clock, opened_at=clock.now - CONFIRMATION_TTL - 0.5)
    assert result.outcome is ApprovalOutcome.EXPIRED and result.sends == 0 and result.exit_code == 3
    assert fake.ipc.approvals == []


def test_the_limit_passing_while_the_audit_trail_is_written_stops_the_send(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    clock = FakeClock()

    def slow_disk() -> None:
        clock.now += 2.0  # the write took 2 s; the confirmation was 59 s old before it

    audit = ThreadAudit(on_mark=slow_disk)
    result = _approve(fake, "1.5.0", audit=audit, clock=clock, opened_at=clock.now - CONFIRMATION_TTL + 1.0)
    assert result.outcome is ApprovalOutcome.EXPIRED and fake.ipc.approvals == []
    assert "unmark_sent" in audit.steps()


# --- seen 6: a busy audit file froze the loop and then sent on old data -------------------------------------


def test_audit_writes_run_off_the_event_loop_thread(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    audit = ThreadAudit()
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    result = _approve(fake, "1.5.0", audit=audit)
    assert result.outcome is ApprovalOutcome.APPROVED
    assert audit.threads and loop_thread not in audit.threads


def test_data_gone_stale_during_a_slow_audit_write_is_not_sent(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    clock = FakeClock()
    audit = ThreadAudit(on_mark=lambda: setattr(clock, "now", clock.now + 3.0))
    result = _approve(fake, "1.5.0", audit=audit, clock=clock, stale_after=2.0)
    assert fake.ipc.approvals == [] and result.sends == 0  # main sent 3 s late on 3 s old data
    assert result.outcome in (ApprovalOutcome.NOT_OFFERED, ApprovalOutcome.UNREACHABLE)


def test_a_busy_audit_trail_means_not_sent_and_says_so(fake: RunningFake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path) as store:
        other = sqlite3.connect(path, isolation_level=None)  # another writer (the CLI) holds the lock
        other.execute("BEGIN IMMEDIATE")
        try:
            result = _approve(fake, "1.5.0", audit=store)
        finally:
            other.execute("ROLLBACK")
            other.close()
    assert result.outcome is ApprovalOutcome.ERROR and result.sends == 0 and fake.ipc.approvals == []
    assert "Audit trail busy" in result.message and "not sent" in result.message


# --- seen 9: install silently becoming a retry ---------------------------------------------------------------


def test_install_confirmed_but_the_ipc_now_in_fault_is_not_sent(fake: RunningFake) -> None:
    fake.ipc.set(fault("1.5.0"))  # the operator was asked "Install 1.5.0?" while it was still UPDATE_AVAILABLE
    result = _approve(fake, "1.5.0", audit=FakeAudit(), expect_retry=False)
    assert fake.ipc.approvals == [] and result.outcome is ApprovalOutcome.NOT_OFFERED
    assert "FAULT" in result.message
