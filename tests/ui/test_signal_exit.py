"""SIGTERM and SIGINT reach the console at once, with no timer polling for them (issue 13).

Qt waits in its own poll(); a plain `signal.signal` handler runs only when Qt next calls into Python. The console
uses the loop's `add_signal_handler` (a wake-up fd under a socket notifier) instead, so nothing has to tick.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_a_signal_wakes_an_idle_qasync_loop_that_has_no_timer(qapp) -> None:
    import qasync

    loop = qasync.QEventLoop(qapp)
    got: list[str] = []

    async def main() -> str:
        done = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, lambda: done.done() or done.set_result("signal"))
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        try:
            # The only timer is this 20 s bound: had the signal waited for a timer, this would time out.
            return await asyncio.wait_for(done, 20)
        finally:
            loop.remove_signal_handler(signal.SIGUSR1)

    try:
        got.append(loop.run_until_complete(main()))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert got == ["signal"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_console_exits_0_on_sigterm_and_sigint(sig: signal.Signals, tmp_path: Path) -> None:
    """It leaves through os._exit (hmi.cli.leave_at_once) once its own things are closed: nothing stays behind."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"ipc-hmi-test-signal-{os.getpid()}-{sig}"
    notify.bind("\0" + name)
    notify.settimeout(1)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": "@" + name, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "--demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        ready = False
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = b"READY=1" in notify.recv(4096)
            except TimeoutError:
                continue
        assert ready, proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else "no READY=1"
        assert len(list(tmp_path.glob("ipc-hmi-demo-*"))) == 1  # the demo's audit trail, while it runs
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err, err.decode()
        assert list(tmp_path.glob("ipc-hmi-demo-*")) == []  # --demo's temporary audit trail was removed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        notify.close()
