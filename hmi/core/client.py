"""The grpc.aio client of one IPC: polling, connection health and exact-version approval.

Everything runs on the caller's event loop (asyncio for the CLI, qasync's Qt loop in the console) and
nothing blocks it. One `ReportUpdateInfo` is in flight at a time; the poll loop, `refresh()` and the
re-reads inside `approve()` share one lock. Every state change (each poll result, success or failure,
and each change of "approval in flight") is published as an immutable `ClientState` to subscribers.

Approval rules (issues 4 and 9):
- sent only if `approval_gate(state, clock()).permits(version_id)`: the exact id the IPC offers in
  fresh data, in UPDATE_AVAILABLE or FAULT (a retry); the id sent is always the caller's argument;
  the gate, the confirmation's age (`opened_at` + `ttl`) and the install-or-retry the operator was
  asked (`expect_retry`) are checked again right before each send, after every await (audit writes
  run on a worker thread, so a busy audit file neither freezes the loop nor lets old data through);
- at most one approval in flight; a second call returns IN_FLIGHT without sending;
- FAILED_PRECONDITION: the offer changed; re-read and report REFUSED;
- an error after which the IPC may have acted (UNAVAILABLE, DEADLINE_EXCEEDED, UNKNOWN, INTERNAL, …):
  re-read. A transition away from the state it was sent in proves it reached (UPDATE_AVAILABLE(v) to
  RUNNING(v), FAULT(v) or UP_TO_DATE(v)): APPROVED. A resend happens only after UNAVAILABLE, only
  from UPDATE_AVAILABLE, and only when the re-read shows exactly that state again (same offered id,
  same current version): see `hmi.core.settle.may_resend` for why. Anything else is UNKNOWN (exit 6),
  never a guess; a later read by any ipc-hmi command settles it from what a transition proves;
- UNAUTHENTICATED or PERMISSION_DENIED: AUTH.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio

from hmi.core.config import ClientConfig
from hmi.core.errors import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_REFUSED,
    EXIT_UNKNOWN,
    EXIT_UNREACHABLE,
    describe,
)
from hmi.core.i18n import N_, _
from hmi.core.model import (
    CONFIRMATION_TTL,
    ClientState,
    Connection,
    GateReason,
    Health,
    Snapshot,
    UpdateState,
    approval_gate,
    display_id,
    snapshot_from_proto,
)
from hmi.core.ports import AuditOutcome
from hmi.core.security import ChannelSecurity, create_channel, prepare
from hmi.core.settle import Proof, SentFrom, may_resend, prove, sent_from, settle_later, settle_unresolved
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    import random

    from hmi.core.ports import AuditSink

log = logging.getLogger(__name__)

MAX_RESENDS = 2  # after an unknown outcome, resend at most this often (3 sends in all)
BACKOFF_CAP = 5.0  # seconds; the longest wait between two polls while the IPC cannot be reached
# A dead TCP connection (e.g. after a laptop slept) can swallow calls until they time out; after this many
# timeouts in a row the channel is replaced by a fresh one.
RENEW_CHANNEL_AFTER_TIMEOUTS = 2

_LOST = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
_AUTH = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
_REFUSED = frozenset({"FAILED_PRECONDITION", "ABORTED", "ALREADY_EXISTS"})
# Errors after which the IPC certainly did not act on the request (it was not understood or not taken on).
# Every other error (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL, DATA_LOSS, …) leaves the
# outcome open, so a re-read decides, and an unproven outcome is "unknown" (exit 6), settled later.
_NOT_APPLIED = frozenset({"INVALID_ARGUMENT", "NOT_FOUND", "OUT_OF_RANGE", "UNIMPLEMENTED", "RESOURCE_EXHAUSTED"})


INTERRUPTED = N_("The approval was interrupted; check the IPC's state.")  # cancelled after it may have gone out


class ApprovalOutcome(enum.StrEnum):
    APPROVED = "approved"  # the IPC accepted it (or is now running that version)
    REFUSED = "refused"  # the IPC said no (offer changed)
    NOT_OFFERED = "not-offered"  # refused locally: not the offered version, data not fresh, nothing offered
    IN_FLIGHT = "in-flight"  # another approval is being sent; nothing sent
    UNREACHABLE = "unreachable"  # no connection to the IPC; nothing sent
    UNKNOWN = "unknown"  # sent, but the answer was lost and a re-read did not settle it
    REFUSED_LOCALLY = "refused-locally"  # the console kept it back (signed-in viewer, approvals off); nothing sent
    EXPIRED = "expired"  # the confirmation was older than its time limit at the moment of sending; nothing sent
    AUTH = "auth"  # not authenticated or not permitted
    ERROR = "error"  # anything else


_EXIT_CODES = {
    ApprovalOutcome.APPROVED: EXIT_OK,
    ApprovalOutcome.REFUSED: EXIT_REFUSED,
    ApprovalOutcome.NOT_OFFERED: EXIT_REFUSED,
    ApprovalOutcome.IN_FLIGHT: EXIT_OTHER,
    ApprovalOutcome.REFUSED_LOCALLY: EXIT_REFUSED,
    ApprovalOutcome.UNREACHABLE: EXIT_UNREACHABLE,
    ApprovalOutcome.UNKNOWN: EXIT_UNKNOWN,
    ApprovalOutcome.EXPIRED: EXIT_REFUSED,
    ApprovalOutcome.AUTH: EXIT_AUTH,
    ApprovalOutcome.ERROR: EXIT_OTHER,
}

# What the audit trail records for each outcome (see hmi.core.ports.AuditSink).
_AUDIT_OUTCOME: dict[ApprovalOutcome, AuditOutcome] = {
    ApprovalOutcome.APPROVED: AuditOutcome.APPROVED,
    ApprovalOutcome.REFUSED: AuditOutcome.REFUSED,
    ApprovalOutcome.NOT_OFFERED: AuditOutcome.REFUSED_LOCALLY,
    ApprovalOutcome.IN_FLIGHT: AuditOutcome.REFUSED_LOCALLY,
    ApprovalOutcome.REFUSED_LOCALLY: AuditOutcome.REFUSED_LOCALLY,
    ApprovalOutcome.UNREACHABLE: AuditOutcome.UNREACHABLE,
    ApprovalOutcome.UNKNOWN: AuditOutcome.UNKNOWN,
    ApprovalOutcome.EXPIRED: AuditOutcome.REFUSED_LOCALLY,
    ApprovalOutcome.AUTH: AuditOutcome.ERROR,
    ApprovalOutcome.ERROR: AuditOutcome.ERROR,
}


def audit_outcome(outcome: ApprovalOutcome) -> AuditOutcome:
    """The one conversion from an approval's outcome to what the audit trail records."""
    return _AUDIT_OUTCOME[outcome]


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    """What became of one `approve()` call."""

    outcome: ApprovalOutcome
    version_id: str  # exactly the id the caller named
    code: str | None  # grpc StatusCode name of the deciding answer, if any
    message: str  # one sentence for the operator
    detail: str  # one line for the technician
    record_id: str | None  # audit record, when an AuditSink was given
    state: ClientState  # the client state after the attempt
    sends: int = 0  # how many ApproveUpdate calls went on the wire

    @classmethod
    def local(
        cls,
        version_id: str,
        message: str,
        state: ClientState,
        outcome: ApprovalOutcome = ApprovalOutcome.REFUSED_LOCALLY,
    ) -> ApprovalResult:
        """An approval the console decided itself and did not send (nothing went on the wire)."""
        return cls(outcome, version_id, None, message, "", None, state)

    @property
    def exit_code(self) -> int:
        """The CLI exit code: 0 approved, 3 refused/not offered/expired, 4 unreachable (nothing sent), 5 auth,
        6 sent but the outcome is unknown, 1 other."""
        if self.outcome is ApprovalOutcome.ERROR and self.code:
            return describe(self.code).exit_code or EXIT_OTHER
        return _EXIT_CODES[self.outcome]


def backoff_delay(failures: int, poll_interval: float, rng: random.Random | None) -> float:
    """Wait before the next poll: the interval after success, else exponential with jitter, capped."""
    if failures <= 0 or rng is None:
        return poll_interval
    cap = max(BACKOFF_CAP, poll_interval)
    ceiling = min(cap, poll_interval * 2.0 ** min(failures, 16))
    return rng.uniform(ceiling / 2.0, ceiling)


def _display(version_id: str) -> str:
    return display_id(version_id) or repr(version_id)


class _Pending:
    """An approval whose outcome was unknown, waiting for a later poll to settle it."""

    __slots__ = ("sent", "since", "version_id")

    def __init__(self, version_id: str, sent: SentFrom, since: float) -> None:
        self.version_id = version_id
        self.sent = sent
        self.since = since  # clock() when the attempt ended; only polls received later settle it


class _Progress:
    """How far one approval got: its audit record, how often it went on the wire, and from which state."""

    __slots__ = ("record_id", "sends", "sent_from")

    def __init__(self) -> None:
        self.record_id: str | None = None
        self.sends = 0
        self.sent_from: SentFrom | None = None


class UpdaterClient:
    """Polls one IPC and approves updates on it. See the module docstring for the rules."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        audit: AuditSink | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._wall = wall
        self._audit = audit
        self._rng = rng  # created on the first backoff: a one-shot read never imports random
        # Reads certificates and token now, so a bad setting fails before anything runs (SecurityError).
        self._security: ChannelSecurity = prepare(config)
        self._metadata = self._security.metadata or None
        self._state = ClientState(
            snapshot=None,
            connection=Connection(
                target=config.target,
                last_ok_at=None,
                last_attempt_failed=False,
                error_code=None,
                error_detail=None,
                stale_after=config.stale_after,
            ),
        )
        self._last_info: pb.UpdateInfo | None = None
        self._subscribers: list[Callable[[ClientState], None]] = []
        self._channel: Any = None
        self._stub: pb_grpc.IpcUpdaterStub | None = None
        self._poll_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._approving = False
        self._timeouts_in_row = 0
        self._pending: dict[str, _Pending] = {}

    # --- state and subscribers ---

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def last_info(self) -> pb.UpdateInfo | None:
        """The last UpdateInfo exactly as received (for `report --json`), or None."""
        return self._last_info

    @property
    def pending_record_ids(self) -> tuple[str, ...]:
        """Audit records of approvals with an unknown outcome, not yet settled by a poll."""
        return tuple(self._pending)

    def subscribe(self, callback: Callable[[ClientState], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def _publish(self, state: ClientState) -> None:
        self._state = state
        for callback in list(self._subscribers):
            try:
                callback(state)
            except Exception:
                log.exception("a state subscriber raised; polling goes on")

    # --- lifecycle ---

    def _ensure_stub(self) -> pb_grpc.IpcUpdaterStub:
        if self._closed:
            raise RuntimeError("the client is closed")
        if self._stub is None:
            self._channel = create_channel(self._security)
            self._stub = pb_grpc.IpcUpdaterStub(self._channel)
        return self._stub

    async def _renew_channel(self) -> None:
        old, self._channel, self._stub = self._channel, None, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close(grace=None)

    async def start(self) -> None:
        """Starts polling (idempotent)."""
        self._ensure_stub()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll_loop(), name="ipc-hmi poll")

    async def aclose(self) -> None:
        """Stops polling and closes the channel (idempotent)."""
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._renew_channel()

    async def __aenter__(self) -> UpdaterClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- polling ---

    async def _poll_loop(self) -> None:
        failures = 0
        while not self._closed:
            try:
                state = await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end polling silently: log it and keep going, backing off
                log.exception("a poll failed unexpectedly")
                failures += 1
            else:
                failures = failures + 1 if state.connection.last_attempt_failed else 0
            if failures and self._rng is None:
                import random

                self._rng = random.Random()
            await self._wait_before_poll(backoff_delay(failures, self.config.poll_interval, self._rng), failures)

    async def _wait_before_poll(self, delay: float, failures: int) -> None:
        """Sleeps `delay`; while the IPC is unreachable, ends early as soon as the channel is connected again.

        The randomised back-off keeps a broken IPC from being hammered, but once gRPC's own reconnect
        (attempts at most 500 ms apart, see hmi.core.security) has a connection, the next read goes
        out at once instead of waiting out the rest of the back-off.
        """
        channel = self._channel
        if failures <= 0 or channel is None:
            await asyncio.sleep(delay)
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + delay
        try:
            state = channel.get_state(try_to_connect=True)
            while state != grpc.ChannelConnectivity.READY:
                remaining = end - loop.time()
                if remaining <= 0:
                    return
                await asyncio.wait_for(channel.wait_for_state_change(state), remaining)
                state = channel.get_state(try_to_connect=True)
        except TimeoutError:
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a channel that cannot report its state: fall back to the plain back-off
            log.debug("connectivity wait failed: %s", exc)
            remaining = end - loop.time()
            if remaining > 0:
                await asyncio.sleep(remaining)

    async def refresh(self) -> ClientState:
        """One ReportUpdateInfo now (waits for a poll already under way; never two at once)."""
        async with self._poll_lock:
            stub = self._ensure_stub()
            try:
                info = await stub.ReportUpdateInfo(
                    pb.GetUpdateInfoRequest(), timeout=self.config.deadline, metadata=self._metadata
                )
            except grpc.aio.AioRpcError as exc:
                await self._on_failure(exc.code().name, exc.details())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broken channel must not end polling
                log.warning("ReportUpdateInfo failed: %s: %s", type(exc).__name__, exc)
                await self._on_failure("UNKNOWN", f"{type(exc).__name__}: {exc}")
            else:
                self._on_success(info)
            state = self._state
        await self._settle(state)  # outside the lock: a busy audit file must not hold up the next read
        return self._state

    def _on_success(self, info: pb.UpdateInfo) -> None:
        self._timeouts_in_row = 0
        now, wall = self._clock(), self._wall()
        try:
            snapshot = snapshot_from_proto(info, received_at=now, received_wall=wall, previous=self._state.snapshot)
        except Exception as exc:  # the model promises not to raise; a bug there must not stop polling
            log.exception("could not read an UpdateInfo")
            self._publish(self._failed_state("DATA_LOSS", f"could not read the answer: {exc}"))
            return
        self._last_info = info
        connection = replace(
            self._state.connection, last_ok_at=now, last_attempt_failed=False, error_code=None, error_detail=None
        )
        self._publish(replace(self._state, snapshot=snapshot, connection=connection))

    def _failed_state(self, code: str, detail: str | None) -> ClientState:
        connection = replace(
            self._state.connection,
            last_attempt_failed=True,
            error_code=code,
            error_detail=describe(code).with_detail(detail),
        )
        return replace(self._state, connection=connection)

    async def _on_failure(self, code: str, detail: str | None) -> None:
        self._timeouts_in_row = self._timeouts_in_row + 1 if code == "DEADLINE_EXCEEDED" else 0
        if self._timeouts_in_row >= RENEW_CHANNEL_AFTER_TIMEOUTS and not self._approving:
            log.info("%d timeouts in a row; opening a new connection to %s", self._timeouts_in_row, self.config.target)
            self._timeouts_in_row = 0
            await self._renew_channel()
        self._publish(self._failed_state(code, detail))

    # --- approval ---

    async def approve(
        self,
        version_id: str,
        *,
        operator: str | None = None,
        opened_at: float | None = None,
        ttl: float = CONFIRMATION_TTL,
        expect_retry: bool | None = None,
        second_operator: str | None = None,
        confirmed_at: datetime | None = None,
        second_confirmed_at: datetime | None = None,
    ) -> ApprovalResult:
        """Approves exactly `version_id` if the IPC offers exactly it in fresh data. Never raises on RPC errors.

        `opened_at` (this client's clock) is when the operator was shown the confirmation: nothing is sent
        once it is older than `ttl`. `expect_retry` is what the operator was asked (install, or retry after
        a fault): nothing is sent if the IPC's state no longer matches it. With four-eyes approval,
        `second_operator` and the two confirmation times (aware datetimes) go into the audit record with
        `operator` (hmi.core.foureyes decided beforehand that the two may approve together).
        """
        four_eyes: dict[str, Any] = {
            k: v
            for k, v in (
                ("second_operator", second_operator),
                ("confirmed_at", confirmed_at),
                ("second_confirmed_at", second_confirmed_at),
            )
            if v is not None
        }
        if self._closed:
            raise RuntimeError("the client is closed")
        if self._approving:
            busy_record, failure = await self._begin(version_id, operator, four_eyes)
            if failure is not None:
                return failure
            gate_text = _("An approval is being sent. Wait for its result.")
            return await self._finish(
                busy_record, ApprovalOutcome.IN_FLIGHT, version_id, None, gate_text, "nothing sent"
            )
        # In flight from here on, before the first await, so a second call cannot slip in.
        self._approving = True
        self._publish(replace(self._state, approval_in_flight=True))
        progress = _Progress()
        result: tuple[ApprovalOutcome, str | None, str, str, int] | None = None
        record_id: str | None = None
        try:
            record_id, failure = await self._begin(version_id, operator, four_eyes)
            if failure is not None:
                return failure
            progress.record_id = record_id
            result = await self._send(progress, version_id, opened_at, ttl, expect_retry)
        finally:
            self._approving = False
            self._publish(replace(self._state, approval_in_flight=False))
            if result is None and progress.record_id is not None:  # cancelled or crashed mid-call
                self._finish_now(
                    progress.record_id,
                    ApprovalOutcome.UNKNOWN if progress.sends else ApprovalOutcome.ERROR,
                    version_id,
                    "CANCELLED",
                    _(INTERRUPTED) if progress.sends else _("The approval was interrupted before it was sent."),
                    "approval task cancelled",
                    sends=progress.sends,
                    sent=progress.sent_from,
                )
        outcome, code, message, detail, sends = result
        return await self._finish(
            record_id, outcome, version_id, code, message, detail, sends=sends, sent=progress.sent_from
        )

    async def _begin(
        self, version_id: str, operator: str | None, four_eyes: dict[str, Any] | None = None
    ) -> tuple[str | None, ApprovalResult | None]:
        """The audit record, written on a worker thread (a busy file must not freeze the screen). `four_eyes`:
        the second operator and the confirmation times, passed only when set (an older sink lacks them)."""
        if self._audit is None:
            return None, None
        snap = self._state.snapshot
        try:
            record_id = await asyncio.to_thread(
                self._audit.begin,
                target=self.config.target,
                version_id=version_id,
                current_version=snap.current.version_id if snap and snap.current else None,
                operator=operator,
                **(four_eyes or {}),
            )
        except Exception as exc:
            log.warning("the audit trail could not record an approval; nothing was sent: %s", exc)
            return None, ApprovalResult(
                ApprovalOutcome.ERROR,
                version_id,
                None,
                _audit_failure_text(exc),
                f"audit trail: {type(exc).__name__}: {exc}",
                None,
                self._state,
            )
        return record_id, None

    def _send_refusal(
        self, version_id: str, opened_at: float | None, ttl: float, expected: SentFrom | None, expect_retry: bool | None
    ) -> tuple[ApprovalOutcome, str | None, str, str] | None:
        """Why nothing may be sent at this very moment, or None. Called right before each send, after every await."""
        now = self._clock()
        if opened_at is not None and not (0.0 <= now - opened_at <= ttl):
            return (
                ApprovalOutcome.EXPIRED,
                None,
                _("The confirmation was open too long ({s:.0f} s). Nothing was sent; check the version again.").format(
                    s=ttl
                ),
                f"confirmation opened {now - opened_at:.3f} s before the send; limit {ttl:g} s",
            )
        local = self._local_refusal(version_id)
        if local is not None:
            return local
        current = sent_from(self._state.snapshot)
        if expect_retry is not None and current is not None and current.is_retry != expect_retry:
            asked = _display(version_id)
            if current.is_retry:
                text = _("The update of {v} failed meanwhile (FAULT). Nothing was sent: review it, then retry.")
            else:
                text = _("The IPC's state changed: {v} is now offered as a new install, not a retry. Nothing was sent.")
            return (
                ApprovalOutcome.NOT_OFFERED,
                None,
                text.format(v=asked),
                f"expected retry={expect_retry}, state {current.state}",
            )
        if expected is not None and current != expected:
            return (
                ApprovalOutcome.NOT_OFFERED,
                None,
                _("The IPC's state changed since the approval was confirmed. {v} was not sent again.").format(
                    v=_display(version_id)
                ),
                f"sent from {expected}, now {current}",
            )
        return None

    def _local_refusal(self, version_id: str) -> tuple[ApprovalOutcome, str | None, str, str] | None:
        """Why nothing may be sent now, or None when the gate permits exactly this version."""
        state = replace(self._state, approval_in_flight=False)  # our own approval is the one in flight
        now = self._clock()
        gate = approval_gate(state, now)
        if gate.permits(version_id):
            return None
        asked = _display(version_id)
        conn = state.connection
        if gate.reason in (GateReason.NO_DATA, GateReason.NOT_FRESH) and conn.health(now) is Health.OFFLINE:
            text = describe(conn.error_code or "UNAVAILABLE")
            return (
                ApprovalOutcome.AUTH if text.code in _AUTH else ApprovalOutcome.UNREACHABLE,
                conn.error_code,
                _("{reason} Nothing was sent.").format(reason=text.operator),
                conn.error_detail or text.technician,
            )
        offered = gate.version
        if offered is not None and offered.version_id != version_id:
            shown = offered.display_id
            if shown == asked:  # they differ only in characters a screen does not show
                shown, asked = repr(offered.version_id), repr(version_id)
            return (
                ApprovalOutcome.NOT_OFFERED,
                None,
                _("The IPC offers version {offered}, not {asked}. Nothing was sent.").format(
                    offered=shown, asked=asked
                ),
                f"requested {version_id!r}, offered {offered.version_id!r}"
                + ("" if gate.allowed else f"; also: {gate.text}"),
            )
        if gate.reason is GateReason.NOTHING_OFFERED:
            snap = state.snapshot
            name = snap.state_name if snap else "?"
            installing = snap.available if snap is not None and snap.state is UpdateState.RUNNING else None
            if installing is not None and installing.version_id == version_id:
                return (
                    ApprovalOutcome.NOT_OFFERED,
                    None,
                    _("{asked} is already installing; it was approved before. Nothing was sent.").format(asked=asked),
                    f"requested {version_id!r}; the IPC reports {name} for it",
                )
            return (
                ApprovalOutcome.NOT_OFFERED,
                None,
                _("The IPC offers no update to approve, so {asked} was not sent.").format(asked=asked),
                f"requested {version_id!r}; the IPC reports {name}",
            )
        return (
            ApprovalOutcome.NOT_OFFERED,
            None,
            _("{reason} Version {asked} was not sent.").format(reason=gate.text, asked=asked),
            f"requested {version_id!r}; gate: {gate.reason}",
        )

    async def _send(
        self,
        progress: _Progress,
        version_id: str,
        opened_at: float | None,
        ttl: float,
        expect_retry: bool | None,
    ) -> tuple[ApprovalOutcome, str | None, str, str, int]:
        """The send loop. See hmi.core.settle for the resend rule and what a re-read proves."""
        stub = self._ensure_stub()
        request = pb.ApproveUpdateRequest(approved=pb.IntrinsicVersion(version_id=version_id))
        asked = _display(version_id)
        record_id = progress.record_id
        last: tuple[str, str] | None = None  # (code, detail) of the last lost answer
        while True:
            expected = progress.sent_from
            refusal = self._send_refusal(version_id, opened_at, ttl, expected, expect_retry)
            if refusal is None and record_id is not None and self._audit is not None:
                here = sent_from(self._state.snapshot)
                try:
                    await asyncio.to_thread(
                        self._audit.mark_sent, record_id, sent_state=here.encode() if here else None
                    )
                except Exception as exc:
                    log.warning("the audit trail could not mark an approval as sent; not sending: %s", exc)
                    if progress.sends == 0:
                        return (
                            ApprovalOutcome.ERROR,
                            None,
                            _audit_failure_text(exc),
                            f"audit trail: {type(exc).__name__}: {exc}",
                            0,
                        )
                    return self._unknown(version_id, last, progress.sends, "the audit trail could not record a resend")
                # The state may have changed while the audit trail was written: check again, right before the send.
                refusal = self._send_refusal(version_id, opened_at, ttl, expected, expect_retry)
                if refusal is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.to_thread(self._audit.unmark_sent, record_id)
            if refusal is not None:
                if progress.sends == 0:
                    outcome, code, message, detail = refusal
                    return outcome, code, message, detail, 0
                return self._unknown(version_id, last, progress.sends, f"no resend: {refusal[3]}")
            if progress.sent_from is None:
                progress.sent_from = sent_from(self._state.snapshot)
            sent = progress.sent_from
            assert sent is not None  # the gate permitted it, so something is offered
            progress.sends += 1
            try:
                await stub.ApproveUpdate(request, timeout=self.config.deadline, metadata=self._metadata)
            except grpc.aio.AioRpcError as exc:
                code, server_detail = exc.code().name, exc.details()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                code, server_detail = "UNKNOWN", f"{type(exc).__name__}: {exc}"
            else:
                state = await self.refresh()
                return (
                    ApprovalOutcome.APPROVED,
                    "OK",
                    _approved_text(asked, state.snapshot if not state.connection.last_attempt_failed else None),
                    f"ApproveUpdate OK after {progress.sends} send(s)",
                    progress.sends,
                )
            text = describe(code)
            detail = text.with_detail(server_detail)
            if code in _REFUSED:
                state = await self.refresh()
                message = text.operator
                offered = state.snapshot.offered if state.snapshot else None
                if offered is not None and offered.version_id != version_id:
                    message += " " + _("The IPC now offers {offered}, not {asked}.").format(
                        offered=offered.display_id, asked=asked
                    )
                return ApprovalOutcome.REFUSED, code, message, detail, progress.sends
            if code in _AUTH:
                return ApprovalOutcome.AUTH, code, text.operator, detail, progress.sends
            if code in _NOT_APPLIED:
                await self.refresh()
                return ApprovalOutcome.ERROR, code, text.operator, detail, progress.sends
            # Lost answer, or an error after which the IPC may have acted: only a re-read can tell.
            last = (code, detail)
            state = await self.refresh()
            read = None if state.connection.last_attempt_failed else state.snapshot
            proof = prove(sent, read)
            if proof is Proof.REACHED:
                assert read is not None
                return (
                    ApprovalOutcome.APPROVED,
                    code,
                    _approved_text(asked, read),
                    f"{detail}; a re-read shows {read.state_name} for {version_id!r}: it reached the IPC",
                    progress.sends,
                )
            if may_resend(sent, read, code) and progress.sends <= MAX_RESENDS:
                log.info("approval of %r: %s; the IPC shows the state it was sent in, sending again", version_id, code)
                continue
            reread = "failed" if read is None else f"shows {read.state_name}"
            return self._unknown(version_id, last, progress.sends, f"a re-read {reread}")

    def _unknown(
        self, version_id: str, last: tuple[str, str] | None, sends: int, why: str
    ) -> tuple[ApprovalOutcome, str | None, str, str, int]:
        code, detail = last if last is not None else ("UNKNOWN", "")
        if code == "CANCELLED":
            message = _(INTERRUPTED)
        else:
            message = _("{reason} It is not known whether {v} was approved; check the IPC's state.").format(
                reason=describe(code).operator, v=_display(version_id)
            )
        return ApprovalOutcome.UNKNOWN, code, message, f"{detail}; after {sends} send(s) {why}", sends

    async def _finish(
        self,
        record_id: str | None,
        outcome: ApprovalOutcome,
        version_id: str,
        code: str | None,
        message: str,
        detail: str,
        *,
        sends: int = 0,
        sent: SentFrom | None = None,
    ) -> ApprovalResult:
        if record_id is not None and self._audit is not None:
            try:
                await asyncio.to_thread(
                    self._audit.complete, record_id, outcome=audit_outcome(outcome), code=code, message=message
                )
            except Exception:
                log.exception("the audit trail could not record the outcome of %s", record_id)
            self._remember_unknown(record_id, outcome, version_id, sends, sent)
        return ApprovalResult(outcome, version_id, code, message, detail, record_id, self._state, sends)

    def _finish_now(
        self,
        record_id: str,
        outcome: ApprovalOutcome,
        version_id: str,
        code: str | None,
        message: str,
        detail: str,
        *,
        sends: int,
        sent: SentFrom | None,
    ) -> None:
        """The same as _finish, synchronously: for a cancelled approval, where awaiting is no longer possible."""
        if self._audit is None:
            return
        try:
            self._audit.complete(record_id, outcome=audit_outcome(outcome), code=code, message=message)
        except Exception:
            log.exception("the audit trail could not record the outcome of %s", record_id)
        self._remember_unknown(record_id, outcome, version_id, sends, sent)

    def _remember_unknown(
        self, record_id: str, outcome: ApprovalOutcome, version_id: str, sends: int, sent: SentFrom | None
    ) -> None:
        # A sink that lists its unresolved records (AuditStore) is asked on every read; others are remembered here.
        if outcome is ApprovalOutcome.UNKNOWN and sends and sent is not None and not hasattr(self._audit, "unresolved"):
            self._pending[record_id] = _Pending(version_id, sent, self._clock())

    async def _settle(self, state: ClientState) -> None:
        """Settles unknown approvals (this process's and, from the audit store, any process's) from a fresh read."""
        snap = state.snapshot
        if self._audit is None or snap is None or state.connection.last_attempt_failed:
            return
        for record_id, pending in list(self._pending.items()):
            if snap.received_at <= pending.since:
                continue
            settlement = settle_later(pending.sent, snap, _display(pending.version_id))
            if settlement is None:
                continue
            del self._pending[record_id]
            try:
                await asyncio.to_thread(
                    self._audit.resolve, record_id, outcome=settlement.outcome, message=settlement.message
                )
            except Exception:
                log.exception("the audit trail could not settle %s", record_id)
        if hasattr(self._audit, "unresolved"):
            try:
                await asyncio.to_thread(settle_unresolved, self._audit, self.config.target, snap, _display)
            except Exception as exc:
                log.warning("could not settle earlier approvals from the audit trail: %s", exc)


def _approved_text(asked: str, read: Snapshot | None) -> str:
    if read is not None and read.state is UpdateState.FAULT:
        return _("Approved {v}, but the update failed at once: the IPC reports a fault.").format(v=asked)
    return _("Approved {v}. The IPC is installing it.").format(v=asked)


def _audit_failure_text(exc: BaseException) -> str:
    from hmi.core.audit import AuditBusy  # lazy: the client does not need the store module otherwise

    if isinstance(exc, AuditBusy):
        return _("Audit trail busy: another program is writing to it. The approval was not sent; try again.")
    return _("The approval could not be recorded, so it was not sent.")
