"""The console application: builds the window and its controller, and runs them on a qasync loop.

Automation contract (stable, documented in docs/readme/console.md):
- `build_console(config)` returns `(ConsoleWindow, ConsoleController)` without starting any loop,
  for pytest-qt and external test robots; `await controller.start()` on a running loop starts
  polling (and the embedded mock with `demo=True`).
- Widgets carry stable objectNames: stateHeadline, currentVersion, availableVersion, updateNotes,
  progressBar, progressText, connectionStatus, approveButton, confirmSheet, confirmButton,
  timeline, demoDrawer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hmi.core.config import AppConfig, ClientConfig

if TYPE_CHECKING:
    from hmi.ui.controller import ConsoleController
    from hmi.ui.window import ConsoleWindow

# Without --after, a screenshot waits for the first data at most this long, then shows what is there.
SCREENSHOT_WAIT = 10.0


def build_console(
    config: AppConfig | ClientConfig,
    *,
    demo: bool = False,
    kiosk: bool = False,
    scenario: str = "demo",
    speed: float = 1.0,
    hold_seconds: float | None = None,
    sheet_timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    audit: Any = None,
    operator: str | None = None,
) -> tuple[ConsoleWindow, ConsoleController]:
    """The main window and its controller, wired, not shown and not started."""
    from PySide6.QtWidgets import QApplication

    from hmi.ui.controller import ConsoleController
    from hmi.ui.sheet import HOLD_SECONDS, SHEET_TIMEOUT
    from hmi.ui.window import ConsoleWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "ipc-hmi"])
    _prepare_app(app)
    client_config = config.client if isinstance(config, AppConfig) else config
    window = ConsoleWindow(
        target="" if demo else client_config.target,
        demo=demo,
        kiosk=kiosk,
        clock=clock,
        wall=wall,
        hold_seconds=HOLD_SECONDS if hold_seconds is None else hold_seconds,
        sheet_timeout=SHEET_TIMEOUT if sheet_timeout is None else sheet_timeout,
    )
    controller = ConsoleController(
        config, demo=demo, scenario=scenario, speed=speed, clock=clock, wall=wall, audit=audit, operator=operator
    )
    controller.stateChanged.connect(window.set_state)
    controller.approvalStarted.connect(window.show_approval_started)
    controller.approvalFinished.connect(window.show_approval_result)
    controller.demoFinished.connect(window.show_demo_result)
    controller.started.connect(window.set_target)
    window.approveRequested.connect(controller.request_approval)
    window.refreshRequested.connect(controller.request_refresh)
    window.demoAction.connect(controller.request_demo)
    window.controller = controller  # keeps the controller alive as long as the window
    return window, controller


def _prepare_app(app: Any) -> None:
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QToolTip

    from hmi.ui import theme

    if app.property("ipc-hmi-prepared"):
        return
    app.setProperty("ipc-hmi-prepared", True)
    app.setStyle("Fusion")
    font = QFont(theme.FONT_FAMILY)
    font.setPixelSize(theme.BODY_PX)
    app.setFont(font)
    QToolTip.setFont(font)
    app.setStyleSheet(
        f"QToolTip {{ color: {theme.TEXT}; background: {theme.PAPER}; border: 1px solid {theme.BORDER}; }}"
    )


def main(args: argparse.Namespace) -> int:
    """Runs the console until its window closes. Returns the process exit code."""
    from hmi.core.config import ConfigError, load_config

    try:
        config = load_config(args)
    except ConfigError as exc:
        print(f"ipc-hmi: error: {exc}", file=sys.stderr)
        return 2

    # grpc core logs connection details (GOAWAY on shutdown, …) to stderr at INFO; the console shows
    # connection trouble on screen, so only errors go to the terminal unless the user asks for more.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "ipc-hmi"])
    app.setApplicationName("ipc-hmi")
    app.setApplicationDisplayName("IPC Update Console")
    app.setQuitOnLastWindowClosed(False)  # the loop below decides when to stop
    audit = None if args.demo else _open_audit(config)
    window, controller = build_console(
        config,
        demo=args.demo,
        kiosk=args.kiosk,
        scenario=getattr(args, "demo_scenario", "demo") or "demo",
        speed=getattr(args, "demo_speed", 1.0) or 1.0,
        audit=audit,
    )
    if args.size:
        window.resize(*args.size)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(_run(window, controller, args))
    except RuntimeError as exc:
        # Qt ends its loop by itself when the display goes away (X server gone, session closed).
        print(f"ipc-hmi: error: the console stopped: {exc} (was the display closed?)", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(Exception):
            loop.close()
        if audit is not None:
            with contextlib.suppress(Exception):
                audit.close()


def _open_audit(config: AppConfig) -> Any:
    try:
        from hmi.core.audit import AuditStore
    except ImportError:
        return None
    try:
        return AuditStore.open(config.audit_path)
    except Exception as exc:  # the console still shows the IPC; approvals then carry no audit record
        print(f"ipc-hmi: warning: audit trail not available: {exc}", file=sys.stderr)
        return None


async def _run(window: ConsoleWindow, controller: ConsoleController, args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def on_closing() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closing.connect(on_closing)
    stop_signal = False

    def on_signal(*_args: object) -> None:
        nonlocal stop_signal
        stop_signal = True
        loop.call_soon_threadsafe(window.force_close)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Python runs signal handlers only between bytecodes; a light timer lets it in while Qt waits.
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication

    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        if args.kiosk and args.screenshot is None:
            # Without a window manager (a bare X server on a panel) full-screen is not applied for us.
            screen = window.screen() or QGuiApplication.primaryScreen()
            window.setGeometry(screen.geometry())
            window.showFullScreen()
        else:
            window.show()
        window.raise_()
        window.activateWindow()  # keyboard focus from the start (no window manager gives it on a bare panel)
        try:
            await controller.start()
        except Exception as exc:
            print(f"ipc-hmi: error: cannot start: {exc}", file=sys.stderr)
            return 1
        if args.screenshot is not None:
            return await _screenshot(window, controller, args.screenshot, args.after)
        await closed
        return 0
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        window.hide()
        await controller.aclose()


async def _screenshot(window: ConsoleWindow, controller: ConsoleController, path: Path, after: float | None) -> int:
    if after is not None:
        await asyncio.sleep(after)
    elif controller.state is None or controller.state.snapshot is None:
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_first() -> None:
            if not first.done():
                first.set_result(None)

        controller.firstData.connect(on_first)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(first, SCREENSHOT_WAIT)
    ok = window.save_screenshot(path)
    if not ok:
        print(f"ipc-hmi: error: could not write the screenshot to {path}", file=sys.stderr)
        return 1
    print(f"screenshot written to {path}", flush=True)
    return 0
