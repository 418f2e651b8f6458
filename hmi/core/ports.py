"""Interfaces the core calls but does not implement here, so each side can be built and tested alone."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Protocol


class AuditOutcome(enum.StrEnum):
    """What the audit trail records as an approval's outcome (the strings are the stored values)."""

    APPROVED = "approved"  # the IPC accepted it
    REFUSED = "refused"  # the IPC said no
    REFUSED_LOCALLY = "refused-locally"  # the console or CLI did not send: stale data, version changed, not permitted
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"  # the connection was lost mid-call; settled later with `resolve`
    ERROR = "error"
    RAN_LATER = "ran-later"  # settles an "unknown" only: v ran later, perhaps started by someone else


class SignInStatus(enum.StrEnum):
    """How a sign-in attempt ended (hmi.core.auth); every value but OK is stored as a failed sign-in's outcome."""

    OK = "ok"
    WRONG_PIN = "wrong-pin"
    LOCKED_OUT = "locked-out"
    UNKNOWN_OPERATOR = "unknown-operator"
    NO_PIN_SET = "no-pin-set"


class RecordKind(enum.StrEnum):
    """What an audit record is about (the strings are the stored values)."""

    APPROVE_UPDATE = "approve-update"
    SIGNIN_FAILED = "signin-failed"


class AuditSink(Protocol):
    """Where approval attempts are recorded (implemented by hmi.core.audit).

    The approval path calls, in order: `begin` before anything is checked or
    sent, `mark_sent` right before the ApproveUpdate call goes on the wire, and
    `complete` once with the outcome. An outcome of "unknown" (the connection
    was lost mid-call) is later settled with `resolve` from the next read that
    proves something (hmi.core.settle); a sink that can list its unresolved
    records (`unresolved(target)`, as AuditStore does) lets any process settle
    them, not only the one that wrote them.
    Outcomes: AuditOutcome.
    """

    def begin(
        self,
        *,
        target: str,
        version_id: str,
        current_version: str | None,
        operator: str | None,
        kind: str = RecordKind.APPROVE_UPDATE,
        second_operator: str | None = None,
        confirmed_at: datetime | None = None,
        second_confirmed_at: datetime | None = None,
    ) -> str:
        """Stores a new record and returns its id. Four-eyes approval adds the second operator and both
        confirmation times (aware datetimes); the client passes them only when set, so a sink without them
        still serves approvals by one person."""
        ...

    def mark_sent(self, record_id: str, *, sent_state: str | None = None) -> None:
        """Right before a send; `sent_state` is the state the gate allowed it in (hmi.core.settle)."""
        ...

    def unmark_sent(self, record_id: str) -> None:
        """Takes back the last mark_sent: the gate closed after it and nothing went on the wire."""
        ...

    def complete(self, record_id: str, *, outcome: str, code: str | None, message: str) -> None: ...

    def resolve(self, record_id: str, *, outcome: str, message: str) -> None: ...
