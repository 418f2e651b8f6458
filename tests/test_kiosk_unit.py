"""The shipped systemd unit for the panel passes `systemd-analyze verify` (the real tool, not a parser of our own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.syspkg import need_tool

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "resources" / "kiosk" / "ipc-hmi-kiosk.service"
INSTALLED = "/opt/ipc-hmi/venv/bin/ipc-hmi"  # where docs/panel.md installs the console


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = need_tool("systemd-analyze", "systemd")
    need_tool("cage", "cage")
    text = UNIT.read_text()
    assert INSTALLED in text
    # verify checks that ExecStart's programs exist: point the console at this venv's, nothing else changes.
    console = Path(sys.executable).with_name("ipc-hmi")
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED, str(console)))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ipc-hmi-kiosk.service" not in done.stderr, done.stderr  # no warnings about our unit either
    for line in ("Restart=always", "WatchdogSec=", "Type=notify", "User=ipc-hmi", "TTYPath=/dev/tty1"):
        assert line in text, line
