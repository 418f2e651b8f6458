"""The console's decisions as pure functions (hmi.ui.presenter): no Qt, no qtbot."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmi.core import i18n
from hmi.core.client import ApprovalOutcome, ApprovalResult, audit_outcome
from hmi.core.errors import describe
from hmi.core.model import ClientState, approval_gate
from hmi.core.ports import AuditOutcome
from hmi.core.view import Severity
from hmi.ui import presenter as p
from tests.ui.states import LONG_ID, STATE, client_state, info

LOCALE = Path(__file__).resolve().parents[2] / "resources" / "locale"

STATES = st.sampled_from(sorted(STATE))
IDS = st.one_of(st.sampled_from(["1.5.0", "2.0.0", LONG_ID, ""]), st.text(max_size=130))


@st.composite
def states(draw: st.DrawFn) -> ClientState | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    msg = info(
        draw(STATES),
        current=draw(st.one_of(st.none(), IDS)),
        available=draw(st.one_of(st.none(), IDS)),
        step=draw(st.one_of(st.none(), st.integers(0, 12))),
        total=draw(st.one_of(st.none(), st.integers(0, 12))),
    )
    return client_state(
        msg,
        age=draw(st.floats(0, 30)),
        failed=draw(st.booleans()),
        in_flight=draw(st.booleans()),
    )


class Op:
    def __init__(self, name: str, role: str) -> None:
        self.name, self.role = name, role

    @property
    def may_approve(self) -> bool:
        return self.role == "operator"


def test_presenter_imports_without_qt() -> None:
    code = (
        "import sys, hmi.ui.presenter\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# -- ids in sentences ---------------------------------------------------------------------------------------
@given(IDS)
def test_sentence_id_is_bounded_and_keeps_both_ends(version_id: str) -> None:
    shown = p.sentence_id(version_id)
    assert len(shown) <= p.SENTENCE_ID_MAX
    assert "\n" not in shown
    if len(shown) == p.SENTENCE_ID_MAX - 2 * p.SENTENCE_ID_KEEP + 2 * p.SENTENCE_ID_KEEP and "…" in shown:
        assert shown.count("…") >= 1


def test_sentence_id_shortens_in_the_middle() -> None:
    assert p.sentence_id("1.5.0") == "1.5.0"
    shown = p.sentence_id(LONG_ID)
    assert shown == LONG_ID[:22] + "…" + LONG_ID[-22:] and len(shown) == 45


def test_sentence_id_uses_the_snapshots_display_form() -> None:
    state = client_state(info(available="1.5.0\u202e"))
    assert state.snapshot is not None and state.snapshot.available is not None
    assert p.sentence_id("1.5.0\u202e", state.snapshot) == state.snapshot.available.display_id


# -- notices -------------------------------------------------------------------------------------------------
@given(states(), states(), st.booleans())
def test_a_notice_lasts_exactly_while_its_ipc_state_does(
    said_in: ClientState | None, now_in: ClientState | None, sending: bool
) -> None:
    shown = p.notice("info", "Hello.", said_in)
    assert shown is not None
    kept = p.notice_in_force(shown, now_in, sending)
    assert (kept is shown) == (sending or p.state_key(said_in) == p.state_key(now_in))
    assert kept is None or kept is shown


def test_no_text_no_notice() -> None:
    assert p.notice("info", "", client_state(info())) is None
    assert p.notice_in_force(None, None, False) is None


def test_the_offer_changing_expires_a_notice() -> None:
    shown = p.notice("success", "Approved 1.5.0.", client_state(info("available")))
    assert p.notice_in_force(shown, client_state(info("available")), False) is shown
    assert p.notice_in_force(shown, client_state(info("running")), False) is None
    assert p.notice_in_force(shown, client_state(info("available", available="1.6.0")), False) is None


@pytest.mark.parametrize(
    ("outcome", "icon", "severity", "words"),
    [
        (ApprovalOutcome.APPROVED, "success", Severity.NORMAL, "Approved 1.5.0."),
        (ApprovalOutcome.REFUSED, "info", Severity.ATTENTION, "Not installed: why"),
        (ApprovalOutcome.NOT_OFFERED, "info", Severity.ATTENTION, "Not installed: why"),
        (ApprovalOutcome.REFUSED_LOCALLY, "info", Severity.ATTENTION, "Not installed: why"),
        (ApprovalOutcome.IN_FLIGHT, "info", Severity.ATTENTION, "why"),
        (ApprovalOutcome.UNREACHABLE, "warning", Severity.DEGRADED, "did not reach the IPC. why"),
        (ApprovalOutcome.UNKNOWN, "warning", Severity.DEGRADED, "It is not known whether"),
        (ApprovalOutcome.AUTH, "fault", Severity.ALARM, "why"),
        (ApprovalOutcome.ERROR, "fault", Severity.ALARM, "why"),
    ],
)
def test_each_outcome_has_its_icon_severity_and_words(
    outcome: ApprovalOutcome, icon: str, severity: Severity, words: str
) -> None:
    state = client_state(info())
    shown = p.result_notice(ApprovalResult.local("1.5.0", "why", state, outcome), state)
    assert (shown.icon, shown.severity) == (icon, severity)
    assert words in shown.text
    assert shown.key == p.state_key(state)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("code", [None, *(c.name for c in grpc.StatusCode)])
def test_an_unknown_outcome_says_not_known_once(code: str | None, lang: str) -> None:
    """Whatever code left the outcome unknown, the notice says "not known" once, with the code's reason (none for
    an interrupted send), and never the client's terminal sentence as well."""
    state = client_state(info())
    client_says = "The IPC cannot be reached. It is not known whether 1.5.0 was approved; check the IPC's state."
    result = ApprovalResult.local("1.5.0", client_says, state, ApprovalOutcome.UNKNOWN)
    result = dataclasses.replace(result, code=code)
    i18n.set_language(lang, LOCALE)
    try:
        text = p.result_notice(result, state).text
        reason = describe(code or "UNKNOWN").operator
    finally:
        i18n.set_language("en")
    not_known = "unbekannt" if lang == "de" else "not known"
    assert text.count(not_known) == 1 and "  " not in text and "check the IPC" not in text
    assert (reason in text) == (code != "CANCELLED")


def test_an_approval_already_running_is_said_in_one_short_line() -> None:
    running = client_state(info("running", step=1, total=7, description="Download"))
    result = ApprovalResult.local(
        "1.5.0", "Approved 1.5.0. The IPC is installing it.", running, ApprovalOutcome.APPROVED
    )
    assert p.result_notice(result, running).text == "Approved 1.5.0."
    waiting = client_state(info("available"))
    result = ApprovalResult.local("1.5.0", "x", waiting, ApprovalOutcome.APPROVED)
    assert p.result_notice(result, waiting).text == "Approved 1.5.0. The update starts; this screen follows it."


def test_every_outcome_is_covered_and_converts_to_one_audit_outcome() -> None:
    state = client_state(info())
    for outcome in ApprovalOutcome:
        assert p.result_notice(ApprovalResult.local("1.5.0", "x", state, outcome), state).text
        assert isinstance(audit_outcome(outcome), AuditOutcome)
    assert audit_outcome(ApprovalOutcome.REFUSED_LOCALLY) == "refused-locally"


def test_local_results_send_nothing() -> None:
    state = client_state(info())
    result = ApprovalResult.local("1.5.0", "Viewers cannot approve updates.", state)
    assert (result.outcome, result.sends, result.record_id, result.code) == (
        ApprovalOutcome.REFUSED_LOCALLY,
        0,
        None,
        None,
    )
    assert result.exit_code == 3


@given(states(), st.floats(0, 30), st.booleans(), st.booleans(), st.sampled_from([None, "operator", "viewer"]))
def test_hint_follows_the_gate(
    state: ClientState | None, later: float, off: bool, signin: bool, role: str | None
) -> None:
    operator = Op("Ann", role) if role else None
    line = p.hint(None, state, 1000.0 + later, approvals_off=off, signin=signin, operator=operator)
    if off or state is None or state.snapshot is None:
        assert line == p.Hint("", "", False)
        return
    assert not line.closable
    if line.text and state.snapshot.state.value != "running":
        gate = approval_gate(state, 1000.0 + later)
        assert ("An operator signs in on the next screen." in line.text) == (
            gate.allowed and signin and not (operator and operator.may_approve)
        )


def test_a_notice_wins_over_the_gate_and_approvals_off_over_both() -> None:
    state = client_state(info())
    shown = p.notice("info", "Said.", state)
    assert p.hint(shown, state, 1000.0, approvals_off=False, signin=False, operator=None) == p.Hint(
        "info", "Said.", True
    )
    assert p.hint(shown, state, 1000.0, approvals_off=True, signin=False, operator=None) == p.Hint("", "", False)


# -- the Install button --------------------------------------------------------------------------------------
@given(states(), st.floats(0, 30), st.booleans(), st.booleans(), st.booleans())
def test_install_is_enabled_only_when_the_gate_and_the_console_allow(
    state: ClientState | None, later: float, sending: bool, sheet_open: bool, off: bool
) -> None:
    now = 1000.0 + later
    view = p.action(state, now, sending=sending, sheet_open=sheet_open, approvals_off=off)
    allowed = state is not None and approval_gate(state, now).allowed
    assert view.enabled == (allowed and not sending and not sheet_open and not off)
    assert view.label.startswith("Install")
    assert 0 <= view.keep <= len(view.label)
    assert view.keep + view.keep_end <= len(view.label)


@pytest.mark.parametrize("lang", [*i18n.LANGUAGES, i18n.PSEUDO])
@given(st.one_of(st.just(LONG_ID), st.from_regex(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,29}", fullmatch=True)))
def test_install_names_the_offered_version_with_the_whole_verb_in_every_language(lang: str, version: str) -> None:
    """The words may stand before or after the id ("{v} installieren"): the label is the whole translated
    sentence, and what the button may shorten (between keep and keep_end) is exactly the id as shown."""
    state = client_state(info("available", available=version))
    snap = state.snapshot
    assert snap is not None and snap.offered is not None
    i18n.set_language(lang)
    try:
        view = p.action(state, 1000.0, sending=False, sheet_open=False, approvals_off=False)
        shown = snap.offered.display_id
        assert view.label == i18n._("Install {v}").format(v=shown)
        assert view.label[view.keep : len(view.label) - view.keep_end] == shown
    finally:
        i18n.set_language("en")


# -- the confirmation sheet ----------------------------------------------------------------------------------
@given(states(), st.floats(0, 200), st.floats(1, 120))
def test_a_sheet_stays_only_while_its_version_may_be_approved_and_time_is_left(
    state: ClientState | None, waited: float, timeout: float
) -> None:
    shown_state = client_state(info())
    assert shown_state.snapshot is not None and shown_state.snapshot.available is not None
    shown = shown_state.snapshot.available
    now = 1000.0 + waited
    verdict = p.sheet_verdict(state, shown, 1000.0, now, timeout)
    permits = state is not None and approval_gate(state, now).permits(shown.version_id)
    assert verdict.stays == (permits and waited < timeout)
    if verdict.stays:
        assert 0.0 < verdict.remaining <= timeout
    else:
        assert verdict.close_reason and "Nothing was sent" in verdict.close_reason


def test_sheet_close_reasons() -> None:
    state = client_state(info())
    assert state.snapshot is not None and state.snapshot.available is not None
    shown = state.snapshot.available
    changed = p.sheet_verdict(client_state(info(available="1.6.0")), shown, 1000.0, 1000.0, 60)
    assert (
        changed.close_reason is not None and "changed to 1.6.0 while you were confirming 1.5.0" in changed.close_reason
    )
    gone = p.sheet_verdict(client_state(info("up-to-date", available=None)), shown, 1000.0, 1000.0, 60)
    assert gone.close_reason == "The IPC no longer offers 1.5.0. Nothing was sent."
    stale = p.sheet_verdict(client_state(info(), age=10, now=1010.0), shown, 1000.0, 1010.0, 60)
    assert stale.close_reason is not None and "not live" in stale.close_reason
    late = p.sheet_verdict(client_state(info(), now=1060.0), shown, 1000.0, 1060.0, 60)
    assert late.close_reason == "The confirmation closed after 60 s without a decision. Nothing was sent."
    assert p.sheet_verdict(state, shown, 1000.0, 1020.0 - 20, 60).remaining == 60


# -- a running update's clock --------------------------------------------------------------------------------
@given(st.lists(st.sampled_from(["running", "available", "none"]), max_size=12))
def test_run_clock_starts_at_the_first_running_answer_and_says_started_only_when_seen(seq: list[str]) -> None:
    watch = p.RunWatch()
    seen_other = False
    seen_other_at_start = False
    run_began: float | None = None
    for i, kind in enumerate(seq):
        state = None if kind == "none" else client_state(info(kind), now=1000.0 + i)
        snap = state.snapshot if state else None
        watch = p.watch_run(watch, snap)
        if kind == "running":
            run_began = 1000.0 + i if run_began is None else run_began
            assert watch.run is not None and watch.run.mono == run_began
            assert watch.run.saw_start == seen_other_at_start
        else:
            assert watch.run is None
            run_began = None
        if kind != "running":
            seen_other = seen_other or snap is not None
        if run_began is None:
            seen_other_at_start = seen_other
        assert watch.seen_not_running == seen_other


def test_run_clock_words() -> None:
    started = p.RunClock(1000.0, 1_700_000_000.0, True)
    assert started.text(1090.0).startswith("Started ") and started.text(1090.0).endswith("1 min 30 s ago")
    assert p.RunClock(1000.0, 1_700_000_000.0, False).text(1005.0).startswith("Seen running since ")


# -- words written once --------------------------------------------------------------------------------------
def test_idle_and_roles() -> None:
    assert p.idle_text(120) == "2 min"
    assert p.idle_text(90) == "1 min 30 s"
    assert p.role_text("operator") == "operator" and p.role_text("anything") == "viewer"
    assert p.signed_in_text(None) == "Not signed in"
    assert p.signed_in_text(Op("Ann\x07", "operator")) == "Signed in: Ann (operator)"
    assert (
        p.viewer_signed_in_text(Op("Vera", "viewer"))
        == "Vera is signed in as a viewer. Viewers cannot approve updates."
    )
    assert p.not_sent(p.VIEWERS_CANNOT_APPROVE, "1.5.0") == "Viewers cannot approve updates. 1.5.0 was not sent."


def test_an_approval_that_reached_the_ipc_and_failed_at_once_is_a_warning_in_its_own_words() -> None:
    fault = client_state(info("fault"))
    said = p.result_notice(
        ApprovalResult.local("1.5.0", "It reached the IPC and failed.", fault, ApprovalOutcome.APPROVED), fault
    )
    assert (said.icon, said.severity, said.text) == ("warning", Severity.ATTENTION, "It reached the IPC and failed.")
    expired = p.result_notice(ApprovalResult.local("1.5.0", "Too old.", fault, ApprovalOutcome.EXPIRED), fault)
    assert expired.text.startswith("Not installed: Too old.")
