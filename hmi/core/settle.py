"""What a read of the IPC proves about an approval whose answer was lost. Pure functions, no I/O.

An approval is sent from one of two states: UPDATE_AVAILABLE(v) (install v) or FAULT(v) (retry v).
The only thing a later read can prove is a *transition* away from that state, because the public
contract says what an accepted approval does:

- sent from UPDATE_AVAILABLE(v): an accepted approval leaves UPDATE_AVAILABLE. RUNNING(v), FAULT(v)
  (it ran and failed at once) and UP_TO_DATE with current v all prove that an approval of v reached
  the IPC. Exactly UPDATE_AVAILABLE(v) with the same current version proves it did not take effect.
- sent from FAULT(v): RUNNING(v) or UP_TO_DATE(v) prove a retry reached it. FAULT(v) again proves
  nothing: the retry may never have arrived, or it arrived, ran and failed again.
- anything else (another offer, UP_TO_DATE on the old version, an unknown state) proves nothing.

A proof that *an* approval of v reached the IPC is not a proof that *this* one did: another console,
a script or the IPC itself may have started v. So a record settled from a later read says "v ran
later; this approval may or may not have caused it" (`RAN_LATER`), never "approved".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hmi.core.i18n import _
from hmi.core.model import Snapshot, UpdateState
from hmi.core.ports import AuditOutcome


class Proof(enum.StrEnum):
    REACHED = "reached"  # the read proves an approval of v reached the IPC
    NOT_TAKEN = "not-taken"  # the read shows exactly the state it was sent from: it did not take effect
    UNKNOWN = "unknown"  # the read proves nothing about this approval


@dataclass(frozen=True, slots=True)
class SentFrom:
    """The state in which the gate allowed the send."""

    state: UpdateState  # UPDATE_AVAILABLE or FAULT
    version_id: str  # the offered (and sent) id, exactly
    current_id: str | None  # what the IPC ran then

    @property
    def is_retry(self) -> bool:
        return self.state is UpdateState.FAULT

    def encode(self) -> str:
        """The audit column's form: the state's name (the ids are in their own columns)."""
        return str(self.state)


def sent_from(snapshot: Snapshot | None) -> SentFrom | None:
    """The sending state for the snapshot the gate allowed, or None when nothing is offered."""
    if snapshot is None or snapshot.offered is None:
        return None
    current = snapshot.current.version_id if snapshot.current else None
    return SentFrom(snapshot.state, snapshot.offered.version_id, current)


def decode(state: str | None, version_id: str, current_id: str | None) -> SentFrom | None:
    try:
        parsed = UpdateState(state) if state else None
    except ValueError:
        return None
    if parsed not in (UpdateState.UPDATE_AVAILABLE, UpdateState.FAULT):
        return None
    return SentFrom(parsed, version_id, current_id)


def prove(sent: SentFrom, read: Snapshot | None) -> Proof:
    """What `read` (a successful read after the send) proves about an approval sent from `sent`."""
    if read is None:
        return Proof.UNKNOWN
    v = sent.version_id
    available = read.available.version_id if read.available is not None else None
    current = read.current.version_id if read.current is not None else None
    if read.state is UpdateState.RUNNING and available == v:
        return Proof.REACHED
    if read.state is UpdateState.UP_TO_DATE and current == v and sent.current_id != v:
        return Proof.REACHED
    if read.state is UpdateState.FAULT and available == v:
        return Proof.UNKNOWN if sent.is_retry else Proof.REACHED
    if (
        read.state is UpdateState.UPDATE_AVAILABLE
        and not sent.is_retry
        and available == v
        and current == sent.current_id
    ):
        return Proof.NOT_TAKEN
    return Proof.UNKNOWN


def may_resend(sent: SentFrom, read: Snapshot | None, code: str) -> bool:
    """The resend rule: only after UNAVAILABLE, only from UPDATE_AVAILABLE, only when the re-read shows that state.

    Why so narrow: a resend is worth it only when it cannot be a second run. In UPDATE_AVAILABLE(v)
    an approval that took effect would have moved the IPC on, so the same state means the first call
    had no effect, and a second one is the same request, not a new one. From FAULT(v) a resend would be
    a second retry the operator never saw. After DEADLINE_EXCEEDED the IPC may still be working on
    the first call; a resend could land after it ran and failed, and turn into a retry.
    """
    return code == "UNAVAILABLE" and not sent.is_retry and prove(sent, read) is Proof.NOT_TAKEN


@dataclass(frozen=True, slots=True)
class Settlement:
    outcome: AuditOutcome  # RAN_LATER or UNREACHABLE
    message: str


def settle_later(sent: SentFrom, read: Snapshot, shown: str) -> Settlement | None:
    """How a later read settles an unknown record, or None when it proves nothing (the record stays unknown)."""
    proof = prove(sent, read)
    if proof is Proof.NOT_TAKEN:
        return Settlement(
            AuditOutcome.UNREACHABLE,
            _("A later read shows {v} still offered, as when it was sent: the approval did not take effect.").format(
                v=shown
            ),
        )
    if proof is Proof.REACHED:
        words = {
            UpdateState.RUNNING: _("running"),
            UpdateState.FAULT: _("failed (FAULT)"),
            UpdateState.UP_TO_DATE: _("installed"),
        }.get(read.state, read.state_name)
        return Settlement(
            AuditOutcome.RAN_LATER,
            _("{v} ran later (a later read shows it {words}); this approval may or may not have caused it.").format(
                v=shown, words=words
            ),
        )
    return None


def settle_unresolved(sink: object, target: str, read: Snapshot, shown: object) -> list[tuple[str, Settlement]]:
    """Settles the sink's unresolved records for `target` that `read` proves something about. Blocking I/O:
    call it on a worker thread (asyncio.to_thread) from an event loop.

    Only records completed before the read was received are looked at, so a read never settles an
    approval that was sent after it. `shown` turns a version id into its display form.
    """
    unresolved = getattr(sink, "unresolved", None)
    if unresolved is None:
        return []
    settled: list[tuple[str, Settlement]] = []
    for record in unresolved(target):
        completed = getattr(record, "completed_at", None)
        if completed is None or completed.timestamp() >= read.received_wall:
            continue
        sent = decode(getattr(record, "sent_state", None), record.version_id, record.current_version)
        if sent is None:  # never sent, or written before the sending state was recorded: nothing to go on
            continue
        settlement = settle_later(sent, read, str(shown(record.version_id)))  # type: ignore[operator]
        if settlement is None:
            continue
        try:
            sink.resolve(record.id, outcome=settlement.outcome, message=settlement.message)  # type: ignore[attr-defined]
        except Exception:  # settled meanwhile by another process, or the store is busy: the next read tries again
            continue
        settled.append((record.id, settlement))
    return settled
