"""Standard output and error that cannot break a command.

A closed pipe (`ipc-hmi report | head -1`), a full disk (`> /dev/full`) or a closed descriptor
(`>&-`) must not turn into a traceback, and must not change the exit code: that reports what
happened with the IPC (an approval that went out is still exit 0). `install()` wraps
`sys.stdout` and `sys.stderr` in `GuardedStream`s: the first write or flush that fails marks
the stream as failed, points its descriptor at the null device (so the interpreter's own flush
at exit cannot fail again) and drops everything written to it afterwards. `finish()` then puts
one warning line on stderr, where stderr still works.

Standard descriptors that are closed when the process starts are opened on the null device
first: otherwise the next file the command opens (the audit trail, a socket) would get
descriptor 1 and every `print` would write into it.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

_NAMES = {1: "standard output", 2: "standard error"}


class GuardedStream:
    """A text stream whose write and flush never raise OSError or ValueError (closed file)."""

    def __init__(self, stream: TextIO | None, fd: int) -> None:
        self._stream = stream
        self._fd = fd
        self.error: BaseException | None = None
        self.original: TextIO | None = stream
        self.on_failure: list[
            Callable[[], object]
        ] = []  # callables run once at the first failure (report --watch stops)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def _fail(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
            _to_devnull(self._fd)
            for callback in list(self.on_failure):
                callback()

    def write(self, text: str) -> int:
        if self._stream is None:  # closed when the process started
            self._fail(OSError(errno.EBADF, "closed"))
        if self.error is not None or self._stream is None:
            return len(text)
        try:
            return self._stream.write(text)
        except (OSError, ValueError) as exc:
            self._fail(exc)
            return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.error is not None or self._stream is None:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            self._fail(exc)

    def isatty(self) -> bool:
        if self.error is not None or self._stream is None:
            return False
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._fd

    def __getattr__(self, name: str) -> Any:  # encoding, reconfigure, buffer, …
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def _to_devnull(fd: int) -> None:
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        if null != fd:
            os.dup2(null, fd)
    except OSError:
        pass
    finally:
        if null != fd:
            os.close(null)


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def install() -> tuple[GuardedStream, GuardedStream]:
    """Guards sys.stdout and sys.stderr (once); returns (stdout, stderr)."""
    if isinstance(sys.stdout, GuardedStream) and isinstance(sys.stderr, GuardedStream):
        return sys.stdout, sys.stderr
    closed = {}
    for fd in (0, 1, 2):
        closed[fd] = not _fd_open(fd)
    for fd in (0, 1, 2):  # lowest free descriptor first: os.open fills 0, 1, 2 in order
        if closed[fd]:
            try:
                got = os.open(os.devnull, os.O_RDWR)
                if got != fd:
                    os.dup2(got, fd)
                    os.close(got)
            except OSError:
                pass
    out = GuardedStream(None if closed[1] else sys.stdout, 1)
    err = GuardedStream(None if closed[2] else sys.stderr, 2)
    out.original, err.original = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    return out, err


def finish(out: GuardedStream, err: GuardedStream) -> None:
    """Flushes both streams, says once on stderr when standard output could not be written, and puts
    the original streams back (their descriptors point at the null device if they failed)."""
    out.flush()
    # A reader that closed the pipe (`| head`) chose to stop reading: that is not worth a warning.
    if out.failed and not isinstance(out.error, BrokenPipeError):
        err.write(f"ipc-hmi: warning: {_NAMES[1]} could not be written ({describe(out.error)}); output was lost.\n")
    err.flush()
    if sys.stdout is out:
        sys.stdout = out.original
    if sys.stderr is err:
        sys.stderr = err.original


def describe(exc: BaseException | None) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return {
            errno.EPIPE: "the reader closed the pipe",
            errno.ENOSPC: "no space left on the device",
            errno.EBADF: "it is closed",
        }.get(exc.errno, exc.strerror or str(exc))
    if isinstance(exc, ValueError):
        return "it is closed"
    return str(exc) if exc else "unknown error"
