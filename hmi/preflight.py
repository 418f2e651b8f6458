"""Checks what the console needs to open a window, before `make demo` starts it.

Qt-free and quick. Exit 0 when the console can start; otherwise exit 1 with a
message naming what is missing and how to get it.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable

# Shared libraries Qt's xcb platform plugin loads, with the Debian/Ubuntu package
# that provides each. The wheel's own error names only libxcb-cursor0 even when
# another one is missing, so each is checked by name.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-shape": "libxcb-shape0",
    "xcb-randr": "libxcb-randr0",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
    "dbus-1": "libdbus-1-3",
}
HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc"}


def problems(
    env: dict[str, str] | None = None, find: Callable[[str], str | None] = ctypes.util.find_library
) -> list[str]:
    env = dict(os.environ if env is None else env)
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in HEADLESS_PLATFORMS:
        return []
    found: list[str] = []
    if not sys.platform.startswith("linux"):
        return found
    wayland = bool(env.get("WAYLAND_DISPLAY")) and platform in ("", "wayland")
    if not env.get("DISPLAY") and not wayland:
        found.append(
            "No display: neither DISPLAY nor WAYLAND_DISPLAY is set.\n"
            "  On a machine without a screen, run it under a virtual one:\n"
            '    apt-get install xvfb && xvfb-run -a -s "-screen 0 1280x800x24" make demo\n'
            "  or render one picture without any display:\n"
            "    QT_QPA_PLATFORM=offscreen .venv/bin/ipc-hmi --demo --screenshot demo.png"
        )
    if not wayland:
        missing = sorted({pkg for lib, pkg in XCB_LIBRARIES.items() if not find(lib)})
        if missing:
            found.append(
                "Qt's xcb platform needs system libraries that are not installed:\n"
                f"    apt-get install -y {' '.join(missing)}"
            )
    return found


def main() -> int:
    found = problems()
    for text in found:
        print(f"error: {text}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
