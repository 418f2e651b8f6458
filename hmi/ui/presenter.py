"""What the console decides, as pure functions to frozen values: no Qt here (import-linter enforces it).

The window and its children only draw what these return. Inputs are the client state and the few facts only
the console knows (when a sheet opened, which notice is shown, when a run was first seen), plus the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Protocol

from hmi.core.client import ApprovalOutcome, ApprovalResult
from hmi.core.errors import CANNOT_BE_REACHED, describe
from hmi.core.i18n import N_, _, format_stamp
from hmi.core.model import (
    ApprovalGate,
    ApprovalIntent,
    ClientState,
    Health,
    Snapshot,
    UpdateState,
    Version,
    approval_gate,
    clean_line,
    display_id,
)
from hmi.core.progress import DEFAULT_RESTART_GRACE, Estimate, Liveness, Status, liveness, stuck_change
from hmi.core.progress import STUCK_ENDED as STUCK_ENDED  # the timeline's words; the CLI says the same
from hmi.core.shelve import Choice, Return, Shelf, in_force, shelvable
from hmi.core.view import INSTALLING, Headline, Severity, format_age, headline, progress_text

SENTENCE_ID_MAX = 48  # a version id in a sentence is shortened in the middle beyond this
SENTENCE_ID_KEEP = 22  # characters kept on each side of the "…"
NAME_MAX = 40  # an operator's name on screen


DEMO_TITLE = N_("DEMO — simulated IPC")  # the window title and the demo drawer


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
    STEP = "step"  # a step took much longer than on earlier updates (issue 14)
    SHELVE = "shelve"  # the offer's reminder shelved or back (issue 15; never in the audit trail)


class SignInChange(enum.StrEnum):
    """Why the signed-in operator changed (as hmi.ui.controller reports it through `signinChanged`)."""

    SIGNED_IN = "signed-in"
    SIGNED_OUT = "signed-out"
    IDLE = "idle"


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
NO_NOTES = N_("This version has no update notes.")
UNRECORDED = N_("The audit trail is off (--no-audit): approvals are not recorded.")


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
    until: float | None = None  # monotonic time it goes at the latest (None: only when the state moves on)


# "Approved 1.5.0. The update starts; this screen follows it." is said for this long, then only the timeline keeps
# it: through a whole update (whose state does not move on) it took the room of the progress and the estimate
# under Install, which on an 800×480 panel cut both to half lines (seen in the German demo).
APPROVED_NOTICE_SECONDS = 15.0


def notice(icon: str, text: str, state: ClientState | None, severity: Severity = Severity.NORMAL) -> Notice | None:
    """A notice said now, in `state`; None for no text."""
    return Notice(icon, text, severity, state_key(state)) if text else None


def notice_in_force(
    shown: Notice | None, state: ClientState | None, sending: bool, now: float | None = None
) -> Notice | None:
    """The notice still shown: it expires when the IPC state moves on, or at its `until` (monotonic `now`),
    except while an approval is sent."""
    if shown is None or sending:
        return shown
    if shown.until is not None and now is not None and now >= shown.until:
        return None
    return shown if state_key(state) == shown.key else None


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
        if result.state.snapshot and result.state.snapshot.state is UpdateState.RUNNING:
            # The headline and the progress already say it runs: one short line leaves them their room.
            text = _("Approved {v}.").format(v=version)
        else:
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
            v=version, why=message or _(CANNOT_BE_REACHED)
        )
    elif outcome is ApprovalOutcome.UNKNOWN:
        icon, severity = "warning", Severity.DEGRADED
        # The client's message says the whole thing for a terminal ("… It is not known whether 1.5.0 was approved;
        # check the IPC's state."); here only its reason goes between the console's own two sentences, so the
        # notice says "not known" once. An interrupted send (CANCELLED) needs no reason.
        why = "" if result.code == "CANCELLED" else describe(result.code or "UNKNOWN").operator
        text = _(
            "It is not known whether the IPC received the approval for {v}. {why} "
            "Watch the state here before approving again."
        ).format(v=version, why=why)
        text = text.replace("  ", " ") if not why else text
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
    closed: str | None = None,
    open_until: str | None = None,
) -> Hint:
    """`closed`: why approving is outside the maintenance windows now (hmi.core.windows), or None; `open_until`:
    inside one, until when approving is allowed ("Approvals until Sat 14:00."), or None."""
    if approvals_off:  # the banner above says it in full; nothing else matters while it lasts
        return Hint("", "", False)
    if shown is not None:
        return Hint(shown.icon, shown.text, True)
    if state is None or state.snapshot is None or state.snapshot.state is UpdateState.RUNNING:
        return Hint("", "", False)
    gate = approval_gate(state, now)
    if gate.allowed and closed:  # something to approve, but not now: when it will be allowed
        return Hint("info", closed, False)
    text = _("The last update failed. Installing it again retries it.") if gate.allowed and gate.is_retry else gate.text
    if gate.allowed and open_until:  # before the sign-in sentence: on a small panel that one is cut first
        text += " " + open_until
    if gate.allowed and signin and not (operator and operator.may_approve):
        text += " " + _("An operator signs in on the next screen.")
    return Hint("info", text, False)


# -- the Install button --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Action:
    """The Install button: label (its first `keep` and last `keep_end` characters, the words around the version
    id, are never elided), enabled, visible, why."""

    label: str
    keep: int
    enabled: bool
    visible: bool
    description: str
    keep_end: int = 0


def action(
    state: ClientState | None,
    now: float,
    *,
    sending: bool,
    sheet_open: bool,
    approvals_off: bool,
    closed: str | None = None,
) -> Action:
    """`closed`: why approving is outside the maintenance windows now; Install is then off, saying so. It never
    touches a running update (the gate allows nothing then, and the button is hidden)."""
    snap = state.snapshot if state else None
    running = snap is not None and snap.state is UpdateState.RUNNING
    if state is None:
        return Action(_("Install update"), 0, False, not running, "")
    gate = approval_gate(state, now)
    named = gate.version or (snap.offered if snap else None)
    enabled = gate.allowed and not sending and not sheet_open and not approvals_off and not closed
    why = closed if gate.allowed and closed else gate.text
    if named is None:
        return Action(_("Install update"), 0, enabled, not running, why)
    # The words may stand before or after the id ("Install {v}", "{v} installieren"): both sides are kept.
    head, _v, tail = _("Install {v}").partition("{v}")
    return Action(head + named.display_id + tail, len(head), enabled, not running, why, len(tail))


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


def window_closed_verdict(closed: str) -> str:
    """Why an open confirmation closes when the maintenance window closes under it (nothing was sent)."""
    return _("The confirmation closed: {why} Nothing was sent.").format(why=closed)


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
        clock = format_stamp(self.wall, self.wall + max(0.0, now - self.mono))  # with the date from the next day on
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


# -- what only this console knows, and how it changes -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Desk:
    """The console-local facts the window keeps between renders: the version id of an approval on its way
    (between approvalStarted and approvalFinished), the notice in force, the run watch, and why approvals
    are off (the audit trail cannot be written), if they are."""

    sending: str | None = None
    notice: Notice | None = None
    runs: RunWatch = RunWatch()
    approvals_off: str | None = None


def with_notice(desk: Desk, icon: str, text: str, state: ClientState | None) -> Desk:
    return replace(desk, notice=notice(icon, text, state))


@dataclass(frozen=True, slots=True)
class Said:
    """A desk after an event, and the sentence for the timeline (empty: nothing to note)."""

    desk: Desk
    line: str = ""
    severity: Severity = Severity.NORMAL


def approval_started(desk: Desk, version_id: str, state: ClientState | None) -> Said:
    shown = sentence_id(version_id, state.snapshot if state else None)
    said = _("Sending the approval for {v}…").format(v=shown)
    desk = replace(desk, sending=version_id, notice=notice("info", said, state))
    return Said(desk, _("Approval for {v} sent by this console.").format(v=shown), Severity.ACTIVE)


def approval_finished(desk: Desk, result: ApprovalResult, state: ClientState | None, now: float | None = None) -> Said:
    """The result in the notice under Install and in the timeline. An approval that went through is said for
    APPROVED_NOTICE_SECONDS from `now` (monotonic); the update's own progress takes over from there."""
    shown = result_notice(result, state)
    if now is not None and result.outcome is ApprovalOutcome.APPROVED and shown.severity is Severity.NORMAL:
        shown = replace(shown, until=now + APPROVED_NOTICE_SECONDS)
    return Said(replace(desk, sending=None, notice=shown), shown.text, shown.severity)


@dataclass(frozen=True, slots=True)
class Opening:
    """Whether Install opens the confirmation now (or a hold sends): `gate` (with its version) when it does;
    otherwise `notice` says why not (empty: nothing to say, e.g. a second tap while one is being sent).
    `closes_history`: the tap was taken up, so the history view in front closes."""

    gate: ApprovalGate | None
    notice: str = ""
    closes_history: bool = False


def opening(
    desk: Desk, state: ClientState | None, now: float, *, sheet_open: bool, closed: str | None = None
) -> Opening:
    """`closed`: the maintenance-window sentence when approving is not allowed now (the sheet does not open)."""
    if sheet_open or desk.sending is not None or desk.approvals_off:
        return Opening(None)
    if state is None:
        return Opening(None, closes_history=True)
    gate = approval_gate(state, now)
    if not gate.allowed or gate.version is None:
        return Opening(None, gate.text, closes_history=True)
    if closed:
        return Opening(None, closed, closes_history=True)
    return Opening(gate, closes_history=True)


def confirmed(desk: Desk, intent: ApprovalIntent, state: ClientState | None, now: float, timeout: float) -> Opening:
    """A finished hold, checked again (the controller and the client check once more): a hold that ends after
    the data went stale, the offer changed or the confirmation's time ran out sends nothing. `gate` is set
    when it goes out."""
    if intent.expired(now, timeout):
        return Opening(None, _(NOTHING_SENT_TOO_OLD))
    gate = approval_gate(state, now) if state is not None else None
    if gate is None or not gate.permits(intent.version_id) or desk.sending is not None:
        return Opening(None, _(NOTHING_SENT_CHANGED))
    if desk.approvals_off:
        return Opening(None)
    return Opening(gate)


@dataclass(frozen=True, slots=True)
class Screen:
    """Everything the window passes down in one render, and the desk after it (notice expired, run watched)."""

    desk: Desk
    headline: Headline
    health: Health
    action: Action
    hint: Hint
    liveness: str = ""  # the status bar during an update: "IPC answered 1 s ago"

    @property
    def live(self) -> bool:
        return self.health is Health.ONLINE


def waiting_headline(target: str) -> Headline:
    """The headline before the first answer."""
    waiting = _("Waiting for the first answer from the IPC at {t}.").format(t=target or "?")
    return Headline("connecting", _("Connecting…"), waiting, Severity.DEGRADED)


def screen(
    desk: Desk,
    state: ClientState | None,
    now: float,
    *,
    target: str,
    sheet_open: bool,
    signin: bool,
    operator: OperatorLike | None,
    restart_grace: float = DEFAULT_RESTART_GRACE,
    closed: str | None = None,
    open_until: str | None = None,
) -> Screen:
    """`closed`: why approving is outside the maintenance windows now (None: inside one, or none configured);
    `open_until`: inside one, the sentence until when (None: outside, never closing, or none configured)."""
    if state is None:
        line, health = waiting_headline(target), Health.CONNECTING
    else:
        line, health = console_headline(state, now, restart_grace), state.connection.health(now)
    sending, off = desk.sending is not None, bool(desk.approvals_off)
    desk = replace(
        desk,
        runs=watch_run(desk.runs, state.snapshot if state else None),
        notice=notice_in_force(desk.notice, state, sending, now),
    )
    button = action(state, now, sending=sending, sheet_open=sheet_open, approvals_off=off, closed=closed)
    line_under = hint(
        desk.notice,
        state,
        now,
        approvals_off=off,
        signin=signin,
        operator=operator,
        closed=closed,
        open_until=open_until,
    )
    return Screen(desk, line, health, button, line_under, liveness_text(state, now, restart_grace))


# -- a long update: estimate, stuck step, liveness (issue 14; rules in hmi.core.progress) --------------------
STUCK_ICON = "stuck-step"


@dataclass(frozen=True, slots=True)
class ProgressView:
    """The progress area of a running update.

    `step`: "Step 3 of 7 · Migrating the database — usually about 2 min here (3 earlier updates), running for
    1 min 40 s" (only the step when there is nothing to compare with); `estimate`: "About 6 to 9 min left",
    "No earlier update to compare with; …" or ""; `warning`: the stuck-step words, shown amber with `icon`.
    """

    step: str
    estimate: str
    stuck: bool
    warning: str
    icon: str


def progress_view(snapshot: Snapshot | None, estimate: Estimate | None) -> ProgressView:
    """What the progress area says, from the last snapshot and the estimate made at the last poll."""
    progress = snapshot.progress if snapshot is not None else None
    step = progress_text(progress) or _(INSTALLING)
    if estimate is None or estimate.status is Status.IDLE:
        return ProgressView(step, "", False, "", "")
    if estimate.stuck:  # the warning says how long the step usually takes and how long it runs now
        return ProgressView(step, "", True, estimate.stuck_text, STUCK_ICON)
    if estimate.status is Status.ESTIMATE:
        step = _("{step} — {estimate}").format(step=step.rstrip("."), estimate=estimate.step_text)
        line = estimate.remaining_text
    else:
        line = estimate.step_text  # nothing to compare with, or the IPC's counts do not add up
    return ProgressView(step, line, False, "", "")


def stuck_note(previous: Estimate | None, current: Estimate) -> str | None:
    """The timeline's words when the stuck state starts or ends, else None."""
    change = stuck_change(previous, current)
    if change == "started":
        return current.stuck_text
    if change == "ended":
        return _(STUCK_ENDED)
    return None


def update_running(state: ClientState | None) -> bool:
    """The last data said an update runs (also while the IPC does not answer)."""
    snap = state.snapshot if state else None
    return snap is not None and snap.state is UpdateState.RUNNING


def liveness_text(state: ClientState | None, now: float, restart_grace: float = DEFAULT_RESTART_GRACE) -> str:
    """The status bar during an update: "IPC answered 1 s ago" (refreshed each second); "" when none runs."""
    if state is None:
        return ""
    return liveness(state.connection, now, update_running(state), restart_grace).status_text


def console_headline(state: ClientState, now: float, restart_grace: float = DEFAULT_RESTART_GRACE) -> Headline:
    """The headline, except that an IPC unreachable mid-update is "restarting" for `restart_grace` seconds
    before the usual connection-trouble warning (it restarts as part of many updates)."""
    live = liveness(state.connection, now, update_running(state), restart_grace)
    if live.kind is not Liveness.RESTARTING or state.snapshot is None:
        return headline(state, now)
    last = progress_text(state.snapshot.progress) or _(INSTALLING)
    detail = _("{status}. Last known: {progress}").format(status=live.status_text, progress=last)
    return Headline("restarting", live.headline, detail, Severity.ACTIVE)


# -- "Remind me later": a shelved offer (issue 15; rules in hmi.core.shelve) ----------------------------------
SHELVED_KIND = "update-shelved"  # the headline's kind (icon and test hook) while the reminder is shelved
REMIND_LATER = N_("Remind me later")
REMIND_NOW = N_("Remind me now")


@dataclass(frozen=True, slots=True)
class ShelveView:
    """The shelving button under Install: shown or not, shelved or not, its words ("Remind me later" or "Remind
    me now"), and the line saying so ("Reminder shelved until 14:00 by anna."; empty while not shelved), which
    the headline shows."""

    visible: bool
    shelved: bool
    text: str
    button: str


def shelved_by_text(clock: str, by: str | None) -> str:
    if by:
        return _("Reminder shelved until {clock} by {name}.").format(clock=clock, name=clean_line(by, NAME_MAX))
    return _("Reminder shelved until {clock} (nobody signed in).").format(clock=clock)


def shelve_view(shelf: Shelf | None, snapshot: Snapshot | None, live: bool, wall: float, clock: str) -> ShelveView:
    """What the row shows: only for a live offer of an available update; `clock` is the shelf's end as HH:MM."""
    if not live or not shelvable(snapshot):
        return ShelveView(False, False, "", _(REMIND_LATER))
    if in_force(shelf, snapshot, wall):
        assert shelf is not None
        return ShelveView(True, True, shelved_by_text(clock, shelf.by), _(REMIND_NOW))
    return ShelveView(True, False, "", _(REMIND_LATER))


def shelved_headline(
    line: Headline, shelf: Shelf | None, snapshot: Snapshot | None, wall: float, clock: str
) -> Headline:
    """The offer's headline in the neutral tone while its reminder is shelved, saying until when (`clock`) and
    by whom. Only a live offer is ever calmed: any other headline (running, fault, not live, unknown) is
    returned as it is."""
    if line.kind != "update-available" or not in_force(shelf, snapshot, wall) or shelf is None:
        return line
    # The shelf's line first: with a long version id the detail is shortened at its end (the ids are in full below).
    detail = shelved_by_text(clock, shelf.by) + " " + line.detail
    return Headline(SHELVED_KIND, _("Update available: reminder shelved"), detail, Severity.NORMAL)


def shelved_note(shelf: Shelf, clock: str, snapshot: Snapshot | None = None) -> str:
    """The timeline's words when a reminder is shelved."""
    v = sentence_id(shelf.version_id, snapshot)
    if shelf.by:
        return _("Reminder for {v} shelved until {clock} by {name}.").format(
            v=v, clock=clock, name=clean_line(shelf.by, NAME_MAX)
        )
    return _("Reminder for {v} shelved until {clock} (nobody signed in).").format(v=v, clock=clock)


def back_note(shelf: Shelf, why: Return, snapshot: Snapshot | None = None, by: str | None = None) -> str:
    """The timeline's words when a shelved reminder comes back, and why."""
    v = sentence_id(shelf.version_id, snapshot)
    if why is Return.TIME_UP:
        return _("Reminder for {v} is back: the shelving time is up.").format(v=v)
    if why is Return.NEW_VERSION:
        offered = snapshot.offered if snapshot is not None and snapshot.state is UpdateState.UPDATE_AVAILABLE else None
        if offered is not None:
            return _("Reminder is back: {new} is offered now instead of the shelved {v}.").format(
                new=sentence_id(offered.version_id, snapshot), v=v
            )
        return _("Shelving of {v} ended: the IPC no longer offers it.").format(v=v)
    if why is Return.NOT_OFFERED:
        return _("Shelving of {v} ended: the IPC no longer offers it.").format(v=v)
    if by:
        return _("Reminder for {v} is back: un-shelved by {name}.").format(v=v, name=clean_line(by, NAME_MAX))
    return _("Reminder for {v} is back: un-shelved.").format(v=v)


def shelve_choice_text(choice: Choice, clock: str = "") -> str:
    """A button of the chooser: "For 1 hour", "For 4 hours", "Until end of shift (14:00)"."""
    if choice is Choice.ONE_HOUR:
        return _("For 1 hour")
    if choice is Choice.FOUR_HOURS:
        return _("For 4 hours")
    return _("Until end of shift ({clock})").format(clock=clock)
