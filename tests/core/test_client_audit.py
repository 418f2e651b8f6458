"""The client writing to the real audit trail (hmi.core.audit.AuditStore), over loopback gRPC."""

from __future__ import annotations

from pathlib import Path

import grpc

from hmi.core import audit
from hmi.core.client import MAX_RESENDS, ApprovalOutcome, UpdaterClient
from hmi.core.config import ClientConfig
from tests.aio import run
from tests.core.fake_ipc import RunningFake, available


def attempt(fake: RunningFake, path: Path, version: str, *, settle: bool = False):
    async def go():
        store = audit.AuditStore.open(path)
        client = UpdaterClient(ClientConfig(target=fake.address, poll_interval=0.05, stale_after=30.0), audit=store)
        try:
            await client.refresh()
            result = await client.approve(version, operator="anna")
            if settle:
                fake.ipc.approve_script.clear()
                await client.refresh()
            return result, store.get(result.record_id)
        finally:
            await client.aclose()
            store.close()

    return run(go())


def test_approved_record(fake: RunningFake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    result, record = attempt(fake, tmp_path / "a.sqlite3", "1.5.0")
    assert result.outcome is ApprovalOutcome.APPROVED
    assert (record.version_id, record.current_version, record.operator) == ("1.5.0", "1.4.2", "anna")
    assert record.outcome == "approved" and record.sent_at is not None and record.sends == 1


def test_local_refusal_record_was_never_sent(fake: RunningFake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    result, record = attempt(fake, tmp_path / "a.sqlite3", "1.6.0")
    assert result.outcome is ApprovalOutcome.NOT_OFFERED
    assert record.outcome == "refused-locally" and record.sent_at is None and record.sends == 0
    assert "1.5.0" in record.message and "1.6.0" in record.message


def test_unknown_outcome_counts_resends_and_is_settled_later(fake: RunningFake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE] * 5
    result, record = attempt(fake, tmp_path / "a.sqlite3", "1.5.0", settle=True)
    assert result.outcome is ApprovalOutcome.UNKNOWN
    assert record.sends == 1 + MAX_RESENDS and record.code == "UNAVAILABLE"
    assert record.outcome == "unreachable" and record.resolved_at is not None  # settled: still offered
    assert "still offered" in (record.resolution or "")
