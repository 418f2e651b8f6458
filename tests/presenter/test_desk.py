"""The console-local facts (hmi.ui.presenter.Desk) and the decisions the window used to make itself:
whether Install opens the sheet, whether a finished hold sends, what one render passes down. No Qt."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from hmi.core.client import ApprovalResult
from hmi.core.model import ApprovalIntent, ClientState, Health, approval_gate
from hmi.core.view import Severity
from hmi.ui import presenter as p
from tests.ui.states import client_state, info

from .test_presenter import IDS, Op, states

NOW = 1000.0
desks = st.builds(
    p.Desk,
    sending=st.one_of(st.none(), IDS),
    notice=st.one_of(st.none(), st.just(p.Notice("info", "Said.", Severity.NORMAL, None))),
    approvals_off=st.one_of(st.none(), st.just("The audit trail cannot be written.")),
)


@given(desks, states(), st.floats(0, 30), st.booleans())
def test_install_opens_the_sheet_only_when_the_gate_and_the_console_allow(
    desk: p.Desk, state: ClientState | None, later: float, sheet_open: bool
) -> None:
    now = NOW + later
    verdict = p.opening(desk, state, now, sheet_open=sheet_open)
    free = not sheet_open and desk.sending is None and not desk.approvals_off
    gate = approval_gate(state, now) if state is not None else None
    opens = free and gate is not None and gate.allowed and gate.version is not None
    assert (verdict.gate is not None) == opens
    assert verdict.closes_history == free  # a tap the console takes up closes the history in front
    if opens:
        assert verdict.gate == gate and verdict.notice == ""
    elif free and gate is not None:
        assert verdict.notice == gate.text  # the gate's reason, said under the button
    else:
        assert verdict.notice == ""  # a second tap, an approval under way, approvals off: nothing new to say


@given(desks, states(), st.floats(0, 200), st.floats(1, 120), st.booleans())
def test_a_finished_hold_sends_only_what_may_go_now(
    desk: p.Desk, state: ClientState | None, waited: float, timeout: float, retry: bool
) -> None:
    offered = state.snapshot.offered.version_id if state and state.snapshot and state.snapshot.offered else "1.5.0"
    intent = ApprovalIntent(offered, NOW, retry)
    now = NOW + waited
    verdict = p.confirmed(desk, intent, state, now, timeout)
    permits = state is not None and approval_gate(state, now).permits(offered)
    sends = not intent.expired(now, timeout) and permits and desk.sending is None and not desk.approvals_off
    assert (verdict.gate is not None) == sends
    if intent.expired(now, timeout):
        assert verdict.notice == p.NOTHING_SENT_TOO_OLD
    elif not permits or desk.sending is not None:
        assert verdict.notice == p.NOTHING_SENT_CHANGED


def test_sending_and_its_result_move_the_desk_and_say_it_once() -> None:
    state = client_state(info("available"))
    said = p.approval_started(p.Desk(), "1.5.0", state)
    assert said.desk.sending == "1.5.0" and said.severity is Severity.ACTIVE
    assert said.desk.notice is not None and said.desk.notice.text == "Sending the approval for 1.5.0…"
    assert said.line == "Approval for 1.5.0 sent by this console."
    done = p.approval_finished(said.desk, ApprovalResult.local("1.5.0", "Refused.", state), state)
    assert done.desk.sending is None and done.desk.notice == p.result_notice(
        ApprovalResult.local("1.5.0", "Refused.", state), state
    )
    assert done.line == done.desk.notice.text and done.severity is done.desk.notice.severity


@given(desks, states(), st.floats(0, 30), st.booleans(), st.booleans(), st.sampled_from([None, "operator", "viewer"]))
def test_one_render_is_the_parts_put_together(
    desk: p.Desk, state: ClientState | None, later: float, sheet_open: bool, signin: bool, role: str | None
) -> None:
    now, operator = NOW + later, (Op("Ann", role) if role else None)
    view = p.screen(desk, state, now, target="ipc:1", sheet_open=sheet_open, signin=signin, operator=operator)
    sending, off = desk.sending is not None, bool(desk.approvals_off)
    kept = p.notice_in_force(desk.notice, state, sending)
    assert view.desk == replace(desk, notice=kept, runs=p.watch_run(desk.runs, state.snapshot if state else None))
    assert view.action == p.action(state, now, sending=sending, sheet_open=sheet_open, approvals_off=off)
    assert view.hint == p.hint(kept, state, now, approvals_off=off, signin=signin, operator=operator)
    if state is None:
        assert view.health is Health.CONNECTING and view.headline == p.waiting_headline("ipc:1")
        assert "ipc:1" in view.headline.detail and not view.live
    else:
        assert view.health is state.connection.health(now) and view.live == (view.health is Health.ONLINE)


def test_waiting_names_the_target_or_a_question_mark() -> None:
    assert "127.0.0.1:1" in p.waiting_headline("127.0.0.1:1").detail
    assert "at ?." in p.waiting_headline("").detail
