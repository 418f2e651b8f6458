"""The state headline (one glance: what is going on) and the approvals-off line under it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from hmi.core.view import Headline, Severity
from hmi.ui import icons, theme
from hmi.ui.tone import ToneCard
from hmi.ui.widgets import IconLabel, WrapLabel

NOT_LIVE = ("stale", "offline", "connecting")  # headline kinds drawn hatched


class HeadlineCard(ToneCard):
    """The state in the largest words, with its icon and tone; `render(headline)` draws it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("headlineCard")
        lay = QHBoxLayout(self)
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
        self._detail_row = QHBoxLayout()  # the detail, and beside it an action on the state shown (add_action)
        self._detail_row.setSpacing(12)
        self._detail_row.addWidget(self.headline_detail, 1)
        text.addLayout(self._detail_row)
        lay.addWidget(self.headline_icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(text, 1)

    def add_action(self, widget: QWidget) -> None:
        """A button beside the detail line ("Remind me later" for an offer): it takes no height of its own."""
        self._detail_row.addWidget(widget, 0, Qt.AlignmentFlag.AlignBottom)

    def draw(self, line: Headline) -> None:
        self.headline_icon.set_icon(line.kind if line.kind in icons.NAMES else "unknown")
        self.headline_title.setText(line.title)
        self.headline_detail.setText(line.detail)
        self.headline_detail.setVisible(bool(line.detail))
        # The hatch means "not live"; an unknown state with live data is amber but not hatched.
        self.set_tone(line.severity, hatch=line.kind in NOT_LIVE)
        self.setProperty("kind", line.kind)


class ApprovalsOffBanner(ToneCard):
    """A full-width line, shown only while approvals are off: the whole reason, so it can be fixed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalsOff")
        self.set_tone(Severity.ALARM)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(22, 6, 12, 6)
        lay.setSpacing(10)
        icon = IconLabel(theme.SMALL_ICON_PX)
        icon.set_icon("fault")
        self.approvals_off_text = WrapLabel("")
        self.approvals_off_text.setObjectName("approvalsOffReason")
        lay.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.approvals_off_text, 1)
        self.hide()

    def draw(self, reason: str | None) -> None:
        self.approvals_off_text.setText(reason or "")
        self.setVisible(bool(reason))
