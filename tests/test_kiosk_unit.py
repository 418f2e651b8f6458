"""The shipped systemd unit for the panel passes `systemd-analyze verify` (the real tool, not a parser of our own)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "resources" / "kiosk" / "ipc-hmi-kiosk.service"
INSTALLED = "/opt/ipc-hmi/venv/bin/ipc-hmi"  # where docs/panel.md installs the console


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
        check=True,
        timeout=300,
        env=env,
        capture_output=True,
    )


def _need(tool: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(package)
        found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} is missing: install it with 'apt-get install {package}' (as root), then run make test again"
        )
    return found


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _need("systemd-analyze", "systemd")
    _need("cage", "cage")
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
