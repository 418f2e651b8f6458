"""The notify protocol against a real AF_UNIX datagram socket, as systemd listens on."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from hmi.core.sdnotify import Notifier


def _receiver(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    return sock


def _drain(sock: socket.socket) -> list[bytes]:
    got: list[bytes] = []
    for _ in range(10_000):
        try:
            got.append(sock.recv(256))
        except BlockingIOError:
            break
    return got


def test_nothing_without_notify_socket() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready() is False
    notifier.start_watchdog(asyncio.new_event_loop(), 0.01)  # no socket: nothing scheduled
    assert notifier._handle is None


def test_ready_and_watchdog_pings_while_the_loop_runs_and_stop_when_it_freezes(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    receiver = _receiver(path)
    notifier = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "40000"})
    assert notifier.watchdog_seconds == 0.04

    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes]]:
        assert notifier.ready()
        notifier.start_watchdog(asyncio.get_running_loop())  # every 20 ms
        await asyncio.sleep(0.3)
        running = _drain(receiver)
        time.sleep(0.3)  # noqa: ASYNC251 (the event loop frozen on purpose, as a hung GUI thread would be)
        frozen = _drain(receiver)
        await asyncio.sleep(0.3)
        after = _drain(receiver)
        notifier.stop()
        return running, frozen, after

    try:
        running, frozen, after = asyncio.run(scenario())
    finally:
        receiver.close()
    assert running[0] == b"READY=1"
    assert running[1:] and set(running[1:]) == {b"WATCHDOG=1"}
    assert len(running) >= 4
    assert frozen == []  # no ping is sent while the loop does not run
    assert after and set(after) == {b"WATCHDOG=1"}


def test_unreachable_socket_is_not_an_error(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert notifier.enabled
    assert notifier.ready() is False
    notifier.stop()
