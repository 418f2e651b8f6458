"""What the console decides, as pure functions to frozen values: no Qt here (import-linter enforces it).

The window and its children only draw what these return. Inputs are the client state and the few facts only
the console knows (when a sheet opened, which notice is shown, when a run was first seen), plus the clock.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Protocol

from hmi.core.client import ApprovalOutcome, ApprovalResult
from hmi.core.i18n import N_, _
from hmi.core.model import ClientState, Snapshot, UpdateState, Version, approval_gate, clean_line, display_id
from hmi.core.view import Severity, format_age

SENTENCE_ID_MAX = 48  # a version id in a sentence is shortened in the middle beyond this
SENTENCE_ID_KEEP = 22  # characters kept on each side of the "…"
NAME_MAX = 40  # an operator's name on screen


class TimelineKind(enum.StrEnum):
    """What a timeline entry is about (its icon follows from kind and severity)."""

    STATE = "state"
    STAGE = "stage"
    OFFER = "offer"
    VERSION = "version"
    CONNECTION = "connection"
    APPROVAL = "approval"
    ERROR = "error"
    DEMO = "demo"
    SIGNIN = "signin"


class OperatorLike(Protocol):
    """What the screen reads of a signed-in operator (hmi.core.auth.Operator)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def may_approve(self) -> bool: ...


# -- words ---------------------------------------------------------------------------------------------------
VIEWERS_CANNOT_APPROVE = N_("Viewers cannot approve updates.")
SIGN_IN_TO_APPROVE = N_("Sign in as an operator to approve.")
CONFIRMATION_TOO_OLD = N_("The confirmation was open too long.")
NOTHING_SENT_CHANGED = N_("Nothing was sent: the offer or the connection changed. Review the screen.")
NOTHING_SENT_TOO_OLD = N_("Nothing was sent: the confirmation was open too long. Review the screen.")


def not_sent(why: str, version_id: str) -> str:
    """ "<why> <version> was not sent." for an approval the console kept back."""
    return _("{why} {v} was not sent.").format(why=why, v=display_id(version_id))


def idle_text(seconds: float) -> str:
    """ "2 min" for a whole number of minutes, else "1 min 30 s"."""
    if seconds >= 60 and seconds % 60 == 0:
        return _("{m} min").format(m=int(seconds // 60))
    return format_age(seconds)


def role_text(role: str) -> str:
    return {"operator": _("operator"), "viewer": _("viewer")}.get(role, _("viewer"))


def operator_name(operator: OperatorLike) -> str:
    return clean_line(operator.name, NAME_MAX)


def signed_in_text(operator: OperatorLike | None) -> str:
    if operator is None:
        return _("Not signed in")
    return _("Signed in: {name} ({role})").format(name=operator_name(operator), role=role_text(operator.role))


def approving_as_text(operator: OperatorLike) -> str:
    return _("Approving as {name} ({role}).").format(name=operator_name(operator), role=role_text(operator.role))


def viewer_signed_in_text(operator: OperatorLike) -> str:
    return _("{name} is signed in as a viewer.").format(name=operator_name(operator)) + " " + _(VIEWERS_CANNOT_APPROVE)


def sentence_id(version_id: str, snapshot: Snapshot | None = None) -> str:
    """A version id for a sentence: its display form, shortened in the middle beyond 48 characters
    (messages stay readable on a small panel; the full id is in the version fields and the sheet)."""
    shown = display_id(version_id)
    for v in (snapshot.available, snapshot.current) if snapshot else ():
        if v is not None and v.version_id == version_id:
            shown = v.display_id
            break
    if len(shown) <= SENTENCE_ID_MAX:
        return shown
    return shown[:SENTENCE_ID_KEEP] + "…" + shown[-SENTENCE_ID_KEEP:]


# -- notices -------------------------------------------------------------------------------------------------
StateKey = tuple[int, str | None, str | None]


def state_key(state: ClientState | None) -> StateKey | None:
    """The IPC state a message belongs to: it goes when this moves on (an "Approved" must not linger on the
    screen of the failure that follows)."""
    snap = state.snapshot if state else None
    if snap is None:
        return None
    offered = snap.offered.version_id if snap.offered else None
    current = snap.current.version_id if snap.current else None
    return (snap.raw_state, offered, current)


@dataclass(frozen=True, slots=True)
class Notice:
    """A message under the Install button: a result or why a sheet closed, until replaced, dismissed or
    outdated (`key`, the IPC state it was said in)."""

    icon: str
    text: str
    severity: Severity = Severity.NORMAL
    key: StateKey | None = None


def notice(icon: str, text: str, state: ClientState | None, severity: Severity = Severity.NORMAL) -> Notice | None:
    """A notice said now, in `state`; None for no text."""
    return Notice(icon, text, severity, state_key(state)) if text else None


def notice_in_force(shown: Notice | None, state: ClientState | None, sending: bool) -> Notice | None:
    """The notice still shown: it expires when the IPC state moves on, except while an approval is sent."""
    if shown is None or sending or state_key(state) == shown.key:
        return shown
    return None


def result_notice(result: ApprovalResult, state: ClientState | None) -> Notice:
    """An approval's outcome in plain words, with its icon and severity."""
    snap = state.snapshot if state else None
    version = sentence_id(result.version_id, snap)
    message = result.message
    outcome = result.outcome
    if (
        outcome is ApprovalOutcome.APPROVED
        and result.state.snapshot
        and result.state.snapshot.state is UpdateState.FAULT
    ):
        icon, severity = "warning", Severity.ATTENTION  # it reached the IPC and failed at once: say so
        text = message
    elif outcome is ApprovalOutcome.APPROVED:
        icon, severity = "success", Severity.NORMAL
        text = _("Approved {v}. The update starts; this screen follows it.").format(v=version)
    elif outcome in (
        ApprovalOutcome.REFUSED,
        ApprovalOutcome.NOT_OFFERED,
        ApprovalOutcome.REFUSED_LOCALLY,
        ApprovalOutcome.EXPIRED,
    ):
        icon, severity = "info", Severity.ATTENTION
        text = _("Not installed: {why} Review what is offered now before approving.").format(
            why=message or _("the IPC refused the approval.")
        )
    elif outcome is ApprovalOutcome.IN_FLIGHT:
        icon, severity = "info", Severity.ATTENTION
        text = message or _("An approval is already being sent. Wait for its result.")
    elif outcome is ApprovalOutcome.UNREACHABLE:
        icon, severity = "warning", Severity.DEGRADED
        text = _("The approval for {v} did not reach the IPC. {why}").format(
            v=version, why=message or _("The IPC cannot be reached.")
        )
    elif outcome is ApprovalOutcome.UNKNOWN:
        icon, severity = "warning", Severity.DEGRADED
        text = _(
            "It is not known whether the IPC received the approval for {v}. {why} "
            "Watch the state here before approving again."
        ).format(v=version, why=message)
    else:  # auth, error
        icon, severity = "fault", Severity.ALARM
        text = message or _("The approval failed.")
    return Notice(icon, text, severity, state_key(state))


@dataclass(frozen=True, slots=True)
class Hint:
    """What the line under the Install button says: a notice, the gate's reason, or nothing."""

    icon: str
    text: str
    closable: bool


def hint(
    shown: Notice | None,
    state: ClientState | None,
    now: float,
    *,
    approvals_off: bool,
    signin: bool,
    operator: OperatorLike | None,
) -> Hint:
    if approvals_off:  # the banner above says it in full; nothing else matters while it lasts
        return Hint("", "", False)
    if shown is not None:
        return Hint(shown.icon, shown.text, True)
    if state is None or state.snapshot is None or state.snapshot.state is UpdateState.RUNNING:
        return Hint("", "", False)
    gate = approval_gate(state, now)
    text = _("The last update failed. Installing it again retries it.") if gate.allowed and gate.is_retry else gate.text
    if gate.allowed and signin and not (operator and operator.may_approve):
        text += " " + _("An operator signs in on the next screen.")
    return Hint("info", text, False)


# -- the Install button --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Action:
    """The Install button: label (the first `keep` characters never elided), enabled, visible, why."""

    label: str
    keep: int
    enabled: bool
    visible: bool
    description: str


def action(state: ClientState | None, now: float, *, sending: bool, sheet_open: bool, approvals_off: bool) -> Action:
    snap = state.snapshot if state else None
    running = snap is not None and snap.state is UpdateState.RUNNING
    if state is None:
        return Action(_("Install update"), 0, False, not running, "")
    gate = approval_gate(state, now)
    named = gate.version or (snap.offered if snap else None)
    verb = _("Install {v}").split("{v}")[0]
    label = verb + named.display_id if named else _("Install update")
    enabled = gate.allowed and not sending and not sheet_open and not approvals_off
    return Action(label, len(verb) if named else 0, enabled, not running, gate.text)


# -- the confirmation sheet ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SheetVerdict:
    """Whether an open confirmation stays: `close_reason` says why it closes (nothing was sent), else
    `remaining` seconds until it times out."""

    close_reason: str | None
    remaining: float

    @property
    def stays(self) -> bool:
        return self.close_reason is None


def sheet_verdict(
    state: ClientState | None, shown: Version, opened_at: float, now: float, timeout: float
) -> SheetVerdict:
    """A confirmation goes stale: it closes when the offer changes, the data stops being live, approval is no
    longer allowed, or `timeout` seconds pass without a decision."""
    reason = None
    gate = approval_gate(state, now) if state is not None else None
    offered = state.snapshot.offered if state and state.snapshot else None
    if gate is None or gate.version is None or gate.version.version_id != shown.version_id:
        if offered is not None and offered.version_id != shown.version_id:
            reason = _("The offered version changed to {new} while you were confirming {old}. "
                       "Nothing was sent. Review the new version.").format(
                new=offered.display_id, old=shown.display_id
            )  # fmt: skip
        else:
            reason = _("The IPC no longer offers {v}. Nothing was sent.").format(v=shown.display_id)
    elif gate.reason.value == "not-fresh":
        reason = _("The confirmation closed because the data from the IPC is not live. Nothing was sent.")
    elif not gate.allowed:
        reason = _("The confirmation closed: {why} Nothing was sent.").format(why=gate.text)
    elif now - opened_at >= timeout:
        reason = _("The confirmation closed after {n} s without a decision. Nothing was sent.").format(n=int(timeout))
    return SheetVerdict(reason, max(0.0, timeout - (now - opened_at)) if reason is None else 0.0)


# -- a running update's clock --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RunClock:
    """When this console first saw the current run: (monotonic, wall) of that answer, and whether it saw the
    state change to running (then it says "Started"; otherwise "Seen running since")."""

    mono: float
    wall: float
    saw_start: bool

    def text(self, now: float) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.wall))
        age = format_age(now - self.mono)
        if self.saw_start:
            return _("Started {clock}, {age} ago").format(clock=clock, age=age)
        return _("Seen running since {clock} ({age})").format(clock=clock, age=age)


@dataclass(frozen=True, slots=True)
class RunWatch:
    """What the console remembers between renders about runs: the clock of the current one (or None), and
    whether it has seen the IPC not running."""

    run: RunClock | None = None
    seen_not_running: bool = False


def watch_run(prev: RunWatch, snapshot: Snapshot | None) -> RunWatch:
    """The next RunWatch after seeing `snapshot`."""
    if snapshot is None or snapshot.state is not UpdateState.RUNNING:
        return RunWatch(None, prev.seen_not_running or snapshot is not None)
    if prev.run is not None:
        return prev
    return RunWatch(
        RunClock(snapshot.received_at, snapshot.received_wall, prev.seen_not_running), prev.seen_not_running
    )
