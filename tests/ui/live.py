"""Helpers for console tests against the real mock IPC over loopback gRPC."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hmi.core.config import ClientConfig
from hmi.core.model import ClientState, UpdateState

from .conftest import until


@dataclass
class Live:
    mock: Any
    window: Any
    controller: Any
    approvals: list[str]  # every ApproveUpdate that reached the mock's engine
    seen: list[ClientState] = field(default_factory=list)  # every state the window was given

    def snap(self):
        return self.controller.state.snapshot if self.controller.state else None

    def kinds(self) -> list[UpdateState]:
        out: list[UpdateState] = []
        for st in self.seen:
            if st.snapshot is not None and (not out or out[-1] is not st.snapshot.state):
                out.append(st.snapshot.state)
        return out


def spy_approvals(mock: Any) -> list[str]:
    calls: list[str] = []
    original = mock.engine.approve

    def spy(version_id: str) -> None:
        calls.append(version_id)
        return original(version_id)

    mock.engine.approve = spy
    return calls


@contextlib.asynccontextmanager
async def live_console(
    scenario: str | Path,
    *,
    speed: float = 20.0,
    poll: float = 0.25,
    hold: float = 0.3,
    size: tuple[int, int] = (1280, 800),
    windows: list | None = None,
) -> AsyncIterator[Live]:
    from hmi.app import build_console
    from hmi.mock.server import start_mock

    mock = await start_mock(scenario=scenario, speed=speed)
    approvals = spy_approvals(mock)
    window, controller = build_console(
        ClientConfig(target=mock.address, poll_interval=poll, deadline=1.0), hold_seconds=hold
    )
    if windows is not None:
        windows.append(window)
    live = Live(mock, window, controller, approvals)
    controller.stateChanged.connect(live.seen.append)
    window.resize(*size)
    window.show()
    try:
        await controller.start()
        await until(lambda: live.snap() is not None, 10, "the first data")
        yield live
    finally:
        await controller.aclose()
        await mock.stop(grace=None)
        window.force_close()


async def approve_on_screen(live: Live) -> str:
    """Taps Install, checks the sheet, holds the confirm button until it fires; returns the id sent."""
    window = live.window
    sent: list[str] = []
    window.approveRequested.connect(sent.append)
    try:
        await until(window.approve_button.isEnabled, 10, "Install to be enabled")
        QTest.mouseClick(window.approve_button, Qt.MouseButton.LeftButton)
        assert window.sheet.isVisible(), window.notice()
        button = window.sheet.confirm_button
        QTest.mousePress(button, Qt.MouseButton.LeftButton)
        await until(lambda: bool(sent) or not window.sheet.isVisible(), 5, "the hold to complete")
        QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    finally:
        window.approveRequested.disconnect(sent.append)
    assert sent, f"nothing sent; notice: {window.notice()}"
    return sent[0]
