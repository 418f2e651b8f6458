"""The mock's state file: JSON, written atomically at every transition, never silently overwritten.

Atomic means: write a temporary file in the same folder, fsync it, rename it over the
old file, fsync the folder. A SIGKILL at any moment leaves either the old or the new
file, never a torn one. A file that cannot be read or does not fit raises
StateFileError before anything is written, so it is kept for a human to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


class StateFileError(Exception):
    """A state file that cannot be read or used; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"state file {path}: {problem} (the file was left as it is)")
        self.path = path
        self.problem = problem


def load_state(path: Path) -> dict[str, Any] | None:
    """The record in `path`, or None when there is no such file yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(path, f"cannot be read ({exc})") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateFileError(path, f"is not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    if not isinstance(record, dict):
        raise StateFileError(path, f"expected a JSON object, got {type(record).__name__}")
    return record


def save_state(path: Path, record: dict[str, Any]) -> None:
    """Replaces `path` with `record` atomically and durably."""
    data = json.dumps(record, indent=1, ensure_ascii=False).encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk; not every platform allows this.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(path: Path) -> None:
    """Fails early, before serving, when the state file's folder is missing."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StateFileError(path, f"its folder {folder} does not exist")
    if path.is_dir():
        raise StateFileError(path, "is a folder, not a file")
