"""The console's history view: a History button only with an audit trail, the newest records on show,
refreshed when shown and after each approval finishes."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from hmi.core.audit import AuditStore
from hmi.core.config import ClientConfig

from .conftest import run, until
from .live import PINS, approve_on_screen, live_console, sign_in_on_sheet, signin_config, tap
from .states import FakeClock, client_state, info


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        yield s


def test_history_button_only_with_an_audit_trail(aloop, windows, store):
    run(aloop, _history_button_only_with_an_audit_trail(windows, store), 30)


async def _history_button_only_with_an_audit_trail(windows, store):
    from hmi.app import build_console

    without, _c = build_console(ClientConfig(target="127.0.0.1:1"))
    windows.append(without)
    without.show()
    assert not without.status_bar.history_button.isVisible() and without.history_sheet is None
    assert not without.open_history()

    for i in range(3):
        store.log_event(kind="signin-failed", outcome="wrong-pin", operator=f"op{i}", message="4 tries left")
    window, _c = build_console(ClientConfig(target="127.0.0.1:1"), audit=store, clock=FakeClock(1000.0))
    windows.append(window)
    window.resize(1280, 800)
    window.show()
    window.set_state(client_state(info("available")))
    button = window.status_bar.history_button
    assert button.isVisible() and button.height() >= 48 and button.text() == "History"
    tap(button)
    sheet = window.history_sheet
    assert sheet.isVisible() and window.findChild(QWidget, "historyView").isVisible()
    assert sheet.caption.text() == "Reading the audit trail…"  # read on a worker thread, shown when it is back
    await until(lambda: sheet.view.table.rowCount() == 3, 5, "the records")
    assert sheet.view.row_text(0)[1] == "op2"  # newest first
    assert str(store.path) in sheet.caption.text()
    assert not window.centralWidget().isEnabled()  # modal like the other overlays
    store.log_event(kind="signin-failed", outcome="wrong-pin", operator="op3")
    tap(sheet.close_button)
    assert not sheet.isVisible() and window.centralWidget().isEnabled()
    assert window.open_history()  # read again each time it is shown
    await until(lambda: sheet.view.table.rowCount() == 4, 5, "the new record")
    assert sheet.close_button.height() >= 72


def test_history_is_narrow_on_a_small_panel(aloop, qapp, windows, store):
    run(aloop, _history_is_narrow_on_a_small_panel(qapp, windows, store), 30)


async def _history_is_narrow_on_a_small_panel(qapp, windows, store):
    from hmi.app import build_console

    store.log_event(kind="approve-update", outcome="refused-locally", operator="vera", version_id="1.5.0",
                    current_version="1.4.2", message="viewer may not approve", target="10.0.0.5:50051")  # fmt: skip
    window, _c = build_console(ClientConfig(target="127.0.0.1:1"), audit=store)
    windows.append(window)
    window.resize(800, 480)
    window.show()
    assert window.open_history()
    view = window.history_sheet.view
    await until(lambda: view.table.rowCount() == 1, 5, "the record")
    assert view.narrow and view.table.columnCount() == 3
    when, who, result = view.row_text(0)
    assert when.count("\n") == 2 and when.endswith("\n10.0.0.5:50051") and who == "vera\n1.5.0 (was 1.4.2)"
    assert result == "NOT SENT\nNot sent: refused by the console (viewer may not approve)"
    assert view.table.horizontalScrollBar().maximum() == 0  # the outcome is on screen without scrolling sideways
    window.resize(1280, 800)
    qapp.processEvents()
    assert not view.narrow and view.table.columnCount() == 6


@pytest.mark.slow
def test_history_lists_the_new_record_after_an_approval(aloop, windows, store):
    async def body():
        async with live_console("approval", windows=windows, signin=signin_config(), audit=store) as live:
            w = live.window
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            assert w.open_history()
            caption = w.history_sheet.caption
            await until(lambda: caption.text().startswith("From "), 5, "the (empty) history")
            assert w.history_sheet.view.table.rowCount() == 0
            assert caption.text() == f"From {store.path}. All records: ipc-hmi history"  # no "the last 0 records"
            tap(w.history_sheet.close_button)
            tap(w.version_panel.approve_button)
            await sign_in_on_sheet(w, "anna", PINS["anna"])
            sent = []
            w.approveRequested.connect(sent.append)
            from PySide6.QtCore import Qt
            from PySide6.QtTest import QTest

            QTest.mousePress(w.sheet.confirm_button, Qt.MouseButton.LeftButton)
            await until(lambda: bool(sent), 5, "the hold")
            QTest.mouseRelease(w.sheet.confirm_button, Qt.MouseButton.LeftButton)
            assert w.open_history()  # opened while the approval is on its way: refreshed when it finishes
            view = w.history_sheet.view
            await until(lambda: view.table.rowCount() == 1 and view.row_text(0)[4] == "OK", 10, "the approved row")
            assert caption.text().startswith("Newest first: 1 record of ")  # one: singular
            row = view.row_text(0)
            assert row[1:4] == ["anna", "1.5.0 (was 1.4.2)", live.mock.address]
            assert row[5].startswith("Approved")

    run(aloop, body(), 30)


@pytest.mark.slow
def test_history_without_sign_in_records_no_operator(aloop, windows, store):
    async def body():
        async with live_console("approval", windows=windows, audit=store) as live:
            results = []
            live.controller.approvalFinished.connect(results.append)
            assert await approve_on_screen(live) == "1.5.0"
            await until(lambda: bool(results), 10, "the result")
            assert live.window.open_history()
            view = live.window.history_sheet.view
            await until(lambda: view.table.rowCount() == 1, 5, "the record")
            row = view.row_text(0)
            assert row[1] == "\u2014" and row[4] == "OK"

    run(aloop, body(), 30)
