"""Issue 9: the console's slow steps run off the GUI thread, and the GUI loop keeps turning meanwhile.

The PIN check (scrypt) and the audit trail's reads and writes (the history, a refused approval, a failed
sign-in) run on worker threads. Each test lets a QTimer tick while the slow step is under way and asserts
only that it ticked (never how often: timing is not a unit test). A busy audit trail is a real SQLite file
whose write lock another connection holds.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from hmi.core.audit import APPROVE_UPDATE, SIGNIN_FAILED, AuditStore
from hmi.core.auth import hash_pin
from hmi.core.config import OperatorEntry, SignInConfig
from hmi.ui.sheet import CHECKING_PIN

from .conftest import run, until
from .live import CHEAP, IDLE, PINS, WRONG, app_config, sign_in_on_sheet, tap
from .states import FakeClock, client_state, info

# The heaviest hash the config parser accepts (hmi.core.auth: n <= 2**15, r <= 8, p <= 2): about 4x the
# default cost, a few hundred ms on the development machine. Allowed, so the console must stay alive.
HEAVY = {"n": 2**15, "r": 8, "p": 2}


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        yield s


def _console(store: AuditStore, windows: list, operators: tuple[OperatorEntry, ...]) -> tuple[Any, Any]:
    from hmi.app import build_console

    config = app_config(SignInConfig(enabled=True, idle_timeout=IDLE, operators=operators), store)
    window, controller = build_console(config, clock=FakeClock(1000.0), audit=store, hold_seconds=0.2)
    windows.append(window)
    window.resize(1280, 800)
    window.show()
    window.set_state(client_state(info("available")))
    return window, controller


class Ticks:
    """A 5 ms QTimer that counts the ticks for which `busy()` was true."""

    def __init__(self, busy: Any) -> None:
        self.during = 0
        self._busy = busy
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        if self._busy():
            self.during += 1

    def stop(self) -> None:
        self.timer.stop()


@pytest.fixture(scope="module")
def heavy_anna() -> OperatorEntry:
    return OperatorEntry("anna", "operator", hash_pin(PINS["anna"], **HEAVY))


def test_the_gui_loop_keeps_turning_while_a_heavy_pin_is_checked(aloop, windows, store, heavy_anna):
    window, controller = _console(store, windows, (heavy_anna,))
    sheet = window.sheet
    checks: list[str] = []
    original = controller.check_pin
    controller.check_pin = lambda name, pin: (checks.append(name), original(name, pin))[1]  # counts checks

    async def body() -> None:
        assert window.open_confirmation() and sheet.step == "signin" and sheet.selected_name == "anna"
        ticks = Ticks(lambda: sheet.checking)
        try:
            for digit in PINS["anna"]:
                tap(sheet.pad.key(digit))
            tap(sheet.pad.key("ok"))
            # The answer is not there yet: the keypad and the names are off and say so.
            assert sheet.checking and not sheet.pad.isEnabled() and sheet.pad.message() == CHECKING_PIN
            assert not sheet.operator_button("anna").isEnabled() and sheet.signin_cancel.isEnabled()
            # Further presses are ignored: the keypad is off, and a submit that gets through anyway is dropped.
            tap(sheet.pad.key("1"))
            assert sheet.pad.entered_length == 0
            sheet.pinSubmitted.emit("anna", WRONG)
            await until(lambda: not sheet.checking, 20, "the PIN check")
        finally:
            ticks.stop()
        assert ticks.during > 0  # the GUI loop turned while scrypt ran
        assert checks == ["anna"]
        assert sheet.step == "confirm" and window.signed_in is not None and window.signed_in.name == "anna"
        assert store.records(kind=SIGNIN_FAILED) == []  # the dropped WRONG press was never checked

    run(aloop, body(), 60)


def test_an_answer_after_the_sheet_closed_is_dropped(aloop, windows, store, heavy_anna):
    window, controller = _console(store, windows, (heavy_anna,))
    sheet = window.sheet

    async def body() -> None:
        assert window.open_confirmation()
        for digit in WRONG:
            tap(sheet.pad.key(digit))
        tap(sheet.pad.key("ok"))
        assert sheet.checking
        task = controller._pin_check
        tap(sheet.signin_cancel)  # Cancel still works during the check
        assert not sheet.isVisible() and not sheet.checking
        await until(task.done, 20, "the PIN check")
        # The wrong PIN counted (recorded, off the GUI thread), but its answer did not reach the closed sheet.
        await until(lambda: store.records(kind=SIGNIN_FAILED), 5, "the failure record")
        assert not sheet.isVisible()
        assert window.open_confirmation() and sheet.step == "signin"
        assert sheet.pad.message() == "" and sheet.pad.isEnabled()  # no "Wrong PIN" left from the old sheet
        [record] = store.records(kind=SIGNIN_FAILED)
        assert (record.operator, record.outcome) == ("anna", "wrong-pin")

    run(aloop, body(), 60)


def test_a_right_pin_answered_after_the_sheet_changed_signs_in_but_does_not_step_the_new_sheet(
    aloop, windows, store, heavy_anna
):
    window, controller = _console(store, windows, (heavy_anna,))
    sheet = window.sheet

    async def body() -> None:
        assert window.open_confirmation()
        for digit in PINS["anna"]:
            tap(sheet.pad.key(digit))
        tap(sheet.pad.key("ok"))
        task = controller._pin_check
        tap(sheet.signin_cancel)
        window.set_state(client_state(info("available", available="1.6.0")))  # another offer
        assert window.open_confirmation() and sheet.version.version_id == "1.6.0" and sheet.step == "signin"
        await until(task.done, 20, "the PIN check")
        await until(lambda: window.signed_in is not None, 5, "anna signed in")
        assert sheet.step == "signin" and sheet.version.version_id == "1.6.0"  # the old answer moved nothing here

    run(aloop, body(), 60)


def _hold_write_lock(store: AuditStore) -> sqlite3.Connection:
    """Another program (the CLI) holding the audit trail's write lock."""
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_viewer_refusal_the_busy_trail_cannot_record_is_said_and_nothing_is_sent(aloop, windows, store):
    vera = OperatorEntry("vera", "viewer", hash_pin(PINS["vera"], **CHEAP))
    window, _controller = _console(store, windows, (vera,))
    sent: list[Any] = []
    window.approveRequested.connect(sent.append)

    async def body() -> None:
        other = _hold_write_lock(store)
        ticks = Ticks(lambda: True)
        try:
            assert window.open_confirmation()
            await sign_in_on_sheet(window, "vera", PINS["vera"])
            assert window.sheet.pad.message() == "Viewers cannot approve updates."
            text = "Audit trail busy: the refused approval of 1.5.0 (vera) is not recorded. Nothing was sent."
            await until(lambda: text in window.timeline_texts(), 10, "the busy trail said")
            assert window.notice() == text
        finally:
            ticks.stop()
            other.execute("ROLLBACK")
            other.close()
        assert ticks.during > 0  # the 1 s busy wait ran on a worker thread
        assert sent == [] and store.records(kind=APPROVE_UPDATE) == []

    run(aloop, body(), 60)


def test_a_failed_sign_in_the_busy_trail_cannot_record_is_said(aloop, windows, store):
    anna = OperatorEntry("anna", "operator", hash_pin(PINS["anna"], **CHEAP))
    window, _controller = _console(store, windows, (anna,))

    async def body() -> None:
        other = _hold_write_lock(store)
        try:
            assert window.open_confirmation()
            await sign_in_on_sheet(window, "anna", WRONG)
            assert window.sheet.pad.message() == "Wrong PIN, 4 tries left"  # the refusal stands
            assert "Audit trail busy: the failed sign-in of anna is not recorded." in window.timeline_texts()
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.records(kind=SIGNIN_FAILED) == []

    run(aloop, body(), 60)


def test_the_history_is_read_off_the_gui_thread_while_a_write_waits_for_the_lock(aloop, windows, store):
    """A refusal's record waits (up to the 1 s busy timeout, holding the store) for another program's write
    lock; the history opened meanwhile says it is reading, the screen keeps turning, and the records come."""
    for i in range(3):
        store.log_event(kind=SIGNIN_FAILED, outcome="wrong-pin", operator=f"op{i}")
    vera = OperatorEntry("vera", "viewer", hash_pin(PINS["vera"], **CHEAP))
    window, controller = _console(store, windows, (vera,))

    async def body() -> None:
        other = _hold_write_lock(store)
        try:
            controller.sign_out()
            waiting = controller.refuse_locally("1.5.0", "vera")  # a worker thread now waits for the lock
            assert waiting is not None
            assert window.open_history()
            sheet = window.history_sheet
            assert sheet.caption.text() == "Reading the audit trail…"
            ticks = Ticks(lambda: sheet.view.table.rowCount() == 0)
            try:
                await until(lambda: sheet.view.table.rowCount() == 3, 10, "the records")
            finally:
                ticks.stop()
            assert ticks.during > 0
            assert "Newest first" in sheet.caption.text()
            assert await waiting is None  # the refusal could not be recorded: said, not waited out on screen
        finally:
            other.execute("ROLLBACK")
            other.close()

    run(aloop, body(), 60)
