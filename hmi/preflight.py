"""Checks what the console needs to open a window, before `make demo` starts it.

Qt-free and quick. Exit 0 when the console can start; otherwise exit 1 with a
message naming what is missing and how to get it. Missing xcb libraries are
installed with apt-get when it runs as root, as `make test` installs what its
tests need (tests/syspkg.py): `make demo` is one of the two commands that set up
a fresh machine. Without root or apt-get it says the exact command instead.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence

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
    missing = missing_packages(env, find)
    if missing:
        found.append(
            "Qt's xcb platform needs system libraries that are not installed:\n"
            f"    apt-get install -y {' '.join(missing)}"
        )
    return found


def missing_packages(
    env: dict[str, str] | None = None, find: Callable[[str], str | None] = ctypes.util.find_library
) -> list[str]:
    """The Debian packages of the xcb libraries the window would need and cannot find ([] with Wayland, a
    headless platform, or outside Linux)."""
    env = dict(os.environ if env is None else env)
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    wayland = bool(env.get("WAYLAND_DISPLAY")) and platform in ("", "wayland")
    if platform in HEADLESS_PLATFORMS or wayland or not sys.platform.startswith("linux"):
        return []
    return sorted({pkg for lib, pkg in XCB_LIBRARIES.items() if not find(lib)})


Runner = Callable[[Sequence[str]], int]


def _run(command: Sequence[str]) -> int:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(list(command), env=env, check=False, timeout=900).returncode


def install(packages: Sequence[str], run: Runner = _run) -> bool:
    """apt-get install `packages` (once more after `apt-get update` when the first try fails: a fresh machine
    often has no package lists yet). True when apt-get said it installed them."""
    command = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    print(f"make demo: installing what Qt's xcb platform needs: {' '.join(packages)}", file=sys.stderr)
    if run(command) == 0:
        return True
    return run(["apt-get", "update"]) == 0 and run(command) == 0


def can_install(euid: int | None = None, which: Callable[[str], str | None] = shutil.which) -> bool:
    return (os.geteuid() if euid is None else euid) == 0 and which("apt-get") is not None


def main(
    env: dict[str, str] | None = None,
    find: Callable[[str], str | None] = ctypes.util.find_library,
    run: Runner = _run,
    allowed: bool | None = None,
) -> int:
    """`make demo`'s check: installs missing xcb libraries when it may (root, apt-get, and a display to open the
    window on), then says what is still missing; exit 1 when anything is."""
    env = dict(os.environ if env is None else env)
    packages = missing_packages(env, find)
    if packages and env.get("DISPLAY") and (can_install() if allowed is None else allowed):
        install(packages, run)  # whatever apt-get said, the check below looks again
    found = problems(env, find)
    for text in found:
        print(f"error: {text}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
