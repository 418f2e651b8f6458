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


def test_the_units_documentation_is_installed_by_the_panel_page() -> None:
    """Documentation= names a file the set-up installs from the wheel, not a path that exists only in the repo."""
    lines = [line for line in UNIT.read_text().splitlines() if line.startswith("Documentation=")]
    assert lines == ["Documentation=file:///usr/share/doc/ipc-hmi/panel.md"]
    shipped = ROOT / "resources" / "doc" / "panel.md"  # in the wheel as hmi/resources/doc/panel.md
    assert shipped.read_text() == (ROOT / "docs" / "panel.md").read_text()
    assert "install -Dm644 $R/doc/panel.md /usr/share/doc/ipc-hmi/panel.md" in shipped.read_text()
