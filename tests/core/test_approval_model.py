"""Model-based test of the approval path (issue 9): UpdaterClient + AuditStore against a scriptable IPC over real gRPC.

Hypothesis drives a sequence of IPC states, confirmations with a fault injected at one point, other parties
approving, and later reads, and checks after every step:
- the IPC never starts more runs from this client's calls than the operator confirmed (one per confirmation);
- every send carries byte for byte the confirmed id, and none goes out after the confirmation's time limit;
- the audit trail's final outcome agrees with what the IPC knows (approved => v ran; not sent / refused /
  settled "did not take effect" => no run from this call; "ran-later" => v ran).

`make test` runs MODEL_EXAMPLES (default 300) sequences of up to 8 steps; `make soak` runs 10,000.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hmi.core.audit import AuditBusy, AuditStore
from hmi.core.client import ApprovalOutcome, UpdaterClient
from hmi.core.config import ClientConfig
from hmi.core.model import CONFIRMATION_TTL
from tests.core.fake_ipc import FakeIpc, RunningFake, available, fault, running, start_fake, up_to_date

S = available().__class__


@dataclass
class TrackedIpc(FakeIpc):
    """The fake IPC that also remembers who started each run."""

    runs: list[tuple[str, str]] = field(default_factory=list)  # (version id, "client" or "other")

    def apply_approval(self, version_id: str, who: str = "client") -> None:
        with self.lock:
            info = self.info
            if info.state in (S.STATE_UPDATE_AVAILABLE, S.STATE_FAULT) and info.available.version_id == version_id:
                self.info = running(version_id, info.current.version_id, 0, 7)
                self.runs.append((version_id, who))

    def reset(self) -> None:
        with self.lock:
            self.info = up_to_date()
            self.report_error = None
            self.approve_script = []
            self.on_approve = None
            self.approvals = []
            self.runs = []


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class BusyOnce:
    """The audit store, except that one chosen step finds it busy (another writer holds the lock)."""

    def __init__(self, store: AuditStore, step: str | None, clock: Clock, advance: float) -> None:
        self._store, self._step, self._clock, self._advance = store, step, clock, advance

    def _maybe(self, step: str) -> None:
        if step == "mark_sent":
            self._clock.now += self._advance  # a slow disk: time passes while the record is written
        if step == self._step:
            self._step = None
            raise AuditBusy("busy (injected)")

    def begin(self, **kw: Any) -> str:
        self._maybe("begin")
        return self._store.begin(**kw)

    def mark_sent(self, record_id: str, *, sent_state: str | None = None) -> None:
        self._maybe("mark_sent")
        self._store.mark_sent(record_id, sent_state=sent_state)

    def unmark_sent(self, record_id: str) -> None:
        self._store.unmark_sent(record_id)

    def complete(self, record_id: str, **kw: Any) -> None:
        self._store.complete(record_id, **kw)

    def resolve(self, record_id: str, **kw: Any) -> None:
        self._store.resolve(record_id, **kw)

    def unresolved(self, target: str | None = None) -> list[Any]:
        return self._store.unresolved(target)


FAULTS = (
    "none",  # the contract
    "lost-before",  # UNAVAILABLE, not applied
    "lost-after",  # applied, answer lost
    "reread-fails",  # applied, answer lost, the re-read fails too
    "reread-fails-unapplied",  # not applied, answer lost, the re-read fails
    "fault-at-once",  # applied, FAULT at once, answer lost
    "offer-changes",  # not applied, the offer changes, answer lost
    "other-party",  # another console approves first, our answer lost
    "internal-applied",  # applied, then INTERNAL
    "audit-busy-begin",
    "audit-busy-mark",
    "slow-audit",  # the confirmation runs out of time while the audit trail is written
)

_SERVER: RunningFake | None = None


def _server() -> RunningFake:
    global _SERVER
    if _SERVER is None:
        _SERVER = start_fake(TrackedIpc())
    return _SERVER


def teardown_module() -> None:
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        _SERVER = None


class ApprovalMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.fake = _server()
        self.ipc: TrackedIpc = self.fake.ipc  # type: ignore[assignment]
        self.ipc.reset()
        self.ipc.set(available("1.0.1", "1.0.0"))
        self.dir = Path(tempfile.mkdtemp(prefix="ipc-hmi-model-"))
        self.store = AuditStore.open(self.dir / "audit.sqlite3")
        self.clock = Clock()
        self.counter = 0
        self.confirmations = 0
        self.settled_checked: set[str] = set()
        self.our_runs: dict[str, int] = {}  # record id -> runs this client's sends started for it

    def teardown(self) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- the IPC's side -------------------------------------------------------------------------------

    @rule(kind=st.sampled_from(["available", "available", "fault", "up-to-date"]), odd=st.booleans())
    def offer(self, kind: str, odd: bool) -> None:
        self.counter += 1
        v = f"1.{self.counter}.0" + ("\ufeff\u00ad" if odd else "")
        current = self.ipc.info.current.version_id or "1.0.0"
        self.ipc.set(
            {"available": available(v, current), "fault": fault(v, current), "up-to-date": up_to_date(v)}[kind]
        )

    @rule(ok=st.booleans())
    def running_ends(self, ok: bool) -> None:
        info = self.ipc.info
        if info.state == S.STATE_UPDATE_RUNNING:
            v = info.available.version_id
            self.ipc.set(up_to_date(v) if ok else fault(v, info.current.version_id))

    @rule()
    def another_party_approves(self) -> None:
        info = self.ipc.info
        if info.state in (S.STATE_UPDATE_AVAILABLE, S.STATE_FAULT):
            self.ipc.apply_approval(info.available.version_id, who="other")

    # --- the operator's side --------------------------------------------------------------------------

    @rule(fault_kind=st.sampled_from(FAULTS), late=st.integers(0, 7).map(lambda x: x == 0))
    def confirm_and_approve(self, fault_kind: str, late: bool) -> None:
        ipc = self.ipc
        info = ipc.info
        offered = info.available.version_id if info.state in (S.STATE_UPDATE_AVAILABLE, S.STATE_FAULT) else None
        version = offered if offered is not None else "9.9.9"
        is_retry = info.state == S.STATE_FAULT
        self._script(fault_kind, version)
        runs_before, sends_before = len(ipc.runs), len(ipc.approvals)
        busy = {"audit-busy-begin": "begin", "audit-busy-mark": "mark_sent"}.get(fault_kind)
        advance = CONFIRMATION_TTL + 0.5 if fault_kind == "slow-audit" else 0.0
        sink = BusyOnce(self.store, busy, self.clock, advance)
        opened_at = self.clock.now - (CONFIRMATION_TTL + 1.0 if late else 0.0)
        self.confirmations += 1
        result = self._run(sink, version, opened_at, is_retry)
        ipc.on_approve = None
        ipc.report_error = None
        ipc.approve_script = []
        sends = ipc.approvals[sends_before:]
        event(f"{fault_kind}: {result.outcome}")
        ours = [r for r in ipc.runs[runs_before:] if r[1] == "client"]
        # At most one run per confirmation, and only of the confirmed id.
        assert len(ours) <= 1 and all(v == version for v, _who in ours), (ours, fault_kind)
        # Every send carries exactly the confirmed id; none after the time limit.
        assert all(s == version for s in sends), (sends, version)
        assert len(sends) == result.sends
        if late or (fault_kind == "slow-audit" and offered is not None):
            assert sends == [] and result.sends == 0, result
            expected = ApprovalOutcome.ERROR if fault_kind == "audit-busy-begin" else ApprovalOutcome.EXPIRED
            assert result.outcome is expected, (result.outcome, fault_kind)
        if offered is None:
            assert sends == []
        # A FAULT is never retried unless the operator was asked to retry: the confirmation here matched.
        # The audit trail agrees with the IPC.
        if result.record_id is not None:
            record = self.store.get(result.record_id)
            assert record is not None and record.sends == result.sends, (record, result)
            self.our_runs[record.id] = len(ours)
            if record.outcome == "approved":  # v ran after the confirmation (perhaps started by another party)
                assert any(v == version for v, _w in ipc.runs[runs_before:]), (record, fault_kind)
            if record.outcome in ("refused", "refused-locally", "error"):
                assert not ours, (record.outcome, fault_kind)
            if record.sends == 0:
                assert record.sent_at is None and not sends
        else:
            assert sends == [] and fault_kind == "audit-busy-begin"

    def _script(self, kind: str, version: str) -> None:
        ipc = self.ipc
        lost = grpc.StatusCode.UNAVAILABLE

        def fail_reads() -> None:
            ipc.report_error = grpc.StatusCode.UNAVAILABLE

        hooks: dict[str, Any] = {
            "lost-after": lambda v: ipc.apply_approval(v),
            "reread-fails": lambda v: (ipc.apply_approval(v), fail_reads()),
            "reread-fails-unapplied": lambda _v: fail_reads(),
            "fault-at-once": lambda v: (ipc.apply_approval(v), ipc.set(fault(v, ipc.info.current.version_id))),
            "offer-changes": lambda v: ipc.set(available(v + ".1", ipc.info.current.version_id)),
            "other-party": lambda v: ipc.apply_approval(v, who="other"),
            "internal-applied": lambda v: ipc.apply_approval(v),
        }
        if kind in hooks:
            ipc.on_approve = hooks[kind]
            ipc.approve_script = [grpc.StatusCode.INTERNAL if kind == "internal-applied" else lost]
        elif kind == "lost-before":
            ipc.approve_script = [lost]

    def _run(self, sink: Any, version: str, opened_at: float, is_retry: bool) -> Any:
        async def go() -> Any:
            client = UpdaterClient(
                ClientConfig(target=self.fake.address, poll_interval=1.0, deadline=2.0, stale_after=30.0),
                audit=sink,
                clock=self.clock,
            )
            try:
                await client.refresh()
                return await client.approve(version, opened_at=opened_at, expect_retry=is_retry)
            finally:
                await client.aclose()

        return asyncio.run(asyncio.wait_for(go(), 20))

    @rule()
    def later_read_settles(self) -> None:
        async def go() -> None:
            client = UpdaterClient(ClientConfig(target=self.fake.address, deadline=2.0), audit=self.store)
            try:
                await client.refresh()
            finally:
                await client.aclose()

        asyncio.run(asyncio.wait_for(go(), 20))

    @invariant()
    def settled_records_agree_with_the_ipc(self) -> None:
        if not hasattr(self, "store"):
            return
        for record in self.store.records():
            if record.resolved_at is None or record.id in self.settled_checked:
                continue
            self.settled_checked.add(record.id)
            ran = any(v == record.version_id for v, _w in self.ipc.runs)
            if record.outcome == "ran-later":
                assert ran, record
            if record.outcome == "unreachable":  # settled "did not take effect": its sends started no run
                assert self.our_runs.get(record.id, 0) == 0, record


EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "300"))
ApprovalMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=EXAMPLES <= 100,
)
TestApprovalModel = ApprovalMachine.TestCase
