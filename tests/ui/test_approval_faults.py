"""Issue 9's fault cases through the console: sheet -> window -> controller -> client -> the scriptable fake IPC
over real gRPC, with a real audit store. Each asserts what reached the IPC (count and exact ids), what the screen
says (the notice under Install, `noticeText`, and the timeline) and the audit trail's final outcome.

The cases: the answer lost after the IPC applied it; the answer lost and the re-read failing (unknown, settled
by a later console); FAULT at once, with and without the answer lost; the offer changing while the sheet is
open and in the gap before the console re-reads; another party approving while the sheet is open; the audit
store busy."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import grpc
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hmi.core.audit import AuditStore
from hmi.core.config import ClientConfig
from tests.core.fake_ipc import RunningFake, available, fault, running, start_fake

from .conftest import run, until


@pytest.fixture
def fake() -> Any:
    server = start_fake()
    try:
        yield server
    finally:
        server.stop()


async def _hold_install(window: Any) -> None:
    await until(window.version_panel.approve_button.isEnabled, 10, "Install")
    QTest.mouseClick(window.version_panel.approve_button, Qt.MouseButton.LeftButton)
    assert window.sheet.isVisible(), window.notice()
    button = window.sheet.confirm_button
    QTest.mousePress(button, Qt.MouseButton.LeftButton)
    await until(lambda: not window.sheet.isVisible(), 5, "the hold")
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)


def _console(
    fake: RunningFake, store: AuditStore, windows: list, poll: float = 0.2, stale: float = 5.0
) -> tuple[Any, Any, list[Any]]:
    from hmi.app import build_console

    config = ClientConfig(target=fake.address, poll_interval=poll, deadline=1.0, stale_after=stale)
    window, controller = build_console(config, hold_seconds=0.2, audit=store)
    windows.append(window)
    results: list[Any] = []
    controller.approvalFinished.connect(results.append)
    window.resize(1280, 800)
    window.show()
    return window, controller, results


def _approve_through_the_console(aloop: Any, fake: RunningFake, store: AuditStore, windows: list) -> Any:
    window, controller, results = _console(fake, store, windows)

    async def body() -> None:
        try:
            await controller.start()
            await _hold_install(window)
            await until(lambda: bool(results), 10, "the result")
        finally:
            await controller.aclose()

    run(aloop, body(), 30)
    return window, results[0]


def test_fault_at_once_with_the_answer_lost_is_sent_once_and_said(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda v: fake.ipc.set(fault(v))
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, result = _approve_through_the_console(aloop, fake, store, windows)
        (record,) = store.records()
    assert fake.ipc.approvals == ["1.5.0"]  # main: sent twice, the second an unconfirmed retry
    text = "Approved 1.5.0, but the update failed at once: the IPC reports a fault."
    assert result.message == text and record.sends == 1
    assert _screen(window) == text and text in window.timeline_texts()
    assert (record.version_id, record.outcome, record.code) == ("1.5.0", "approved", "UNAVAILABLE")


def _screen(window: Any) -> str:
    """The notice under Install, as drawn (objectName noticeText), and the same as window.notice()."""
    from PySide6.QtWidgets import QWidget

    label = window.findChild(QWidget, "noticeText")
    assert label is not None and label.isVisible()
    assert label.text() == window.notice(), (label.text(), window.notice())
    return window.notice()


def test_the_answer_lost_after_the_ipc_applied_it_is_approved_once(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = ["apply-then-unavailable"]
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, result = _approve_through_the_console(aloop, fake, store, windows)
        (record,) = store.records()
    assert fake.ipc.approvals == ["1.5.0"]  # no resend: the re-read shows RUNNING(1.5.0)
    assert str(result.outcome) == "approved" and result.sends == 1
    assert result.message == "Approved 1.5.0. The IPC is installing it."
    assert _screen(window) == "Approved 1.5.0."  # the re-read shows it running: the progress says the rest
    assert (record.outcome, record.code, record.sends, record.sent_state) == (
        "approved",
        "UNAVAILABLE",
        1,
        "update-available",
    )


def test_fault_at_once_is_said_and_waits_for_a_person(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = ["ok"]
    fake.ipc.on_approve = lambda v: fake.ipc.set(fault(v))
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, result = _approve_through_the_console(aloop, fake, store, windows)
        (record,) = store.records()
    assert result.sends == 1 and fake.ipc.approvals == ["1.5.0"]  # the FAULT is not retried by itself
    assert _screen(window) == "Approved 1.5.0, but the update failed at once: the IPC reports a fault."
    assert (record.outcome, record.code, record.sends) == ("approved", "OK", 1)
    # A person decides: Install offers the retry, and the sheet says it is one.
    assert window.open_confirmation() and window.sheet.retry.isVisible()


def test_unknown_outcome_is_said_and_settled_on_a_later_read(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, result = _approve_through_the_console(aloop, fake, store, windows)
        assert "not known whether 1.5.0 was approved" in result.message
        shown = (
            "It is not known whether the IPC received the approval for 1.5.0. The IPC cannot be reached. "
            "Watch the state here before approving again."
        )
        assert _screen(window) == shown and shown in window.timeline_texts()
        assert fake.ipc.approvals == ["1.5.0"]  # the re-read failed: no resend on a guess
        (record,) = store.records()
        assert (record.outcome, record.sends) == ("unknown", 1)
        # A new console (a restart) settles it on its first read: the pending list is in the store.
        fake.ipc.on_approve = None
        fake.ipc.report_error = None
        fake.ipc.set(running("1.5.0"))
        _window2, controller2, _results = _console(fake, store, windows)

        async def body() -> None:
            try:
                await controller2.start()
                await until(lambda: store.get(record.id).outcome != "unknown", 10, "the record settled")
            finally:
                await controller2.aclose()

        run(aloop, body(), 30)
        settled = store.get(record.id)
    assert settled is not None and settled.outcome == "ran-later"


def test_a_busy_audit_trail_sends_nothing_and_says_so(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path) as store:
        window, controller, results = _console(fake, store, windows)
        other = sqlite3.connect(path, isolation_level=None)

        async def body() -> None:
            try:
                await controller.start()
                other.execute("BEGIN IMMEDIATE")  # the CLI holds the write lock
                await _hold_install(window)
                await until(lambda: bool(results), 10, "the result")
            finally:
                other.execute("ROLLBACK")
                await controller.aclose()

        try:
            run(aloop, body(), 30)
        finally:
            other.close()
        records = store.records()
    assert fake.ipc.approvals == []
    text = "Audit trail busy: another program is writing to it. The approval was not sent; try again."
    assert results[0].message == text and _screen(window) == text
    assert records == []  # the record could not be begun, so nothing was sent


def _open_sheet(window: Any) -> Any:
    QTest.mouseClick(window.version_panel.approve_button, Qt.MouseButton.LeftButton)
    assert window.sheet.isVisible(), window.notice()
    return window.sheet


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (
            lambda ipc: ipc.set(available("1.6.0")),
            "The offered version changed to 1.6.0 while you were confirming 1.5.0. Nothing was sent. "
            "Review the new version.",
        ),
        (lambda ipc: ipc.set(running("1.5.0")), "The IPC no longer offers 1.5.0. Nothing was sent."),
    ],
    ids=["offer-changed", "another-party-approved"],
)
def test_a_change_seen_while_the_sheet_is_open_closes_it_and_sends_nothing(
    aloop, windows, fake, tmp_path: Path, change: Any, text: str
) -> None:
    fake.ipc.set(available("1.5.0"))
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, controller, results = _console(fake, store, windows)

        async def body() -> None:
            try:
                await controller.start()
                await until(window.version_panel.approve_button.isEnabled, 10, "Install")
                sheet = _open_sheet(window)
                change(fake.ipc)  # another console approved, or a new release replaced the offer
                await until(lambda: not sheet.isVisible(), 10, "the sheet to close")
                # The hold the operator started anyway cannot send: the sheet is gone, the controller refuses.
                assert not controller.request_approval("1.5.0")
                await controller.client.refresh()
            finally:
                await controller.aclose()

        run(aloop, body(), 30)
        records = store.records()
    assert fake.ipc.approvals == []
    assert text in window.timeline_texts()
    assert [(r.version_id, r.outcome) for r in records] == []  # nothing was begun
    assert results and all(str(r.outcome) in ("not-offered", "refused-locally") for r in results)


def test_the_offer_changed_at_the_ipc_before_the_console_re_read_is_refused_by_the_ipc(
    aloop, windows, fake, tmp_path: Path
) -> None:
    """The hold completes while the console's data is fresh but already old: the IPC offers 1.6.0 now. The
    confirmed 1.5.0 goes out once, exactly; the IPC refuses it; nothing runs; the screen names the new offer."""
    fake.ipc.set(available("1.5.0"))
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, controller, results = _console(fake, store, windows, poll=30.0, stale=60.0)

        async def body() -> None:
            try:
                await controller.start()
                await until(window.version_panel.approve_button.isEnabled, 10, "Install")
                sheet = _open_sheet(window)
                fake.ipc.set(available("1.6.0"))  # the console polls again only in 30 s
                button = sheet.confirm_button
                QTest.mousePress(button, Qt.MouseButton.LeftButton)
                await until(lambda: bool(results), 10, "the result")
                QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
            finally:
                await controller.aclose()

        run(aloop, body(), 30)
        (record,) = store.records()
    assert fake.ipc.approvals == ["1.5.0"]
    assert fake.ipc.info.state == fake.ipc.info.STATE_UPDATE_AVAILABLE  # nothing runs
    assert str(results[0].outcome) == "refused" and results[0].code == "FAILED_PRECONDITION"
    assert _screen(window) == (
        "Not installed: The offered update changed. Review the new version before approving. The IPC now offers "
        "1.6.0, not 1.5.0. Review what is offered now before approving."
    )
    assert (record.version_id, record.outcome, record.code) == ("1.5.0", "refused", "FAILED_PRECONDITION")
    assert record.sends == 1


def test_another_party_approved_before_the_console_re_read_starts_no_second_run(
    aloop, windows, fake, tmp_path: Path
) -> None:
    """Another console started 1.5.0 in the gap; this console's hold completes on data that still shows the
    offer. Its one send of exactly 1.5.0 finds the IPC running 1.5.0 (the contract answers OK: the running id is
    accepted again) and no second run starts."""
    fake.ipc.set(available("1.5.0"))
    runs: list[str] = []
    original = fake.ipc.apply_approval

    def counting(version_id: str) -> None:
        before = fake.ipc.info.state
        original(version_id)
        if fake.ipc.info.state != before:
            runs.append(version_id)

    fake.ipc.apply_approval = counting  # type: ignore[method-assign]
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, controller, results = _console(fake, store, windows, poll=30.0, stale=60.0)

        async def body() -> None:
            try:
                await controller.start()
                await until(window.version_panel.approve_button.isEnabled, 10, "Install")
                sheet = _open_sheet(window)
                fake.ipc.set(running("1.5.0", step=1))  # someone else's approval, unseen by this console
                button = sheet.confirm_button
                QTest.mousePress(button, Qt.MouseButton.LeftButton)
                await until(lambda: bool(results), 10, "the result")
                QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
            finally:
                await controller.aclose()

        run(aloop, body(), 30)
        (record,) = store.records()
    assert fake.ipc.approvals == ["1.5.0"] and runs == []  # one send, exactly the id shown; no new run
    assert str(results[0].outcome) == "approved"
    assert _screen(window) == "Approved 1.5.0."  # already running: one short line beside the progress
    assert (record.version_id, record.outcome, record.sends) == ("1.5.0", "approved", 1)
