"""The console's window fits the screen it opens on (an 800×480 panel must not cut it off)."""

from __future__ import annotations

from PySide6.QtCore import QRect

from hmi.app import build_console, fit_to_screen
from hmi.core.config import ClientConfig


class Screen:
    def __init__(self, width: int, height: int) -> None:
        self._area = QRect(0, 0, width, height)

    def availableGeometry(self) -> QRect:
        return self._area


def _window(qtbot):
    window, _controller = build_console(ClientConfig(target="127.0.0.1:1"))
    qtbot.addWidget(window)
    return window


def test_a_small_screen_gets_the_whole_free_area(qtbot):
    window = _window(qtbot)
    assert (window.width(), window.height()) == (1280, 800)  # the default
    fit_to_screen(window, Screen(800, 480))
    assert (window.width(), window.height()) == (800, 480)
    assert (window.x(), window.y()) == (0, 0)


def test_a_large_screen_keeps_the_default_size(qtbot):
    window = _window(qtbot)
    fit_to_screen(window, Screen(1920, 1080))
    assert (window.width(), window.height()) == (1280, 800)
