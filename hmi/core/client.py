"""The grpc.aio client of one IPC: polling, connection health and exact-version approval.

Everything runs on the caller's event loop (asyncio for the CLI, qasync's Qt loop in the console) and
nothing blocks it. One `ReportUpdateInfo` is in flight at a time; the poll loop, `refresh()` and the
re-reads inside `approve()` share one lock. Every state change (each poll result, success or failure,
and each change of "approval in flight") is published as an immutable `ClientState` to subscribers.

Approval rules (issue 4):
- sent only if `approval_gate(state, clock()).permits(version_id)`: the exact id the IPC offers in
  fresh data, in UPDATE_AVAILABLE or FAULT (a retry); the id sent is always the caller's argument;
- at most one approval in flight; a second call returns IN_FLIGHT without sending;
- FAILED_PRECONDITION: the offer changed; re-read and report REFUSED;
- UNAVAILABLE or DEADLINE_EXCEEDED: the outcome is unknown, so re-read first: that version RUNNING
  means it was approved; still offered (and fresh) means send it again, at most MAX_RESENDS times;
  anything else is UNKNOWN, settled in the audit trail by a later poll;
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
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio

from hmi.core.config import ClientConfig
from hmi.core.errors import (
    EXIT_AUTH,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    describe,
)
from hmi.core.i18n import _
from hmi.core.model import (
    DISPLAY_ID_MAX,
    ClientState,
    Connection,
    GateReason,
    Health,
    UpdateState,
    approval_gate,
    clean_line,
    snapshot_from_proto,
)
from hmi.core.security import ChannelSecurity, create_channel, prepare
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


class ApprovalOutcome(enum.StrEnum):
    APPROVED = "approved"  # the IPC accepted it (or is now running that version)
    REFUSED = "refused"  # the IPC said no (offer changed)
    NOT_OFFERED = "not-offered"  # refused locally: not the offered version, data not fresh, nothing offered
    IN_FLIGHT = "in-flight"  # another approval is being sent; nothing sent
    UNREACHABLE = "unreachable"  # no connection to the IPC; nothing sent
    UNKNOWN = "unknown"  # sent, but the answer was lost and a re-read did not settle it
    AUTH = "auth"  # not authenticated or not permitted
    ERROR = "error"  # anything else


_EXIT_CODES = {
    ApprovalOutcome.APPROVED: EXIT_OK,
    ApprovalOutcome.REFUSED: EXIT_REFUSED,
    ApprovalOutcome.NOT_OFFERED: EXIT_REFUSED,
    ApprovalOutcome.IN_FLIGHT: EXIT_OTHER,
    ApprovalOutcome.UNREACHABLE: EXIT_UNREACHABLE,
    ApprovalOutcome.UNKNOWN: EXIT_UNREACHABLE,
    ApprovalOutcome.AUTH: EXIT_AUTH,
    ApprovalOutcome.ERROR: EXIT_OTHER,
}

# What the audit trail records for each outcome (see hmi.core.ports.AuditSink).
_AUDIT_OUTCOME = {
    ApprovalOutcome.APPROVED: "approved",
    ApprovalOutcome.REFUSED: "refused",
    ApprovalOutcome.NOT_OFFERED: "refused-locally",
    ApprovalOutcome.IN_FLIGHT: "refused-locally",
    ApprovalOutcome.UNREACHABLE: "unreachable",
    ApprovalOutcome.UNKNOWN: "unknown",
    ApprovalOutcome.AUTH: "error",
    ApprovalOutcome.ERROR: "error",
}


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

    @property
    def exit_code(self) -> int:
        """The CLI exit code for this outcome (0 approved, 3 refused, 4 unreachable, 5 auth, 1 other)."""
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
    return clean_line(version_id, DISPLAY_ID_MAX) or repr(version_id)


class _Pending:
    """An approval whose outcome was unknown, waiting for a later poll to settle it."""

    __slots__ = ("since", "version_id")

    def __init__(self, version_id: str, since: float) -> None:
        self.version_id = version_id
        self.since = since  # clock() when the attempt ended; only polls received later settle it


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
            await asyncio.sleep(backoff_delay(failures, self.config.poll_interval, self._rng))

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
        state = replace(self._state, snapshot=snapshot, connection=connection)
        self._settle_pending(state)
        self._publish(state)

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

    async def approve(self, version_id: str, *, operator: str | None = None) -> ApprovalResult:
        """Approves exactly `version_id` if the IPC offers exactly it in fresh data. Never raises on RPC errors."""
        if self._closed:
            raise RuntimeError("the client is closed")
        record_id: str | None = None
        if self._audit is not None:
            snap = self._state.snapshot
            try:
                record_id = self._audit.begin(
                    target=self.config.target,
                    version_id=version_id,
                    current_version=snap.current.version_id if snap and snap.current else None,
                    operator=operator,
                )
            except Exception as exc:
                log.exception("the audit trail could not record an approval; nothing was sent")
                return ApprovalResult(
                    ApprovalOutcome.ERROR,
                    version_id,
                    None,
                    _("The approval could not be recorded, so it was not sent."),
                    f"audit trail: {type(exc).__name__}: {exc}",
                    None,
                    self._state,
                )
        if self._approving:
            gate_text = _("An approval is being sent. Wait for its result.")
            return self._finish(record_id, ApprovalOutcome.IN_FLIGHT, version_id, None, gate_text, "nothing sent")
        local = self._local_refusal(version_id)
        if local is not None:
            outcome, code, message, detail = local
            return self._finish(record_id, outcome, version_id, code, message, detail)

        self._approving = True
        self._publish(replace(self._state, approval_in_flight=True))
        result: tuple[ApprovalOutcome, str | None, str, str, int] | None = None
        try:
            result = await self._send(record_id, version_id)
        finally:
            self._approving = False
            self._publish(replace(self._state, approval_in_flight=False))
            if result is None:  # cancelled or crashed mid-call: what the IPC did is unknown
                self._finish(
                    record_id,
                    ApprovalOutcome.UNKNOWN,
                    version_id,
                    "CANCELLED",
                    _("The approval was interrupted; check the IPC's state."),
                    "approval task cancelled",
                    sent=True,
                )
        outcome, code, message, detail, sends = result
        return self._finish(record_id, outcome, version_id, code, message, detail, sends=sends)

    def _local_refusal(self, version_id: str) -> tuple[ApprovalOutcome, str | None, str, str] | None:
        """Why nothing may be sent now, or None when the gate permits exactly this version."""
        state = self._state
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

    async def _send(self, record_id: str | None, version_id: str) -> tuple[ApprovalOutcome, str | None, str, str, int]:
        stub = self._ensure_stub()
        request = pb.ApproveUpdateRequest(approved=pb.IntrinsicVersion(version_id=version_id))
        asked = _display(version_id)
        sends = 0
        while True:
            if record_id is not None and self._audit is not None:
                try:
                    self._audit.mark_sent(record_id)
                except Exception as exc:
                    log.exception("the audit trail could not mark an approval as sent; not sending")
                    outcome = ApprovalOutcome.ERROR if sends == 0 else ApprovalOutcome.UNKNOWN
                    return (
                        outcome,
                        None,
                        _("The approval could not be recorded, so it was not sent."),
                        f"audit trail: {type(exc).__name__}: {exc}",
                        sends,
                    )
            sends += 1
            try:
                await stub.ApproveUpdate(request, timeout=self.config.deadline, metadata=self._metadata)
            except grpc.aio.AioRpcError as exc:
                code, server_detail = exc.code().name, exc.details()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                code, server_detail = "UNKNOWN", f"{type(exc).__name__}: {exc}"
            else:
                await self.refresh()
                return (
                    ApprovalOutcome.APPROVED,
                    "OK",
                    _("Approved {v}. The IPC is installing it.").format(v=asked),
                    f"ApproveUpdate OK after {sends} send(s)",
                    sends,
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
                return ApprovalOutcome.REFUSED, code, message, detail, sends
            if code in _AUTH:
                return ApprovalOutcome.AUTH, code, text.operator, detail, sends
            if code in _LOST:
                state = await self.refresh()
                snap = state.snapshot
                read_ok = not state.connection.last_attempt_failed and snap is not None
                if (
                    read_ok
                    and snap.state is UpdateState.RUNNING
                    and snap.available is not None
                    and snap.available.version_id == version_id
                ):
                    return (
                        ApprovalOutcome.APPROVED,
                        code,
                        _("Approved {v}. The IPC is installing it.").format(v=asked),
                        f"{detail}; a re-read shows {version_id!r} running",
                        sends,
                    )
                gate = approval_gate(replace(state, approval_in_flight=False), self._clock())
                if read_ok and gate.permits(version_id) and sends <= MAX_RESENDS:
                    log.info("approval of %r: %s; still offered, sending again", version_id, code)
                    continue
                return (
                    ApprovalOutcome.UNKNOWN,
                    code,
                    _("{reason} It is not known whether {v} was approved; check the IPC's state.").format(
                        reason=text.operator, v=asked
                    ),
                    f"{detail}; after {sends} send(s) a re-read "
                    + ("failed" if not read_ok else f"shows {snap.state_name if snap else '?'}"),
                    sends,
                )
            if code == "CANCELLED":
                return (
                    ApprovalOutcome.UNKNOWN,
                    code,
                    _("The approval was interrupted; check the IPC's state."),
                    detail,
                    sends,
                )
            await self.refresh()
            return ApprovalOutcome.ERROR, code, text.operator, detail, sends

    def _finish(
        self,
        record_id: str | None,
        outcome: ApprovalOutcome,
        version_id: str,
        code: str | None,
        message: str,
        detail: str,
        *,
        sends: int = 0,
        sent: bool = False,
    ) -> ApprovalResult:
        if record_id is not None and self._audit is not None:
            try:
                self._audit.complete(record_id, outcome=_AUDIT_OUTCOME[outcome], code=code, message=message)
            except Exception:
                log.exception("the audit trail could not record the outcome of %s", record_id)
            if outcome is ApprovalOutcome.UNKNOWN and (sends or sent):
                self._pending[record_id] = _Pending(version_id, self._clock())
        return ApprovalResult(outcome, version_id, code, message, detail, record_id, self._state, sends)

    def _settle_pending(self, state: ClientState) -> None:
        """Settles unknown approvals from a fresh snapshot received after them."""
        snap = state.snapshot
        if not self._pending or snap is None or self._audit is None:
            return
        for record_id, pending in list(self._pending.items()):
            if snap.received_at <= pending.since:
                continue
            v = pending.version_id
            shown = _display(v)
            if snap.state is UpdateState.RUNNING and snap.available is not None and snap.available.version_id == v:
                outcome = "approved"
                message = _("A later read shows {v} running: the approval reached the IPC.").format(v=shown)
            elif snap.state is UpdateState.UP_TO_DATE and snap.current is not None and snap.current.version_id == v:
                outcome = "approved"
                message = _("A later read shows {v} installed: the approval reached the IPC.").format(v=shown)
            elif snap.offered is not None and snap.offered.version_id == v:
                outcome = "unreachable"
                message = _("A later read shows {v} still offered: the approval did not reach the IPC.").format(v=shown)
            else:
                outcome = "unreachable"
                message = _("A later read shows {state}: {v} was not approved.").format(state=snap.state_name, v=shown)
            del self._pending[record_id]
            try:
                self._audit.resolve(record_id, outcome=outcome, message=message)
            except Exception:
                log.exception("the audit trail could not settle %s", record_id)
