"""What the console builds at start and what only when first needed (docs/benchmarks.md, "Building on first
use"): the exit question, the sheet's notes preview and (with a trail) the history sheet are built with the
window, since benchmarks/bench_lazy.py showed no gain from deferring them; icons of hidden labels and touch
scrolling (switched on at the first 1 s tick) still come later. The stable objectNames are present from the
start."""

from __future__ import annotations

from PySide6.QtWidgets import QScroller, QTextBrowser, QWidget

from hmi.ui.window import ConsoleWindow

from .states import FakeClock, client_state, info


def make(qtbot, qapp, **kw) -> ConsoleWindow:
    from hmi.app import _prepare_app

    _prepare_app(qapp)
    window = ConsoleWindow(target="127.0.0.1:50051", clock=FakeClock(1000.0), wall=lambda: 1_700_000_000.0, **kw)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def test_contract_names_exist_before_any_first_use(qtbot, qapp):
    window = make(qtbot, qapp)
    for name in ("confirmSheet", "confirmButton", "updateNotes", "timeline", "exitSheet"):
        assert window.findChild(QWidget, name) is not None, name
    preview = window.findChild(QTextBrowser, "sheetNotes")
    assert preview is window.sheet.preview and not preview.isVisible()  # built with the sheet, shown with it
    assert window.history_sheet is None  # no audit trail, no history


def test_preview_exit_sheet_and_history_show_when_asked(qtbot, qapp):
    window = make(qtbot, qapp, kiosk=True)
    window.set_state(client_state(info("available")))
    assert window.open_confirmation()
    preview = window.findChild(QTextBrowser, "sheetNotes")
    assert preview is window.sheet.preview and preview.isVisible()
    window.sheet.dismiss()
    assert not window.findChild(QWidget, "exitSheet").isVisible()
    window.request_quit()
    assert window.exit_sheet.isVisible() and not window.centralWidget().isEnabled()
    window.exit_sheet.hide()
    assert window.centralWidget().isEnabled()
    window.enable_history("trail.sqlite3")
    assert window.status_bar.history_button.isVisibleTo(window) and not window.history_sheet.isVisible()
    assert window.open_history() and window.history_sheet.isVisible()


def test_hidden_icons_render_when_shown(qtbot, qapp):
    window = make(qtbot, qapp)
    icon = window.version_panel.notice_icon
    window.set_state(client_state(info("available")))
    assert icon.isVisible() and icon.icon_name() == "info" and not icon.pixmap().isNull()
    hidden = window.approvals_off_banner.findChild(type(icon))
    assert hidden.icon_name() == "fault" and hidden.pixmap().isNull()  # never shown, never rendered
    window.set_approvals_off("The audit trail cannot be written.")
    assert not hidden.pixmap().isNull()


def test_touch_scrolling_comes_with_the_first_tick(qtbot, qapp):
    window = make(qtbot, qapp)
    assert not QScroller.hasScroller(window.notes_pane.notes.viewport())
    window.on_tick()
    assert QScroller.hasScroller(window.notes_pane.notes.viewport()) and QScroller.hasScroller(
        window.notes_pane.timeline.viewport()
    )
