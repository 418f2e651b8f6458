"""The console application: builds the window and its controller, and runs them on a qasync loop.

Automation contract (stable, documented in docs/automation.md):
- `build_console(config)` returns `(ConsoleWindow, ConsoleController)` without starting any loop,
  for pytest-qt and external test robots; `await controller.start()` on a running loop starts
  polling (and the embedded mock with `demo=True`).
- Widgets carry stable objectNames: stateHeadline, currentVersion, availableVersion, updateNotes,
  progressBar, progressText, connectionStatus, approveButton, confirmSheet, confirmButton,
  timeline, demoDrawer; with sign-in on also signedInOperator, signOutButton, pinPad; with an
  audit trail historyButton, historySheet, historyView.

The audit trail (docs/audit.md, "Audit trail and sign-in in the console"): approvals are
recorded, or not possible at all. If the trail cannot be opened the console still shows
everything, but Install stays off with the reason on screen, unless sign-in is off and the user
passed --no-audit (then the trail is not opened and approvals carry no record). --demo keeps its
records in a temporary trail that is deleted when the console closes.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hmi.core import i18n
from hmi.core.config import AppConfig, ClientConfig
from hmi.core.i18n import _

if TYPE_CHECKING:
    from PySide6.QtGui import QScreen
    from PySide6.QtWidgets import QApplication, QWidget

    from hmi.core.audit import AuditStore
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
    audit: AuditStore | None = None,
    operator: str | None = None,
    signin_clock: Callable[[], float] | None = None,
    approvals_off: str | None = None,
    no_audit: bool = False,
    steps_path: Path | None = None,
) -> tuple[ConsoleWindow, ConsoleController]:
    """The main window and its controller, wired, not shown and not started.

    `audit` is the open audit store (approvals and failed sign-ins are recorded there, and the
    History button shows it). `approvals_off` is a reason to show while approvals are impossible
    (the audit trail cannot be written). `no_audit` says on screen that approvals are not recorded.
    With `config.signin.enabled` the controller signs operators in; `signin_clock` (default:
    `clock`) drives lockout and idle sign-out, so tests can move it on its own. `steps_path` is the
    step history file (docs/progress.md); None keeps this session's step durations in memory only.
    """

    from hmi.ui.controller import ConsoleController
    from hmi.ui.overlay import HOLD_SECONDS, SHEET_TIMEOUT
    from hmi.ui.window import ConsoleWindow

    app = qt_app()
    _prepare_app(app)
    client_config = config.client if isinstance(config, AppConfig) else config
    controller = ConsoleController(
        config,
        demo=demo,
        scenario=scenario,
        speed=speed,
        clock=clock,
        wall=wall,
        audit=audit,
        operator=operator,
        signin_clock=signin_clock,
        approvals_off=approvals_off,
        steps_path=steps_path,
    )
    window = ConsoleWindow(
        target="" if demo else client_config.target,
        demo=demo,
        kiosk=kiosk,
        clock=clock,
        wall=wall,
        hold_seconds=HOLD_SECONDS if hold_seconds is None else hold_seconds,
        sheet_timeout=SHEET_TIMEOUT if sheet_timeout is None else sheet_timeout,
        restart_grace=controller.progress_config.restart_grace,
    )
    controller.progressChanged.connect(window.set_estimate)  # before each state, which draws it
    from hmi.ui import language

    language.load_qt_translations(i18n.language())
    data_dir = config.data_dir if isinstance(config, AppConfig) else None
    if data_dir is not None and data_dir != Path("."):
        language.wire(window, window.status_bar, data_dir, lambda: language.rerender_console(window))
    else:  # no data folder (tests, screenshots): switch, do not save

        def switch_only(lang: str) -> None:
            language.switch(window, lang, rerender=lambda: language.rerender_console(window))
            window.status_bar.show_language()

        window.status_bar.languageRequested.connect(switch_only)
    if isinstance(config, AppConfig):  # "Remind me later": shift ends; the shelf is kept in the data folder
        keep = data_dir is not None and data_dir != Path(".") and not demo  # not for the simulated IPC
        window.enable_shelving(config.approval.shift_ends, config.approval.timezone, data_dir if keep else None)
    controller.stateChanged.connect(window.set_state)
    controller.approvalStarted.connect(window.show_approval_started)
    controller.approvalFinished.connect(window.show_approval_result)
    controller.demoFinished.connect(window.show_demo_result)
    controller.started.connect(window.set_target)
    window.approveRequested.connect(controller.request_approval)
    window.refreshRequested.connect(controller.request_refresh)
    window.demoAction.connect(controller.request_demo)
    if controller.window_rules is not None:
        window.set_window_rules(controller.window_rules)
    if approvals_off:
        window.set_approvals_off(approvals_off)
    elif no_audit and audit is None:
        window.set_unrecorded(True)
    if audit is not None:
        controller.trailBroken.connect(window.set_audit_broken)
        window.enable_history(str(getattr(audit, "path", "") or ""))
        window.historyRequested.connect(controller.request_history)
        controller.historyLoaded.connect(window.show_history)
    if controller.signin is not None:
        window.ticked.connect(controller.check_signin)
        window.signOutRequested.connect(controller.sign_out)
        window.viewerRefused.connect(controller.refuse_locally)
        from hmi.ui.signin_flow import SignInFlow  # and with it the sheet: sign-in is a step of it

        flow = SignInFlow(window.sheet, controller, parent=window)
        controller.signinChanged.connect(flow.set_operator)
        window.enable_signin(flow)
        window.kiosk_guard.activity.connect(controller.touch)
        # A refusal or a failed sign-in the audit trail could not record: under Install and in the timeline.
        controller.auditProblem.connect(lambda text: window.show_message("warning", text))
        controller.auditProblem.connect(flow.noted)
        if controller.require_two:  # four-eyes: a second operator confirms on the same sheet
            from hmi.ui.foureyes_flow import FourEyesFlow

            four = FourEyesFlow(
                window.sheet,
                controller,
                first_operator=lambda: flow.operator,
                state=lambda: window.state,
                clock=clock,
                wall=wall,
                parent=window,
            )
            four.refused.connect(controller.refuse_four_eyes)
            window.enable_four_eyes(four)
    return window, controller


def qt_app() -> QApplication:
    """The process's QApplication: the one there is, or a new one."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    assert app is None, "a QCoreApplication without widgets is running"
    return QApplication([sys.argv[0] if sys.argv else "ipc-hmi"])


def no_display(reasons: list[str]) -> str:
    """The one sentence for a console that cannot open its window, with Qt's reasons."""
    platform = os.environ.get("QT_QPA_PLATFORM")
    reason = "; ".join(dict.fromkeys(reasons))  # each of Qt's lines once, in order
    if platform:
        text = _("no usable display: Qt cannot start its {platform} platform ({reason})")
    else:
        text = _("no usable display: Qt cannot start its default platform ({reason})")
    text = text.format(platform=repr(platform), reason=reason)
    hint = _(
        "check WAYLAND_DISPLAY or DISPLAY, or QT_QPA_PLATFORM (on a machine without a screen: "
        "QT_QPA_PLATFORM=offscreen with --screenshot)"
    )
    return f"{text}; {hint}"


def start_qt_or_exit() -> QApplication | None:
    """The QApplication; None after one sentence on stderr when Qt has no screen; exit code 2 when Qt cannot start.

    Without a usable display Qt does not raise: its platform plugin fails (no X server or Wayland compositor to
    connect to, a missing system library, an unknown QT_QPA_PLATFORM), it logs why, then calls qFatal, which
    aborts the process (SIGABRT, exit 134, maybe a core dump). A message handler installed only while the
    QApplication is created keeps Qt's lines; at the fatal one it prints the sentence with Qt's reasons and
    leaves with exit 2 (nothing is open yet: the audit trail is opened after this). A platform that starts with
    no screen at all (linuxfb without a framebuffer) gets the same sentence. Otherwise the lines Qt logged
    meanwhile are printed as Qt would have, and its own handler is put back.
    """
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    said: list[tuple[str, str]] = []

    def reasons(fallback: str) -> list[str]:
        return [m.strip().rstrip(".") for _c, m in said if m.strip()] or [fallback]

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtFatalMsg:
            said.append((context.category or "", message))
            return
        print(f"ipc-hmi: error: {no_display(reasons(message.split('.')[0]))}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(2)

    previous = qInstallMessageHandler(handler)
    try:
        app = qt_app()
    finally:
        qInstallMessageHandler(previous)
    if app.primaryScreen() is None:
        sentence = no_display(reasons(_("it has no screen")))
        print(f"ipc-hmi: error: {sentence}", file=sys.stderr)
        return None
    for category, message in said:
        print(f"{category}: {message}" if category and category != "default" else message, file=sys.stderr)
    return app


def _prepare_app(app: QApplication) -> None:
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
    saved, notice = i18n.read_saved(config.data_dir)  # the language last chosen on this panel
    for line in (notice, i18n.settle(os.environ, saved=saved, config=config.language)):
        if line:
            print(f"ipc-hmi: {line}", file=sys.stderr)

    # grpc core logs connection details (GOAWAY on shutdown, …) to stderr at INFO; the console shows
    # connection trouble on screen, so only errors go to the terminal unless the user asks for more.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    # The Qt-free modules first (grpc, protobuf, the model, the audit trail): once PySide6 is loaded, its
    # feature switch reads the source of every module imported after it, looking for "PySide6" (about 140 here).
    import hmi.core.client
    import hmi.ui.presenter

    if not getattr(args, "no_audit", False):
        import hmi.core.audit  # noqa: F401

    _import_qt()
    import qasync

    no_audit = bool(getattr(args, "no_audit", False))
    if no_audit and config.signin.enabled:
        where = f" ({config.config_file})" if config.config_file else ""
        print(
            f"ipc-hmi: error: --no-audit cannot be used while sign-in is on{where}: "
            "every approval by a signed-in operator must be recorded.",
            file=sys.stderr,
        )
        return 2

    app = start_qt_or_exit()
    if app is None:  # said why
        return 2
    app.setApplicationName("ipc-hmi")
    app.setApplicationDisplayName("IPC Update Console")
    app.setDesktopFileName("ipc-hmi")  # the Wayland app id and the journal name; resources/app/ipc-hmi.desktop
    app.setQuitOnLastWindowClosed(False)  # the loop below decides when to stop
    trail = open_console_audit(config, demo=args.demo, no_audit=no_audit)
    if trail.problem:
        print(f"ipc-hmi: warning: {trail.problem}", file=sys.stderr)
    loop: asyncio.AbstractEventLoop | None = None
    try:
        window, controller = build_console(
            config,
            demo=args.demo,
            kiosk=args.kiosk,
            scenario=getattr(args, "demo_scenario", "demo") or "demo",
            speed=getattr(args, "demo_speed", 1.0) or 1.0,
            audit=trail.store,
            approvals_off=trail.problem,
            no_audit=no_audit,
            steps_path=console_steps_path(config, trail, demo=args.demo),
        )
        if args.size:
            window.resize(*args.size)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        loop.set_default_executor(worker_threads())
        try:
            return int(loop.run_until_complete(_run(window, controller, args)))
        except RuntimeError as exc:
            # Qt ends its loop by itself when the display goes away (X server gone, session closed).
            print(f"ipc-hmi: error: the console stopped: {exc} (was the display closed?)", file=sys.stderr)
            return 1
    finally:
        if loop is not None:
            with contextlib.suppress(Exception):
                loop.close()
        trail.close()  # also when building the window failed: --demo's temporary trail never stays behind


# Threads for `asyncio.to_thread` (audit trail reads and writes, the PIN check, settling unknown approvals on each
# read). qasync's own default executor starts ten QThreads at its first use, which is the first poll: ten threads,
# each with its own stack and malloc arena, before the first screen is drawn. A ThreadPoolExecutor starts a thread
# only when no idle one is free; four cover the most that runs at once (a trail verification, a history read, a
# PIN check, a write).
WORKER_THREADS = 4


def worker_threads() -> concurrent.futures.ThreadPoolExecutor:
    """The console loop's default executor (see WORKER_THREADS)."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="ipc-hmi-io")


def _import_qt() -> None:
    """Imports qasync, and with it PySide6, the cheap way (issue 13): regular expressions that shiboken's support
    package compiles while it loads are compiled at their first use, the modules loaded so far are noted in
    PySide's feature table (`_skip_feature_scans`), and the modules loaded from then on are scanned without
    keeping their source in memory (`_scan_without_caching`)."""
    with _regexes_compiled_on_first_use("shibokensupport."):
        import PySide6  # noqa: F401  (loads shiboken's support package, feature switch included)

        _scan_without_caching()
        _skip_feature_scans()
        import qasync  # noqa: F401  (PySide6.QtCore, QtGui, QtWidgets)

    _skip_feature_scans()


class _LazyPattern:
    """A regular expression compiled when it is first used: its methods (`split`, `finditer`, …) can be looked up
    and kept without compiling it, the way shibokensupport keeps them at import."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def _pattern(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = _compile_now(*self._args)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        member = getattr(re.Pattern, name, None)
        if member is None:  # not a pattern's (`__isabstractmethod__`, asked by a class body's ABCMeta)
            raise AttributeError(name)
        if name.startswith("_") or not callable(member):
            return getattr(self._pattern(), name)  # pattern, flags, groups: compile now

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self._pattern(), name)(*args, **kwargs)

        return call


_compile_now = re.compile


@contextlib.contextmanager
def _regexes_compiled_on_first_use(prefix: str) -> Iterator[None]:
    """While the block runs, `re.compile` called from a module whose name starts with `prefix` returns a
    `_LazyPattern`; everything else compiles as usual.

    Why: loading PySide6 runs shiboken's support package (shibokensupport, embedded in the library), which
    compiles three large regular expressions at import time, two of them for its .pyi stub generator, which a
    running program never uses, and one for parsing signatures, which it uses only to explain a wrong call.
    Compiling them costs about 18 ms of a 0.2 s start (`-X importtime`, docs/benchmarks.md); a bare PySide6
    window pays that too. If shibokensupport changes, the worst case is that a pattern is compiled at its first
    use instead, which is what `re` does with any pattern it has not cached.
    """

    def compile_for(pattern: Any, flags: int = 0) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if isinstance(caller, str) and caller.startswith(prefix) and isinstance(pattern, str):
            return _LazyPattern(pattern, int(flags))
        return _compile_now(pattern, flags)

    re.compile = compile_for
    try:
        yield
    finally:
        re.compile = _compile_now


def _skip_feature_scans() -> None:
    """Spares PySide's feature switch from reading the source of every module loaded before Qt.

    Once PySide6 is loaded, each `import X` statement, also of a module loaded long before, makes its
    feature switch (shibokensupport/feature.py, `feature_imported`) read X's whole source file once, looking
    for "PySide6", to note whether X may select PySide features (`from __feature__ import snake_case`). Nothing
    in this process selects any, so the modules already loaded are noted as "not using PySide" (-1) up front,
    as the switch itself notes the plain-Python ones: about 75 file reads fewer on the way to the first
    screen. The modules loaded from here on (the widgets) are still read as before. Without that private
    table (another PySide version), nothing happens.
    """
    feature = sys.modules.get("PySide6.support.feature")
    table = getattr(feature, "pyside_feature_dict", None)
    if isinstance(table, dict):
        for name in list(sys.modules):
            table.setdefault(name, -1)


def _scan_without_caching() -> None:
    """Makes PySide's feature switch look for "PySide6" in a module's source file without keeping the file.

    The switch (shibokensupport/feature.py, `_mod_uses_pyside`) asks `inspect.getsource`, which leaves every
    file it read in `linecache`, split into lines: about 140 files and 8 MB of strings on the way to the first
    screen, kept for the life of the process (seen with tracemalloc: linecache.py was the largest owner of
    memory at start-up). For a module loaded from a `.py` file this reads the file's bytes once and keeps
    nothing; the answer is the same for any ASCII-compatible source encoding, which is what Python files use.
    Anything else (a module in a zip, a source-less one) is asked the original way. Without that private
    function (another PySide version), nothing happens.
    """
    feature = sys.modules.get("PySide6.support.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or getattr(original, "_reads_without_caching", False):
        return

    def mod_uses_pyside(module: Any) -> bool:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if isinstance(origin, str) and origin.endswith(".py") and getattr(spec, "has_location", False):
            try:
                with open(origin, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                return False  # what inspect.getsource's OSError means to the switch: no source, no PySide
        return bool(original(module))

    mod_uses_pyside._reads_without_caching = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]  # for the tests' comparison
    setattr(feature, "_mod_uses_pyside", mod_uses_pyside)  # noqa: B010  (a module's private function)


@dataclass
class ConsoleTrail:
    """The audit trail the console writes to: an open store, or the reason approvals are off."""

    store: AuditStore | None = None
    problem: str | None = None  # shown on screen; approvals are off while it is set
    temporary: Path | None = None  # --demo: a folder deleted on close

    def close(self) -> None:
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()
            self.store = None
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            self.temporary = None


def open_console_audit(config: AppConfig, *, demo: bool = False, no_audit: bool = False) -> ConsoleTrail:
    """Opens the console's audit trail.

    - `no_audit` (only allowed with sign-in off; `main` checks): no trail, approvals are not recorded.
    - `demo`: a fresh trail in a temporary folder, so the simulated IPC's approvals never enter the
      plant's trail and the History view still works; it is deleted when the console closes.
    - otherwise `config.audit_path`; when it cannot be opened, `problem` says why and approvals stay off.
    """
    if no_audit:
        return ConsoleTrail()
    from hmi.core.audit import AuditStore

    if demo:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="ipc-hmi-demo-"))
        try:
            return ConsoleTrail(AuditStore.open(folder / "audit.sqlite3"), temporary=folder)
        except Exception as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return ConsoleTrail(problem=audit_problem(folder / "audit.sqlite3", exc))
    try:
        return ConsoleTrail(AuditStore.open(config.audit_path))
    except Exception as exc:
        return ConsoleTrail(problem=audit_problem(config.audit_path, exc))


def console_steps_path(config: AppConfig, trail: ConsoleTrail, *, demo: bool) -> Path | None:
    """The step history file: beside the audit trail; --demo keeps it in its temporary folder (deleted on close)."""
    from hmi.core.stephistory import default_steps_path

    if demo:
        return default_steps_path(trail.temporary / "audit.sqlite3") if trail.temporary is not None else None
    return default_steps_path(config.audit_path)


def audit_problem(path: Path, exc: BaseException) -> str:
    """The sentence the console shows while approvals are off because the trail cannot be written."""
    reason = _audit_reason(path, exc)
    return _("The audit trail cannot be written: {path}: {reason}. Approvals are off until this is fixed.").format(
        path=path, reason=reason
    )


def _audit_reason(path: Path, exc: BaseException) -> str:
    """The cause in a few words: the OS or SQLite error when there is one, not the whole story again."""
    from hmi.core.audit import AuditStoreCorrupt

    if isinstance(exc, AuditStoreCorrupt):
        return _("it is not a readable audit trail (it was left untouched; move it aside and restart)")
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, FileExistsError | NotADirectoryError) and cause.filename:
        return _("{where} is a file where a folder is needed").format(where=cause.filename)
    if isinstance(cause, OSError) and cause.strerror:
        where = f" ({cause.filename})" if cause.filename and str(cause.filename) != str(path) else ""
        return f"{cause.strerror}{where}"
    if cause is not None and str(cause):
        return str(cause).rstrip(".")
    return (str(exc) or type(exc).__name__).replace(str(path), "").strip(" :.") or type(exc).__name__


def fit_to_screen(window: QWidget, screen: QScreen) -> None:
    """A window larger than its screen's free area (an 800×480 panel) is fitted to that area.

    The default size is 1280×800; on a smaller screen the window would run off the edge, so it takes the
    free area instead and the layout switches to its compact arrangement. An explicit --size is kept.
    """
    area = screen.availableGeometry()
    if window.width() > area.width() or window.height() > area.height():
        window.setGeometry(area)


async def _run(window: ConsoleWindow, controller: ConsoleController, args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def on_closing() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closing.connect(on_closing)

    def on_signal() -> None:
        window.force_close()

    # The loop's own signal handling (signal.set_wakeup_fd under a socket notifier) wakes Qt's wait at once;
    # a plain signal.signal handler would run only when Qt next hands control to Python (a timer, an event).
    stops = (signal.SIGINT, signal.SIGTERM)
    for sig in stops:
        loop.add_signal_handler(sig, on_signal)
    from PySide6.QtGui import QGuiApplication

    from hmi.core.sdnotify import Notifier

    notifier = Notifier()  # does nothing unless systemd gave $NOTIFY_SOCKET
    try:
        if args.kiosk and args.screenshot is None:
            # Without a window manager (a bare X server on a panel) full-screen is not applied for us.
            screen = window.screen() or QGuiApplication.primaryScreen()
            window.setGeometry(screen.geometry())
            window.showFullScreen()
        else:
            if args.screenshot is None and not args.size:
                fit_to_screen(window, window.screen() or QGuiApplication.primaryScreen())
            window.show()
        if QGuiApplication.platformName() not in ("offscreen", "minimal"):  # they have no windows to raise
            window.raise_()  # (and say "This plugin does not support raise()" on the terminal)
            window.activateWindow()  # keyboard focus from the start (no window manager gives it on a bare panel)
        try:
            await controller.start()
        except Exception as exc:
            print(f"ipc-hmi: error: cannot start: {exc}", file=sys.stderr)
            return 1
        await asyncio.sleep(0)  # the first screen is drawn before systemd hears READY=1
        notifier.ready()
        notifier.start_watchdog(loop)
        if args.screenshot is not None:
            return await _screenshot(window, controller, args.screenshot, args.after)
        await closed
        return 0
    finally:
        notifier.stop()
        for sig in stops:
            loop.remove_signal_handler(sig)
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
