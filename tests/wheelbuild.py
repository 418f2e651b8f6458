"""Builds the console's wheel from a clean copy of the committed tree, so nothing is written into the source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_copy(dest: Path) -> Path:
    """The files git tracks (as they are in the work tree), copied to `dest`: what a fresh clone holds."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        src = ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    return dest


def build_wheel(work: Path) -> Path:
    """The wheel built (pip, no isolation: setuptools comes from this venv) from a clean copy under `work`."""
    tree = clean_copy(work / "tree")
    out = work / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(tree)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    (wheel,) = out.glob("ipc_hmi-*.whl")
    return wheel
