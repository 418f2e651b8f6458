"""A missing or unusable display is one clear sentence and exit 2: never a traceback, never Qt's abort.

Without a display Qt does not raise: its platform plugin fails, logs why and calls qFatal, which aborts the
process (exit 134 and perhaps a core dump). Every way a panel can be without a usable display is tried here, in
a process of its own, against the real Qt platform plugins of the wheel: nothing set at all (a unit started
before its compositor), an X display nobody serves, a Wayland socket nobody serves, a platform name that does not
exist, and linuxfb without a framebuffer (Qt starts, with no screen).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "ipc-hmi: error: no usable display: Qt cannot start its"

CASES = {
    "nothing set": {},
    "X display nobody serves": {"DISPLAY": ":97"},
    "Wayland socket nobody serves": {"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "ipc-hmi-test-none"},
    "no such platform": {"QT_QPA_PLATFORM": "no-such-platform"},
    "linuxfb without a framebuffer": {"QT_QPA_PLATFORM": "linuxfb", "QT_QPA_FB_DEV": "/nonexistent/fb"},
}


def console(tmp_path: Path, extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM") and not k.startswith("IPC_HMI_")
    }
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(IPC_HMI_DATA_DIR=str(tmp_path / "data"), XDG_RUNTIME_DIR=str(runtime), **extra)
    return subprocess.run(
        [sys.executable, "-m", "hmi", "--demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("extra", list(CASES.values()), ids=list(CASES))
def test_no_usable_display_exits_2_with_one_sentence(tmp_path: Path, extra: dict[str, str]) -> None:
    done = console(tmp_path, extra)
    assert done.returncode == 2, (done.returncode, done.stderr)
    ours = [line for line in done.stderr.splitlines() if line.startswith("ipc-hmi:")]
    assert len(ours) == 1 and ours[0].startswith(SENTENCE), done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in ours[0]  # what to do on a machine without a screen
    assert extra.get("QT_QPA_PLATFORM", "default") in ours[0]  # which platform failed
    assert "Traceback" not in done.stderr and "core dumped" not in done.stderr
    assert "This application failed to start" not in done.stderr  # Qt's own abort text is not what is said


def test_the_sentence_is_german_under_lang_de(tmp_path: Path) -> None:
    done = console(tmp_path, {"DISPLAY": ":97"}, "--lang", "de")
    assert done.returncode == 2, done.stderr
    assert "ipc-hmi: error: keine nutzbare Anzeige: Qt kann seine Standardplattform nicht starten" in done.stderr
    assert "QT_QPA_PLATFORM=offscreen mit --screenshot" in done.stderr
