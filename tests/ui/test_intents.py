"""Issue 9 on the console: ids travel as Python objects, the sheet spells out every id whose visible form differs
from its raw form, and the confirmation's age is checked at the moment of sending."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core.client import ApprovalResult
from hmi.core.model import ApprovalIntent
from hmi.ui.sheet import visible_id

from .states import client_state, info
from .test_window import clock, hold_confirm, make_view, view  # noqa: F401  (fixtures)

# Characters that look like nothing, like a space, or like another character.
_TAGS = [chr(c) for c in range(0xE0000, 0xE0080)]
_NONCHARS = [chr(c) for c in (*range(0xFDD0, 0xFDF0), 0xFFFE, 0xFFFF, 0x1FFFE, 0x10FFFF)]
_NAMED = ["\u00a0", "\u00ad", "\u2060", "\ufeff", "\u200d", "\u2009", "\u3000", "\ue000", "\U000f0000"]
hidden = st.sampled_from(_TAGS + _NONCHARS + _NAMED) | st.characters(categories=("Cf", "Co", "Cn"))


def _must_spell(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp") or (ch.isspace() and ch != " ")


@given(prefix=st.text("0123456789.", max_size=5), ch=hidden, suffix=st.text("0123456789.abc", max_size=5))
def test_every_hidden_character_is_spelled_out(prefix: str, ch: str, suffix: str) -> None:
    raw = prefix + ch + suffix
    shown = visible_id(raw)
    assert ch not in shown and f"U+{ord(ch):04X}" in shown
    assert not any(_must_spell(c) for c in shown if c not in "⟨⟩")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ch=hidden, where=st.sampled_from(["lead", "mid", "trail"]))
def test_the_sheet_shows_the_spelled_form_warns_and_sends_the_raw_id(view, qtbot, ch: str, where: str) -> None:  # noqa: F811
    raw = {"lead": ch + "1.5.0", "mid": "1.5" + ch + ".0", "trail": "1.5.0" + ch}[where]
    view.set_state(client_state(info("available", available=raw)))
    got: list[object] = []
    view.approveRequested.connect(got.append)
    try:
        if not view.open_confirmation():
            return  # an id that cleans to nothing is not approvable at all: nothing to show
        assert view.sheet.version_label.text() == visible_id(raw) != raw
        assert view.sheet.warning_box.isVisible()
        hold_confirm(qtbot, view)
        assert len(got) == 1
        intent = got[0]
        assert isinstance(intent, ApprovalIntent) and intent.version_id == raw  # byte for byte, no Qt round trip
    finally:
        view.approveRequested.disconnect(got.append)
        view.sheet.dismiss()
        if got:  # the controller always answers a sent approval; this one comes back refused
            view.show_approval_result(ApprovalResult.local(raw, "Test over.", view.state))


def test_a_leading_bom_or_byte_swapped_mark_arrives_intact(view, qtbot) -> None:  # noqa: F811
    """PySide6 6.11's Signal(str) drops a leading U+FEFF and byte-swaps after a leading U+FFFE."""
    for raw in ("\ufeff1.5.0", "\ufffe1.5.0"):
        view.set_state(client_state(info("available", available=raw)))
        got: list[ApprovalIntent] = []
        view.approveRequested.connect(got.append)
        assert view.open_confirmation()
        hold_confirm(qtbot, view)
        view.approveRequested.disconnect(got.append)
        assert [i.version_id for i in got] == [raw]
        view.show_approval_result(ApprovalResult.local(raw, "Test over.", view.state))  # as the controller answers


def test_a_hold_that_ends_after_the_time_limit_sends_nothing(make_view, clock, qtbot) -> None:  # noqa: F811
    window = make_view(sheet_timeout=60.0)
    window.set_state(client_state(info("available"), now=clock.now, stale_after=120.0))  # stays fresh
    got: list[object] = []
    window.approveRequested.connect(got.append)
    assert window.open_confirmation()
    clock.now += 60.5  # no redraw in between: the sheet is still open
    assert window.sheet.isVisible()
    window.sheet.confirm_button.held.emit()
    assert got == []  # main sent it: the limit was checked only on redraw
    assert "open too long" in window.notice()
