"""What the console builds at start and what only when first needed (docs/benchmarks.md, "Building on first
use"): the overlays (the confirmation sheet with its notes preview, the kiosk's exit question, the history sheet
with its table, the "Remind me later" chooser) are built at their first open, and their module is not even
imported for the first screen; icons of hidden labels and touch scrolling (switched on at the first 1 s tick)
come later too. Each overlay, once built, behaves as if it had been there from the start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QScroller, QTextBrowser, QWidget

from hmi.core import i18n
from hmi.ui import language
from hmi.ui.window import ConsoleWindow

from .states import FakeClock, client_state, info

ROOT = Path(__file__).resolve().parents[2]


def make(qtbot, qapp, **kw) -> ConsoleWindow:
    from hmi.app import _prepare_app

    _prepare_app(qapp)
    window = ConsoleWindow(target="127.0.0.1:50051", clock=FakeClock(1000.0), wall=lambda: 1_700_000_000.0, **kw)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def built(window: ConsoleWindow) -> dict[str, bool]:
    return {
        "sheet": window._sheet is not None,
        "exit": window._exit_sheet is not None,
        "history": window._history_sheet is not None,
        "shelve": window.shelving.built_sheet is not None,
    }


def test_the_first_screen_builds_no_overlay(qtbot, qapp):
    window = make(qtbot, qapp, kiosk=True)
    window.enable_history("trail.sqlite3")
    window.set_state(client_state(info("available")))
    window.on_tick()
    assert window.version_panel.approve_button.isEnabled()  # an offer that could be approved is on screen
    assert built(window) == dict.fromkeys(("sheet", "exit", "history", "shelve"), False)
    for name in ("confirmSheet", "exitSheet", "historySheet", "shelveSheet", "sheetNotes"):
        assert window.findChild(QWidget, name) is None, name
    assert window.centralWidget().isEnabled()


FIRST_SCREEN = """\
import json, sys
from hmi.app import _prepare_app, qt_app
from hmi.ui.window import ConsoleWindow
from tests.ui.states import client_state, info

app = qt_app()
_prepare_app(app)
window = ConsoleWindow(target="127.0.0.1:50051", kiosk=True)
window.enable_history("trail.sqlite3")
window.show()
window.set_state(client_state(info("available")))
app.processEvents()
window.grab()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("hmi.ui."))))
"""


def test_the_first_screen_does_not_import_the_sheets():
    """In a process of its own (this one has imported everything): the window with an offer on screen."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_SCREEN], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "hmi.ui.window" in loaded and "hmi.ui.overlay" in loaded  # the check sees what was imported
    for module in ("hmi.ui.sheet", "hmi.ui.signin_flow", "hmi.ui.pin_pad", "hmi.ui.history_view"):
        assert module not in loaded, module


def test_each_overlay_is_built_at_its_first_open_and_is_modal(qtbot, qapp):
    window = make(qtbot, qapp, kiosk=True)
    window.enable_history("trail.sqlite3")
    window.set_state(client_state(info("available")))
    assert window.open_confirmation()
    assert built(window)["sheet"] and window.sheet.isVisible() and not window.centralWidget().isEnabled()
    preview = window.findChild(QTextBrowser, "sheetNotes")
    assert preview is window.sheet.preview and preview.isVisible()
    window.sheet.dismiss()
    assert window.centralWidget().isEnabled()

    assert not built(window)["exit"]
    window.request_quit()
    assert window.exit_sheet.isVisible() and not window.centralWidget().isEnabled()
    window.exit_sheet.hide()
    assert window.centralWidget().isEnabled()

    assert not built(window)["history"] and window.status_bar.history_button.isVisibleTo(window)
    assert window.open_history() and window.history_sheet.isVisible() and not window.centralWidget().isEnabled()
    window.history_sheet.hide()

    assert not built(window)["shelve"]
    window.remind_later()
    assert window.shelving.sheet.isVisible() and not window.centralWidget().isEnabled()
    window.shelving.hide_sheet()
    assert window.centralWidget().isEnabled()


def test_without_a_trail_there_is_no_history_to_build(qtbot, qapp):
    window = make(qtbot, qapp)
    assert window.history_sheet is None and not window.open_history()


def test_settings_made_before_the_sheet_exists_reach_it(qtbot, qapp):
    window = make(qtbot, qapp)
    window.resize(800, 480)  # a small panel: the compact sheet
    window.set_unrecorded(True)  # --no-audit: the sheet says approvals are not recorded
    window.set_state(client_state(info("available")))
    assert not built(window)["sheet"]
    assert window.open_confirmation()
    assert window.sheet._compact and window.sheet._unrecorded
    window.sheet.dismiss()
    window.resize(1280, 800)
    assert not window.sheet._compact  # and it follows later changes


def test_an_overlay_built_after_a_language_switch_is_in_that_language(qtbot, qapp):
    window = make(qtbot, qapp, kiosk=True)
    window.set_state(client_state(info("available")))
    english = i18n.language()
    try:
        language.switch(window, "de", rerender=lambda: language.rerender_console(window))
        window.request_quit()
        assert window.exit_sheet.stay.text() == i18n._("Keep the console open") != "Keep the console open"
    finally:
        language.switch(window, english)


def test_touch_scrolling_comes_a_second_after_the_window(qtbot, qapp):
    window = make(qtbot, qapp)
    window.set_state(client_state(info("available")))  # the first data: not yet
    assert not QScroller.hasScroller(window.notes_pane.notes.viewport())
    qtbot.waitUntil(lambda: QScroller.hasScroller(window.notes_pane.notes.viewport()), timeout=5000)
    assert QScroller.hasScroller(window.notes_pane.timeline.viewport())


def test_hidden_icons_render_when_shown(qtbot, qapp):
    window = make(qtbot, qapp)
    icon = window.version_panel.notice_icon
    window.set_state(client_state(info("available")))
    assert icon.isVisible() and icon.icon_name() == "info" and not icon.pixmap().isNull()
    hidden = window.approvals_off_banner.findChild(type(icon))
    assert hidden.icon_name() == "fault" and hidden.pixmap().isNull()  # never shown, never rendered
    window.set_approvals_off("The audit trail cannot be written.")
    assert not hidden.pixmap().isNull()
