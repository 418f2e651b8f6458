"""The operator's main window: assembles the children, passes the state down, and keeps the overlays.

It decides nothing: what each child draws comes from hmi.ui.presenter and hmi.core.view, whether approval is
possible from hmi.core.model.approval_gate. Children emit signals up and never call the window. It emits
intents (`approveRequested`, `refreshRequested`, `demoAction`) that the controller checks again before
anything goes on the wire.

A 1 s timer re-renders, because freshness depends on the clock and not only on new data: the screen must turn
"not live" when answers stop coming, not when the next one arrives. A new state counts as a tick and restarts
the timer, so a console polled once a second renders once a second, not twice. Every tick lets the controller
apply idle sign-out (`ticked`). With sign-in on (`enable_signin(flow)`), hmi.ui.signin_flow owns the sheet's
sign-in step; with an audit trail (`enable_history`), a History button shows its newest records.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMainWindow, QVBoxLayout, QWidget

from hmi.core.client import ApprovalResult
from hmi.core.i18n import _
from hmi.core.model import ApprovalIntent, ClientState
from hmi.core.progress import DEFAULT_RESTART_GRACE, Estimate
from hmi.core.view import Severity, version_text
from hmi.ui import presenter as present
from hmi.ui import theme
from hmi.ui.headline import ApprovalsOffBanner, HeadlineCard
from hmi.ui.kiosk import KioskGuard
from hmi.ui.notes_pane import NotesPane
from hmi.ui.overlay import HOLD_SECONDS, SHEET_TIMEOUT, Overlay, showing
from hmi.ui.presenter import DEMO_TITLE, OperatorLike, TimelineKind
from hmi.ui.shelve_sheet import Shelving
from hmi.ui.status_bar import StatusBar
from hmi.ui.timeline import TimelineRecorder
from hmi.ui.version_panel import VersionPanel

if TYPE_CHECKING:
    from hmi.core.audit import AuditRecord
    from hmi.core.windows import WindowRules
    from hmi.ui.demo import DemoDrawer
    from hmi.ui.foureyes_flow import FourEyesFlow
    from hmi.ui.sheet import ConfirmSheet, ExitSheet, HistorySheet
    from hmi.ui.signin_flow import SignInFlow

WIDE_MIN = (1180, 700)  # from this size on, notes and timeline are shown together instead of in tabs


TICK_MS = 1000  # the clock-dependent screen (freshness, countdowns) is re-rendered at least this often
TICK_SLACK_MS = 150  # after a new state: the next tick waits this much longer than a second (see set_state)


class ConsoleWindow(QMainWindow):
    """The console. Children: status_bar, headline_card, approvals_off_banner, version_panel, notes_pane,
    sheet (and history_sheet, exit_sheet, demo_drawer).

    The overlays (`sheet`, `exit_sheet`, `history_sheet`, the shelving chooser) are built on first use, when
    one of these properties is first read: the first screen never shows them, and building them with the
    window cost about 25 ms before the first frame (docs/benchmarks.md, "Building on first use"). Code that
    only asks whether one is open uses `showing(...)` (hmi.ui.overlay), which builds nothing.

    Signals:
        approveRequested(ApprovalIntent): a confirmed approval (never a Qt string: ids arrive byte for byte).
        refreshRequested, demoAction(str), closing, ticked (every tick: at least once a second, and with each
        new state; before the re-render),
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
        restart_grace: float = DEFAULT_RESTART_GRACE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("consoleWindow")
        self._restart_grace = restart_grace  # seconds unreachable mid-update shown as "restarting"
        self._estimate: Estimate | None = None  # from the controller, once per poll (set_estimate)
        self._clock, self._wall, self._target, self._kiosk = clock, wall, target, kiosk
        self._sheet_timeout = sheet_timeout
        self._state: ClientState | None = None
        self._desk = present.Desk()  # what only this console knows: sending, notice, run watch, approvals off
        self._wide: bool | None = None
        self._closing_ok = not kiosk
        self._signin: SignInFlow | None = None
        self._windows: WindowRules | None = None  # maintenance windows (set_window_rules); None: any time
        # The open stretch last found (from, its end): the end holds for every instant in it, and finding it
        # walks the week (about 0.65 ms), too much for every render.
        self._open_span: tuple[dt.datetime, dt.datetime] | None = None
        self._four_eyes: FourEyesFlow | None = None

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
        # The same red line for an audit trail that failed verification at start (approvals still go out).
        self.audit_broken_banner = ApprovalsOffBanner()
        self.audit_broken_banner.setObjectName("auditBroken")
        self.audit_broken_banner.approvals_off_text.setObjectName("auditBrokenReason")
        body.addWidget(self.headline_card)
        body.addWidget(self.approvals_off_banner)
        body.addWidget(self.audit_broken_banner)
        content = QHBoxLayout()
        content.setSpacing(12)
        self.version_panel = VersionPanel()
        self.version_panel.installRequested.connect(self.open_confirmation)
        self.version_panel.noticeDismissed.connect(self.dismiss_notice)
        self.notes_pane = NotesPane(kiosk=kiosk, wall=wall)
        self._note = self.notes_pane.note
        # "Remind me later" (issue 15): the row under Install, its chooser, and the shelf between renders.
        self.shelving = Shelving(
            self, wall=wall, note=self._note, operator=lambda: self.signed_in, target=lambda: self._target
        )
        self.headline_card.add_action(self.shelving.row)
        self.shelving.changed.connect(self._render)
        content.addWidget(self.version_panel, 2)
        content.addWidget(self.notes_pane, 3)
        body.addLayout(content, 1)
        root.addLayout(body, 1)

        self._hold_seconds = hold_seconds
        self._sheet: ConfirmSheet | None = None  # built on first use: the `sheet` property
        self._compact = False  # the sheet's small-panel layout, kept for when it is built
        self._unrecorded = False
        self._exit_sheet: ExitSheet | None = None  # the kiosk's "Close the console?" (`exit_sheet`)
        self._history_source: str | None = None  # set by enable_history: there is an audit trail to show
        self._history_sheet: HistorySheet | None = None
        self.shelving.sheetBuilt.connect(self._shelve_sheet_built)
        self.demo_drawer: DemoDrawer | None = None
        if demo:
            from hmi.ui.demo import DemoDrawer  # only with --demo

            self.demo_drawer = DemoDrawer(self, self.status_bar)
            self.demo_drawer.actionRequested.connect(self.demoAction)
            self.status_bar.demoToggled.connect(self.demo_drawer.toggle)

        self.kiosk_guard = KioskGuard(self, kiosk=kiosk)
        self.kiosk_guard.quitRequested.connect(self.request_quit)
        self._shortcuts()
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._on_timer)
        self._ticker.start()
        # Touch scrolling a second after the window is built, off the first data's path (NotesPane says why); on
        # its own timer, since the tick's timer does not fire while states come once a second.
        QTimer.singleShot(TICK_MS, self, self.notes_pane.enable_touch_scroll)
        if kiosk:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.resize(1280, 800)
        self._apply_layout_mode()

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
        bind("Ctrl+L", self.remind_later)

    # -- the overlays, built on first use ---------------------------------------------------------------------
    @property
    def sheet(self) -> ConfirmSheet:
        """The confirmation sheet (`confirmSheet`)."""
        if self._sheet is None:
            from hmi.ui.sheet import ConfirmSheet

            sheet = ConfirmSheet(self, hold_seconds=self._hold_seconds)
            sheet.confirmed.connect(self._on_confirmed)
            sheet.cancelled.connect(self._render)
            sheet.cancelled.connect(self._focus_main)
            sheet.visibilityChanged.connect(self._overlay_changed)
            sheet.set_compact(self._compact)
            sheet.set_unrecorded(self._unrecorded)
            self._sheet = sheet
        return self._sheet

    @property
    def exit_sheet(self) -> ExitSheet:
        """The kiosk's "Close the console?" (`exitSheet`)."""
        if self._exit_sheet is None:
            from hmi.ui.sheet import ExitSheet

            self._exit_sheet = ExitSheet(self)
            self._exit_sheet.accepted.connect(self._really_close)
            self._exit_sheet.visibilityChanged.connect(self._overlay_changed)
        return self._exit_sheet

    @property
    def history_sheet(self) -> HistorySheet | None:
        """The approval history (`historySheet`); None without an audit trail (before enable_history)."""
        if self._history_sheet is None and self._history_source is not None:
            from hmi.ui.sheet import HistorySheet

            self._history_sheet = HistorySheet(self, source=self._history_source)
            self._history_sheet.visibilityChanged.connect(self._overlay_changed)
            self._history_sheet.visibilityChanged.connect(self._history_shown)
        return self._history_sheet

    def _shelve_sheet_built(self, sheet: Overlay) -> None:
        sheet.visibilityChanged.connect(self._overlay_changed)
        sheet.visibilityChanged.connect(self._history_shown)  # focus back to the screen on close

    def built_overlays(self) -> list[Overlay]:
        """The overlays built so far (the window is modal while one of them shows)."""
        built = (self._sheet, self._exit_sheet, self._history_sheet, self.shelving.built_sheet)
        return [o for o in built if o is not None]

    # -- layout ----------------------------------------------------------------------------------------------
    def _apply_layout_mode(self) -> None:
        wide = self.width() >= WIDE_MIN[0] and self.height() >= WIDE_MIN[1]
        if wide == self._wide:
            return
        self._wide = wide
        self.version_panel.set_wide(wide)
        self.notes_pane.set_wide(wide)
        self._render()

    @property
    def wide(self) -> bool:
        return bool(self._wide)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.status_bar.fit(self.width(), self.width() >= WIDE_MIN[0])
        self._compact = self.height() < 600
        if self._sheet is not None:
            self._sheet.set_compact(self._compact)
        self._apply_layout_mode()

    # -- inputs from the controller -------------------------------------------------------------------------
    @property
    def state(self) -> ClientState | None:
        return self._state

    def set_state(self, state: ClientState) -> None:
        """A new state is a tick too: polled once a second, the console would otherwise render twice a second (the
        new state, then the clock). The 1 s timer restarts from here, so it fires only when no state came for a
        second, and the screen is never more than a second old either way (docs/benchmarks.md, idle CPU)."""
        self._state = state
        self.on_tick()
        if self._ticker.isActive():
            # Restarted a little over a second ahead: polls come a second plus the call's time apart, and a timer
            # due just before the next state would render twice again. Without states it ticks each second.
            self._ticker.start(TICK_MS + TICK_SLACK_MS)

    def set_estimate(self, estimate: Estimate) -> None:
        """The progress estimate made at the last poll (hmi.core.progress); the timeline notes a stuck step.

        Drawn with the next render: the controller sends it just before the state it was made from."""
        note = present.stuck_note(self._estimate, estimate)
        self._estimate = estimate
        if note is not None:
            self._note(TimelineKind.STEP, note, Severity.DEGRADED if estimate.stuck else Severity.NORMAL)

    def show_approval_started(self, version_id: str) -> None:
        self._said(present.approval_started(self._desk, version_id, self._state))

    def show_approval_result(self, result: ApprovalResult) -> None:
        """Shows an ApprovalResult (also the controller's local refusals) in plain words."""
        self._said(present.approval_finished(self._desk, result, self._state, self._clock()))
        if showing(self._history_sheet):
            self.historyRequested.emit()

    def retranslate_items(self, convert: Callable[[str], str]) -> None:
        """A language switch (hmi.ui.language.switch): the sentences the window keeps between renders, the notice
        under Install and why approvals are off, are said again in the new language before the re-render."""
        desk = self._desk
        if desk.notice is not None:
            desk = replace(desk, notice=replace(desk.notice, text=convert(desk.notice.text)))
        if desk.approvals_off is not None:
            desk = replace(desk, approvals_off=convert(desk.approvals_off))
        self._desk = desk

    def _said(self, said: present.Said) -> None:
        self._desk = said.desk
        self._note(TimelineKind.APPROVAL, said.line, said.severity)
        self._render()

    def show_demo_result(self, action: str, ok: bool, message: str) -> None:
        if self.demo_drawer is not None:
            self.demo_drawer.set_result(message)
        self._note(TimelineKind.DEMO, f"{_(DEMO_TITLE)}: {message}", Severity.NORMAL if ok else Severity.DEGRADED)

    def set_audit_broken(self, text: str | None) -> None:
        """The audit trail failed verification at start: a red line until restart, and a timeline entry."""
        self.audit_broken_banner.draw(text)
        if text:
            self._note(TimelineKind.APPROVAL, text, Severity.ALARM)

    def set_approvals_off(self, reason: str | None) -> None:
        """Approvals cannot go out at all (the audit trail cannot be written): Install stays off, the reason shows."""
        self._desk = replace(self._desk, approvals_off=reason or None)
        self.approvals_off_banner.draw(reason)
        if reason:
            self._note(TimelineKind.APPROVAL, reason, Severity.ALARM)
        self._render()

    def set_window_rules(self, rules: WindowRules | None) -> None:
        """Maintenance windows: outside them Install is off and says when approving is allowed (every tick)."""
        self._windows = rules
        self._open_span = None
        self._render()

    def window_closed(self) -> str | None:
        """Why approving is outside the maintenance windows now (by the wall clock), or None."""
        if self._windows is None:
            return None
        return self._windows.refusal(dt.datetime.fromtimestamp(self._wall(), dt.UTC))

    def window_open_until(self) -> str | None:
        """Inside a maintenance window: until when approving is allowed (by the wall clock), or None. The end
        is looked up again only when the clock leaves the open stretch it was found for."""
        rules = self._windows
        if rules is None:
            return None
        now = dt.datetime.fromtimestamp(self._wall(), dt.UTC)
        span = self._open_span
        if span is None or not span[0] <= now < span[1]:
            end = rules.open_until(now) if rules.is_open(now) else None
            self._open_span = span = (now, end) if end is not None else None
            if span is None:
                return None
        return rules.until_text(span[1])

    def set_unrecorded(self, unrecorded: bool) -> None:
        """--no-audit: approvals go out without a record; the sheet and the timeline say so."""
        self._unrecorded = unrecorded
        if self._sheet is not None:
            self._sheet.set_unrecorded(unrecorded)
        if unrecorded:
            self._note(TimelineKind.APPROVAL, _(present.UNRECORDED), Severity.DEGRADED)

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

    def enable_four_eyes(self, flow: FourEyesFlow) -> None:
        """Four-eyes approval: `flow` owns the sheet's second-operator step; its refusals are said here."""
        self._four_eyes = flow
        flow.noted.connect(lambda text: self._note(TimelineKind.APPROVAL, text, Severity.NORMAL))
        flow.closed.connect(self._four_eyes_closed)

    def _four_eyes_closed(self, text: str) -> None:
        self._focus_main()
        self._desk = present.with_notice(self._desk, "info", text, self._state)
        self._note(TimelineKind.APPROVAL, text, Severity.ATTENTION)
        self._render()

    @property
    def four_eyes(self) -> FourEyesFlow | None:
        return self._four_eyes

    def _on_operator(self, operator: OperatorLike | None) -> None:
        self.status_bar.set_operator(operator)
        self._render()

    @property
    def signed_in(self) -> OperatorLike | None:
        """The operator the screen shows as signed in, or None."""
        return self._signin.operator if self._signin is not None else None

    def enable_history(self, source: str = "") -> None:
        """Shows the History button; `source` names the audit trail in the view's caption."""
        self._history_source = source  # the sheet and its table are built at the first open
        self.status_bar.enable_history()

    def open_history(self) -> bool:
        if self._history_source is None or showing(self._sheet) or showing(self._exit_sheet):
            return False
        self.shelving.hide_sheet()
        history = self.history_sheet
        assert history is not None  # there is a source
        history.open()
        self.historyRequested.emit()
        return True

    def show_history(self, records: Sequence[AuditRecord], error: str = "") -> None:
        if self._history_sheet is not None:  # records come only after an open, which built it
            self._history_sheet.set_records(list(records), error)

    # -- intents ---------------------------------------------------------------------------------------------
    def open_confirmation(self) -> bool:
        """Opens the confirmation sheet for the offered version, when the core allows approval now."""
        now, state = self._clock(), self._state
        verdict = present.opening(self._desk, state, now, sheet_open=showing(self._sheet), closed=self.window_closed())
        if verdict.closes_history and self._history_sheet is not None:
            self._history_sheet.hide()
        if verdict.gate is None or verdict.gate.version is None or state is None:
            self.show_message("info", verdict.notice)
            return False
        current = version_text(state.snapshot, "current")
        self.shelving.hide_sheet()
        self.sheet.present(verdict.gate.version, current, is_retry=verdict.gate.is_retry, opened_at=now)
        self.sheet.set_remaining(self._sheet_timeout)
        if self._signin is not None:
            self._signin.begin()
        self._render()
        return True

    def _on_confirmed(self, intent: ApprovalIntent) -> None:
        self._focus_main()
        verdict = present.confirmed(self._desk, intent, self._state, self._clock(), self._sheet_timeout)
        if verdict.gate is None:
            self.show_message("info", verdict.notice)
            return
        self._desk = replace(self._desk, sending=intent.version_id)
        self._render()
        self.approveRequested.emit(intent)

    def remind_later(self) -> None:
        """Ctrl+L: the "Remind me later" chooser, or "Remind me now" while the reminder is shelved."""
        if showing(self._sheet) or showing(self._exit_sheet) or showing(self._history_sheet):
            return
        self.shelving.toggle()

    def enable_shelving(
        self, shift_ends: Sequence[str] = (), timezone: str | None = None, data_dir: Path | None = None
    ) -> None:
        """The plant's shift ends for "until end of shift", and the data folder that keeps a shelf over a restart."""
        self.shelving.configure(shift_ends, timezone)
        if data_dir is not None:
            self.shelving.enable_saving(data_dir)
        self._render()

    def dismiss_notice(self) -> None:
        self._desk = replace(self._desk, notice=None)
        self._render()

    # -- overlays, quitting, screenshots ---------------------------------------------------------------------
    def _overlay_changed(self, _visible: bool = False) -> None:
        modal = any(o.isVisible() for o in self.built_overlays())
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

    def request_quit(self) -> None:
        self.kiosk_guard.corner_timer.stop()
        if self._kiosk:
            if self._sheet is not None:
                self._sheet.dismiss()
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
        self.shelving.close()
        self.closing.emit()
        super().closeEvent(event)

    def save_screenshot(self, path: str | Path) -> bool:
        """Renders the window as it is now to a PNG file."""
        self._render()
        # Pending layout requests only (no timers, so no asyncio callback runs re-entrantly here).
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        return self.grab().save(str(path), "PNG")

    # -- rendering -------------------------------------------------------------------------------------------
    def _on_timer(self) -> None:
        self._ticker.setInterval(TICK_MS)  # back to whole seconds after a restart with slack
        self.on_tick()

    def on_tick(self) -> None:
        """The 1 s tick (or a new state): idle sign-out first (through the controller), then the clock-dependent
        screen."""
        self.ticked.emit()
        self._render()

    def _render(self) -> None:
        now, state, closed = self._clock(), self._state, self.window_closed()
        if state is not None:
            self.notes_pane.observe(state, now)
        self._check_sheet(state, now, closed)
        signin = self._signin
        view = present.screen(
            self._desk,
            state,
            now,
            target=self._target,
            sheet_open=showing(self._sheet),
            signin=signin is not None,
            operator=signin.operator if signin else None,
            restart_grace=self._restart_grace,
            closed=closed,
            open_until=None if closed else self.window_open_until(),
        )
        self._desk = view.desk
        self.headline_card.draw(self.shelving.render(state, view.headline, view.live))
        self.status_bar.draw(state, now, view.health, view.liveness)
        self.version_panel.render_versions(state, view.live, now)
        self.notes_pane.render_notes(state)
        snap = state.snapshot if state else None
        progress = present.progress_view(snap, self._estimate)
        self.version_panel.render_progress(state, view.desk.runs.run, now, progress)
        self.version_panel.render_action(view.action, described=state is not None)
        self.version_panel.render_hint(view.hint)

    def _check_sheet(self, state: ClientState | None, now: float, window_closed: str | None = None) -> None:
        """An open confirmation that went stale, or whose maintenance window closed, closes and says why (nothing
        was sent; a hold that ends before this tick is refused by the controller, which records it)."""
        if self._four_eyes is not None and self._four_eyes.check(state, now) is not None:
            return  # closed by the four-eyes rule, said through `closed`
        sheet = self._sheet
        if sheet is None:  # never opened: nothing to close
            return
        closed = sheet.check(state, now, self._sheet_timeout)
        if not closed and window_closed and sheet.isVisible():
            sheet.dismiss()
            closed = present.window_closed_verdict(window_closed)
        if closed:
            self._desk = present.with_notice(self._desk, "info", closed, state)
            self._note(TimelineKind.APPROVAL, closed, Severity.ATTENTION)
        elif sheet.isVisible() and self._signin is not None:
            self._signin.refresh_lock()

    # -- notices and timeline ------------------------------------------------------------------------------
    def show_message(self, icon: str, text: str) -> None:
        """A notice under the Install button (empty: keeps the one shown), then a re-render."""
        if text:
            self._desk = present.with_notice(self._desk, icon, text, self._state)
        self._render()

    def notice(self) -> str:
        """The message shown under the Install button (results and why a sheet closed)."""
        return self._desk.notice.text if self._desk.notice else ""

    @property
    def recorder(self) -> TimelineRecorder:
        return self.notes_pane.recorder

    def timeline_texts(self) -> list[str]:
        return [e.text for e in self.recorder.entries]
