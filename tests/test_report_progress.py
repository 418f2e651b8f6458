"""`ipc-hmi report` guides a long update too (issue 14): `--watch` records the step history and prints the
estimate and the stuck-step warning; a later `report` (another process) and `report --json` read the same
history. Real gRPC to the scriptable fake IPC, real SQLite, the CLI as a subprocess stopped by PID."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from hmi.core.stephistory import StepHistory, default_steps_path
from tests.core.fake_ipc import RunningFake, running, start_fake, up_to_date

ROOT = Path(__file__).resolve().parents[1]
FAST = ("--stuck-factor", "2", "--stuck-minimum", "1", "--stuck-without-history", "600")


def read_until(proc: subprocess.Popen[str], needle: str, limit: float = 15.0) -> list[str]:
    """Lines from `proc` up to and including the first that contains `needle`."""
    assert proc.stdout is not None
    seen: list[str] = []
    end = time.monotonic() + limit
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line.rstrip("\n"))
            if needle in line:
                return seen
    raise AssertionError(f"no line with {needle!r} within {limit} s; saw {seen}")


def one_update(fake: RunningFake, version: str, step_s: float = 0.5) -> None:
    for step in range(3):
        fake.ipc.set(running(version, step=step, total=3))
        time.sleep(step_s)
    fake.ipc.set(up_to_date(version))


def test_watch_records_and_warns_and_a_later_report_uses_the_history(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPC_HMI_")}
    env.update(IPC_HMI_DATA_DIR=str(tmp_path / "data"), IPC_HMI_POLL_INTERVAL="0.1", XDG_CONFIG_HOME=str(tmp_path))
    fake = start_fake()
    try:
        fake.ipc.set(up_to_date())
        watch = subprocess.Popen(
            [sys.executable, "-m", "hmi", "report", "--watch", "--target", fake.address, *FAST],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            read_until(watch, "Up to date")
            one_update(fake, "1.5.0")
            read_until(watch, "Running version 1.5.0")
            fake.ipc.set(running("1.6.0", "1.5.0", step=0, total=3))
            lines = read_until(watch, "Expected:")
            assert lines[-1].endswith("Expected: usually about 1 s here (1 earlier update) · Less than 1 min left")
            fake.ipc.set(running("1.6.0", "1.5.0", step=1, total=3))  # and it stays there
            lines = read_until(watch, "Warning:")
            assert "Warning: This step is taking much longer than on earlier updates (usually 1 s, now" in lines[-1]
            assert lines[-1].endswith("Do not switch off. If the IPC still answers, it is working.")
            watch.send_signal(signal.SIGINT)
            assert watch.wait(20) == 0
        finally:
            if watch.poll() is None:
                watch.kill()
            watch.wait(10)
        with StepHistory.open(default_steps_path(tmp_path / "data" / "audit.sqlite3")) as h:
            assert len(h.records(fake.address)) == 4  # the first update's three steps, the second's first

        cmd = [sys.executable, "-m", "hmi", "report", "--target", fake.address]
        human = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert human.returncode == 0, human.stderr
        assert "Expected:   usually about 1 s here (1 earlier update)\n            Less than 1 min left" in human.stdout
        done = subprocess.run([*cmd, "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        hmi = json.loads(done.stdout)["hmi"]
        assert hmi["stuck"] is False and hmi["expected"]["status"] == "estimate"
        assert hmi["expected"]["earlier_updates"] == 1 and hmi["expected"]["running_for_s"] is None
        assert hmi["expected"]["remaining_min"] == [0, 1]
    finally:
        fake.stop()
