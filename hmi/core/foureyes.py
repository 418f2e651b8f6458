"""Four-eyes approval (`[approval] require_two = true`): the rule, without Qt, network or disk.

The first operator signs in and confirms; then a second, different operator signs in and confirms the same
version id, while the IPC still offers it the same way (the same available id, still "update available" or
still a fault to retry), within the confirmation's time limit counted from the first confirmation. Only then
does the approval go out, once, with both names and both confirmation times in the one audit record.

Every refusal sends nothing, is recorded (outcome "refused-locally" with `audit_message`, except a wrong PIN
or a lockout, which the sign-in records as a failed sign-in), and has its own sentence (`refusal_text`).
The console (hmi.ui.foureyes_flow, hmi.ui.controller) and the CLI (`ipc-hmi approve --second-operator`) both
decide with `second_refusal`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hmi.core.i18n import N_, _
from hmi.core.model import CONFIRMATION_TTL, ApprovalIntent, ClientState, UpdateState, clean_line, display_id


class Refusal(enum.StrEnum):
    """Why a four-eyes approval was not sent."""

    NO_SECOND = "no-second-operator"  # nobody second was given (CLI) or the intent came without one
    SAME_OPERATOR = "same-operator"
    VIEWER = "viewer"
    NOT_SIGNED_IN = "not-signed-in"  # wrong PIN, locked out, unknown name: the sign-in records it
    EXPIRED = "expired"
    OFFER_CHANGED = "offer-changed"
    CANCELLED = "cancelled"  # the second step was cancelled or closed (data not live) after the first confirmed


# Stored in the audit record's message (English, like every stored value).
_AUDIT_MESSAGES: dict[Refusal, str] = {
    Refusal.NO_SECOND: "four-eyes: no second operator confirmed",
    Refusal.SAME_OPERATOR: "four-eyes: the same operator cannot confirm twice",
    Refusal.VIEWER: "four-eyes: the second operator is a viewer",
    Refusal.NOT_SIGNED_IN: "four-eyes: the second operator could not sign in",
    Refusal.EXPIRED: "four-eyes: the second confirmation came too late",
    Refusal.OFFER_CHANGED: "four-eyes: the offer changed between the two confirmations",
    Refusal.CANCELLED: "four-eyes: closed before the second confirmation",
}

_SENTENCES: dict[Refusal, str] = {
    Refusal.NO_SECOND: N_("A second operator must confirm {v}. Nothing was sent."),
    Refusal.SAME_OPERATOR: N_(
        "{name} already confirmed {v}. A different operator must confirm it second. Nothing was sent."
    ),
    Refusal.VIEWER: N_("{name} is a viewer; a viewer cannot be the second operator. Nothing was sent."),
    Refusal.NOT_SIGNED_IN: N_("{name} could not sign in as the second operator. Nothing was sent."),
    Refusal.EXPIRED: N_(
        "The second confirmation of {v} did not come within {s} s of the first. Nothing was sent; start again."
    ),
    Refusal.OFFER_CHANGED: N_(
        "The IPC's offer changed between the two confirmations of {v}. Nothing was sent; review it again."
    ),
    Refusal.CANCELLED: N_("The second confirmation of {v} was not given. Nothing was sent."),
}


def operators_text(operator: str | None, second: str | None, *, limit: int = 40, empty: str = "-") -> str:
    """Who approved, for the history (console and `ipc-hmi history`): "anna", or "anna and bert" with four eyes."""
    first = clean_line(operator, limit) if operator else empty
    if not second:
        return first
    return _("{first} and {second}").format(first=first, second=clean_line(second, limit))


def audit_message(refusal: Refusal) -> str:
    """What the audit record's message says (English)."""
    return _AUDIT_MESSAGES[refusal]


def refusal_text(refusal: Refusal, *, version_id: str, name: str = "", ttl: float = CONFIRMATION_TTL) -> str:
    """The one plain sentence on screen and in the terminal for this refusal."""
    return _(_SENTENCES[refusal]).format(v=display_id(version_id), name=name, s=f"{ttl:g}")


@dataclass(frozen=True, slots=True)
class FirstConfirmation:
    """The first operator's confirmation: who, which exact version id, in which state of the offer, and when
    (`at` on the console's monotonic clock, from which the time limit counts; `wall` for the record)."""

    version_id: str
    operator: str
    at: float
    wall: float
    is_retry: bool  # the offer was a FAULT to retry, not an install

    def remaining(self, now: float, ttl: float = CONFIRMATION_TTL) -> float:
        return max(0.0, ttl - (now - self.at))

    def expired(self, now: float, ttl: float = CONFIRMATION_TTL) -> bool:
        return not (0.0 <= now - self.at <= ttl)


@dataclass(frozen=True, slots=True)
class FourEyesIntent(ApprovalIntent):
    """ "Approve exactly this", confirmed by two people. `opened_at` is the first confirmation (the time limit
    counts from it); `first_wall`/`second_wall` are the confirmation times for the audit record (epoch s)."""

    first_operator: str = ""
    second_operator: str = ""
    first_wall: float | None = None
    second_wall: float | None = None


def offer_unchanged(first: FirstConfirmation, state: ClientState | None) -> bool:
    """The IPC still offers exactly the version the first operator confirmed, in the same way (an install from
    "update available", or a retry from a fault). Freshness is the approval gate's business, not this rule's."""
    snap = state.snapshot if state is not None else None
    if snap is None or snap.available is None or snap.available.version_id != first.version_id:
        return False
    wanted = UpdateState.FAULT if first.is_retry else UpdateState.UPDATE_AVAILABLE
    return snap.state is wanted


def same_person(first: str, second: str) -> bool:
    """Names are compared as the sign-in compares them (surrounding spaces do not make another person)."""
    return str(first).strip() == str(second).strip()


def second_refusal(
    first: FirstConfirmation,
    *,
    second: str | None,
    second_role: str | None,
    state: ClientState | None,
    now: float,
    ttl: float = CONFIRMATION_TTL,
) -> Refusal | None:
    """Why the second confirmation cannot complete the approval, or None when it may go out.

    `second_role` is the signed-in role ("operator", "viewer"), None when the second has not signed in.
    Checked in this order: time limit, offer, nobody second, the same person, not signed in, viewer."""
    if first.expired(now, ttl):
        return Refusal.EXPIRED
    if not offer_unchanged(first, state):
        return Refusal.OFFER_CHANGED
    if not second:
        return Refusal.NO_SECOND
    if same_person(first.operator, second):
        return Refusal.SAME_OPERATOR
    if second_role is None:
        return Refusal.NOT_SIGNED_IN
    if second_role != "operator":
        return Refusal.VIEWER
    return None
