"""Maintenance windows on the console (issue 15), over real gRPC against the mock, with an injected wall clock.

Outside a window Install is off and says when approving is allowed; the screen follows the clock every tick;
an open confirmation closes when its window closes; a send the controller refuses because the window closed
is recorded as refused-locally; an update already running is never affected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hmi.core.audit import AuditStore
from hmi.core.config import AppConfig, ApprovalConfig, ClientConfig
from hmi.core.model import ApprovalIntent, UpdateState

from .conftest import run, until
from .live import Live, approve_on_screen, spy_approvals

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WINDOWS = ("Mon-Fri 22:00-06:00", "Sat 06:00-14:00")


class Wall:
    """The wall clock the console checks windows against (epoch seconds), moved by the test."""

    def __init__(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def set(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@contextlib.asynccontextmanager
async def windowed_console(
    windows: list, wall: Wall, store: AuditStore, scenario: str = "approval"
) -> AsyncIterator[Live]:
    from hmi.app import build_console
    from hmi.mock.server import start_mock

    mock = await start_mock(scenario=scenario, speed=20.0)
    approvals = spy_approvals(mock)
    config = AppConfig(
        client=ClientConfig(target=mock.address, poll_interval=0.25, deadline=1.0),
        config_file=None,
        audit_path=store.path,
        approval=ApprovalConfig(windows=WINDOWS, timezone="Europe/Berlin"),
    )
    window, controller = build_console(config, hold_seconds=0.3, audit=store, wall=wall)
    windows.append(window)
    live = Live(mock, window, controller, approvals)
    controller.stateChanged.connect(live.seen.append)
    window.resize(1280, 800)
    window.show()
    try:
        await controller.start()
        await until(lambda: live.snap() is not None, 10, "the first data")
        yield live
    finally:
        await controller.aclose()
        await mock.stop(grace=None)
        window.force_close()


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = AuditStore.open(tmp_path / "audit.sqlite3")
    yield opened
    opened.close()


def records(store: AuditStore) -> list[Any]:
    return [r for r in store.records() if r.kind == "approve-update"]


@pytest.mark.slow
def test_outside_a_window_install_is_off_and_opens_with_the_window(aloop, windows, store) -> None:
    wall = Wall(berlin(2026, 12, 5, 3, 50))  # Saturday 03:50

    async def body() -> None:
        async with windowed_console(windows, wall, store) as live:
            w = live.window
            button = w.version_panel.approve_button
            # Friday's window runs to Saturday 06:00: open at 03:50 ("Mon-Fri 22:00-06:00" starts on Friday).
            await until(button.isEnabled, 10, "Install inside Friday's night window")
            # Saturday's window (06:00-14:00) follows Friday's night without a gap: allowed until 14:00.
            until_text = "Approvals until Sat 14:00."
            assert w.version_panel.notice_text.text() == "Ready to approve. " + until_text  # and how long
            wall.set(berlin(2026, 12, 5, 14, 0))  # Saturday 14:00: the Saturday window just closed
            w.on_tick()
            assert not button.isEnabled()
            next_text = "Approvals are allowed from Mon 22:00; next in 2 days 8 h."
            assert w.version_panel.notice_text.text() == next_text, w.version_panel.notice_text.text()
            assert w.version_panel.approve_button.accessibleDescription() == next_text
            assert not w.open_confirmation() and not w.sheet.isVisible()
            assert w.notice() == next_text
            # Two minutes before Monday's window, then the window opens while the screen is up.
            w.dismiss_notice()
            wall.set(berlin(2026, 12, 7, 21, 58))
            w.on_tick()
            assert w.version_panel.notice_text.text() == "Approvals are allowed from Mon 22:00; next in 2 min."
            assert not button.isEnabled()
            wall.set(berlin(2026, 12, 7, 22, 0))
            w.on_tick()
            assert button.isEnabled()
            assert await approve_on_screen(live) == "1.5.0"
            await until(lambda: live.approvals == ["1.5.0"], 5, "the approval at the mock")

    run(aloop, body(), 40)


@pytest.mark.slow
def test_the_reason_names_the_next_start_and_the_wait(aloop, windows, store) -> None:
    wall = Wall(berlin(2026, 12, 4, 19, 50))  # Friday 19:50, from the first render on

    async def body() -> None:
        async with windowed_console(windows, wall, store) as live:
            w = live.window
            await until(lambda: w.version_panel.notice_text.text() != "", 5, "the hint")
            assert w.version_panel.notice_text.text() == "Approvals are allowed from Fri 22:00; next in 2 h 10 min."
            assert w.version_panel.approve_button.full_text() == "Install 1.5.0"
            assert not w.version_panel.approve_button.isEnabled()
            assert not live.controller.request_approval("1.5.0")  # a robot is refused too, and it is recorded
            await until(lambda: len(records(store)) == 1, 5, "the refusal in the audit trail")
            assert records(store)[0].outcome == "refused-locally"
            await live.controller.client.refresh()
            assert live.approvals == []

    run(aloop, body(), 30)


@pytest.mark.slow
def test_an_open_confirmation_closes_when_the_window_closes(aloop, windows, store) -> None:
    wall = Wall(berlin(2026, 12, 5, 13, 59))

    async def body() -> None:
        async with windowed_console(windows, wall, store) as live:
            w = live.window
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            assert w.open_confirmation() and w.sheet.isVisible()
            wall.set(berlin(2026, 12, 5, 14, 0))
            w.on_tick()
            assert not w.sheet.isVisible()
            assert w.notice().startswith("The confirmation closed: Approvals are allowed from Mon 22:00")
            assert w.notice().endswith("Nothing was sent.")
            await live.controller.client.refresh()
            assert live.approvals == []
            assert records(store) == []  # nothing was attempted: the sheet closed before a hold ended

    run(aloop, body(), 30)


@pytest.mark.slow
def test_a_send_after_the_window_closed_is_refused_and_recorded(aloop, windows, store) -> None:
    """The hold ended between two renders, after the window closed: the controller checks again and records it."""
    wall = Wall(berlin(2026, 12, 5, 13, 59))

    async def body() -> None:
        async with windowed_console(windows, wall, store) as live:
            w, controller = live.window, live.controller
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            results: list[Any] = []
            controller.approvalFinished.connect(results.append)
            opened = controller._clock()
            wall.set(berlin(2026, 12, 5, 14, 0, 30))
            assert not controller.request_approval(ApprovalIntent("1.5.0", opened_at=opened, is_retry=False))
            assert len(results) == 1 and results[0].outcome.value == "refused-locally"
            assert results[0].message == "Approvals are allowed from Mon 22:00; next in 2 days 8 h. 1.5.0 was not sent."
            await until(lambda: len(records(store)) == 1, 5, "the refusal in the audit trail")
            (record,) = records(store)
            assert (record.version_id, record.outcome, record.current_version) == ("1.5.0", "refused-locally", "1.4.2")
            assert record.message.startswith("outside the maintenance windows (Mon-Fri 22:00-06:00, Sat 06:00-14:00")
            assert "Mon 2026-12-07 22:00" in record.message
            await controller.client.refresh()
            assert live.approvals == []

    run(aloop, body(), 30)


@pytest.mark.slow
def test_a_running_update_is_never_affected(aloop, windows, store) -> None:
    wall = Wall(berlin(2026, 12, 5, 13, 59))

    async def body() -> None:
        async with windowed_console(windows, wall, store) as live:
            w = live.window
            assert await approve_on_screen(live) == "1.5.0"
            await until(lambda: live.snap() is not None and live.snap().state is UpdateState.RUNNING, 10, "running")
            wall.set(berlin(2026, 12, 5, 15, 0))  # the window closed during the update
            w.on_tick()
            assert "Approvals are allowed" not in w.version_panel.notice_text.text()
            assert not any("Approvals are allowed" in t for t in w.timeline_texts())
            await until(lambda: live.snap().state is UpdateState.UP_TO_DATE, 20, "the update to finish")
            assert live.snap().current is not None and live.snap().current.version_id == "1.5.0"
            assert live.approvals == ["1.5.0"]
            assert [r.outcome for r in records(store)] == ["approved"]

    run(aloop, body(), 40)
