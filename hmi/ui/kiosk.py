"""The application-wide event filter: operator activity (idle sign-out) and the kiosk's exit gesture."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

KIOSK_CORNER_PX = 96  # the top-left area that closes a kiosk console after a long press
KIOSK_HOLD_MS = 3000
# What counts as operator activity for idle sign-out.
ACTIVITY = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress, QEvent.Type.Wheel})


class KioskGuard(QObject):
    """Watches every event of `window` once `watch_activity` or `kiosk` is on; never consumes one.

    Signals:
        activity: a tap, key or wheel in the window (keeps the operator signed in).
        quitRequested: the top-left corner was held for KIOSK_HOLD_MS (kiosk only).
    """

    activity = Signal()
    quitRequested = Signal()

    def __init__(self, window: QWidget, *, kiosk: bool) -> None:
        super().__init__(window)
        self._window = window
        self._kiosk = kiosk
        self._activity = False
        self._installed = False
        self.corner_timer = QTimer(self)
        self.corner_timer.setSingleShot(True)
        self.corner_timer.setInterval(KIOSK_HOLD_MS)
        self.corner_timer.timeout.connect(self.quitRequested)
        if kiosk:
            self._install()

    def _install(self) -> None:
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def watch_activity(self) -> None:
        self._activity = True
        self._install()

    def stop(self) -> None:
        self.corner_timer.stop()
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def corner_press_active(self) -> bool:
        return self.corner_timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        mine = isinstance(watched, QWidget) and watched.window() is self._window
        if self._activity and kind in ACTIVITY and mine:
            self.activity.emit()
        if not self._kiosk:
            return False
        if kind == QEvent.Type.MouseButtonPress and mine and isinstance(event, QMouseEvent):
            pos = self._window.mapFromGlobal(event.globalPosition().toPoint())
            if QRect(0, 0, KIOSK_CORNER_PX, KIOSK_CORNER_PX).contains(pos):
                self.corner_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self.corner_timer.stop()
        return False
