"""Maintenance windows in the console's decisions (hmi.ui.presenter): outside a window Install is off and says
when approving is allowed; a running update is never affected."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hmi.core.model import approval_gate
from hmi.ui import presenter as p
from tests.presenter.test_presenter import states
from tests.ui.states import client_state, info

CLOSED = "Approvals are allowed from Sat 06:00; next in 2 h 10 min."
NOW = 1000.0


def test_outside_a_window_install_is_off_with_the_reason() -> None:
    state = client_state(info("available"))
    view = p.action(state, NOW, sending=False, sheet_open=False, approvals_off=False, closed=CLOSED)
    assert view.visible and not view.enabled and view.description == CLOSED
    assert p.hint(None, state, NOW, approvals_off=False, signin=False, operator=None, closed=CLOSED).text == CLOSED
    opening = p.opening(p.Desk(), state, NOW, sheet_open=False, closed=CLOSED)
    assert opening.gate is None and opening.notice == CLOSED
    # Inside a window: as before.
    assert p.action(state, NOW, sending=False, sheet_open=False, approvals_off=False, closed=None).enabled
    assert p.opening(p.Desk(), state, NOW, sheet_open=False).gate is not None


def test_a_running_update_is_never_affected() -> None:
    state = client_state(info("running", step=2, total=5))
    view = p.action(state, NOW, sending=False, sheet_open=False, approvals_off=False, closed=CLOSED)
    assert not view.visible and CLOSED not in view.description
    line = p.hint(None, state, NOW, approvals_off=False, signin=False, operator=None, closed=CLOSED)
    assert line.text == ""
    screen = p.screen(p.Desk(), state, NOW, target="t", sheet_open=False, signin=False, operator=None, closed=CLOSED)
    assert screen.headline == p.screen(p.Desk(), state, NOW, target="t", sheet_open=False, signin=False,
                                       operator=None).headline  # fmt: skip


@given(states(), st.booleans(), st.booleans())
def test_closed_only_ever_takes_away(state, sending: bool, sheet_open: bool) -> None:
    """Whatever the state: a closed window never enables Install, and its words replace only an allowing gate's."""
    open_ = p.action(state, NOW, sending=sending, sheet_open=sheet_open, approvals_off=False)
    shut = p.action(state, NOW, sending=sending, sheet_open=sheet_open, approvals_off=False, closed=CLOSED)
    assert not shut.enabled and shut.visible == open_.visible and shut.label == open_.label
    allowed = state is not None and approval_gate(state, NOW).allowed
    assert (shut.description == CLOSED) == allowed or open_.description == CLOSED


OPEN_UNTIL = "Approvals until Sat 14:00."


@given(states(), st.sampled_from([None, CLOSED]))
def test_until_when_is_said_only_where_approving_is_allowed(state, closed) -> None:
    """Inside a window the hint adds until when, to an allowing gate's words only; a closed window's reason and a
    gate that does not allow are never followed by it."""
    plain = p.hint(None, state, NOW, approvals_off=False, signin=False, operator=None, closed=closed)
    said = p.hint(
        None, state, NOW, approvals_off=False, signin=False, operator=None, closed=closed, open_until=OPEN_UNTIL
    )
    allowed = state is not None and state.snapshot is not None and approval_gate(state, NOW).allowed
    if allowed and closed is None and plain.text:
        assert said.text == plain.text + " " + OPEN_UNTIL
    else:
        assert said == plain
