"""A missing display is one clear sentence and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_linuxfb_without_a_framebuffer_exits_2_with_one_sentence(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "linuxfb",
        "QT_QPA_FB_DEV": str(tmp_path / "no-fb"),
        "IPC_HMI_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "hmi", "--demo"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "ipc-hmi: error: no usable display" in done.stderr
