"""The operator's main window: a view over `ClientState`, one small `_update_*` method per part.

It never calls gRPC and never decides anything itself: what it shows comes from
hmi.core.view, whether approval is possible from hmi.core.model.approval_gate.
It emits intents (`approveRequested`, `refreshRequested`, `demoAction`) that the
controller checks again before anything goes on the wire.

A 1 s timer re-renders, because freshness depends on the clock and not only on new
data: the screen must turn "not live" when answers stop coming, not when the next
one arrives. The same tick lets the controller apply idle sign-out (`ticked`).

With sign-in on (`set_session`), the status bar shows who is signed in with a Sign out
button, taps and keys anywhere in the window count as activity, and the confirmation
sheet asks for the operator's name and PIN first. With an audit trail
(`enable_history`), a History button shows its newest records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hmi.core.i18n import _
from hmi.core.model import (
    DISPLAY_ID_MAX,
    ApprovalIntent,
    ClientState,
    Health,
    UpdateState,
    approval_gate,
    clean_line,
)
from hmi.core.view import (
    Headline,
    Severity,
    connection_text,
    format_age,
    headline,
    progress_text,
    version_text,
)
from hmi.ui import icons, theme
from hmi.ui.demo import DEMO_TITLE, DemoDrawer
from hmi.ui.sheet import HOLD_SECONDS, SHEET_TIMEOUT, ConfirmSheet, ExitSheet, HistorySheet
from hmi.ui.timeline import Entry, TimelineRecorder
from hmi.ui.widgets import ElideButton, ElideLabel, IconLabel, NotesView, WrapLabel, grab_touch_scroll, plain_tooltip

WIDE_MIN = (1180, 700)  # from this size on, notes and timeline are shown together instead of in tabs
KIOSK_CORNER_PX = 96  # the top-left area that closes a kiosk console after a long press
KIOSK_HOLD_MS = 3000
# What counts as operator activity for idle sign-out.
_ACTIVITY = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress, QEvent.Type.Wheel})


def idle_text(seconds: float) -> str:
    """ "2 min" for a whole number of minutes, else "1 min 30 s"."""
    if seconds >= 60 and seconds % 60 == 0:
        return _("{m} min").format(m=int(seconds // 60))
    return format_age(seconds)


def role_text(role: str) -> str:
    return {"operator": _("operator"), "viewer": _("viewer")}.get(role, _("viewer"))


_SEVERITY_ICON = {
    Severity.NORMAL: "info",
    Severity.ATTENTION: "info",
    Severity.ACTIVE: "running",
    Severity.ALARM: "fault",
    Severity.DEGRADED: "warning",
}


class ToneCard(QFrame):
    """A card painted in one severity's tone: tint, accent bar, hatch when the data is not live."""

    def __init__(self, parent: QWidget | None = None, *, bar: bool = True) -> None:
        super().__init__(parent)
        self._tone = theme.TONES[Severity.NORMAL]
        self._bar = bar
        self.severity = Severity.NORMAL

    def set_tone(self, severity: Severity, *, hatch: bool | None = None) -> None:
        tone = theme.TONES[severity]
        if hatch is not None:
            tone = theme.Tone(tone.background, tone.accent, hatch)
        if tone != self._tone or severity != self.severity:
            self._tone, self.severity = tone, severity
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        r = self.rect()
        painter.fillRect(r, QColor(self._tone.background))
        if self._tone.hatch:
            brush = QBrush(QColor(theme.DEGRADED_HATCH), Qt.BrushStyle.BDiagPattern)
            painter.save()
            painter.scale(3, 3)  # wider stripes than Qt's 1-px pattern
            painter.fillRect(QRect(0, 0, r.width() // 3 + 1, r.height() // 3 + 1), brush)
            painter.restore()
        painter.setPen(QColor(theme.BORDER))
        painter.drawRect(r.adjusted(0, 0, -1, -1))
        if self._bar:
            painter.fillRect(QRect(0, 0, 10, r.height()), QColor(self._tone.accent))


class ConsoleWindow(QMainWindow):
    approveRequested = Signal(object)  # ApprovalIntent (never a Qt string: ids must arrive byte for byte)
    refreshRequested = Signal()
    demoAction = Signal(str)
    closing = Signal()
    ticked = Signal()  # every second, before the screen re-renders
    historyRequested = Signal()
    signOutRequested = Signal()
    viewerRefused = Signal(object, object)  # (version id, viewer's name) as Python str: a viewer tried to approve

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
        self._clock = clock
        self._wall = wall
        self._target = target
        self._demo = demo
        self._kiosk = kiosk
        self._sheet_timeout = sheet_timeout
        self._state: ClientState | None = None
        self._sending: str | None = None  # version id between approvalStarted and approvalFinished
        self._notice: tuple[str, str] | None = None  # (icon, text), shown until replaced, dismissed or outdated
        self._notice_key: tuple[Any, ...] | None = None
        self._run_started: tuple[float, float, bool] | None = None  # (mono, wall, seen starting)
        self._seen_not_running = False
        self._wide: bool | None = None
        self._closing_ok = not kiosk
        self._session: Any = None  # the controller, when sign-in is on
        self._operator: Any = None  # hmi.core.auth.Operator signed in, as last reported
        self._approvals_off: str | None = None
        self.history_sheet: HistorySheet | None = None  # built on first open
        self._history_source: str | None = None  # set by enable_history
        self.recorder = TimelineRecorder()
        self._touch_ready = False

        self.setWindowTitle(_("IPC Update Console") + (f" — {DEMO_TITLE}" if demo else ""))
        self.setStyleSheet(theme.stylesheet())
        self.setMinimumSize(640, 400)
        central = QWidget()
        central.setObjectName("central")
        self.setCentralWidget(central)
        root = QVBoxLayout(central)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_status_bar())
        body = QVBoxLayout()
        body.setContentsMargins(12, 10, 12, 12)
        body.setSpacing(10)
        body.addWidget(self._build_headline())
        body.addWidget(self._build_approvals_off())
        content = QHBoxLayout()
        content.setSpacing(12)
        content.addWidget(self._build_side(), 2)
        content.addWidget(self._build_right(), 3)
        body.addLayout(content, 1)
        root.addLayout(body, 1)

        self.sheet = ConfirmSheet(self, hold_seconds=hold_seconds)
        self.sheet.confirmed.connect(self._on_confirmed)
        self.sheet.cancelled.connect(self._render)
        self.sheet.cancelled.connect(self._focus_main)
        self.sheet.visibilityChanged.connect(self._overlay_changed)
        self._exit_sheet: ExitSheet | None = None  # built when first asked (kiosk only)
        self.demo_drawer: DemoDrawer | None = None
        if demo:
            self.demo_drawer = DemoDrawer(self, self.status_bar)
            self.demo_drawer.actionRequested.connect(self.demoAction)

        self._shortcuts()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.on_tick)
        self._ticker.start()
        self._corner_timer = QTimer(self)
        self._corner_timer.setSingleShot(True)
        self._corner_timer.setInterval(KIOSK_HOLD_MS)
        self._corner_timer.timeout.connect(self.request_quit)
        if kiosk:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            QApplication.instance().installEventFilter(self)
        self.resize(1280, 800)
        self._apply_layout_mode()
        self._render()

    # -- construction --------------------------------------------------------------------------------------
    def _build_status_bar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("statusBar")
        self.status_bar = bar
        lay = QHBoxLayout(bar)
        lay.setContentsMargins(12, 4, 12, 4)
        lay.setSpacing(10)
        self.connection_icon = IconLabel(theme.SMALL_ICON_PX)
        self.connection_label = WrapLabel("", max_lines=2)
        self.connection_label.setObjectName("connectionStatus")
        self.target_label = ElideLabel(_("IPC {t}").format(t=self._target) if self._target else "")
        self.target_label.setObjectName("targetLabel")
        self.target_label.setProperty("muted", True)
        self.connection_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.connection_icon, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.connection_label, 1)
        lay.addWidget(self.target_label, 0)
        self.history_button = QPushButton(_("History"))
        self.history_button.setObjectName("historyButton")
        self.history_button.setAccessibleName(_("Approval history"))
        self.history_button.setToolTip(plain_tooltip(_("Show the approval history (Ctrl+H)")))
        self.history_button.setMinimumHeight(theme.TOUCH_PX)
        self.history_button.clicked.connect(self.open_history)
        self.history_button.hide()
        lay.addWidget(self.history_button, 0)
        self.signin_box = QWidget()
        self.signin_box.setObjectName("signInBox")
        sl = QHBoxLayout(self.signin_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(8)
        self.operator_label = WrapLabel("", max_lines=2)  # two lines on a small panel, so the name stays whole
        self.operator_label.setObjectName("signedInOperator")
        self.operator_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.operator_label.setStyleSheet("font-weight: bold;")
        self.sign_out_button = QPushButton(_("Sign out"))
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setMinimumHeight(theme.TOUCH_PX)
        self.sign_out_button.clicked.connect(self.signOutRequested)
        self.sign_out_button.hide()
        sl.addWidget(self.operator_label, 1, Qt.AlignmentFlag.AlignVCenter)
        sl.addWidget(self.sign_out_button, 0)
        self.signin_box.hide()
        lay.addWidget(self.signin_box, 0)
        self.demo_toggle: QPushButton | None = None
        if self._demo:
            self.demo_toggle = QPushButton(DEMO_TITLE)
            self.demo_toggle.setObjectName("demoToggle")
            self.demo_toggle.setToolTip(plain_tooltip(_("Open the controls of the simulated IPC")))
            self.demo_toggle.clicked.connect(lambda: self.demo_drawer and self.demo_drawer.toggle())
            lay.addWidget(self.demo_toggle, 0)
        return bar

    def _build_headline(self) -> QWidget:
        card = ToneCard()
        card.setObjectName("headlineCard")
        self.headline_card = card
        lay = QHBoxLayout(card)
        lay.setContentsMargins(22, 10, 12, 10)
        lay.setSpacing(14)
        self.headline_icon = IconLabel(theme.ICON_PX)
        self.headline_title = WrapLabel("")
        self.headline_title.setObjectName("stateHeadline")
        self.headline_detail = WrapLabel("", max_lines=2)  # the versions are shown in full below
        self.headline_detail.setObjectName("headlineDetail")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.headline_title)
        text.addWidget(self.headline_detail)
        lay.addWidget(self.headline_icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(text, 1)
        return card

    def _build_approvals_off(self) -> QWidget:
        """A full-width line, shown only while approvals are off: the whole reason, so it can be fixed."""
        card = ToneCard()
        card.setObjectName("approvalsOff")
        card.set_tone(Severity.ALARM)
        lay = QHBoxLayout(card)
        lay.setContentsMargins(22, 6, 12, 6)
        lay.setSpacing(10)
        icon = IconLabel(theme.SMALL_ICON_PX)
        icon.set_icon("fault")
        self.approvals_off_text = WrapLabel("")
        self.approvals_off_text.setObjectName("approvalsOffReason")
        lay.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.approvals_off_text, 1)
        self.approvals_off_banner = card
        card.hide()
        return card

    def _build_side(self) -> QWidget:
        card = ToneCard(bar=False)
        card.setObjectName("sideCard")
        card.setMinimumWidth(300)
        card.setMaximumWidth(640)
        self.side_card = card
        lay = QVBoxLayout(card)
        lay.setContentsMargins(14, 10, 14, 12)
        lay.setSpacing(4)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(0)
        self.current_caption = ElideLabel(_("Running version"), mode=Qt.TextElideMode.ElideRight)
        self.current_caption.setProperty("role", "caption")
        self.current_version = ElideLabel("")
        self.current_version.setObjectName("currentVersion")
        self.current_version.setProperty("role", "value")
        self.available_caption = ElideLabel(_("Available version"), mode=Qt.TextElideMode.ElideRight)
        self.available_caption.setProperty("role", "caption")
        self.available_version = ElideLabel("")
        self.available_version.setObjectName("availableVersion")
        self.available_version.setProperty("role", "value")
        self._grid = grid
        lay.addLayout(grid)

        self.progress_box = QWidget()
        pl = QVBoxLayout(self.progress_box)
        pl.setContentsMargins(0, 8, 0, 0)
        pl.setSpacing(4)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setAccessibleName(_("Update progress"))
        self.progress_bar.setTextVisible(False)
        self.progress_text = WrapLabel("", max_lines=2)  # the timeline keeps every stage in full
        self.progress_text.setObjectName("progressText")
        self.progress_elapsed = WrapLabel("", max_lines=2)
        self.progress_elapsed.setObjectName("progressElapsed")
        self.progress_elapsed.setProperty("muted", True)
        pl.addWidget(self.progress_bar)
        pl.addWidget(self.progress_text)
        pl.addWidget(self.progress_elapsed)
        lay.addWidget(self.progress_box)
        lay.addStretch(1)

        self.approve_button = ElideButton("")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.approve_button.setMinimumHeight(theme.PRIMARY_PX)
        self.approve_button.setToolTipDuration(8000)
        self.approve_button.clicked.connect(self.open_confirmation)
        lay.addWidget(self.approve_button)

        note = QHBoxLayout()
        note.setSpacing(8)
        self.notice_icon = IconLabel(theme.SMALL_ICON_PX)
        self.notice_text = WrapLabel("", max_lines=4)  # the timeline keeps the whole message
        self.notice_text.setObjectName("noticeText")
        self.notice_close = QPushButton("✕")
        self.notice_close.setObjectName("noticeClose")
        self.notice_close.setAccessibleName(_("Dismiss the message"))
        self.notice_close.setFixedSize(theme.TOUCH_PX, theme.TOUCH_PX)
        self.notice_close.clicked.connect(self.dismiss_notice)
        note.addWidget(self.notice_icon, 0, Qt.AlignmentFlag.AlignTop)
        note.addWidget(self.notice_text, 1)
        note.addWidget(self.notice_close, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(note)
        return card

    def _build_right(self) -> QWidget:
        self.notes_page = QWidget()
        nl = QVBoxLayout(self.notes_page)
        nl.setContentsMargins(0, 0, 0, 0)
        nl.setSpacing(4)
        self.notes_caption = ElideLabel("", mode=Qt.TextElideMode.ElideMiddle)
        self.notes_caption.setObjectName("notesCaption")
        self.notes_caption.setProperty("role", "caption")
        self.notes = NotesView(drag_scroll=self._kiosk, touch_scroll=False)  # see _enable_touch_scroll
        self.notes.setObjectName("updateNotes")
        self.notes.setAccessibleName(_("Update notes"))
        nl.addWidget(self.notes_caption)
        nl.addWidget(self.notes, 1)

        self.timeline_page = QWidget()
        tl = QVBoxLayout(self.timeline_page)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(4)
        self.timeline_caption = ElideLabel(_("Timeline: what this console observed, newest first"))
        self.timeline_caption.setProperty("role", "caption")
        self.timeline = QListWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setAccessibleName(_("Timeline"))
        self.timeline.setWordWrap(True)
        self.timeline.setUniformItemSizes(False)
        self.timeline.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.timeline.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.timeline.setIconSize(QSize(24, 24))  # the size _icon() renders at
        tl.addWidget(self.timeline_caption)
        tl.addWidget(self.timeline, 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("rightTabs")
        self.tabs.setDocumentMode(False)
        self.wide_box = QWidget()
        wl = QVBoxLayout(self.wide_box)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.setSpacing(10)
        self._wide_layout = wl
        self.right = QStackedWidget()
        self.right.addWidget(self.tabs)
        self.right.addWidget(self.wide_box)
        return self.right

    def _shortcuts(self) -> None:
        def bind(keys: QKeySequence | str, slot: Callable[[], Any]) -> None:
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
        grid = self._grid
        for widget in (self.current_caption, self.current_version, self.available_caption, self.available_version):
            grid.removeWidget(widget)
        if wide:  # caption above value: room for long ids
            grid.addWidget(self.current_caption, 0, 0)
            grid.addWidget(self.current_version, 1, 0)
            grid.addWidget(self.available_caption, 2, 0)
            grid.addWidget(self.available_version, 3, 0)
            grid.setRowMinimumHeight(2, 34)
            grid.setColumnStretch(1, 0)
        else:  # caption beside value: two lines fewer on a small panel
            grid.addWidget(self.current_caption, 0, 0)
            grid.addWidget(self.current_version, 0, 1)
            grid.addWidget(self.available_caption, 1, 0)
            grid.addWidget(self.available_version, 1, 1)
            grid.setRowMinimumHeight(2, 0)
            grid.setColumnStretch(1, 1)
        grid.setAlignment(
            self.available_caption, Qt.AlignmentFlag.AlignBottom if wide else Qt.AlignmentFlag.AlignVCenter
        )
        self._update_versions(self._state, self._live(), self._clock())
        for page in (self.notes_page, self.timeline_page):
            page.layout().setContentsMargins(*((0, 0, 0, 0) if wide else (8, 8, 8, 8)))
        self.target_label.setVisible(True)
        if wide:
            self.tabs.clear()
            self._wide_layout.addWidget(self.notes_page, 3)
            self._wide_layout.addWidget(self.timeline_page, 2)
            # The tab widget hid the pages it held; reparented, they stay hidden unless shown again.
            self.notes_page.show()
            self.timeline_page.show()
            self.timeline_caption.show()
            self.right.setCurrentWidget(self.wide_box)
        else:
            self._wide_layout.removeWidget(self.notes_page)
            self._wide_layout.removeWidget(self.timeline_page)
            self.tabs.addTab(self.notes_page, _("Update notes"))
            self.tabs.addTab(self.timeline_page, _("Timeline"))
            self.timeline_caption.hide()
            self.right.setCurrentWidget(self.tabs)

    def _live(self) -> bool:
        return self._state is not None and self._state.connection.health(self._clock()) is Health.ONLINE

    @property
    def wide(self) -> bool:
        return bool(self._wide)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # The connection text comes first in the status bar; the address gets what is left (tooltip when cut).
        self.target_label.setMaximumWidth(max(120, min(420, self.width() // 4)))
        self.operator_label.setMaximumWidth(
            max(140, min(420, self.width() // (3 if self.width() >= WIDE_MIN[0] else 4)))
        )
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
        shown = self._display(version_id)
        self._set_notice("info", _("Sending the approval for {v}…").format(v=shown))
        self._timeline_note("approval", _("Approval for {v} sent by this console.").format(v=shown), Severity.ACTIVE)
        self._render()

    def show_approval_result(self, result: Any) -> None:
        """Shows an ApprovalResult (or the controller's local refusal) in plain words."""
        outcome = str(getattr(result, "outcome", "")).lower().replace("_", "-")
        version = self._display(str(getattr(result, "version_id", "") or ""))
        message = str(getattr(result, "message", "") or "")
        snap = getattr(getattr(result, "state", None), "snapshot", None)
        if outcome == "approved" and snap is not None and snap.state is UpdateState.FAULT:
            icon, severity = "warning", Severity.ATTENTION  # it reached the IPC and failed at once: say so
            text = message
        elif outcome == "approved":
            icon, severity = "success", Severity.NORMAL
            text = _("Approved {v}. The update starts; this screen follows it.").format(v=version)
        elif outcome in ("refused", "not-offered", "refused-locally", "expired"):
            icon, severity = "info", Severity.ATTENTION
            text = _("Not installed: {why} Review what is offered now before approving.").format(
                why=message or _("the IPC refused the approval.")
            )
        elif outcome == "in-flight":
            icon, severity = "info", Severity.ATTENTION
            text = message or _("An approval is already being sent. Wait for its result.")
        elif outcome == "unreachable":
            icon, severity = "warning", Severity.DEGRADED
            text = _("The approval for {v} did not reach the IPC. {why}").format(
                v=version, why=message or _("The IPC cannot be reached.")
            )
        elif outcome == "unknown":
            icon, severity = "warning", Severity.DEGRADED
            text = _(
                "It is not known whether the IPC received the approval for {v}. {why} "
                "Watch the state here before approving again."
            ).format(v=version, why=message)
        else:  # auth, error, anything new
            icon, severity = "fault", Severity.ALARM
            text = message or _("The approval failed.")
        self._sending = None
        self._set_notice(icon, text)
        self._timeline_note("approval", text, severity)
        if self.history_sheet is not None and self.history_sheet.isVisible():
            self.historyRequested.emit()
        self._render()

    def show_demo_result(self, action: str, ok: bool, message: str) -> None:
        if self.demo_drawer is not None:
            self.demo_drawer.set_result(message)
        self._timeline_note("demo", f"{DEMO_TITLE}: {message}", Severity.NORMAL if ok else Severity.DEGRADED)

    def show_message(self, icon: str, text: str) -> None:
        self._set_notice(icon, text)
        self._render()

    def set_approvals_off(self, reason: str | None) -> None:
        """Approvals cannot go out at all (the audit trail cannot be written): Install stays off, the reason shows."""
        self._approvals_off = reason or None
        self.approvals_off_text.setText(reason or "")
        self.approvals_off_banner.setVisible(bool(reason))
        if reason:
            self._timeline_note("approval", reason, Severity.ALARM)
        self._render()

    def set_unrecorded(self, unrecorded: bool) -> None:
        """--no-audit: approvals go out without a record; the sheet and the timeline say so."""
        self.sheet.set_unrecorded(unrecorded)
        if unrecorded:
            self._timeline_note(
                "approval", _("The audit trail is off (--no-audit): approvals are not recorded."), Severity.DEGRADED
            )

    # -- sign-in ---------------------------------------------------------------------------------------------
    def set_session(self, session: Any) -> None:
        """Turns sign-in on. `session` is the controller: operator_names, current_operator(), sign_in(name, pin),
        locked_seconds(name), touch(), idle_timeout."""
        self._session = session
        self.sheet.enable_signin()
        self.sheet.pinSubmitted.connect(self._on_pin)
        self.sheet.operatorChosen.connect(lambda _name: self._refresh_lock())
        self.sheet.switchRequested.connect(lambda: self._enter_signin())
        self.signin_box.show()
        if not self._kiosk:  # kiosk mode has installed it already, for the corner gesture
            QApplication.instance().installEventFilter(self)
        self._operator = session.current_operator()
        self._update_operator()

    @property
    def signed_in(self) -> Any:
        """The operator the screen shows as signed in (hmi.core.auth.Operator), or None."""
        return self._operator

    def set_operator(self, operator: Any, why: str = "") -> None:
        """The controller says who is signed in now, and why it changed ("signed-in", "signed-out", "idle")."""
        before = self._operator
        self._operator = operator
        self._update_operator()
        if why == "signed-in" and operator is not None:
            self._timeline_note(
                "signin",
                _("{name} signed in ({role}).").format(
                    name=clean_line(operator.name, 40), role=role_text(operator.role)
                ),
                Severity.NORMAL,
            )
        elif why in ("signed-out", "idle") and before is not None:
            name = clean_line(before.name, 40)
            if why == "idle":
                idle = idle_text(self._session.idle_timeout if self._session is not None else 0)
                text = _("Signed out after {t} idle ({name}).").format(t=idle, name=name)
            else:
                text = _("{name} signed out.").format(name=name)
            self._timeline_note("signin", text, Severity.NORMAL)
            if self.sheet.step == "confirm":  # the hold-to-install belongs to whoever signed in
                self._enter_signin(text + " " + _("Sign in again to install."))
        self._render()

    def _update_operator(self) -> None:
        operator = self._operator
        if operator is None:
            self.operator_label.setText(_("Not signed in"))
        else:
            self.operator_label.setText(
                _("Signed in: {name} ({role})").format(
                    name=clean_line(operator.name, 40), role=role_text(operator.role)
                )
            )
        self.sign_out_button.setVisible(operator is not None)

    def _operator_text(self, operator: Any) -> str:
        return _("Approving as {name} ({role}).").format(
            name=clean_line(operator.name, 40), role=role_text(operator.role)
        )

    def _enter_signin(self, message: str = "") -> None:
        """The sheet's first step: pick a name, type the PIN. A signed-in viewer is refused (and recorded)."""
        session, version = self._session, self.sheet.version
        if session is None or version is None:
            return
        names = list(session.operator_names)
        operator = self._operator
        if operator is not None and not operator.may_approve and not message:
            message = _("{name} is signed in as a viewer. Viewers cannot approve updates.").format(
                name=clean_line(operator.name, 40)
            )
            self.viewerRefused.emit(version.version_id, operator.name)
        self.sheet.show_signin(names, message=message, selected=names[0] if len(names) == 1 else None)
        self._refresh_lock()

    def _on_pin(self, name: str, pin: str) -> None:
        session, version = self._session, self.sheet.version
        if session is None or version is None:
            return
        result = session.sign_in(name, pin)
        del pin  # not kept anywhere
        pad = self.sheet.pad
        if not result.ok:
            if session.locked_seconds(name) > 0:  # "Wrong PIN. Locked for 60 s": the keypad goes off with it
                self.sheet.set_locked(result.message)
            else:
                pad.set_message(result.message)
            return
        operator = result.operator
        if not operator.may_approve:
            pad.set_message(_("Viewers cannot approve updates."))
            self.viewerRefused.emit(version.version_id, operator.name)
            return
        if self.sheet.version is not None:  # still open (signing in never closes it)
            self.sheet.show_confirm(self._operator_text(operator))

    def _refresh_lock(self) -> None:
        """On the sign-in step: the lockout countdown of the chosen name, from the sign-in state, every second."""
        if self._session is None or self.sheet.step != "signin":
            return
        name = self.sheet.selected_name
        seconds = self._session.locked_seconds(name) if name else 0
        self.sheet.set_locked(_("Locked for {n} s").format(n=seconds) if seconds > 0 else None)

    # -- history ---------------------------------------------------------------------------------------------
    def enable_history(self, source: str = "") -> None:
        """Shows the History button; `source` names the audit trail in the view's caption.

        The sheet itself (and the audit module's table view) is built when it is first opened."""
        self._history_source = source
        self.history_button.show()

    def open_history(self) -> bool:
        if self._history_source is None or self.sheet.isVisible() or self.exit_sheet_open():
            return False
        if self.history_sheet is None:
            self.history_sheet = HistorySheet(self, source=self._history_source)
            self.history_sheet.visibilityChanged.connect(self._overlay_changed)
            self.history_sheet.visibilityChanged.connect(lambda shown: shown or self._focus_main())
        self.history_sheet.open()
        self.historyRequested.emit()
        return True

    def show_history(self, records: Any, error: str = "") -> None:
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
        if self._session is not None:
            self._session.current_operator()  # applies idle sign-out (reported through set_operator) first
        self.sheet.present(gate.version, current, is_retry=gate.is_retry, opened_at=now)
        self.sheet.set_remaining(self._sheet_timeout)
        if self._session is not None:
            if self._operator is not None and self._operator.may_approve:  # signed in and not idle: no PIN
                self.sheet.show_confirm(self._operator_text(self._operator))
            else:
                self._enter_signin()
        self._render()
        return True

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
        self.centralWidget().setEnabled(not modal)
        if self.demo_drawer is not None:
            self.demo_drawer.setEnabled(not modal)

    def _focus_main(self) -> None:
        target = self.approve_button if self.approve_button.isVisible() else self.timeline
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_confirmed(self, intent: ApprovalIntent) -> None:
        self._focus_main()
        # Checked again here (the controller and the client check once more): a hold that ends after the data
        # went stale, the offer changed or the confirmation's time ran out sends nothing.
        version_id = intent.version_id
        state = self._state
        now = self._clock()
        if intent.expired(now, self._sheet_timeout):
            self._set_notice("info", _("Nothing was sent: the confirmation was open too long. Review the screen."))
            self._render()
            return
        if state is None or not approval_gate(state, now).permits(version_id) or self._sending is not None:
            self._set_notice("info", _("Nothing was sent: the offer or the connection changed. Review the screen."))
            self._render()
            return
        if self._approvals_off:
            self._render()
            return
        self._sending = version_id
        self._render()
        self.approveRequested.emit(intent)

    def request_quit(self) -> None:
        self._corner_timer.stop()
        if self._kiosk:
            self.sheet.dismiss()
            self.exit_sheet.open()
        else:
            self.close()

    def force_close(self) -> None:
        """Closes without asking (SIGINT/SIGTERM, or the end of a screenshot run)."""
        self._closing_ok = True
        self.close()

    def set_target(self, target: str) -> None:
        self._target = target
        # In demo mode the badge next to it already says "simulated IPC".
        self.target_label.setText(target if self._demo else _("IPC {t}").format(t=target))
        self._render()

    def save_screenshot(self, path: str | Path) -> bool:
        """Renders the window as it is now to a PNG file."""
        self._render()
        # Pending layout requests only (no timers, so no asyncio callback runs re-entrantly here).
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        return self.grab().save(str(path), "PNG")

    def _really_close(self) -> None:
        self._closing_ok = True
        self.close()

    def closeEvent(self, event) -> None:
        if not self._closing_ok:  # kiosk: only through the confirmation
            event.ignore()
            self.exit_sheet.open()
            return
        self._ticker.stop()
        if self._session is not None or self._kiosk:
            QApplication.instance().removeEventFilter(self)
        self.closing.emit()
        super().closeEvent(event)

    def on_tick(self) -> None:
        """The 1 s tick: idle sign-out first (through the controller), then the clock-dependent screen."""
        self._enable_touch_scroll()
        self.ticked.emit()
        self._render()

    def _enable_touch_scroll(self) -> None:
        """Touch scrolling of the notes and the timeline, switched on at the first tick, 1 s after the
        window is built: grabbing the gestures costs about 15 ms and 1 MB at the first call (see
        widgets.grab_touch_scroll), which would otherwise delay the first data on screen; in the first
        second both lists are (nearly) empty. Idempotent."""
        if self._touch_ready:
            return
        self._touch_ready = True
        self.notes.enable_touch_scroll()
        grab_touch_scroll(self.timeline, drag=self._kiosk)

    def dismiss_notice(self) -> None:
        self._notice = None
        self._render()

    # -- kiosk exit gesture ----------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (
            self._session is not None
            and kind in _ACTIVITY
            and isinstance(watched, QWidget)
            and watched.window() is self
        ):
            self._session.touch()  # activity keeps the operator signed in
        if not self._kiosk:
            return False
        if kind == QEvent.Type.MouseButtonPress and isinstance(watched, QWidget) and watched.window() is self:
            pos = self.mapFromGlobal(event.globalPosition().toPoint())
            if QRect(0, 0, KIOSK_CORNER_PX, KIOSK_CORNER_PX).contains(pos):
                self._corner_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self._corner_timer.stop()
        return False

    def corner_press_active(self) -> bool:
        return self._corner_timer.isActive()

    # -- rendering -------------------------------------------------------------------------------------------
    def _render(self) -> None:
        now = self._clock()
        state = self._state
        if state is None:
            line = Headline(
                "connecting",
                _("Connecting…"),
                _("Waiting for the first answer from the IPC at {t}.").format(t=self._target or "?"),
                Severity.DEGRADED,
            )
            health = Health.CONNECTING
        else:
            line = headline(state, now)
            health = state.connection.health(now)
            for entry in self.recorder.observe(state, now, self._wall()):
                self._add_timeline_item(entry)
        live = health is Health.ONLINE
        self._update_headline(line)
        self._update_connection(state, now, health)
        self._update_versions(state, live, now)
        self._update_notes(state)
        self._update_progress(state, now)
        self._update_action(state, now)
        self._update_notice()
        self._update_sheet(state, now)

    def _update_headline(self, line: Headline) -> None:
        self.headline_icon.set_icon(line.kind if line.kind in icons.NAMES else "unknown")
        self.headline_title.setText(line.title)
        self.headline_detail.setText(line.detail)
        self.headline_detail.setVisible(bool(line.detail))
        # The hatch means "not live"; an unknown state with live data is amber but not hatched.
        self.headline_card.set_tone(line.severity, hatch=line.kind in ("stale", "offline", "connecting"))
        self.headline_card.setProperty("kind", line.kind)

    def _update_connection(self, state: ClientState | None, now: float, health: Health) -> None:
        if state is None:
            text = _("Connecting to {t}…").format(t=self._target or "?")
        else:
            text = connection_text(state.connection, now)
            if health is Health.ONLINE:
                text = _("Live data")
        icon = {Health.ONLINE: "live", Health.STALE: "stale", Health.OFFLINE: "offline"}.get(health, "connecting")
        self.connection_icon.set_icon(icon)
        self.connection_label.setText(text)
        degraded = "degraded" if health is not Health.ONLINE else "live"
        if self.status_bar.property("health") != degraded:
            self.status_bar.setProperty("health", degraded)
            self.status_bar.style().unpolish(self.status_bar)
            self.status_bar.style().polish(self.status_bar)

    def _update_versions(self, state: ClientState | None, live: bool, now: float) -> None:
        snap = state.snapshot if state else None
        self.current_version.setText(version_text(snap, "current") if snap else "—")
        self.available_version.setText(version_text(snap, "available") if snap else "—")
        stale = snap is not None and not live
        if not self._wide:  # short captions beside the values; "not live" is said by the hatch, status and headline
            self.current_caption.setText(_("Running"))
            self.available_caption.setText(_("Available"))
        elif stale:
            age = format_age(now - snap.received_at)
            self.current_caption.setText(_("Running version (last known, {age} old)").format(age=age))
            self.available_caption.setText(_("Available version (last known)"))
        else:
            self.current_caption.setText(_("Running version"))
            self.available_caption.setText(_("Available version"))
        self.side_card.set_tone(Severity.DEGRADED if stale else Severity.NORMAL, hatch=stale)

    def _update_notes(self, state: ClientState | None) -> None:
        snap = state.snapshot if state else None
        if snap is not None and snap.available is not None:
            self.notes_caption.setText(_("Update notes for {v}").format(v=version_text(snap, "available")))
            self.notes.set_notes(snap.available.notes, _("This version has no update notes."))
        elif snap is not None and snap.current is not None and snap.current.notes:
            self.notes_caption.setText(_("Notes of the running version {v}").format(v=version_text(snap, "current")))
            self.notes.set_notes(snap.current.notes, "")
        else:
            self.notes_caption.setText(_("Update notes"))
            self.notes.set_notes(None, _("The notes of an available update appear here."))

    def _update_progress(self, state: ClientState | None, now: float) -> None:
        snap = state.snapshot if state else None
        running = snap is not None and snap.state is UpdateState.RUNNING
        if not running:
            self._run_started = None
            self._seen_not_running = self._seen_not_running or snap is not None
            self.progress_box.setVisible(False)
            return
        if self._run_started is None:
            # "Started" only when this console saw the state change; otherwise it says since when it saw it.
            self._run_started = (snap.received_at, snap.received_wall, self._seen_not_running)
        self.progress_box.setVisible(True)
        progress = snap.progress
        if progress is not None and progress.determinate:
            assert progress.total is not None and progress.step is not None
            self.progress_bar.setRange(0, progress.total)
            self.progress_bar.setValue(progress.step)
        else:
            self.progress_bar.setRange(0, 0)  # busy: totals missing or inconsistent
        self.progress_text.setText(progress_text(progress) or _("The IPC is installing an update."))
        mono, wall, seen = self._run_started
        clock = time.strftime("%H:%M:%S", time.localtime(wall))
        age = format_age(now - mono)
        if seen:
            self.progress_elapsed.setText(_("Started {clock}, {age} ago").format(clock=clock, age=age))
        else:
            self.progress_elapsed.setText(_("Seen running since {clock} ({age})").format(clock=clock, age=age))

    def _update_action(self, state: ClientState | None, now: float) -> None:
        snap = state.snapshot if state else None
        running = snap is not None and snap.state is UpdateState.RUNNING
        self.approve_button.setVisible(not running)
        if state is None:
            self.approve_button.set_full_text(_("Install update"))
            self.approve_button.setEnabled(False)
            return
        gate = approval_gate(state, now)
        named = gate.version or (snap.offered if snap else None)
        verb = _("Install {v}").split("{v}")[0]
        label = verb + named.display_id if named else _("Install update")
        self.approve_button.set_full_text(label, keep=len(verb) if named else 0)
        allowed = gate.allowed and self._sending is None and not self.sheet.isVisible() and not self._approvals_off
        self.approve_button.setEnabled(allowed)
        self.approve_button.setAccessibleDescription(gate.text)

    def _update_notice(self) -> None:
        state = self._state
        if self._notice is not None and self._sending is None and self._state_key() != self._notice_key:
            self._notice = None
        if self._approvals_off:  # the banner above says it in full; nothing else matters while it lasts
            icon, text, closable = "", "", False
        elif self._notice is not None:
            icon, text = self._notice
            closable = True
        elif state is not None and state.snapshot is not None and state.snapshot.state is not UpdateState.RUNNING:
            gate = approval_gate(state, self._clock())
            icon = "info"
            text = (
                _("The last update failed. Installing it again retries it.")
                if gate.allowed and gate.is_retry
                else gate.text
            )
            if gate.allowed and self._session is not None and not (self._operator and self._operator.may_approve):
                text += " " + _("An operator signs in on the next screen.")
            closable = False
        else:
            icon, text, closable = "", "", False
        self.notice_icon.setVisible(bool(icon))
        if icon:
            self.notice_icon.set_icon(icon)
        self.notice_text.setText(text)
        self.notice_text.setVisible(bool(text))
        self.notice_close.setVisible(closable)

    def _update_sheet(self, state: ClientState | None, now: float) -> None:
        shown = self.sheet.version
        if shown is None:
            return
        reason = None
        gate = approval_gate(state, now) if state is not None else None
        offered = state.snapshot.offered if state and state.snapshot else None
        if gate is None or gate.version is None or gate.version.version_id != shown.version_id:
            if offered is not None and offered.version_id != shown.version_id:
                reason = _("The offered version changed to {new} while you were confirming {old}. "
                           "Nothing was sent. Review the new version.").format(
                    new=offered.display_id, old=shown.display_id
                )  # fmt: skip
            else:
                reason = _("The IPC no longer offers {v}. Nothing was sent.").format(v=shown.display_id)
        elif gate.reason.value == "not-fresh":
            reason = _("The confirmation closed because the data from the IPC is not live. Nothing was sent.")
        elif not gate.allowed:
            reason = _("The confirmation closed: {why} Nothing was sent.").format(why=gate.text)
        elif now - self.sheet.opened_at >= self._sheet_timeout:
            reason = _("The confirmation closed after {n} s without a decision. Nothing was sent.").format(
                n=int(self._sheet_timeout)
            )
        if reason is None:
            self.sheet.set_remaining(self._sheet_timeout - (now - self.sheet.opened_at))
            self._refresh_lock()
            return
        self.sheet.dismiss()
        self._set_notice("info", reason)
        self._timeline_note("approval", reason, Severity.ATTENTION)
        self._update_action(state, now)
        self._update_notice()

    # -- notices and timeline ------------------------------------------------------------------------------
    def _set_notice(self, icon: str, text: str) -> None:
        # A message belongs to the IPC state it was said in; it goes when that state moves on
        # (an "Approved" must not linger on the screen of the failure that follows).
        self._notice = (icon, text) if text else None
        self._notice_key = self._state_key()

    def _state_key(self) -> tuple[Any, ...] | None:
        snap = self._state.snapshot if self._state else None
        if snap is None:
            return None
        offered = snap.offered.version_id if snap.offered else None
        current = snap.current.version_id if snap.current else None
        return (snap.raw_state, offered, current)

    def notice(self) -> str:
        """The message shown under the Install button (results and why a sheet closed)."""
        return self._notice[1] if self._notice else ""

    def _timeline_note(self, kind: str, text: str, severity: Severity) -> None:
        self._add_timeline_item(self.recorder.note(kind, text, severity, self._wall()))

    def _add_timeline_item(self, entry: Entry) -> None:
        item = QListWidgetItem(f"{entry.clock}   {entry.text}")
        icon_name = {"state": None, "connection": "stale" if entry.severity is Severity.DEGRADED else "live"}.get(
            entry.kind, _SEVERITY_ICON[entry.severity]
        )
        if entry.kind == "state":
            icon_name = _SEVERITY_ICON[entry.severity] if entry.severity is not Severity.NORMAL else "up-to-date"
        elif entry.kind == "approval" and entry.severity is Severity.NORMAL:
            icon_name = "success"
        item.setIcon(_icon(icon_name or "info"))
        item.setToolTip(plain_tooltip(entry.text))
        item.setData(Qt.ItemDataRole.UserRole, entry.kind)
        self.timeline.insertItem(0, item)
        while self.timeline.count() > self.recorder.entries.maxlen:
            self.timeline.takeItem(self.timeline.count() - 1)

    def timeline_texts(self) -> list[str]:
        return [e.text for e in self.recorder.entries]

    def _display(self, version_id: str) -> str:
        """A version id for a sentence: its display form, shortened in the middle beyond 48 characters
        (messages stay readable on a small panel; the full id is in the version fields and the sheet)."""
        state = self._state
        snap = state.snapshot if state else None
        shown = clean_line(version_id, DISPLAY_ID_MAX)
        for v in (snap.available, snap.current) if snap else ():
            if v is not None and v.version_id == version_id:
                shown = v.display_id
                break
        return shown if len(shown) <= 48 else shown[:22] + "…" + shown[-22:]


def _icon(name: str) -> QIcon:
    return QIcon(icons.pixmap(name, 24, 2.0))
