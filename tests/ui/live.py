"""Helpers for console tests against the real mock IPC over loopback gRPC, and for sign-in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from hmi.core.auth import hash_pin
from hmi.core.config import AppConfig, ClientConfig, OperatorEntry, SignInConfig
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
    signin: Any = None,
    audit: Any = None,
    approval: Any = None,
    **build: Any,
) -> AsyncIterator[Live]:
    """`signin` (a SignInConfig) turns sign-in on; `audit` is an open AuditStore; `approval` an ApprovalConfig
    (with sign-in only: four-eyes); `build` goes to build_console."""
    from hmi.app import build_console
    from hmi.core.config import AppConfig
    from hmi.mock.server import start_mock

    mock = await start_mock(scenario=scenario, speed=speed)
    approvals = spy_approvals(mock)
    config: Any = ClientConfig(target=mock.address, poll_interval=poll, deadline=1.0)
    if signin is not None:
        audit_path = audit.path if audit is not None else Path("unused-audit.sqlite3")
        config = AppConfig(client=config, config_file=None, audit_path=audit_path, signin=signin)
        if approval is not None:
            config = replace(config, approval=approval)
    window, controller = build_console(config, hold_seconds=hold, audit=audit, **build)
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

    def record(intent: Any) -> None:
        sent.append(intent.version_id)

    window.approveRequested.connect(record)
    try:
        await until(window.version_panel.approve_button.isEnabled, 10, "Install to be enabled")
        QTest.mouseClick(window.version_panel.approve_button, Qt.MouseButton.LeftButton)
        assert window.sheet.isVisible(), window.notice()
        button = window.sheet.confirm_button
        QTest.mousePress(button, Qt.MouseButton.LeftButton)
        await until(lambda: bool(sent) or not window.sheet.isVisible(), 5, "the hold to complete")
        QTest.mouseRelease(button, Qt.MouseButton.LeftButton)
    finally:
        window.approveRequested.disconnect(record)
    assert sent, f"nothing sent; notice: {window.notice()}"
    return sent[0]


# -- sign-in -----------------------------------------------------------------------------------------------

CHEAP = {"n": 16, "r": 1, "p": 1}  # scrypt parameters that cost nothing; the real cost is tested in tests/audit
PINS = {"anna": "2468", "bert": "1357", "vera": "9999"}
WRONG = "1111"
IDLE = 120.0


def signin_config(idle_timeout: float = IDLE) -> SignInConfig:
    return SignInConfig(
        enabled=True,
        idle_timeout=idle_timeout,
        operators=(
            OperatorEntry("anna", "operator", hash_pin(PINS["anna"], **CHEAP)),
            OperatorEntry("bert", "operator", hash_pin(PINS["bert"], **CHEAP)),
            OperatorEntry("vera", "viewer", hash_pin(PINS["vera"], **CHEAP)),
        ),
    )


def app_config(signin: SignInConfig, audit: Any, target: str = "127.0.0.1:1") -> AppConfig:
    return AppConfig(client=ClientConfig(target=target), config_file=None, audit_path=audit.path, signin=signin)


def tap(widget: Any) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


async def type_pin(sheet: Any, pin: str) -> None:
    """Types `pin` on the keypad, presses OK and waits (bounded) for the PIN check, which runs off the GUI
    thread, to be answered on the sheet."""
    for digit in pin:
        tap(sheet.pad.key(digit))
    tap(sheet.pad.key("ok"))
    await until(lambda: not sheet.checking, 5, "the PIN check")


async def sign_in_on_sheet(window: Any, name: str, pin: str) -> None:
    sheet = window.sheet
    assert sheet.step == "signin", sheet.step
    tap(sheet.operator_button(name))
    await type_pin(sheet, pin)


@dataclass
class Built:
    """A console with sign-in on over built states (no network): two clocks, so the lockout and idle
    time move without the data going stale or the sheet timing out."""

    window: Any
    controller: Any
    clock: Any  # the window's and client's monotonic clock
    signin_clock: Any  # SignIn's clock
    store: Any
    sent: list[str]

    def tick(self) -> None:
        self.window.on_tick()
