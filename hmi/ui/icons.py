"""State icons: SVG files in resources/icons (hmi.resources in an install), rendered sharp at any device-pixel ratio.

Every state has an icon and words; the icon is never the only carrier of meaning.
The SVGs ship inside the package (package-data); should one still be unreadable,
a plain drawn glyph stands in so the console starts all the same.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer


def _resource_dir() -> Path:
    """The folder of the hmi.resources package, found without importlib.resources (six modules, about 3 ms
    at start-up) the same way it finds it: the package's own folder, on disk in every install."""
    spec = importlib.util.find_spec("hmi.resources")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("hmi.resources is not installed", name="hmi.resources")
    return Path(next(iter(spec.submodule_search_locations)))


ICON_DIR = _resource_dir() / "icons"

# Headline kinds from hmi.core.view, plus the console's own notices.
NAMES = (
    "up-to-date",
    "update-available",
    "running",
    "fault",
    "unknown",
    "stale",
    "offline",
    "connecting",
    "live",
    "success",
    "info",
    "warning",
    "demo",
    "stuck-step",  # a step taking much longer than on earlier updates
    "restarting",  # the IPC restarts as part of the update
    "update-shelved",  # an offer whose reminder is shelved ("Remind me later")
)


def icon_path(name: str) -> Path:
    return ICON_DIR / f"{name}.svg"


@lru_cache(maxsize=128)
def _image(name: str, px: int) -> QImage:
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer = QSvgRenderer(str(icon_path(name)))
    if renderer.isValid():
        renderer.render(painter, QRectF(0, 0, px, px))
    else:  # resources missing: a grey disc with the first letter
        painter.setBrush(QColor("#4A4A4A"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QRectF(1, 1, px - 2, px - 2))
        painter.setPen(QColor("#FFFFFF"))
        font = QFont()
        font.setPixelSize(max(8, px // 2))
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, px, px), Qt.AlignmentFlag.AlignCenter, (name[:1] or "?").upper())
    painter.end()
    return image


def pixmap(name: str, size: int, dpr: float = 1.0) -> QPixmap:
    """The icon `name` at `size` logical pixels, rendered for device-pixel ratio `dpr`."""
    px = max(1, round(size * max(1.0, dpr)))
    result = QPixmap.fromImage(_image(name, px))
    result.setDevicePixelRatio(px / size)
    return result
