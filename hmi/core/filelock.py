"""Locks for the files the product rewrites (set-pin's config file, the mock's state file).

A file replaced by rename cannot carry its own lock (the lock stays on the old inode), so the
lock is an advisory `fcntl` lock on a sidecar file next to it, `.NAME.lock`. Writers take it,
re-read the file under it, and replace the file atomically before letting go. Where fcntl does
not exist (Windows) the lock is a no-op. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path


class LockBusy(OSError):
    """Another process holds the lock."""


def lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


class FileLock:
    """An exclusive lock on `lock_path(path)`; `acquire(wait=0)` raises LockBusy when taken."""

    def __init__(self, path: Path) -> None:
        self.path = lock_path(Path(path))
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockBusy(f"{self.path} is held by another process") from None
                time.sleep(0.02)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing drops the flock
            self._fd = None


@contextlib.contextmanager
def locked(path: Path, *, wait: float = 10.0) -> Iterator[None]:
    """Holds the lock for `path` (waiting up to `wait` seconds for other writers) inside the block."""
    lock = FileLock(path)
    lock.acquire(wait)
    try:
        yield
    finally:
        lock.release()
