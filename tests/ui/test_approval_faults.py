"""Issue 9's fault cases through the console: sheet -> window -> controller -> client -> the scriptable fake IPC
over real gRPC, with a real audit store. Each asserts what reached the IPC, what the screen says, and the record."""

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


def _console(fake: RunningFake, store: AuditStore, windows: list) -> tuple[Any, Any, list[Any]]:
    from hmi.app import build_console

    config = ClientConfig(target=fake.address, poll_interval=0.2, deadline=1.0, stale_after=5.0)
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
    assert "failed at once" in result.message and record.sends == 1
    assert "failed at once" in window.notice() or any("failed at once" in t for t in window.timeline_texts())


def test_unknown_outcome_is_said_and_settled_on_a_later_read(aloop, windows, fake, tmp_path: Path) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        window, result = _approve_through_the_console(aloop, fake, store, windows)
        assert "not known whether 1.5.0 was approved" in result.message
        assert "not known whether" in window.notice() or any("not known whether" in t for t in window.timeline_texts())
        assert fake.ipc.approvals == ["1.5.0"]
        (record,) = store.records()
        assert record.outcome == "unknown"
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
    assert fake.ipc.approvals == []
    assert "Audit trail busy" in results[0].message
