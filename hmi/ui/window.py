"""The operator's main window: assembles the children, passes the state down, and keeps the overlays.

It decides nothing: what each child draws comes from hmi.ui.presenter and hmi.core.view, whether approval is
possible from hmi.core.model.approval_gate. Children emit signals up and never call the window. It emits
intents (`approveRequested`, `refreshRequested`, `demoAction`) that the controller checks again before
anything goes on the wire.

A 1 s timer re-renders, because freshness depends on the clock and not only on new data: the screen must turn
"not live" when answers stop coming, not when the next one arrives. The same tick lets the controller apply
idle sign-out (`ticked`). With sign-in on (`enable_signin(flow)`), hmi.ui.signin_flow owns the sheet's
sign-in step; with an audit trail (`enable_history`), a History button shows its newest records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMainWindow, QVBoxLayout, QWidget

from hmi.core.client import ApprovalResult
from hmi.core.i18n import _
from hmi.core.model import ApprovalIntent, ClientState, Health, approval_gate
from hmi.core.view import Headline, Severity, headline, version_text
from hmi.ui import presenter as present
from hmi.ui import theme
from hmi.ui.demo import DEMO_TITLE, DemoDrawer
from hmi.ui.headline import ApprovalsOffBanner, HeadlineCard
from hmi.ui.kiosk import KioskGuard
from hmi.ui.notes_pane import NotesPane
from hmi.ui.presenter import OperatorLike, TimelineKind
from hmi.ui.sheet import HOLD_SECONDS, SHEET_TIMEOUT, ConfirmSheet, ExitSheet, HistorySheet
from hmi.ui.signin_flow import SignInFlow
from hmi.ui.status_bar import StatusBar
from hmi.ui.timeline import TimelineRecorder
from hmi.ui.version_panel import VersionPanel

WIDE_MIN = (1180, 700)  # from this size on, notes and timeline are shown together instead of in tabs


class ConsoleWindow(QMainWindow):
    """The console. Children: status_bar, headline_card, approvals_off_banner, version_panel, notes_pane,
    sheet (and history_sheet, exit_sheet, demo_drawer).

    Signals:
        approveRequested(ApprovalIntent): a confirmed approval (never a Qt string: ids arrive byte for byte).
        refreshRequested, demoAction(str), closing, ticked (every second, before the re-render),
        historyRequested, signOutRequested, viewerRefused(version id, name) as Python str.
    """

    approveRequested = Signal(object)
    refreshRequested = Signal()
    demoAction = Signal(str)
    closing = Signal()
    ticked = Signal()
    historyRequested = Signal()
    signOutRequested = Signal()
    viewerRefused = Signal(object, object)

    def __init__(
        self,
        *,
        target: str = "",
        demo: bool = False,
        kiosk: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        hold_seconds: float = HOLD_SECONDS,
        sheet_timeout: float = SHEET_TIMEOUT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("consoleWindow")
        self._clock, self._wall, self._target, self._kiosk = clock, wall, target, kiosk
        self._sheet_timeout = sheet_timeout
        self._state: ClientState | None = None
        self._sending: str | None = None  # version id between approvalStarted and approvalFinished
        self._notice: present.Notice | None = None  # until replaced, dismissed or outdated (notice_in_force)
        self._runs = present.RunWatch()
        self._wide: bool | None = None
        self._closing_ok = not kiosk
        self._signin: SignInFlow | None = None
        self._approvals_off: str | None = None
        self._history_source: str | None = None  # set by enable_history
        self.recorder = TimelineRecorder()

        self.setWindowTitle(_("IPC Update Console") + (f" — {_(DEMO_TITLE)}" if demo else ""))
        self.setStyleSheet(theme.stylesheet())
        self.setMinimumSize(640, 400)
        central = QWidget()
        central.setObjectName("central")
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.status_bar = StatusBar(target=target, demo=demo)
        self.status_bar.historyRequested.connect(self.open_history)
        self.status_bar.signOutRequested.connect(self.signOutRequested)
        root.addWidget(self.status_bar)
        body = QVBoxLayout()
        body.setContentsMargins(12, 10, 12, 12)
        body.setSpacing(10)
        self.headline_card = HeadlineCard()
        self.approvals_off_banner = ApprovalsOffBanner()
        body.addWidget(self.headline_card)
        body.addWidget(self.approvals_off_banner)
        content = QHBoxLayout()
        content.setSpacing(12)
        self.version_panel = VersionPanel()
        self.version_panel.installRequested.connect(self.open_confirmation)
        self.version_panel.noticeDismissed.connect(self.dismiss_notice)
        self.notes_pane = NotesPane(kiosk=kiosk, max_entries=self.recorder.entries.maxlen or 200)
        content.addWidget(self.version_panel, 2)
        content.addWidget(self.notes_pane, 3)
        body.addLayout(content, 1)
        root.addLayout(body, 1)

        self.sheet = ConfirmSheet(self, hold_seconds=hold_seconds)
        self.sheet.confirmed.connect(self._on_confirmed)
        self.sheet.cancelled.connect(self._render)
        self.sheet.cancelled.connect(self._focus_main)
        self.sheet.visibilityChanged.connect(self._overlay_changed)
        self._exit_sheet: ExitSheet | None = None  # built when first asked (kiosk only)
        self.history_sheet: HistorySheet | None = None  # built on first open
        self.demo_drawer: DemoDrawer | None = None
        if demo:
            self.demo_drawer = DemoDrawer(self, self.status_bar)
            self.demo_drawer.actionRequested.connect(self.demoAction)
            self.status_bar.demoToggled.connect(self.demo_drawer.toggle)

        self.kiosk_guard = KioskGuard(self, kiosk=kiosk)
        self.kiosk_guard.quitRequested.connect(self.request_quit)
        self._shortcuts()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.on_tick)
        self._ticker.start()
        if kiosk:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.resize(1280, 800)
        self._apply_layout_mode()
        self._render()

    def _shortcuts(self) -> None:
        def bind(keys: str, slot: Callable[[], object]) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        bind("Ctrl+Q", self.request_quit)
        bind("F5", self.refreshRequested.emit)
        bind("Ctrl+R", self.refreshRequested.emit)
        bind("Ctrl+I", self.open_confirmation)
        bind("Ctrl+H", self.open_history)

    # -- layout ----------------------------------------------------------------------------------------------
    def _apply_layout_mode(self) -> None:
        wide = self.width() >= WIDE_MIN[0] and self.height() >= WIDE_MIN[1]
        if wide == self._wide:
            return
        self._wide = wide
        self.version_panel.set_wide(wide)
        self.version_panel.render_versions(self._state, self._live(), self._clock())
        self.notes_pane.set_wide(wide)

    def _live(self) -> bool:
        return self._state is not None and self._state.connection.health(self._clock()) is Health.ONLINE

    @property
    def wide(self) -> bool:
        return bool(self._wide)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.status_bar.fit(self.width(), self.width() >= WIDE_MIN[0])
        self.sheet.set_compact(self.height() < 600)
        self._apply_layout_mode()

    # -- inputs from the controller -------------------------------------------------------------------------
    @property
    def state(self) -> ClientState | None:
        return self._state

    def set_state(self, state: ClientState) -> None:
        self._state = state
        self._render()

    def show_approval_started(self, version_id: str) -> None:
        self._sending = version_id
        shown = present.sentence_id(version_id, self._state.snapshot if self._state else None)
        self._set_notice("info", _("Sending the approval for {v}…").format(v=shown))
        self._note(TimelineKind.APPROVAL, _("Approval for {v} sent by this console.").format(v=shown), Severity.ACTIVE)
        self._render()

    def show_approval_result(self, result: ApprovalResult) -> None:
        """Shows an ApprovalResult (also the controller's local refusals) in plain words."""
        shown = present.result_notice(result, self._state)
        self._sending = None
        self._notice = shown
        self._note(TimelineKind.APPROVAL, shown.text, shown.severity)
        if self.history_sheet is not None and self.history_sheet.isVisible():
            self.historyRequested.emit()
        self._render()

    def show_demo_result(self, action: str, ok: bool, message: str) -> None:
        if self.demo_drawer is not None:
            self.demo_drawer.set_result(message)
        self._note(TimelineKind.DEMO, f"{_(DEMO_TITLE)}: {message}", Severity.NORMAL if ok else Severity.DEGRADED)

    def show_message(self, icon: str, text: str) -> None:
        self._set_notice(icon, text)
        self._render()

    def set_approvals_off(self, reason: str | None) -> None:
        """Approvals cannot go out at all (the audit trail cannot be written): Install stays off, the reason shows."""
        self._approvals_off = reason or None
        self.approvals_off_banner.draw(reason)
        if reason:
            self._note(TimelineKind.APPROVAL, reason, Severity.ALARM)
        self._render()

    def set_unrecorded(self, unrecorded: bool) -> None:
        """--no-audit: approvals go out without a record; the sheet and the timeline say so."""
        self.sheet.set_unrecorded(unrecorded)
        if unrecorded:
            text = _("The audit trail is off (--no-audit): approvals are not recorded.")
            self._note(TimelineKind.APPROVAL, text, Severity.DEGRADED)

    def set_target(self, target: str) -> None:
        self._target = target
        self.status_bar.set_target(target)
        self._render()

    # -- sign-in and history ---------------------------------------------------------------------------------
    def enable_signin(self, flow: SignInFlow) -> None:
        """Turns sign-in on: `flow` owns the sheet's sign-in step; activity anywhere keeps the operator in."""
        self._signin = flow
        flow.viewerRefused.connect(self.viewerRefused)
        flow.noted.connect(lambda text: self._note(TimelineKind.SIGNIN, text, Severity.NORMAL))
        flow.operatorChanged.connect(self._on_operator)
        self.status_bar.enable_signin()
        self.status_bar.set_operator(flow.operator)
        self.kiosk_guard.watch_activity()

    def _on_operator(self, operator: OperatorLike | None) -> None:
        self.status_bar.set_operator(operator)
        self._render()

    @property
    def signed_in(self) -> OperatorLike | None:
        """The operator the screen shows as signed in, or None."""
        return self._signin.operator if self._signin is not None else None

    def enable_history(self, source: str = "") -> None:
        """Shows the History button; `source` names the audit trail in the view's caption."""
        self._history_source = source
        self.status_bar.enable_history()

    def open_history(self) -> bool:
        if self._history_source is None or self.sheet.isVisible() or self.exit_sheet_open():
            return False
        if self.history_sheet is None:  # built on first use: the audit module's table view is not needed before
            self.history_sheet = HistorySheet(self, source=self._history_source)
            self.history_sheet.visibilityChanged.connect(self._overlay_changed)
            self.history_sheet.visibilityChanged.connect(self._history_shown)
        self.history_sheet.open()
        self.historyRequested.emit()
        return True

    def show_history(self, records: Sequence[object], error: str = "") -> None:
        if self.history_sheet is not None:
            self.history_sheet.set_records(list(records), error)

    # -- intents ---------------------------------------------------------------------------------------------
    def open_confirmation(self) -> bool:
        """Opens the confirmation sheet for the offered version, when the core allows approval now."""
        if self.sheet.isVisible() or self._sending is not None:
            return False
        if self._approvals_off:
            self._render()
            return False
        if self.history_sheet is not None:
            self.history_sheet.hide()
        now = self._clock()
        state = self._state
        if state is None:
            return False
        gate = approval_gate(state, now)
        if not gate.allowed or gate.version is None:
            self._set_notice("info", gate.text)
            self._render()
            return False
        current = version_text(state.snapshot, "current")
        self.sheet.present(gate.version, current, is_retry=gate.is_retry, opened_at=now)
        self.sheet.set_remaining(self._sheet_timeout)
        if self._signin is not None:
            self._signin.begin()
        self._render()
        return True

    def _on_confirmed(self, intent: ApprovalIntent) -> None:
        self._focus_main()
        # Checked again here (the controller and the client check once more): a hold that ends after the data
        # went stale, the offer changed or the confirmation's time ran out sends nothing.
        state, now = self._state, self._clock()
        if intent.expired(now, self._sheet_timeout):
            self.show_message("info", _(present.NOTHING_SENT_TOO_OLD))
        elif state is None or not approval_gate(state, now).permits(intent.version_id) or self._sending is not None:
            self.show_message("info", _(present.NOTHING_SENT_CHANGED))
        elif self._approvals_off:
            self._render()
        else:
            self._sending = intent.version_id
            self._render()
            self.approveRequested.emit(intent)

    def dismiss_notice(self) -> None:
        self._notice = None
        self._render()

    # -- overlays, quitting, screenshots ---------------------------------------------------------------------
    @property
    def exit_sheet(self) -> ExitSheet:
        """The kiosk's "Close the console?" question, built on first use."""
        if self._exit_sheet is None:
            self._exit_sheet = ExitSheet(self)
            self._exit_sheet.accepted.connect(self._really_close)
            self._exit_sheet.visibilityChanged.connect(self._overlay_changed)
        return self._exit_sheet

    def exit_sheet_open(self) -> bool:
        return self._exit_sheet is not None and self._exit_sheet.isVisible()

    def _overlay_changed(self, _visible: bool = False) -> None:
        modal = self.sheet.isVisible() or self.exit_sheet_open()
        modal = modal or (self.history_sheet is not None and self.history_sheet.isVisible())
        self.centralWidget().setEnabled(not modal)  # type: ignore[union-attr]  # set in __init__
        if self.demo_drawer is not None:
            self.demo_drawer.setEnabled(not modal)

    def _history_shown(self, shown: bool) -> None:
        if not shown:
            self._focus_main()

    def _focus_main(self) -> None:
        button = self.version_panel.approve_button
        target = button if button.isVisible() else self.notes_pane.timeline
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def corner_press_active(self) -> bool:
        return self.kiosk_guard.corner_press_active()

    def request_quit(self) -> None:
        self.kiosk_guard.corner_timer.stop()
        if self._kiosk:
            self.sheet.dismiss()
            self.exit_sheet.open()
        else:
            self.close()

    def force_close(self) -> None:
        """Closes without asking (SIGINT/SIGTERM, or the end of a screenshot run)."""
        self._really_close()

    def _really_close(self) -> None:
        self._closing_ok = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_ok:  # kiosk: only through the confirmation
            event.ignore()
            self.exit_sheet.open()
            return
        self._ticker.stop()
        self.kiosk_guard.stop()
        self.closing.emit()
        super().closeEvent(event)

    def save_screenshot(self, path: str | Path) -> bool:
        """Renders the window as it is now to a PNG file."""
        self._render()
        # Pending layout requests only (no timers, so no asyncio callback runs re-entrantly here).
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        return self.grab().save(str(path), "PNG")

    # -- rendering -------------------------------------------------------------------------------------------
    def on_tick(self) -> None:
        """The 1 s tick: idle sign-out first (through the controller), then the clock-dependent screen."""
        self.notes_pane.enable_touch_scroll()
        self.ticked.emit()
        self._render()

    def _render(self) -> None:
        now = self._clock()
        state = self._state
        if state is None:
            waiting = _("Waiting for the first answer from the IPC at {t}.").format(t=self._target or "?")
            line = Headline("connecting", _("Connecting…"), waiting, Severity.DEGRADED)
            health = Health.CONNECTING
        else:
            line = headline(state, now)
            health = state.connection.health(now)
            for entry in self.recorder.observe(state, now, self._wall()):
                self.notes_pane.add_entry(entry)
        self.headline_card.draw(line)
        self.status_bar.draw(state, now, health)
        self.version_panel.render_versions(state, health is Health.ONLINE, now)
        self.notes_pane.render_notes(state)
        self._runs = present.watch_run(self._runs, state.snapshot if state else None)
        self.version_panel.render_progress(state, self._runs.run, now)
        self._render_action(state, now)
        self._render_sheet(state, now)

    def _render_action(self, state: ClientState | None, now: float) -> None:
        off = bool(self._approvals_off)
        view = present.action(
            state, now, sending=self._sending is not None, sheet_open=self.sheet.isVisible(), approvals_off=off
        )
        self.version_panel.render_action(view, described=state is not None)
        self._notice = present.notice_in_force(self._notice, state, self._sending is not None)
        signin = self._signin
        hint = present.hint(
            self._notice,
            state,
            now,
            approvals_off=off,
            signin=signin is not None,
            operator=signin.operator if signin else None,
        )
        self.version_panel.render_hint(hint)

    def _render_sheet(self, state: ClientState | None, now: float) -> None:
        shown = self.sheet.version
        if shown is None:
            return
        verdict = present.sheet_verdict(state, shown, self.sheet.opened_at, now, self._sheet_timeout)
        if verdict.close_reason is None:
            self.sheet.set_remaining(verdict.remaining)
            if self._signin is not None:
                self._signin.refresh_lock()
            return
        self.sheet.dismiss()
        self._set_notice("info", verdict.close_reason)
        self._note(TimelineKind.APPROVAL, verdict.close_reason, Severity.ATTENTION)
        self._render_action(state, now)

    # -- notices and timeline ------------------------------------------------------------------------------
    def _set_notice(self, icon: str, text: str) -> None:
        self._notice = present.notice(icon, text, self._state)

    def notice(self) -> str:
        """The message shown under the Install button (results and why a sheet closed)."""
        return self._notice.text if self._notice else ""

    def _note(self, kind: TimelineKind, text: str, severity: Severity) -> None:
        self.notes_pane.add_entry(self.recorder.note(kind, text, severity, self._wall()))

    def timeline_texts(self) -> list[str]:
        return [e.text for e in self.recorder.entries]
