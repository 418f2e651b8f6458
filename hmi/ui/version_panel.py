"""The left card: running and available version, a running update's progress, the Install button and the
line under it. It draws what the presenter decided and emits what the operator pressed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from hmi.core.i18n import _
from hmi.core.model import ClientState
from hmi.core.view import INSTALLING, Severity, format_age, progress_text, version_text
from hmi.ui import theme
from hmi.ui.presenter import Action, Hint, ProgressView, RunClock
from hmi.ui.tone import ToneCard
from hmi.ui.widgets import ElideButton, ElideLabel, IconLabel, WrapLabel


class VersionPanel(ToneCard):
    """Which version runs, which is offered, how far a run has got, and Install.

    Signals:
        installRequested: the Install button was pressed.
        noticeDismissed: the ✕ of the line under it was pressed.
    """

    installRequested = Signal()
    noticeDismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, bar=False)
        self.setObjectName("sideCard")
        self.setMinimumWidth(300)
        self.setMaximumWidth(640)
        self._wide: bool | None = None
        lay = QVBoxLayout(self)
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
        self.progress_text = WrapLabel("", max_lines=4)  # the step and what is usual for it; the timeline keeps all
        self.progress_text.setObjectName("progressText")
        self.progress_estimate = WrapLabel("", max_lines=2)  # "About 6 to 9 min left" or "No earlier update …"
        self.progress_estimate.setObjectName("progressEstimate")
        self.progress_elapsed = WrapLabel("", max_lines=2)
        self.progress_elapsed.setObjectName("progressElapsed")
        self.progress_elapsed.setProperty("muted", True)
        self.stuck_box = ToneCard()  # amber, its own icon and words: attention, not an alarm
        self.stuck_box.setObjectName("stuckWarning")
        self.stuck_box.set_tone(Severity.DEGRADED, hatch=False)  # the data is live: amber without the hatch
        sl = QHBoxLayout(self.stuck_box)
        sl.setContentsMargins(16, 6, 8, 6)
        sl.setSpacing(8)
        self.stuck_icon = IconLabel(theme.SMALL_ICON_PX)
        self.stuck_icon.set_icon("stuck-step")
        self.stuck_text = WrapLabel("")
        self.stuck_text.setObjectName("stuckText")
        sl.addWidget(self.stuck_icon, 0, Qt.AlignmentFlag.AlignTop)
        sl.addWidget(self.stuck_text, 1)
        self.stuck_box.hide()
        pl.addWidget(self.progress_bar)
        pl.addWidget(self.progress_text)
        pl.addWidget(self.progress_estimate)
        pl.addWidget(self.stuck_box)
        pl.addWidget(self.progress_elapsed)
        lay.addWidget(self.progress_box)
        lay.addStretch(1)

        self.approve_button = ElideButton("")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.approve_button.setMinimumHeight(theme.PRIMARY_PX)
        self.approve_button.setToolTipDuration(8000)
        self.approve_button.clicked.connect(self.installRequested)
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
        self.notice_close.clicked.connect(self.noticeDismissed)
        note.addWidget(self.notice_icon, 0, Qt.AlignmentFlag.AlignTop)
        note.addWidget(self.notice_text, 1)
        note.addWidget(self.notice_close, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(note)

    def set_wide(self, wide: bool) -> None:
        """Caption above value when wide (room for long ids), beside it on a small panel (two lines fewer)."""
        if wide == self._wide:
            return
        self._wide = wide
        grid = self._grid
        for widget in (self.current_caption, self.current_version, self.available_caption, self.available_version):
            grid.removeWidget(widget)
        if wide:
            grid.addWidget(self.current_caption, 0, 0)
            grid.addWidget(self.current_version, 1, 0)
            grid.addWidget(self.available_caption, 2, 0)
            grid.addWidget(self.available_version, 3, 0)
            grid.setRowMinimumHeight(2, 34)
            grid.setColumnStretch(1, 0)
        else:
            grid.addWidget(self.current_caption, 0, 0)
            grid.addWidget(self.current_version, 0, 1)
            grid.addWidget(self.available_caption, 1, 0)
            grid.addWidget(self.available_version, 1, 1)
            grid.setRowMinimumHeight(2, 0)
            grid.setColumnStretch(1, 1)
        grid.setAlignment(
            self.available_caption, Qt.AlignmentFlag.AlignBottom if wide else Qt.AlignmentFlag.AlignVCenter
        )

    def render_versions(self, state: ClientState | None, live: bool, now: float) -> None:
        snap = state.snapshot if state else None
        self.current_version.setText(version_text(snap, "current") if snap else "—")
        self.available_version.setText(version_text(snap, "available") if snap else "—")
        stale = snap is not None and not live
        if not self._wide:  # short captions beside the values; "not live" is said by the hatch, status and headline
            self.current_caption.setText(_("Running"))
            self.available_caption.setText(_("Available"))
        elif stale and snap is not None:
            age = format_age(now - snap.received_at)
            self.current_caption.setText(_("Running version (last known, {age} old)").format(age=age))
            self.available_caption.setText(_("Available version (last known)"))
        else:
            self.current_caption.setText(_("Running version"))
            self.available_caption.setText(_("Available version"))
        self.set_tone(Severity.DEGRADED if stale else Severity.NORMAL, hatch=stale)

    def render_progress(
        self, state: ClientState | None, run: RunClock | None, now: float, view: ProgressView | None = None
    ) -> None:
        snap = state.snapshot if state else None
        self.progress_box.setVisible(run is not None)
        if run is None or snap is None:
            self.stuck_box.hide()
            return
        progress = snap.progress
        if progress is not None and progress.determinate:
            assert progress.total is not None and progress.step is not None
            self.progress_bar.setRange(0, progress.total)
            self.progress_bar.setValue(progress.step)
        else:
            self.progress_bar.setRange(0, 0)  # busy: totals missing or inconsistent
        if view is None:
            self.progress_text.setText(progress_text(progress) or _(INSTALLING))
            self.progress_estimate.hide()
            self.stuck_box.hide()
        else:
            self.progress_text.setText(view.step)
            self.progress_estimate.setText(view.estimate)
            self.progress_estimate.setVisible(bool(view.estimate))
            self.stuck_text.setText(view.warning)
            self.stuck_box.setVisible(view.stuck)
        self.progress_elapsed.setText(run.text(now))
        # On a small panel the warning needs the room: the headline names the step, the warning says how long.
        # There "Started 14:03:22, 2 min ago" goes too: the console's estimate line says "running for …" (with
        # or without earlier updates to compare with), and the room is what lets a 40 % longer language fit.
        compact = view is not None and not self._wide
        compact_stuck = compact and view is not None and view.stuck  # the headline says "Step 3 of 7 · …"
        self.progress_text.setVisible(not compact_stuck)
        self.progress_bar.setVisible(not compact_stuck)
        self.progress_elapsed.setVisible(not compact)

    def render_action(self, view: Action, described: bool) -> None:
        self.approve_button.setVisible(view.visible)
        self.approve_button.set_full_text(view.label, keep=view.keep, keep_end=view.keep_end)
        self.approve_button.setEnabled(view.enabled)
        if described:
            self.approve_button.setAccessibleDescription(view.description)

    def render_hint(self, line: Hint) -> None:
        # Beside a running update's progress the line under Install gets two lines (a long version id is cut
        # with "…"; the timeline keeps the whole message); otherwise four.
        self.notice_text.set_max_lines(2 if self.progress_box.isVisibleTo(self) else 4)
        self.notice_icon.setVisible(bool(line.icon))
        if line.icon:
            self.notice_icon.set_icon(line.icon)
        self.notice_text.setText(line.text)
        self.notice_text.setVisible(bool(line.text))
        self.notice_close.setVisible(line.closable)
