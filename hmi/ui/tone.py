"""A card painted in one severity's tone, shared by the headline, the version panel and the approvals-off line."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QWidget

from hmi.core.view import Severity
from hmi.ui import theme

# The icon that says a severity in words' place (never colour alone).
SEVERITY_ICON = {
    Severity.NORMAL: "info",
    Severity.ATTENTION: "info",
    Severity.ACTIVE: "running",
    Severity.ALARM: "fault",
    Severity.DEGRADED: "warning",
}


class ToneCard(QFrame):
    """A card painted in one severity's tone: tint, accent bar, hatch when the data is not live.

    Attributes:
        severity: the tone shown now.
    """

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

    def paintEvent(self, event: QPaintEvent) -> None:
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
        painter.end()
