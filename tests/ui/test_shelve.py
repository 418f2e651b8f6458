""" "Remind me later" (issue 15, shelving after ISA-18.2) through the screen, against the real mock IPC over
loopback gRPC: the offer goes calm and stays usable, the timeline says so, and the reminder comes back when its
time is up (an injected wall clock), when the mock offers another version, or on "Remind me now"; the shelf
survives a restart of the console. Built states (no network) cover a fault, stale data and a broken file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from hmi.core.config import AppConfig, ApprovalConfig, ClientConfig
from hmi.core.shelve import SHELF_FILE, Choice, Shelf, write_shelf
from hmi.core.view import Severity

from .conftest import run, until
from .live import spy_approvals, tap

pytestmark = pytest.mark.slow

SHIFTS = ("06:00", "14:00", "22:00")


@pytest.fixture(autouse=True)
def keep_running(qapp):
    """A console closed mid-test (the restart) must not end the loop the test still runs on (as in `main`)."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


class Wall:
    """time.time() moved on by `offset` seconds: the shelving time runs out without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def app_config(target: str, data_dir: Path, shift_ends: tuple[str, ...] = SHIFTS) -> AppConfig:
    return AppConfig(
        client=ClientConfig(target=target, poll_interval=0.25, deadline=1.0),
        config_file=None,
        audit_path=data_dir / "audit.sqlite3",
        data_dir=data_dir,
        approval=ApprovalConfig(timezone="Europe/Berlin", shift_ends=shift_ends),
    )


@contextlib.asynccontextmanager
async def console(target: str, data_dir: Path, wall: Wall, windows: list[Any], **kw: Any) -> AsyncIterator[Any]:
    from hmi.app import build_console

    window, controller = build_console(app_config(target, data_dir, **kw), hold_seconds=0.3, wall=wall)
    windows.append(window)
    window.resize(1024, 600)
    window.show()
    try:
        await controller.start()
        await until(lambda: controller.state is not None and controller.state.snapshot is not None, 10, "data")
        yield window
    finally:
        await controller.aclose()
        window.force_close()


def kind(window: Any) -> str:
    return str(window.headline_card.property("kind"))


async def shelve_on_screen(window: Any, choice: Choice) -> None:
    row = window.shelving.row
    await until(row.isVisible, 5, "the Remind me later button")
    assert row.button.text() == "Remind me later" and row.button.height() >= 48
    tap(row.button)
    sheet = window.shelving.sheet
    assert sheet.isVisible()
    tap(sheet.buttons[choice])
    assert not sheet.isVisible()
    await until(lambda: kind(window) == "update-shelved", 2, "the calm headline")


def saved(data_dir: Path) -> Any:
    path = data_dir / SHELF_FILE
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return "missing"


def test_shelve_calm_time_up_and_new_version(aloop, windows, tmp_path):
    from hmi.mock.control import ControlClient
    from hmi.mock.server import start_mock

    async def body():
        mock = await start_mock(scenario="approval", speed=20)
        approvals = spy_approvals(mock)
        wall = Wall()
        try:
            async with console(mock.address, tmp_path, wall, windows) as w:
                assert kind(w) == "update-available" and w.headline_card.severity is Severity.ATTENTION
                await shelve_on_screen(w, Choice.ONE_HOUR)
                # Calm: the neutral tone; the offer stays, Install stays usable; the line says until when, by whom.
                assert w.headline_card.severity is Severity.NORMAL
                assert w.headline_card.headline_icon.icon_name() == "update-shelved"
                assert "Reminder shelved until" in w.headline_card.headline_detail.text()
                assert "(nobody signed in)" in w.headline_card.headline_detail.text()
                assert w.version_panel.available_version.text() == "1.5.0"
                assert w.version_panel.approve_button.isEnabled()
                assert w.version_panel.approve_button.full_text() == "Install 1.5.0"
                assert "1.5.0" in w.notes_pane.notes.toPlainText()
                assert w.shelving.row.button.text() == "Remind me now"
                assert any("Reminder for 1.5.0 shelved until" in t for t in w.timeline_texts())
                await until(lambda: isinstance(saved(tmp_path), dict), 5, "the shelf saved")
                assert saved(tmp_path)["version_id"] == "1.5.0" and saved(tmp_path)["target"] == mock.address
                assert approvals == []  # shelving sends nothing

                # The time is up: the attention tone is back, and the timeline says why.
                wall.offset = 3601
                w.on_tick()
                assert kind(w) == "update-available" and w.headline_card.severity is Severity.ATTENTION
                assert w.timeline_texts()[0] == "Reminder for 1.5.0 is back: the shelving time is up."
                await until(lambda: saved(tmp_path) is None, 5, "the ended shelf saved")

                # Shelved again, until the end of the shift; then the mock offers another version.
                await shelve_on_screen(w, Choice.END_OF_SHIFT)
                async with ControlClient(mock.address) as ctl:
                    await ctl.publish("1.5.1", notes="## 1.5.1\n\nA fix.")
                await until(lambda: w.version_panel.available_version.text() == "1.5.1", 10, "the new offer")
                assert kind(w) == "update-available" and w.headline_card.severity is Severity.ATTENTION
                texts = w.timeline_texts()
                assert "Reminder is back: 1.5.1 is offered now instead of the shelved 1.5.0." in texts
                assert approvals == []
        finally:
            await mock.stop(grace=None)

    run(aloop, body(), 40)


def test_the_shelf_survives_a_restart_and_remind_me_now_ends_it(aloop, windows, tmp_path):
    from hmi.mock.server import start_mock

    async def body():
        mock = await start_mock(scenario="approval", speed=20)
        wall = Wall()
        try:
            async with console(mock.address, tmp_path, wall, windows) as w:
                await shelve_on_screen(w, Choice.FOUR_HOURS)
                await until(lambda: isinstance(saved(tmp_path), dict), 5, "the shelf saved")
            async with console(mock.address, tmp_path, wall, windows) as w2:
                await until(lambda: kind(w2) == "update-shelved", 5, "the shelf read back after the restart")
                assert w2.headline_card.severity is Severity.NORMAL
                # Ctrl+L (the technician's key) is "Remind me now" while shelved.
                QTest.keySequence(w2, QKeySequence("Ctrl+L"))
                assert kind(w2) == "update-available"
                assert w2.timeline_texts()[0] == "Reminder for 1.5.0 is back: un-shelved."
                await until(lambda: saved(tmp_path) is None, 5, "the ended shelf saved")
                QTest.keySequence(w2, QKeySequence("Ctrl+L"))  # and the chooser otherwise
                assert w2.shelving.sheet.isVisible()
                QTest.keyClick(w2.shelving.sheet, Qt.Key.Key_Escape)
                assert not w2.shelving.sheet.isVisible() and kind(w2) == "update-available"
            # Another IPC at the same data folder does not take the shelf over.
            write_shelf(tmp_path / SHELF_FILE, Shelf("10.9.9.9:50051", "1.5.0", wall() + 3600, "anna", wall()))
            async with console(mock.address, tmp_path, wall, windows) as w3:
                for _ in range(3):
                    w3.on_tick()
                assert kind(w3) == "update-available" and w3.shelving.shelf is None
        finally:
            await mock.stop(grace=None)

    run(aloop, body(), 40)


# -- built states, no network ------------------------------------------------------------------------------
def built(qtbot, data_dir: Path | None = None, shift_ends: tuple[str, ...] = SHIFTS):
    from hmi.ui.window import ConsoleWindow

    from .states import FakeClock, client_state, info

    clock, wall = FakeClock(1000.0), Wall()
    window = ConsoleWindow(target="192.168.100.200:50051", clock=clock, wall=wall)
    qtbot.addWidget(window)
    window.enable_shelving(shift_ends, "Europe/Berlin", data_dir)
    window.resize(800, 480)
    window.show()
    window.set_state(client_state(info("available")))
    return window, clock, wall, client_state, info


@pytest.fixture
def qapp_prepared(qapp):
    from hmi.app import _prepare_app

    _prepare_app(qapp)
    return qapp


def test_a_fault_is_never_shelved_and_ends_the_shelf(qtbot, qapp_prepared, tmp_path):
    window, _clock, _wall, client_state, info = built(qtbot, tmp_path)
    assert window.shelving.open() and window.shelving.sheet.isVisible()
    window.shelving.sheet._choose(Choice.ONE_HOUR)
    assert kind(window) == "update-shelved"
    window.set_state(client_state(info("fault")))  # the same version offered again, for a retry
    assert kind(window) == "fault" and window.headline_card.severity is Severity.ALARM
    assert not window.shelving.row.isVisible() and window.shelving.shelf is None
    assert window.timeline_texts()[0] == "Shelving of 1.5.0 ended: the IPC no longer offers it."
    assert not window.shelving.open()  # nothing to shelve during a fault
    window.set_state(client_state(info("running", step=1, total=5)))
    assert not window.shelving.row.isVisible()


def test_stale_data_is_never_calm_and_the_shelf_waits(qtbot, qapp_prepared):
    window, _clock, _wall, client_state, info = built(qtbot)
    window.shelving.open()
    window.shelving.sheet._choose(Choice.FOUR_HOURS)
    assert kind(window) == "update-shelved"
    window.set_state(client_state(info("available"), age=30.0, failed=True, error="UNAVAILABLE"))
    assert kind(window) == "stale" and window.headline_card.severity is Severity.DEGRADED
    assert not window.shelving.row.isVisible() and window.shelving.shelf is not None
    window.set_state(client_state(info("available")))  # live again, the same offer: still shelved
    assert kind(window) == "update-shelved"


def test_the_chooser_closes_when_the_offer_changes_and_shelves_nothing(qtbot, qapp_prepared):
    window, _clock, _wall, client_state, info = built(qtbot)
    assert window.shelving.open()
    window.set_state(client_state(info("available", available="1.6.0")))
    assert not window.shelving.sheet.isVisible()
    assert not window.shelving.choose(Choice.ONE_HOUR, "1.5.0")  # a late choice for the old offer
    assert window.shelving.shelf is None and kind(window) == "update-available"


def test_end_of_shift_only_when_shift_ends_are_configured(qtbot, qapp_prepared):
    window, *_ = built(qtbot, shift_ends=())
    assert window.shelving.open()
    sheet = window.shelving.sheet
    assert not sheet.buttons[Choice.END_OF_SHIFT].isVisible()
    QTest.keyClick(sheet, Qt.Key.Key_E)  # its key does nothing either
    assert sheet.isVisible() and window.shelving.shelf is None
    QTest.keyClick(sheet, Qt.Key.Key_4)
    assert not sheet.isVisible() and window.shelving.shelf is not None


def test_a_signed_in_operator_is_named(qtbot, qapp_prepared):
    window, *_ = built(qtbot)
    operator = type("Op", (), {"name": "anna", "role": "operator", "may_approve": True})()
    window.shelving._operator = lambda: operator
    window.shelving.open()
    window.shelving.sheet._choose(Choice.ONE_HOUR)
    assert "by anna." in window.headline_card.headline_detail.text()
    assert "by anna." in window.timeline_texts()[0]


def test_a_broken_file_is_ignored_with_one_warning(qtbot, qapp_prepared, tmp_path, caplog):
    (tmp_path / SHELF_FILE).write_text("{not json", "utf-8")
    with caplog.at_level(logging.WARNING, logger="hmi.core.shelve"):
        window, *_ = built(qtbot, tmp_path)
    assert kind(window) == "update-available" and window.shelving.shelf is None
    assert [r.levelno for r in caplog.records if r.name == "hmi.core.shelve"] == [logging.WARNING]


def test_a_shelf_past_midnight_says_its_date(qtbot, qapp_prepared):
    """Shelved at 23:00 until the end of a night shift at 02:00: the chooser, the headline and the timeline say
    the date with the time, so nobody reads it as 02:00 today (past already)."""
    import datetime as dt
    import zoneinfo

    window, _clock, wall, client_state, info = built(qtbot, shift_ends=("02:00",))
    late = dt.datetime(2026, 12, 7, 23, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")).timestamp()
    wall.offset = late - time.time()
    window.set_state(client_state(info("available")))
    assert window.shelving.open()
    button = window.shelving.sheet.buttons[Choice.END_OF_SHIFT]
    assert "2026-12-08 02:00" in button.text()
    window.shelving.sheet._choose(Choice.END_OF_SHIFT)
    assert "until 2026-12-08 02:00" in window.headline_card.headline_detail.text()
    assert "2026-12-08 02:00" in window.timeline_texts()[0]
    wall.offset += 3 * 3600  # 02:00 has come; a shelf until 06:00 the same morning needs no date
    window.set_state(client_state(info("available")))
    assert window.shelving.shelf is None
    window.shelving.open()
    window.shelving.sheet._choose(Choice.FOUR_HOURS)
    assert "until 06:00" in window.headline_card.headline_detail.text()
