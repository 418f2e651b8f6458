"""UpdaterClient against a real gRPC server on loopback (the scriptable fake IPC): polling, health, approval."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from hmi.core.client import BACKOFF_CAP, MAX_RESENDS, ApprovalOutcome, UpdaterClient, backoff_delay
from hmi.core.config import ClientConfig
from hmi.core.model import ClientState, Health, UpdateState
from tests.aio import run
from tests.core.fake_ipc import FakeIpc, RunningFake, available, fault, running, start_fake, up_to_date


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class FakeAudit:
    """Records AuditSink calls in order."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail_on = fail_on
        self._n = 0

    def _maybe_fail(self, step: str) -> None:
        if self.fail_on == step:
            raise OSError("disk full")

    def begin(
        self,
        *,
        target: str,
        version_id: str,
        current_version: str | None,
        operator: str | None,
        kind: str = "approve-update",
    ) -> str:
        self._maybe_fail("begin")
        self._n += 1
        rid = f"r{self._n}"
        self.calls.append(("begin", rid, target, version_id, current_version, operator, kind))
        return rid

    def mark_sent(self, record_id: str, *, sent_state: str | None = None) -> None:
        self._maybe_fail("mark_sent")
        self.calls.append(("mark_sent", record_id))

    def unmark_sent(self, record_id: str) -> None:
        self.calls.append(("unmark_sent", record_id))

    def complete(self, record_id: str, *, outcome: str, code: str | None, message: str) -> None:
        self.calls.append(("complete", record_id, outcome, code))

    def resolve(self, record_id: str, *, outcome: str, message: str) -> None:
        self.calls.append(("resolve", record_id, outcome, message))

    def steps(self) -> list[str]:
        return [c[0] for c in self.calls]


def config(server: RunningFake | str, **kw: Any) -> ClientConfig:
    target = server if isinstance(server, str) else server.address
    base: dict[str, Any] = {"poll_interval": 0.05, "deadline": 2.0, "stale_after": 30.0}
    base.update(kw)
    return ClientConfig(target=target, **base)


async def wait_until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    """Bounded wait: checks every 10 ms for at most `limit` seconds."""
    for _ in range(int(limit / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    server = start_fake()
    port = server.port
    server.stop()
    return port


# --- polling and health --------------------------------------------------------------------------------------


def test_backoff_is_exponential_jittered_and_capped() -> None:
    rng = random.Random(4)
    assert backoff_delay(0, 1.0, rng) == 1.0
    for failures in range(1, 40):
        ceiling = min(BACKOFF_CAP, 0.1 * 2**failures)
        delay = backoff_delay(failures, 0.1, rng)
        assert ceiling / 2 <= delay <= ceiling
    assert max(backoff_delay(50, 1.0, rng) for _ in range(100)) <= BACKOFF_CAP


@pytest.mark.parametrize(
    ("info", "state"),
    [
        (up_to_date(), UpdateState.UP_TO_DATE),
        (available(), UpdateState.UPDATE_AVAILABLE),
        (running(), UpdateState.RUNNING),
        (fault(), UpdateState.FAULT),
    ],
)
def test_poll_reads_each_state(fake: RunningFake, info: Any, state: UpdateState) -> None:
    fake.ipc.set(info)

    async def go() -> ClientState:
        async with UpdaterClient(config(fake)) as client:
            await wait_until(lambda: client.state.snapshot is not None)
            assert client.last_info == info
            return client.state

    got = run(go())
    assert got.snapshot is not None and got.snapshot.state is state
    assert got.connection.last_ok_at is not None and not got.connection.last_attempt_failed


def test_polls_never_overlap_and_refresh_waits_its_turn(fake: RunningFake) -> None:
    fake.ipc.report_delay = 0.05

    async def go() -> None:
        client = UpdaterClient(config(fake, poll_interval=0.01))
        await client.start()
        await client.start()  # idempotent
        try:
            states = await asyncio.gather(*(client.refresh() for _ in range(5)))
            assert all(s.snapshot is not None for s in states)
            await wait_until(lambda: fake.ipc.report_calls >= 8)
        finally:
            await client.aclose()
            await client.aclose()  # idempotent

    run(go())
    assert fake.ipc.max_in_flight == 1


def test_subscribers_get_every_result_and_a_raising_one_does_not_stop_polling(fake: RunningFake) -> None:
    seen: list[ClientState] = []

    def bad(_state: ClientState) -> None:
        raise RuntimeError("subscriber bug")

    async def go() -> None:
        client = UpdaterClient(config(fake))
        client.subscribe(bad)
        unsubscribe = client.subscribe(seen.append)
        async with client:
            await wait_until(lambda: len(seen) >= 3)
            unsubscribe()
            unsubscribe()  # twice is harmless
            count = len(seen)
            calls = fake.ipc.report_calls
            await wait_until(lambda: fake.ipc.report_calls >= calls + 3)
            assert len(seen) == count

    run(go())
    assert all(s.snapshot is not None for s in seen)


def test_failure_keeps_last_data_and_names_the_reason(fake: RunningFake) -> None:
    clock = FakeClock()

    async def go() -> None:
        client = UpdaterClient(config(fake, stale_after=3.0), clock=clock)
        try:
            ok = await client.refresh()
            assert ok.connection.health(clock()) is Health.ONLINE
            fake.ipc.report_error = grpc.StatusCode.UNAVAILABLE
            clock.now += 1
            failed = await client.refresh()
            assert failed.snapshot == ok.snapshot  # last data kept
            assert failed.connection.last_attempt_failed and failed.connection.error_code == "UNAVAILABLE"
            assert "scripted failure" in (failed.connection.error_detail or "")
            assert failed.connection.health(clock()) is Health.ONLINE  # still young: "Live, reconnecting"
            clock.now += 5
            assert failed.connection.health(clock()) is Health.OFFLINE
            assert failed.connection.age(clock()) == pytest.approx(6.0)
        finally:
            await client.aclose()

    run(go())


def test_unreachable_target_is_offline_with_no_data() -> None:
    async def go() -> ClientState:
        client = UpdaterClient(config(f"127.0.0.1:{free_port()}", deadline=1.0, stale_after=0.1))
        try:
            return await client.refresh()
        finally:
            await client.aclose()

    state = run(go())
    assert state.snapshot is None and state.connection.error_code == "UNAVAILABLE"
    assert state.connection.health(1e12) is Health.OFFLINE


@pytest.mark.slow
def test_server_restart_online_offline_online(fake: RunningFake) -> None:
    """The IPC goes away and comes back on the same port; the client recovers by itself."""
    port = fake.port
    healths: list[Health] = []
    box: dict[str, RunningFake] = {}

    async def go() -> None:
        client = UpdaterClient(config(fake, stale_after=0.3))

        def record(state: ClientState) -> None:
            health = state.connection.health(asyncio.get_running_loop().time())
            if not healths or healths[-1] is not health:
                healths.append(health)

        client.subscribe(record)
        async with client:
            await wait_until(lambda: Health.ONLINE in healths)
            await asyncio.to_thread(fake.stop)
            await wait_until(lambda: Health.OFFLINE in healths)
            box["new"] = await asyncio.to_thread(start_fake, FakeIpc(info=fault()), port=port)
            await wait_until(lambda: healths[-1] is Health.ONLINE and client.state.snapshot.state is UpdateState.FAULT)

    try:
        run(go(), timeout=30)
    finally:
        if "new" in box:
            box["new"].stop()
    first_online = healths.index(Health.ONLINE)
    offline = healths.index(Health.OFFLINE, first_online)
    assert Health.ONLINE in healths[offline:]


def test_timeouts_in_a_row_open_a_new_connection(fake: RunningFake) -> None:
    async def go() -> None:
        client = UpdaterClient(config(fake, deadline=0.2))
        try:
            await client.refresh()
            first = client._channel
            fake.ipc.report_delay = 1.0
            assert (await client.refresh()).connection.error_code == "DEADLINE_EXCEEDED"
            assert (await client.refresh()).connection.error_code == "DEADLINE_EXCEEDED"
            fake.ipc.report_delay = 0.0
            state = await client.refresh()
            assert not state.connection.last_attempt_failed
            assert client._channel is not first
        finally:
            await client.aclose()

    run(go())


def test_closed_client_refuses_work(fake: RunningFake) -> None:
    async def go() -> None:
        client = UpdaterClient(config(fake))
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await client.refresh()

    run(go())


# --- approval ------------------------------------------------------------------------------------------------


def approve_with(
    server: RunningFake,
    version: str,
    *,
    audit: FakeAudit | None = None,
    clock: FakeClock | None = None,
    before: Callable[[UpdaterClient], Any] | None = None,
    **kw: Any,
):
    async def go():
        client = UpdaterClient(config(server, **kw), audit=audit, **({"clock": clock} if clock else {}))
        try:
            await client.refresh()
            if before is not None:
                before(client)
            return await client.approve(version, operator="anna")
        finally:
            await client.aclose()

    return run(go())


def test_approves_exactly_the_offered_version(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    audit = FakeAudit()
    result = approve_with(fake, "1.5.0", audit=audit)
    assert result.outcome is ApprovalOutcome.APPROVED and result.exit_code == 0
    assert fake.ipc.approvals == ["1.5.0"] and result.sends == 1
    assert result.state.snapshot.state is UpdateState.RUNNING and not result.state.approval_in_flight
    assert "1.5.0" in result.message
    assert audit.calls == [
        ("begin", "r1", fake.address, "1.5.0", "1.4.2", "anna", "approve-update"),
        ("mark_sent", "r1"),
        ("complete", "r1", "approved", "OK"),
    ]
    assert result.record_id == "r1"


def test_retry_after_fault_is_an_approval(fake: RunningFake) -> None:
    fake.ipc.set(fault("1.5.0", "1.4.2"))
    result = approve_with(fake, "1.5.0")
    assert result.outcome is ApprovalOutcome.APPROVED and fake.ipc.approvals == ["1.5.0"]


def test_other_version_is_refused_locally_naming_both(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    audit = FakeAudit()
    result = approve_with(fake, "1.6.0", audit=audit)
    assert result.outcome is ApprovalOutcome.NOT_OFFERED and result.exit_code == 3
    assert fake.ipc.approvals == []
    assert "1.5.0" in result.message and "1.6.0" in result.message
    assert audit.steps() == ["begin", "complete"] and audit.calls[-1][2] == "refused-locally"


def test_lookalike_id_is_not_the_offered_one(fake: RunningFake) -> None:
    tricky = "1.5.0\u202e"  # a bidi override: shows as 1.5.0
    fake.ipc.set(available(tricky))
    result = approve_with(fake, "1.5.0")
    assert result.outcome is ApprovalOutcome.NOT_OFFERED and fake.ipc.approvals == []
    assert repr(tricky) in result.message
    fake.ipc.approvals.clear()
    result = approve_with(fake, tricky)
    assert result.outcome is ApprovalOutcome.APPROVED and fake.ipc.approvals == [tricky]


@pytest.mark.parametrize("info", [up_to_date(), running(), available(""), fault("")])
def test_nothing_offered_is_not_sent(fake: RunningFake, info: Any) -> None:
    fake.ipc.set(info)
    version = info.available.version_id or "1.5.0"
    result = approve_with(fake, version)
    assert result.outcome is ApprovalOutcome.NOT_OFFERED and fake.ipc.approvals == []


def test_stale_data_is_not_sent(fake: RunningFake) -> None:
    fake.ipc.set(available())
    clock = FakeClock()

    def age(_client: UpdaterClient) -> None:
        clock.now += 31.0  # past stale_after (30 s)

    result = approve_with(fake, "1.5.0", clock=clock, before=age)
    assert result.outcome is ApprovalOutcome.NOT_OFFERED and fake.ipc.approvals == []
    assert "not live" in result.message


def test_no_data_yet_is_not_sent(fake: RunningFake) -> None:
    async def go():
        client = UpdaterClient(config(fake))
        try:
            return await client.approve("1.5.0")
        finally:
            await client.aclose()

    result = run(go())
    assert result.outcome is ApprovalOutcome.NOT_OFFERED and fake.ipc.approvals == []


def test_unreachable_ipc_is_not_sent() -> None:
    audit = FakeAudit()

    async def go():
        client = UpdaterClient(config(f"127.0.0.1:{free_port()}", deadline=1.0, stale_after=0.1), audit=audit)
        try:
            await client.refresh()
            await asyncio.sleep(0.15)
            return await client.approve("1.5.0")
        finally:
            await client.aclose()

    result = run(go())
    assert result.outcome is ApprovalOutcome.UNREACHABLE and result.exit_code == 4 and result.sends == 0
    assert result.code == "UNAVAILABLE" and "Nothing was sent" in result.message
    assert audit.steps() == ["begin", "complete"] and audit.calls[-1][2] == "unreachable"


def test_offer_changed_on_the_ipc_is_refused_and_reread(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))

    def supersede(_client: UpdaterClient) -> None:
        fake.ipc.set(available("1.5.1"))  # the IPC moved on; the client has not read it yet

    audit = FakeAudit()
    result = approve_with(fake, "1.5.0", before=supersede, audit=audit)
    assert result.outcome is ApprovalOutcome.REFUSED and result.code == "FAILED_PRECONDITION"
    assert result.exit_code == 3
    assert fake.ipc.approvals == ["1.5.0"]  # never the new one
    assert result.state.snapshot.available.version_id == "1.5.1"
    assert "1.5.1" in result.message and "1.5.0" in result.message
    assert audit.steps() == ["begin", "mark_sent", "complete"] and audit.calls[-1][2:] == (
        "refused",
        "FAILED_PRECONDITION",
    )


def test_lost_answer_but_running_now_is_approved(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = ["apply-then-unavailable"]
    result = approve_with(fake, "1.5.0")
    assert result.outcome is ApprovalOutcome.APPROVED and result.sends == 1
    assert fake.ipc.approvals == ["1.5.0"]


def test_lost_answers_are_resent_a_bounded_number_of_times_then_unknown(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE] * 10
    audit = FakeAudit()

    async def go():
        client = UpdaterClient(config(fake), audit=audit)
        try:
            await client.refresh()
            result = await client.approve("1.5.0")
            assert client.pending_record_ids == ("r1",)
            await client.refresh()  # the same version still offered: it was not approved
            assert client.pending_record_ids == ()
            return result
        finally:
            await client.aclose()

    result = run(go())
    assert result.outcome is ApprovalOutcome.UNKNOWN and result.exit_code == 6
    assert fake.ipc.approvals == ["1.5.0"] * (1 + MAX_RESENDS) and result.sends == 1 + MAX_RESENDS
    assert audit.steps() == ["begin", *["mark_sent"] * (1 + MAX_RESENDS), "complete", "resolve"]
    assert audit.calls[-2][2] == "unknown" and audit.calls[-1][2] == "unreachable"
    assert "still offered" in audit.calls[-1][3]


def test_lost_answer_then_offer_changed_is_unknown_without_resend(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: fake.ipc.set(available("1.5.1"))
    result = approve_with(fake, "1.5.0")
    assert result.outcome is ApprovalOutcome.UNKNOWN and fake.ipc.approvals == ["1.5.0"]


def test_deadline_exceeded_is_unknown_and_settled_by_a_later_poll(fake: RunningFake) -> None:
    """The approval took effect, but the answer came too late and the re-read failed too."""
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = ["apply-then-hang"]
    audit = FakeAudit()

    async def go():
        client = UpdaterClient(config(fake, deadline=0.3), audit=audit)
        try:
            await client.refresh()
            fake.ipc.report_error = grpc.StatusCode.UNAVAILABLE  # the re-read fails as well
            result = await client.approve("1.5.0")
            fake.ipc.report_error = None
            await client.refresh()
            return result
        finally:
            await client.aclose()

    result = run(go())
    assert result.outcome is ApprovalOutcome.UNKNOWN and result.code == "DEADLINE_EXCEEDED" and result.sends == 1
    assert audit.steps() == ["begin", "mark_sent", "complete", "resolve"]
    # A later RUNNING(v) proves that v ran, not that this approval started it.
    assert audit.calls[-1][2] == "ran-later" and "may or may not have caused it" in audit.calls[-1][3]


def test_second_approval_while_one_is_in_flight(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    release = threading.Event()
    fake.ipc.on_approve = lambda _v: release.wait(10)
    flags: list[bool] = []
    audit = FakeAudit()

    async def go():
        client = UpdaterClient(config(fake), audit=audit)
        client.subscribe(lambda s: flags.append(s.approval_in_flight))
        try:
            await client.refresh()
            first = asyncio.ensure_future(client.approve("1.5.0"))
            await wait_until(lambda: client.state.approval_in_flight)
            second = await client.approve("1.5.0")
            release.set()
            return await first, second
        finally:
            release.set()
            await client.aclose()

    first, second = run(go())
    assert second.outcome is ApprovalOutcome.IN_FLIGHT and second.sends == 0 and second.exit_code == 1
    assert first.outcome is ApprovalOutcome.APPROVED
    assert fake.ipc.approvals == ["1.5.0"]
    assert True in flags and flags[-1] is False
    completes = [c for c in audit.calls if c[0] == "complete"]
    assert sorted(c[2] for c in completes) == ["approved", "refused-locally"]


@pytest.mark.parametrize(
    ("code", "outcome", "exit_code"),
    [
        (grpc.StatusCode.UNAUTHENTICATED, ApprovalOutcome.AUTH, 5),
        (grpc.StatusCode.PERMISSION_DENIED, ApprovalOutcome.AUTH, 5),
        (grpc.StatusCode.INTERNAL, ApprovalOutcome.UNKNOWN, 6),  # the IPC may have acted before failing
        (grpc.StatusCode.UNKNOWN, ApprovalOutcome.UNKNOWN, 6),
        (grpc.StatusCode.INVALID_ARGUMENT, ApprovalOutcome.ERROR, 1),
        (grpc.StatusCode.ABORTED, ApprovalOutcome.REFUSED, 3),
    ],
)
def test_other_codes(fake: RunningFake, code: grpc.StatusCode, outcome: ApprovalOutcome, exit_code: int) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [code]
    result = approve_with(fake, "1.5.0")
    assert (result.outcome, result.exit_code, result.code) == (outcome, exit_code, code.name)
    assert fake.ipc.approvals == ["1.5.0"]
    assert code.name in result.detail


def test_audit_failure_means_nothing_is_sent(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    for step in ("begin", "mark_sent"):
        result = approve_with(fake, "1.5.0", audit=FakeAudit(fail_on=step))
        assert result.outcome is ApprovalOutcome.ERROR and result.sends == 0
        assert "could not be recorded" in result.message
    assert fake.ipc.approvals == []


def test_cancelled_approval_is_recorded_unknown_and_releases_the_gate(fake: RunningFake) -> None:
    fake.ipc.set(available("1.5.0"))
    release = threading.Event()
    fake.ipc.on_approve = lambda _v: release.wait(10)
    audit = FakeAudit()

    async def go() -> ClientState:
        client = UpdaterClient(config(fake), audit=audit)
        try:
            await client.refresh()
            task = asyncio.ensure_future(client.approve("1.5.0"))
            await wait_until(lambda: client.state.approval_in_flight)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return client.state
        finally:
            release.set()
            await client.aclose()

    state = run(go())
    assert not state.approval_in_flight
    assert audit.steps() == ["begin", "mark_sent", "complete"] and audit.calls[-1][2] == "unknown"


def test_token_is_sent_and_a_wrong_one_is_auth(fake: RunningFake, tmp_path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.token = "right"
    good = tmp_path / "good"
    good.write_text("right\n")
    bad = tmp_path / "bad"
    bad.write_text("wrong")
    for path in (good, bad):
        path.chmod(0o600)
    result = approve_with(fake, "1.5.0", token_file=good)
    assert result.outcome is ApprovalOutcome.APPROVED
    assert set(fake.ipc.auth_seen) == {"Bearer right"}
    fake.ipc.set(available("1.6.0"))
    result = approve_with(fake, "1.6.0", token_file=bad, stale_after=0.1)
    assert result.outcome is ApprovalOutcome.AUTH and result.exit_code == 5 and result.code == "UNAUTHENTICATED"
    assert fake.ipc.approvals == ["1.5.0"]
