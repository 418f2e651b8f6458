"""Class 1: output that cannot be written. Every subcommand, stdout on /dev/full and on a closed pipe.

The exit code must report what happened with the IPC (an approval that went out is still 0), no
traceback may appear, and a full disk gets one warning line on stderr. `report --watch` must end
by itself when its output is gone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mock.support import ROOT, MockProcess

pytestmark = pytest.mark.slow

SINKS = ("full", "closed-pipe")


def _sink(kind: str) -> tuple[int, list[int]]:
    """A stdout descriptor that fails on write, and the descriptors to close afterwards."""
    if kind == "full":
        fd = os.open("/dev/full", os.O_WRONLY)
        return fd, [fd]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write: EPIPE
    return write, [write]


def run(args: list[str], sink: str, env: dict[str, str], stdin: str = "", timeout: float = 20) -> tuple[int, str]:
    fd, to_close = _sink(sink)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "hmi", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            stdout=fd,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    finally:
        for f in to_close:
            os.close(f)
    return proc.returncode, proc.stderr


def check(code: int, err: str, sink: str, expected: int) -> None:
    assert "Traceback" not in err, err
    assert code == expected, err
    if sink == "full":
        assert err.count("standard output could not be written (no space left on the device)") == 1, err


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    child = MockProcess("--scenario", "approval")
    try:
        yield child.wait_listening()
    finally:
        child.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "IPC_HMI_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("sink", SINKS)
def test_report_once_and_json(mock: str, env: dict[str, str], sink: str) -> None:
    for extra in ([], ["--json"]):
        check(*run(["report", "--target", mock, *extra], sink, env), sink, 0)


@pytest.mark.parametrize("sink", SINKS)
def test_report_watch_ends_when_its_output_is_gone(mock: str, env: dict[str, str], sink: str) -> None:
    started = time.monotonic()
    check(*run(["report", "--watch", "--target", mock], sink, env, timeout=15), sink, 0)
    assert time.monotonic() - started < 15  # bounded by the timeout above; it ended by itself


def test_approve_history_and_mock_ctl(mock: str, env: dict[str, str]) -> None:
    """An approval that went out is exit 0 with nowhere to print; so are history and mock-ctl."""
    for sink in SINKS:
        check(*run(["approve", "1.5.0", "--yes", "--target", mock], sink, env), sink, 0)
        check(*run(["history"], sink, env), sink, 0)
        check(*run(["mock-ctl", "--target", mock, "state"], sink, env), sink, 0)
        check(*run(["mock-ctl", "--target", mock, "reset"], sink, env), sink, 0)


@pytest.mark.parametrize("sink", SINKS)
def test_set_pin_help_and_version(tmp_path: Path, env: dict[str, str], sink: str) -> None:
    config = tmp_path / "config.toml"
    check(*run(["set-pin", "anna", "--pin-stdin", "--config", str(config)], sink, env, stdin="2468\n"), sink, 0)
    assert "pin_hash" in config.read_text(encoding="utf-8")
    check(*run(["gui", "--help"], sink, env), sink, 0)
    check(*run(["--version"], sink, env), sink, 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("sink", SINKS)
def test_mock_serves_and_stops_cleanly_without_its_output(env: dict[str, str], sink: str) -> None:
    port = _free_port()
    fd, to_close = _sink(sink)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "mock", "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=fd,
        stderr=subprocess.PIPE,
        text=True,
    )
    for f in to_close:
        os.close(f)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    check(proc.returncode, err, sink, 0)
