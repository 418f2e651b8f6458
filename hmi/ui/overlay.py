"""What every in-window overlay shares (`Overlay`: a scrim over the whole window with a centred card), and the
confirmation's two timings, in a module of their own so the first screen loads none of the sheets.

The sheets themselves (hmi.ui.sheet, hmi.ui.shelve_sheet's chooser) are built on their first open: the
confirmation with its notes preview and the history sheet with its table cost about 25 ms before the first
frame otherwise (docs/benchmarks.md, "Building on first use").
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from hmi.core.model import CONFIRMATION_TTL
from hmi.ui import theme

SHEET_TIMEOUT = CONFIRMATION_TTL  # seconds an open confirmation stays valid
HOLD_SECONDS = 1.5  # press-and-hold time of the confirmation's install button


class Overlay(QFrame):
    """Covers the whole parent window with a scrim and centres a card on it. `visibilityChanged`
    lets the window make it modal (the screen behind takes no focus, keys or taps while it shows)."""

    visibilityChanged = Signal(bool)

    def __init__(self, parent: QWidget, card_name: str, max_width: int = 1000, *, fill_height: bool = True) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.card = QFrame(self)
        self.card.setObjectName(card_name)
        self._max_width = max_width
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addStretch(1)
        if fill_height:
            outer.addWidget(self.card, 100)
        else:  # a short question: centred, as tall as it needs
            column = QVBoxLayout()
            column.addStretch(1)
            column.addWidget(self.card)
            column.addStretch(1)
            outer.addLayout(column, 100)
        outer.addStretch(1)
        self.card.setMaximumWidth(max_width)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._window_rect())
        return False

    def _window_rect(self) -> QRect:
        parent = self.parentWidget()
        return parent.rect() if parent is not None else self.rect()

    def open(self) -> None:
        self.setGeometry(self._window_rect())
        self.show()
        self.raise_()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.visibilityChanged.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.visibilityChanged.emit(False)

    def escape(self) -> None:
        """What Esc does: close. A sheet whose closing means more (cancelling an approval) overrides it."""
        self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escape()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        scrim = QColor(theme.SCRIM)
        scrim.setAlphaF(0.55)
        painter.fillRect(self.rect(), scrim)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        event.accept()  # taps on the scrim do not reach the screen underneath


def showing(overlay: Overlay | None) -> bool:
    """Whether an overlay built on first use is built and showing (asking builds nothing)."""
    return overlay is not None and overlay.isVisible()
