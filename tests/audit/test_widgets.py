"""The PIN pad and the history view (pytest-qt, offscreen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QScroller

from hmi.core.audit import AuditRecord
from hmi.ui.history_view import HistoryView
from hmi.ui.pin_pad import PinPad

KEYS = [*"0123456789", "delete", "clear", "ok"]


@pytest.fixture
def pad(qtbot) -> PinPad:
    widget = PinPad()
    qtbot.addWidget(widget)
    widget.resize(360, 520)
    widget.show()
    return widget


def _click(qtbot, pad: PinPad, *keys: str) -> None:
    for key in keys:
        qtbot.mouseClick(pad.key(key), Qt.MouseButton.LeftButton)


def test_pin_pad_has_big_named_keys(pad: PinPad) -> None:
    assert pad.objectName() == "pinPad"
    buttons = pad.findChildren(QPushButton)
    assert len(buttons) == len(KEYS)
    names = set()
    for key in KEYS:
        button = pad.key(key)
        assert button.minimumWidth() >= 64 and button.minimumHeight() >= 64
        assert button.width() >= 64 and button.height() >= 64
        assert button.accessibleName()
        names.add(button.accessibleName())
    assert len(names) == len(KEYS)  # every key has its own accessible name
    assert pad.key("7").accessibleName() == "Digit 7"


def test_digits_show_as_dots_and_ok_submits(qtbot, pad: PinPad) -> None:
    _click(qtbot, pad, "1", "2", "3")
    display = pad.findChild(QLabel, "pinDisplay")
    assert display.text() == "\u25cf" * 3 and "1" not in display.text()
    assert not pad.key("ok").isEnabled()  # fewer than 4 digits
    _click(qtbot, pad, "4")
    assert pad.key("ok").isEnabled()
    with qtbot.waitSignal(pad.submitted, timeout=2000) as blocker:
        _click(qtbot, pad, "ok")
    assert blocker.args == ["1234"]
    assert pad.entered_length == 0 and display.text() == ""  # the PIN is dropped once submitted


def test_delete_and_clear(qtbot, pad: PinPad) -> None:
    _click(qtbot, pad, "9", "8", "7", "6", "delete")
    assert pad.entered_length == 3
    _click(qtbot, pad, "clear")
    assert pad.entered_length == 0
    assert not pad.key("delete").isEnabled() and not pad.key("clear").isEnabled()


def test_at_most_twelve_digits(qtbot, pad: PinPad) -> None:
    _click(qtbot, pad, *("5" * 15))
    assert pad.entered_length == 12
    assert not pad.key("5").isEnabled()


def test_keyboard_digits_backspace_enter(qtbot, pad: PinPad) -> None:
    qtbot.keyClicks(pad, "24680")
    assert pad.entered_length == 5
    qtbot.keyClick(pad, Qt.Key.Key_Backspace)
    assert pad.entered_length == 4
    with qtbot.waitSignal(pad.submitted, timeout=2000) as blocker:
        qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert blocker.args == ["2468"]
    qtbot.keyClicks(pad, "13579")
    with qtbot.waitSignal(pad.submitted, timeout=2000) as blocker:
        qtbot.keyClick(pad, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert blocker.args == ["13579"]
    qtbot.keyClicks(pad, "12a")  # letters are ignored
    assert pad.entered_length == 2
    qtbot.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.entered_length == 0


def test_enter_with_too_few_digits_does_nothing(qtbot, pad: PinPad) -> None:
    qtbot.keyClicks(pad, "12")
    with qtbot.assertNotEmitted(pad.submitted):
        qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert pad.entered_length == 2


def test_messages_and_clear(qtbot, pad: PinPad) -> None:
    pad.set_message("Wrong PIN, 3 tries left")
    assert pad.message() == "Wrong PIN, 3 tries left"
    pad.set_message("Locked for 42 s")
    assert pad.findChild(QLabel, "pinMessage").text() == "Locked for 42 s"
    qtbot.keyClicks(pad, "777")
    pad.clear()
    assert pad.entered_length == 0


# -- history view --------------------------------------------------------------------------------------

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _record(i: int, **kw) -> AuditRecord:
    values = dict(
        id=f"id{i}",
        kind="approve-update",
        target="10.0.0.5:50051",
        version_id=f"1.{i}.0",
        current_version=f"1.{i - 1}.0",
        operator="alice",
        created_at=T0 + timedelta(hours=i),
        sent_at=T0 + timedelta(hours=i, seconds=1),
        completed_at=T0 + timedelta(hours=i, seconds=2),
        outcome="approved",
        code="OK",
        message="",
    )
    values.update(kw)
    return AuditRecord(**values)


@pytest.fixture
def view(qtbot) -> HistoryView:
    widget = HistoryView()
    qtbot.addWidget(widget)
    widget.resize(1024, 600)
    widget.show()
    return widget


def test_history_view_empty_then_filled_newest_first(view: HistoryView) -> None:
    assert view.objectName() == "historyView"
    assert view.findChild(QLabel, "historyEmpty").isVisible()
    records = [
        _record(1),
        _record(3, outcome="refused", code="FAILED_PRECONDITION", operator="bob"),
        _record(2, outcome=None, code=None, sent_at=None, completed_at=None, operator=None),
        _record(
            4, kind="signin-failed", version_id="", current_version=None, outcome="wrong-pin", code=None, sent_at=None
        ),
    ]
    view.set_records(records)
    assert not view.findChild(QLabel, "historyEmpty").isVisible()
    assert view.table.rowCount() == 4
    rows = [view.row_text(i) for i in range(4)]
    assert [r.id for r in view.records()] == ["id4", "id3", "id2", "id1"]
    assert rows[0][2] == "Sign-in" and rows[0][4] == "SIGN-IN" and "wrong PIN" in rows[0][5]
    assert rows[1][1] == "bob" and rows[1][4] == "REFUSED" and "FAILED_PRECONDITION" in rows[1][5]
    assert rows[2][1] == "\u2014" and rows[2][4] == "NO RESULT"
    assert rows[3][0] == (T0 + timedelta(hours=1)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert rows[3][2] == "1.1.0 (was 1.0.0)" and rows[3][4] == "OK" and rows[3][5].startswith("Approved")
    view.set_records([])
    assert view.table.rowCount() == 0 and view.findChild(QLabel, "historyEmpty").isVisible()


def test_history_view_is_readable_and_touch_scrollable(view: HistoryView) -> None:
    view.set_records([_record(i) for i in range(1, 60)])
    assert view.table.font().pixelSize() >= 18
    assert view.table.horizontalHeader().font().pixelSize() >= 18
    assert QScroller.hasScroller(view.table.viewport())
    assert view.table.verticalScrollBar().maximum() > 0  # 59 rows do not fit: it scrolls


def test_history_view_strips_control_characters(view: HistoryView) -> None:
    view.set_records([_record(1, version_id="1.5.0\u202e\n", operator="al\x00ice")])
    row = view.row_text(0)
    assert row[1] == "alice" and row[2].startswith("1.5.0 ")
