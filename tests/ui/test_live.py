"""The console against the real mock IPC over loopback gRPC, through the screen.

Every state the mock can produce, and every approval rule: a changed offer with the sheet open,
stale data, a double tap, a refusal, the FAULT retry, automatic mode with no approval, and
hostile notes. (The mock never sends an unknown state; test_window covers it with built states.)
"""

from __future__ import annotations

import pytest

from hmi.core.model import UpdateState

from .conftest import run, until
from .live import approve_on_screen, live_console

pytestmark = pytest.mark.slow


def test_approval_end_to_end_through_the_screen(aloop, windows):
    async def body():
        async with live_console("approval", speed=20, windows=windows) as live:
            w = live.window
            assert w.headline_card.headline_icon.icon_name() == "update-available"
            assert (
                "1.5.0" in w.notes_pane.notes.toPlainText()
                and "Faster skill start-up" in w.notes_pane.notes.toPlainText()
            )
            assert w.version_panel.approve_button.full_text() == "Install 1.5.0"
            sent = await approve_on_screen(live)
            assert sent == "1.5.0"
            await until(lambda: "Approved 1.5.0" in w.notice(), 5, "the success message")
            await until(lambda: w.version_panel.progress_bar.isVisible(), 5, "the progress bar")
            assert w.version_panel.progress_text.text().startswith("Step ")
            await until(lambda: live.snap().state is UpdateState.UP_TO_DATE, 15, "up to date")
            await until(lambda: w.headline_card.headline_icon.icon_name() == "up-to-date", 2)
            assert w.version_panel.current_version.text() == "1.5.0"
            assert not w.version_panel.approve_button.isEnabled()
            assert live.approvals == ["1.5.0"]
            assert live.kinds()[:3] == [UpdateState.UPDATE_AVAILABLE, UpdateState.RUNNING, UpdateState.UP_TO_DATE]
            texts = w.timeline_texts()
            assert any("Approval for 1.5.0 sent" in t for t in texts)
            assert any(t.startswith("Step ") for t in texts)
            assert texts.index(next(t for t in texts if t.startswith("Up to date"))) == 0  # newest first

    run(aloop, body(), 40)


def test_fault_shows_the_rollback_and_the_retry_succeeds(aloop, windows):
    async def body():
        async with live_console("fault", speed=20, windows=windows) as live:
            w = live.window
            await approve_on_screen(live)
            await until(lambda: live.snap().state is UpdateState.FAULT, 15, "the fault")
            await until(lambda: w.headline_card.headline_icon.icon_name() == "fault", 2)
            assert "went back to version 1.4.2" in w.headline_card.headline_detail.text()
            assert w.headline_card.severity.value == "alarm"
            await until(w.version_panel.approve_button.isEnabled, 5)
            assert w.version_panel.approve_button.full_text() == "Install 1.5.0"
            assert "retries" in w.version_panel.notice_text.text() or w.notice()
            await approve_on_screen(live)  # the retry
            await until(lambda: live.snap().state is UpdateState.UP_TO_DATE, 15, "the retry to finish")
            assert live.snap().current.version_id == "1.5.0"
            assert live.approvals == ["1.5.0", "1.5.0"]

    run(aloop, body(), 50)


def test_automatic_mode_installs_with_no_approval(aloop, windows):
    async def body():
        async with live_console("automatic", speed=10, windows=windows) as live:
            w = live.window
            assert w.headline_card.headline_icon.icon_name() == "up-to-date"
            await until(lambda: live.snap().state is UpdateState.RUNNING, 10, "the automatic update to start")
            await until(lambda: live.snap().state is UpdateState.UP_TO_DATE, 15, "it to finish")
            assert live.snap().current.version_id == "1.5.0"
            assert live.approvals == []
            assert UpdateState.RUNNING in live.kinds()
            await until(lambda: w.version_panel.current_version.text() == "1.5.0", 2)
            assert not w.version_panel.approve_button.isEnabled()

    run(aloop, body(), 40)


def test_power_loss_comes_back_as_fault(aloop, windows):
    async def body():
        async with live_console("power-loss", speed=10, windows=windows) as live:
            await approve_on_screen(live)
            await until(lambda: live.snap().state is UpdateState.FAULT, 20, "FAULT after the power loss")
            await until(lambda: live.window.headline_card.headline_icon.icon_name() == "fault", 2)
            assert live.snap().current.version_id == "1.4.2"

    run(aloop, body(), 40)


def test_offer_change_with_the_sheet_open_closes_it_and_sends_nothing(aloop, windows):
    async def body():
        from hmi.mock.control import ControlClient

        async with live_console("approval", windows=windows) as live:
            w = live.window
            await until(w.version_panel.approve_button.isEnabled, 5)
            assert w.open_confirmation()
            async with ControlClient(live.mock.address) as ctl:
                await ctl.publish("1.6.0", notes="## 1.6.0\n\nNewer.")
            await until(lambda: not w.sheet.isVisible(), 5, "the sheet to close")
            assert "changed to 1.6.0" in w.notice() and "Nothing was sent" in w.notice()
            await until(w.version_panel.approve_button.isEnabled, 5)
            assert w.version_panel.approve_button.full_text() == "Install 1.6.0"
            assert live.approvals == []

    run(aloop, body(), 30)


def test_stale_data_closes_the_sheet_and_marks_the_screen(aloop, windows):
    async def body():
        async with live_console("approval", windows=windows) as live:
            w = live.window
            await until(w.version_panel.approve_button.isEnabled, 5)
            assert w.open_confirmation()
            await live.mock.stop(grace=None)  # the IPC goes away
            await until(lambda: not w.sheet.isVisible(), 5, "the sheet to close")
            assert "not live" in w.notice()
            assert w.headline_card.headline_icon.icon_name() == "stale"
            assert "not live" in w.headline_card.headline_title.text()
            assert "ago" in w.status_bar.connection_label.text()
            assert w.status_bar.property("health") == "degraded"
            assert not w.version_panel.approve_button.isEnabled()
            assert w.version_panel.current_version.text() == "1.4.2"  # the last known values stay, marked
            assert live.approvals == []

    run(aloop, body(), 30)


def test_refusal_refreshes_the_screen_and_asks_for_a_review(aloop, windows):
    async def body():
        from hmi.mock.control import ControlClient

        # A 30 s poll interval: the screen keeps showing 1.5.0 while the IPC already offers 1.6.0.
        async with live_console("approval", poll=30.0, windows=windows) as live:
            w = live.window
            async with ControlClient(live.mock.address) as ctl:
                await ctl.publish("1.6.0")
            assert w.version_panel.approve_button.full_text() == "Install 1.5.0"
            sent = await approve_on_screen(live)
            assert sent == "1.5.0"
            await until(lambda: "Not installed" in w.notice(), 5, "the refusal")
            assert "Review" in w.notice()
            await until(lambda: w.version_panel.approve_button.full_text() == "Install 1.6.0", 5, "the refreshed offer")
            assert live.approvals == ["1.5.0"]
            assert live.mock.engine.snapshot()["state"] == "STATE_UPDATE_AVAILABLE"

    run(aloop, body(), 30)


def test_double_taps_never_send_two_approvals(aloop, windows):
    async def body():
        async with live_console("approval", speed=2, windows=windows) as live:
            w, c = live.window, live.controller
            await until(w.version_panel.approve_button.isEnabled, 5)
            w.open_confirmation()
            w.open_confirmation()
            w.sheet.confirm_button.held.emit()
            w.sheet.confirm_button.held.emit()
            w.version_panel.approve_button.click()
            c.request_approval("1.5.0")
            w.approveRequested.emit("1.5.0")
            await until(lambda: "Approved" in w.notice(), 5, "the result")
            await until(lambda: live.snap().state is UpdateState.RUNNING, 5)
            c.request_approval("1.5.0")  # after the fact: nothing is offered any more
            assert live.approvals == ["1.5.0"]

    run(aloop, body(), 30)


HOSTILE = '''
description = "hostile notes"
mode = "approval"
[installed]
version_id = "1.4.2"
[[releases]]
version_id = "1.5.0"
delay = 0
update_notes = """
# Release <b>1.5.0</b>
<script>alert(1)</script><img src="http://127.0.0.1:9/pixel.png">
![tracker](http://127.0.0.1:9/track.png) ![local](file:///etc/hostname)
[click me](https://example.com/evil) colour\\u001b[31mred\\u001b[0m nul\\u0000 bidi \\u202egnp.exe
"""
'''


def test_hostile_notes_from_the_ipc_are_inert(aloop, windows, tmp_path):
    filler = "- a line of release notes that repeats over and over\\n" * 100_000  # about 5 MB
    scenario = tmp_path / "hostile.toml"
    text = HOSTILE.rstrip().removesuffix('"""') + filler + '"""\n'
    scenario.write_text(text, encoding="utf-8")

    async def body():
        async with live_console(scenario, poll=1.0, windows=windows) as live:
            w = live.window
            notes = live.snap().available.notes
            assert len(notes) > 5_000_000  # the model keeps it all
            shown = w.notes_pane.notes.toPlainText()
            assert "<script>alert(1)</script>" in shown  # shown as text, inert
            assert "Release <b>1.5.0</b>" in shown
            for ch in ("\x1b", "\x00", "\u202e"):
                assert ch not in shown
            assert w.notes_pane.notes.truncated and "Notes truncated for display" in shown
            w.notes_pane.notes.grab()
            assert "http://127.0.0.1:9/track.png" in w.notes_pane.notes.blocked
            assert "file:///etc/hostname" in w.notes_pane.notes.blocked
            assert w.open_confirmation()
            assert "<script>" in w.sheet.preview.toPlainText()

    run(aloop, body(), 40)


def test_demo_drawer_drives_the_embedded_mock(aloop, windows):
    async def body():
        from hmi.app import build_console
        from hmi.core.config import ClientConfig

        window, controller = build_console(
            ClientConfig(poll_interval=0.25, deadline=1.0), demo=True, scenario="approval", speed=20, hold_seconds=0.3
        )
        windows.append(window)
        window.show()
        try:
            await controller.start()
            drawer = window.demo_drawer
            assert drawer is not None and not drawer.isVisible()
            window.status_bar.demo_toggle.click()
            assert drawer.isVisible()
            assert window.status_bar.target_label.text().startswith("127.0.0.1:")
            await until(lambda: window.version_panel.approve_button.full_text() == "Install 1.5.0", 5)
            drawer.buttons["publish"].click()
            await until(
                lambda: window.version_panel.approve_button.full_text() == "Install 1.5.1", 5, "the published release"
            )
            assert "Published release 1.5.1" in drawer.result.text()
            drawer.buttons["fail"].click()  # nothing runs: the mock refuses, and the drawer says so
            await until(lambda: drawer.result.text().startswith("Not done"), 5)
            controller.request_approval("1.5.1")
            await until(lambda: controller.state.snapshot.state is UpdateState.RUNNING, 5)
            drawer.buttons["fail"].click()
            await until(lambda: controller.state.snapshot.state is UpdateState.FAULT, 5, "the injected failure")
            drawer.buttons["reset"].click()
            await until(lambda: window.version_panel.approve_button.full_text() == "Install 1.5.0", 5, "the reset")
            assert any("DEMO" in t for t in window.timeline_texts())
        finally:
            await controller.aclose()
            window.force_close()

    run(aloop, body(), 40)
