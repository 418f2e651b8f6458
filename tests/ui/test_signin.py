"""Operator sign-in in the console: the PIN step on the confirmation sheet, lockout, viewers, idle sign-out.

Most tests run over built client states with two fake clocks (the window's, and the sign-in's, which
moves the lockout and the idle time on its own). The tests that send an approval run against the real
mock IPC over loopback and read the audit trail afterwards.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget

from hmi.core.audit import APPROVE_UPDATE, SIGNIN_FAILED, AuditStore, record_to_json
from hmi.core.config import ClientConfig

from .conftest import run, until
from .live import (
    IDLE,
    PINS,
    WRONG,
    Built,
    app_config,
    live_console,
    sign_in_on_sheet,
    signin_config,
    tap,
    type_pin,
)
from .states import FakeClock, client_state, info


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        yield s


@pytest.fixture
def built(qapp, store, windows) -> Built:
    from hmi.app import build_console

    clock, signin_clock = FakeClock(1000.0), FakeClock(5000.0)
    window, controller = build_console(
        app_config(signin_config(), store),
        clock=clock,
        wall=lambda: 1_700_000_000.0,
        signin_clock=signin_clock,
        audit=store,
        hold_seconds=0.2,
    )
    windows.append(window)
    sent: list[str] = []
    window.approveRequested.connect(lambda intent: sent.append(intent.version_id))
    window.resize(1280, 800)
    window.show()
    window.set_state(client_state(info("available")))
    return Built(window, controller, clock, signin_clock, store, sent)


def failures(store: AuditStore) -> list:
    return store.records(kind=SIGNIN_FAILED)


def refusals(store: AuditStore) -> list:
    """Approval records with their outcome written (a refusal is begun and completed on a worker thread)."""
    return [r for r in store.records(kind=APPROVE_UPDATE) if r.outcome is not None]


def no_pin_anywhere(store: AuditStore) -> None:
    """No PIN in any text a record holds.

    Ids, times and the target address are left out: they are digits and hex by nature (a random port
    such as 41111 contains the test PIN 1111).
    """
    fields = ("kind", "versionId", "currentVersion", "operator", "outcome", "code", "message", "resolution")
    text = json.dumps([{k: record_to_json(r)[k] for k in fields} for r in store.records()])
    for pin in (*PINS.values(), WRONG):
        assert pin not in text


def test_install_asks_for_the_name_and_pin_first(aloop, built):
    async def body():
        w = built.window
        assert w.status_bar.operator_label.text() == "Not signed in" and not w.status_bar.sign_out_button.isVisible()
        assert w.version_panel.approve_button.isEnabled()  # nobody signed in may still open the sheet, to sign in
        assert w.open_confirmation()
        sheet = w.sheet
        assert sheet.step == "signin"
        assert sheet.pad.isVisible() and not sheet.confirm_button.isVisible()
        assert sheet.signin_title.text() == "Sign in to install 1.5.0"
        assert not sheet.pad.isEnabled() and sheet.pad.message() == "Tap your name first."
        for name in ("anna", "bert", "vera"):
            button = sheet.operator_button(name)
            assert button.isVisible() and button.height() >= 48 and button.accessibleName() == f"Sign in as {name}"
        for key in (*"0123456789", "ok", "clear", "delete"):
            assert sheet.pad.key(key).height() >= 64 and sheet.pad.key(key).width() >= 64
        tap(sheet.operator_button("bert"))
        assert sheet.selected_name == "bert" and sheet.pad.isEnabled()
        assert sheet.operator_button("bert").text().startswith("\u2713")  # a tick, not colour alone

    run(aloop, body(), 30)


def test_right_pin_opens_the_hold_and_shows_who_is_signed_in(aloop, built):
    async def body():
        w = built.window
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        assert w.sheet.step == "confirm" and w.sheet.confirm_button.isVisible()
        assert w.sheet.operator_label.text() == "Approving as anna (operator)."
        assert w.status_bar.operator_label.text() == "Signed in: anna (operator)"
        assert w.status_bar.sign_out_button.isVisibleTo(w) and w.status_bar.sign_out_button.height() >= 48
        assert w.sheet.pad.entered_length == 0
        assert any("anna signed in (operator)" in t for t in w.timeline_texts())
        assert built.sent == [] and failures(built.store) == []

    run(aloop, body(), 30)


def test_wrong_pin_says_how_many_tries_are_left_sends_nothing_and_is_audited(aloop, built):
    async def body():
        w = built.window
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "anna", WRONG)
        assert w.sheet.pad.message() == "Wrong PIN, 4 tries left"
        assert w.sheet.step == "signin" and not w.sheet.confirm_button.isVisible()
        assert w.signed_in is None and built.sent == []
        [record] = failures(built.store)
        assert (record.operator, record.outcome, record.kind) == ("anna", "wrong-pin", SIGNIN_FAILED)
        assert built.store.records(kind=APPROVE_UPDATE) == []
        no_pin_anywhere(built.store)

    run(aloop, body(), 30)


def test_five_wrong_pins_lock_that_operator_out_for_60_s_then_free(aloop, built):
    async def body():
        w, sheet = built.window, built.window.sheet
        assert w.open_confirmation()
        tap(sheet.operator_button("anna"))
        for _ in range(5):
            await type_pin(sheet, WRONG)
        assert sheet.pad.message() == "Wrong PIN. Locked for 60 s"
        assert not sheet.pad.isEnabled() and not sheet.pad.key("1").isEnabled()
        assert [r.outcome for r in failures(built.store)] == ["locked-out"] + ["wrong-pin"] * 4  # newest first
        built.tick()
        assert sheet.pad.message() == "Locked for 60 s"
        built.signin_clock.now += 31
        built.tick()
        assert sheet.pad.message() == "Locked for 29 s" and not sheet.pad.isEnabled()
        tap(sheet.operator_button("bert"))  # only that operator is locked
        assert sheet.pad.isEnabled() and sheet.pad.message() == ""
        tap(sheet.operator_button("anna"))
        assert sheet.pad.message() == "Locked for 29 s" and not sheet.pad.isEnabled()
        built.signin_clock.now += 29
        built.tick()
        assert sheet.pad.isEnabled() and sheet.pad.message() == "You can try again now."
        await type_pin(sheet, PINS["anna"])
        assert sheet.step == "confirm" and w.signed_in.name == "anna"
        assert sheet.isVisible()  # the sheet's own clock did not move: only the lockout ran out
        no_pin_anywhere(built.store)

    run(aloop, body(), 30)


def test_a_viewer_sees_the_sheet_but_cannot_approve_and_the_attempt_is_recorded(aloop, built):
    async def body():
        w, sheet = built.window, built.window.sheet
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "vera", PINS["vera"])
        assert sheet.pad.message() == "Viewers cannot approve updates."
        assert sheet.step == "signin" and not sheet.confirm_button.isVisible()
        assert w.status_bar.operator_label.text() == "Signed in: vera (viewer)"
        await until(lambda: len(refusals(built.store)) == 1, 5, "the refusal's record")  # written off-thread
        [record] = built.store.records(kind=APPROVE_UPDATE)
        assert (record.operator, record.version_id, record.outcome) == ("vera", "1.5.0", "refused-locally")
        assert record.message == "viewer may not approve" and record.sent_at is None
        # An operator can take over on the same sheet.
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        assert sheet.step == "confirm"
        sheet.dismiss()
        # A viewer who is still signed in and taps Install again is told at once, and recorded again.
        await built.controller.sign_in("vera", PINS["vera"])
        assert w.open_confirmation()
        assert sheet.step == "signin" and "vera is signed in as a viewer" in sheet.pad.message()
        await until(lambda: len(refusals(built.store)) == 2, 5, "the second refusal's record")
        assert [r.operator for r in built.store.records(kind=APPROVE_UPDATE)] == ["vera", "vera"]
        assert built.sent == []

    run(aloop, body(), 30)


def test_idle_sign_out_clears_the_name_and_the_next_approval_asks_for_the_pin(aloop, built):
    async def body():
        w = built.window
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        tap(w.sheet.cancel_button)
        assert w.status_bar.operator_label.text() == "Signed in: anna (operator)"
        # Activity (a tap anywhere in the window) restarts the idle time.
        built.signin_clock.now += IDLE - 1
        QTest.mouseClick(w.notes_pane.timeline.viewport(), Qt.MouseButton.LeftButton)
        built.signin_clock.now += IDLE - 1
        built.tick()
        assert w.signed_in is not None
        # Signed in and not idle: Install goes straight to the hold, no PIN.
        assert w.open_confirmation() and w.sheet.step == "confirm"
        tap(w.sheet.cancel_button)
        built.signin_clock.now += IDLE
        built.tick()
        assert w.signed_in is None
        assert w.status_bar.operator_label.text() == "Not signed in" and not w.status_bar.sign_out_button.isVisible()
        assert w.timeline_texts()[0] == "Signed out after 2 min idle (anna)."
        assert w.open_confirmation() and w.sheet.step == "signin"

    run(aloop, body(), 30)


def test_idle_sign_out_with_the_hold_on_screen_goes_back_to_the_pin(aloop, built):
    async def body():
        w = built.window
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        assert w.sheet.step == "confirm"
        built.signin_clock.now += IDLE
        built.tick()
        assert w.sheet.isVisible() and w.sheet.step == "signin"
        assert w.sheet.pad.message().startswith("Signed out after 2 min idle (anna).")
        assert built.sent == []

    run(aloop, body(), 30)


def test_the_pin_is_dropped_when_the_sheet_closes(aloop, built):
    async def body():
        w, sheet = built.window, built.window.sheet
        assert w.open_confirmation()
        tap(sheet.operator_button("anna"))
        for digit in "246":
            tap(sheet.pad.key(digit))
        assert sheet.pad.entered_length == 3
        QTest.keyClick(sheet.pad, Qt.Key.Key_Escape)  # Esc on the keypad cancels the sheet
        assert not sheet.isVisible() and sheet.pad.entered_length == 0
        assert w.open_confirmation()
        assert sheet.pad.entered_length == 0 and sheet.selected_name is None
        # Closing by itself (60 s on the window's clock) drops it too.
        tap(sheet.operator_button("anna"))
        tap(sheet.pad.key("9"))
        built.clock.now += 61
        built.tick()
        assert not sheet.isVisible() and sheet.pad.entered_length == 0

    run(aloop, body(), 30)


def test_keyboard_types_the_pin_on_the_pad(aloop, built):
    async def body():
        w, sheet = built.window, built.window.sheet
        assert w.open_confirmation()
        tap(sheet.operator_button("anna"))
        assert sheet.pad.hasFocus()
        QTest.keyClicks(sheet.pad, PINS["anna"])
        QTest.keyClick(sheet.pad, Qt.Key.Key_Return)
        assert sheet.checking  # off the GUI thread; the keypad is off meanwhile
        await until(lambda: not sheet.checking, 5, "the PIN check")
        assert sheet.step == "confirm"

    run(aloop, body(), 30)


def test_sign_out_and_change_operator(aloop, built):
    async def body():
        w, sheet = built.window, built.window.sheet
        assert w.open_confirmation()
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        tap(sheet.switch_button)  # "Change operator": back to the names and the keypad
        assert sheet.step == "signin"
        await sign_in_on_sheet(w, "bert", PINS["bert"])
        assert sheet.operator_label.text() == "Approving as bert (operator)."
        tap(sheet.cancel_button)
        tap(w.status_bar.sign_out_button)
        assert w.signed_in is None and w.status_bar.operator_label.text() == "Not signed in"
        assert w.timeline_texts()[0] == "bert signed out."

    run(aloop, body(), 30)


def test_every_sign_in_control_has_a_name_and_a_touch_size(aloop, built):
    async def body():
        w = built.window
        assert w.open_confirmation()
        for button in w.sheet.card.findChildren(QAbstractButton):
            if button.isVisible():
                assert button.accessibleName() or button.text(), button.objectName()
                assert button.height() >= 48, (button.objectName(), button.height())
        await sign_in_on_sheet(w, "anna", PINS["anna"])
        assert w.sheet.switch_button.height() >= 48

    run(aloop, body(), 30)


def test_with_sign_in_off_the_sheet_is_as_before(qapp, windows):
    from hmi.app import build_console

    window, controller = build_console(ClientConfig(target="127.0.0.1:1"), clock=FakeClock(1000.0))
    windows.append(window)
    window.show()
    window.set_state(client_state(info("available")))
    assert controller.signin is None and window.sheet.pad is None
    assert window.findChild(QWidget, "pinPad") is None and window.findChild(QWidget, "signInPage") is None
    assert not window.status_bar.signin_box.isVisible() and not window.status_bar.history_button.isVisible()
    assert window.open_confirmation() and window.sheet.step == "confirm"
    assert not window.sheet.operator_row.isVisible() and not window.sheet.warning_box.isVisible()


# -- against the real mock IPC ------------------------------------------------------------------------------


@pytest.mark.slow
def test_right_pin_sends_the_approval_and_the_record_names_the_operator(aloop, windows, store):
    async def body():
        async with live_console("approval", windows=windows, signin=signin_config(), audit=store) as live:
            w = live.window
            results = []
            live.controller.approvalFinished.connect(results.append)
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            tap(w.version_panel.approve_button)
            await sign_in_on_sheet(w, "anna", PINS["anna"])
            button = w.sheet.confirm_button
            QTest.mousePress(button, Qt.MouseButton.LeftButton)
            await until(lambda: bool(results), 10, "the approval's result")
            QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
            assert live.approvals == ["1.5.0"]
            assert str(results[0].outcome) == "approved"
            [record] = store.records(kind=APPROVE_UPDATE)
            assert (record.operator, record.version_id, record.current_version) == ("anna", "1.5.0", "1.4.2")
            assert record.outcome == "approved" and record.sent_at is not None
            assert record.target == live.mock.address
            no_pin_anywhere(store)

    run(aloop, body(), 30)


@pytest.mark.slow
def test_a_viewer_sends_nothing_even_through_the_controller(aloop, windows, store):
    async def body():
        async with live_console("approval", windows=windows, signin=signin_config(), audit=store) as live:
            w, controller = live.window, live.controller
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            tap(w.version_panel.approve_button)
            await sign_in_on_sheet(w, "vera", PINS["vera"])
            assert w.sheet.pad.message() == "Viewers cannot approve updates."
            tap(w.sheet.signin_cancel)
            # A test robot (or a bug) asking the controller directly is refused too, and recorded.
            assert not controller.request_approval("1.5.0")
            assert "Viewers cannot approve updates." in w.notice()
            controller.sign_out()
            assert not controller.request_approval("1.5.0")  # nobody signed in
            assert "Sign in as an operator to approve." in w.notice()
            await controller.client.refresh()  # one more round trip: anything sent would have arrived
            assert live.approvals == []
            await until(lambda: len(refusals(store)) == 3, 5, "the refusals' records")
            records = store.records(kind=APPROVE_UPDATE)
            assert [(r.operator, r.outcome, r.message) for r in records] == [
                (None, "refused-locally", "nobody signed in"),
                ("vera", "refused-locally", "viewer may not approve"),
                ("vera", "refused-locally", "viewer may not approve"),
            ]
            assert all(r.current_version == "1.4.2" and r.sent_at is None for r in records)

    run(aloop, body(), 30)
