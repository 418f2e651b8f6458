"""Class 5: read-only and odd locations. Reading never writes; a good trail on read-only media is
read by `history` and refused by `approve` as read-only (nothing sent), never called corrupt.

Tests run as root, which ignores file modes; the commands run under `setpriv` without
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so the modes apply to them as to any user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmi.core.audit import AuditStore
from tests.mock.support import ROOT

SETPRIV = shutil.which("setpriv")
pytestmark = pytest.mark.skipif(os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [SETPRIV or "setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-m", "hmi"]
    return subprocess.run(
        [*cmd, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )


@pytest.fixture
def ro_trail(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    trail = folder / "audit.sqlite3"
    with AuditStore.open(trail) as store:
        rid = store.begin(target="127.0.0.1:1", version_id="1.5.0", current_version="1.4.2", operator="anna")
        store.complete(rid, outcome="approved", code="OK", message="ok")
    for extra in folder.iterdir():
        extra.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield trail
    finally:
        folder.chmod(0o755)


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_history_reads_a_trail_on_read_only_media_and_changes_nothing(ro_trail: Path) -> None:
    before = _listing(ro_trail.parent)
    done = run(["history", "--audit-file", str(ro_trail)], dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "1.5.0" in done.stdout and "anna" in done.stdout
    assert "move it aside" not in done.stderr.lower()
    assert _listing(ro_trail.parent) == before


def test_approve_says_read_only_and_sends_nothing(ro_trail: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[audit]\npath = "{ro_trail}"\n', encoding="utf-8")
    # Port 1 on loopback: if anything were sent it would be refused; the command must stop first.
    done = run(["approve", "1.5.0", "--yes", "--target", "127.0.0.1:1", "--config", str(config)], dict(os.environ))
    assert done.returncode == 1, done.stderr
    assert "cannot be written (read-only)" in done.stderr and "Nothing was sent" in done.stderr
    assert "move it aside" not in done.stderr.lower() and "cannot be reached" not in done.stderr


def test_history_leaves_a_zero_byte_file_at_zero_bytes(tmp_path: Path) -> None:
    empty = tmp_path / "audit.sqlite3"
    empty.touch()
    done = run(["history", "--audit-file", str(empty)], dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["audit.sqlite3"]


def test_only_a_file_that_is_not_a_trail_gets_the_move_aside_advice(tmp_path: Path) -> None:
    junk = tmp_path / "audit.sqlite3"
    junk.write_bytes(b"not a database at all")
    done = run(["history", "--audit-file", str(junk)], dict(os.environ))
    assert done.returncode == 1 and "move it aside" in done.stderr.lower()
    assert junk.read_bytes() == b"not a database at all"
