"""systemd's notify protocol over $NOTIFY_SOCKET: READY=1 once, WATCHDOG=1 from the event loop.

A plain AF_UNIX datagram socket, no library. Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
The pings are scheduled on the running asyncio loop (the Qt loop under qasync), so a frozen GUI thread stops
them and systemd's WatchdogSec kills and restarts the console.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping


class Notifier:
    """Sends notify messages to the socket named in `environ` (default: os.environ), or nowhere."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        path = env.get("NOTIFY_SOCKET", "")
        # An abstract socket is written with a leading "@".
        self.address: str | None = ("\0" + path[1:]) if path.startswith("@") else (path or None)
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_seconds: float | None = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 else None
        self._sock: socket.socket | None = None
        self._handle: asyncio.TimerHandle | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, message: str) -> bool:
        """One datagram; False when there is no socket or it cannot be reached (never raises)."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.setblocking(False)
            self._sock.sendto(message.encode(), self.address)
            return True
        except OSError:
            return False

    def ready(self) -> bool:
        return self.send("READY=1")

    def start_watchdog(self, loop: asyncio.AbstractEventLoop, interval: float | None = None) -> None:
        """Pings WATCHDOG=1 every `interval` s (default: half of WATCHDOG_USEC) from `loop`, until stop()."""
        period = interval if interval is not None else (self.watchdog_seconds / 2 if self.watchdog_seconds else None)
        if self.address is None or period is None:
            return

        def ping() -> None:
            self.send("WATCHDOG=1")
            self._handle = loop.call_later(period, ping)

        ping()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
