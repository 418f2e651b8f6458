"""Four-eyes approval in the console, against the real mock IPC over loopback gRPC, with a real audit trail.

The first operator signs in and holds; a second, different operator signs in on the same sheet and holds.
Both names and both confirmation times end up in the one record. Every refusal (the same person, a viewer,
a wrong PIN, a lockout, the time limit, the offer changing) sends nothing, is recorded and is said.
"""

from __future__ import annotations

import re
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hmi.core.audit import APPROVE_UPDATE, SIGNIN_FAILED, AuditStore, record_to_json
from hmi.core.config import ApprovalConfig
from hmi.core.foureyes import Refusal, audit_message

from .conftest import run, until
from .live import PINS, WRONG, Live, live_console, sign_in_on_sheet, signin_config, tap, type_pin

FOUR_EYES = ApprovalConfig(require_two=True)


class JumpClock:
    """The console's monotonic clock, which a test can move forward (the time limit) while data stays live:
    the next poll is stamped with the moved clock too."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        yield s


def approvals(store: AuditStore) -> list:
    return [r for r in store.records(kind=APPROVE_UPDATE) if r.outcome is not None]


async def hold(live: Live, step_after: str | None) -> None:
    """Holds the sheet's confirm button until the sheet moves on (to `step_after`, or closes)."""
    sheet = live.window.sheet
    button = sheet.confirm_button
    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    if step_after is None:
        await until(lambda: not sheet.isVisible(), 5, "the hold to close the sheet")
    else:
        await until(lambda: sheet.step == step_after, 5, f"the hold to lead to {step_after}")
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)


async def first_confirms(live: Live, name: str = "anna") -> None:
    """Install, the first operator signs in and holds: the sheet asks for the second operator."""
    w = live.window
    await until(w.version_panel.approve_button.isEnabled, 10, "Install to be enabled")
    tap(w.version_panel.approve_button)
    await sign_in_on_sheet(w, name, PINS[name])
    assert w.sheet.step == "confirm", w.sheet.pad.message()
    await hold(live, "second-signin")


async def refusal_recorded(store: AuditStore, refusal: Refusal, n: int = 1) -> list:
    message = audit_message(refusal)
    await until(lambda: len([r for r in approvals(store) if r.message == message]) >= n, 5, f"the {refusal} record")
    return [r for r in approvals(store) if r.message == message]


@pytest.mark.slow
def test_two_operators_approve_and_both_names_and_times_are_in_the_one_record(aloop, windows, store):
    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES
        ) as live:
            w, sheet = live.window, live.window.sheet
            await first_confirms(live)
            # The second step names the same version and shows the time left, counted from the first hold.
            assert sheet.signin_title.text() == "Second operator: sign in to confirm 1.5.0"
            assert sheet.signin_caption.text() == "anna confirmed first. Tap another name."
            assert sheet.signin_countdown.text().startswith("Closes in ")
            # The keyboard focus starts on a name that can confirm, not on anna's (Enter there is refused).
            focused = w.focusWidget()
            assert focused is not sheet.operator_button("anna") and focused in [
                sheet.operator_button(n) for n in ("bert", "vera")
            ], focused
            assert live.approvals == []  # the first hold alone sends nothing
            tap(sheet.operator_button("bert"))
            await type_pin(sheet, PINS["bert"])
            assert sheet.step == "second-confirm", sheet.pad.message()
            assert sheet.operator_label.text() == "Second operator: bert. anna confirmed first."
            assert sheet.confirm_button.text() == "Hold to confirm" and not sheet.switch_button.isVisible()
            # Checking the second PIN neither signed anna out nor signed bert in.
            assert live.controller.current_operator().name == "anna" and w.signed_in.name == "anna"
            await hold(live, None)
            await until(lambda: live.approvals == ["1.5.0"], 5, "the approval at the mock")
            await until(lambda: any(r.outcome == "approved" for r in approvals(store)), 5, "the record")
            [record] = approvals(store)
            assert (record.operator, record.second_operator, record.version_id) == ("anna", "bert", "1.5.0")
            assert record.confirmed_at is not None and record.second_confirmed_at is not None
            assert record.confirmed_at <= record.second_confirmed_at <= record.completed_at
            as_json = record_to_json(record)
            assert as_json["secondOperator"] == "bert" and as_json["confirmedAt"] and as_json["secondConfirmedAt"]
            # The history view shows both names.
            assert w.open_history()
            table = w.history_sheet.view.table
            await until(lambda: table.rowCount() >= 1, 5, "the history")
            texts = [table.item(0, c).text() for c in range(table.columnCount())]
            assert any("anna" in t and "bert" in t for t in texts), texts

    run(aloop, body(), 60)


@pytest.mark.slow
def test_the_same_person_twice_and_a_viewer_are_refused_recorded_and_said(aloop, windows, store):
    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES
        ) as live:
            sheet = live.window.sheet
            await first_confirms(live)
            tap(sheet.operator_button("anna"))
            assert sheet.pad.message() == "Another operator, please." and not sheet.pad.isEnabled()
            assert sheet.signin_caption.text() == "anna confirmed first. A different operator must confirm."
            [record] = await refusal_recorded(store, Refusal.SAME_OPERATOR)
            assert (record.operator, record.second_operator, record.outcome) == ("anna", "anna", "refused-locally")
            tap(sheet.operator_button("vera"))
            assert sheet.pad.isEnabled()
            await type_pin(sheet, PINS["vera"])
            assert sheet.step == "second-signin"
            assert sheet.pad.message() == "Another operator, please."
            assert sheet.signin_caption.text() == "vera is a viewer and cannot confirm."
            [record] = await refusal_recorded(store, Refusal.VIEWER)
            assert (record.operator, record.second_operator, record.outcome) == ("anna", "vera", "refused-locally")
            assert live.controller.current_operator().name == "anna"  # vera's right PIN signed nobody in
            # Cancelling after the first hold is recorded too; nothing was ever sent.
            tap(sheet.signin_cancel)
            [record] = await refusal_recorded(store, Refusal.CANCELLED)
            assert record.operator == "anna" and record.second_operator is None
            await live.controller.client.refresh()
            assert live.approvals == []

    run(aloop, body(), 60)


@pytest.mark.slow
def test_a_wrong_pin_and_a_locked_out_second_operator_send_nothing(aloop, windows, store):
    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES
        ) as live:
            sheet, controller = live.window.sheet, live.controller
            await first_confirms(live)
            tap(sheet.operator_button("bert"))
            await type_pin(sheet, WRONG)
            assert sheet.pad.message() == "Wrong PIN, 4 tries left"
            assert sheet.signin_caption.text() == "bert is not confirmed as the second operator."
            assert sheet.step == "second-signin"
            for _ in range(4):
                await until(sheet.pad.isEnabled, 5, "the keypad")
                await type_pin(sheet, WRONG)
            # The 1 s tick's countdown may already have replaced "Wrong PIN. Locked for 60 s" (refresh_lock).
            assert re.fullmatch(r"(Wrong PIN\. )?Locked for (60|59) s", sheet.pad.message()), sheet.pad.message()
            assert sheet.signin_caption.text() == "bert is locked out. Another operator can confirm."
            assert not sheet.pad.isEnabled()
            failed = [r for r in store.records(kind=SIGNIN_FAILED) if r.operator == "bert"]
            assert [r.outcome for r in failed].count("wrong-pin") == 4 and failed[0].outcome == "locked-out"
            assert controller.current_operator().name == "anna"  # the first operator is still signed in
            # The locked-out second operator cannot slip past the controller either.
            assert controller.check_second_pin("bert", PINS["bert"]) is not None
            await until(lambda: controller._pin_check.done(), 5, "the check")
            assert not controller._pin_check.result().ok
            await controller.client.refresh()
            assert live.approvals == []

    run(aloop, body(), 60)


@pytest.mark.slow
def test_the_second_confirmation_after_the_time_limit_is_refused(aloop, windows, store):
    clock = JumpClock()

    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES, clock=clock
        ) as live:
            w, sheet = live.window, live.window.sheet
            await first_confirms(live)
            tap(sheet.operator_button("bert"))
            await type_pin(sheet, PINS["bert"])
            assert sheet.step == "second-confirm"
            clock.offset += 61.0  # a minute after anna's hold: the next render closes the sheet
            w.on_tick()
            assert not sheet.isVisible()
            expired = (
                "The second confirmation of 1.5.0 did not come within 60 s of the first. Nothing was sent; start again."
            )
            assert w.notice() == expired and expired in w.timeline_texts()
            [record] = await refusal_recorded(store, Refusal.EXPIRED)
            assert (record.operator, record.second_operator) == ("anna", "bert")
            assert live.approvals == []

    run(aloop, body(), 60)


@pytest.mark.slow
def test_a_new_offer_between_the_two_confirmations_is_refused(aloop, windows, store):
    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES
        ) as live:
            w, sheet = live.window, live.window.sheet
            await first_confirms(live)
            tap(sheet.operator_button("bert"))
            await type_pin(sheet, PINS["bert"])
            assert sheet.step == "second-confirm"
            live.mock.engine.publish("1.6.0", "## 1.6.0")  # a new release replaces the offer at the IPC
            await until(lambda: not sheet.isVisible(), 5, "the sheet to close")
            changed = (
                "The IPC's offer changed between the two confirmations of 1.5.0. Nothing was sent; review it again."
            )
            assert w.notice() == changed
            [record] = await refusal_recorded(store, Refusal.OFFER_CHANGED)
            assert (record.operator, record.second_operator, record.version_id) == ("anna", "bert", "1.5.0")
            assert live.approvals == []

    run(aloop, body(), 60)


@pytest.mark.slow
def test_an_approval_without_a_second_operator_is_refused_by_the_controller(aloop, windows, store):
    async def body():
        async with live_console(
            "approval", windows=windows, signin=signin_config(), audit=store, approval=FOUR_EYES
        ) as live:
            w, controller = live.window, live.controller
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            tap(w.version_panel.approve_button)
            await sign_in_on_sheet(w, "anna", PINS["anna"])
            tap(w.sheet.cancel_button)
            finished: list = []
            controller.approvalFinished.connect(finished.append)
            # A robot (or a bug) asking the controller directly, with only one confirmation, is refused.
            assert not controller.request_approval("1.5.0")
            assert finished and finished[0].message == "A second operator must confirm 1.5.0. Nothing was sent."
            await refusal_recorded(store, Refusal.NO_SECOND)
            await controller.client.refresh()
            assert live.approvals == []

    run(aloop, body(), 60)
