"""Start-up, shut-down and idle cost of the console on the panel's real path, each against a bare baseline (issue 13).

One mock IPC (`python -m hmi mock --scenario approval`) runs in its own process on 127.0.0.1 for the whole run.
Offscreen platform, warm bytecode cache (PYTHONDONTWRITEBYTECODE unset, a warm-up run of each first), alternating
order, medians of N runs each:

- target: `python -m hmi gui --target ADDR --screenshot F` (config, audit trail, window, client, the first
  answer drawn, PNG written) against a bare PySide6 script that shows one 1280×800 label and writes its PNG the
  same way. Time from spawning to the line each prints once its PNG is written; peak RSS from wait4.
  Goals: at most 1.8× the time, 1.5× the peak RSS.
- demo: `python -m hmi --demo --screenshot F` (embedded mock), the same way. Goals: 2.0× and 1.7×.
- floor: a script with no console code that does the least the panel's path must (Qt, qasync, grpc.aio, one
  ReportUpdateInfo, one label, its PNG): how much of the target ratio is left for the console itself.
- sigterm: `python -m hmi gui --target ADDR` runs until it has shown data (READY=1 over $NOTIFY_SOCKET, then
  1.5 s), then gets SIGTERM; the time until the process has exited (it closes the window, its client and the
  audit trail). A bare qasync window that exits on SIGTERM through the loop's add_signal_handler is measured
  the same way, for reference. Goal: at most 100 ms.
- idle: CPU time (user + system, /proc/PID/stat) of `python -m hmi gui --target ADDR` polling once a second,
  over IDLE_SECONDS after it settled, against a bare qasync poller (grpc.aio, one ReportUpdateInfo a second, a
  label updated with the state). Goal: at most 0.5 % of one core.

    .venv/bin/python -m benchmarks.bench_startup [N]
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_cli import _start_mock  # the mock on a free loopback port, as the CLI benchmark starts it
from benchmarks.bench_gui import BARE  # the bare PySide6 window every GUI ratio is measured against

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"target": (1.8, 1.5), "demo": (2.0, 1.7)}
SIGTERM_GOAL_MS = 100.0
IDLE_GOAL_PERCENT = 0.5
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "20"))
TICK = os.sysconf("SC_CLK_TCK")


# A qasync window that polls the IPC once a second and exits on SIGTERM: the least a polling console does.
BARE_POLLER = """\
import asyncio
import signal
import socket
import os
import sys

import grpc
import qasync
from PySide6.QtWidgets import QApplication, QLabel

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

app = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)


async def main():
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    label = QLabel("…")
    label.resize(1280, 800)
    label.show()
    notified = False
    async with grpc.aio.insecure_channel(sys.argv[1]) as channel:
        stub = pb_grpc.IpcUpdaterStub(channel)
        while not stop.done():
            info = await stub.ReportUpdateInfo(pb.GetUpdateInfoRequest(), timeout=2)
            label.setText(str(info.state))
            if not notified and os.environ.get("NOTIFY_SOCKET"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.sendto(b"READY=1", "\\0" + os.environ["NOTIFY_SOCKET"][1:])
                s.close()
                notified = True
            await asyncio.wait([stop], timeout=1.0)


loop.run_until_complete(main())
"""


# The least a console on the panel's path must do before its first data is on screen, with no console code: Qt,
# qasync, grpc.aio and the generated stub, one ReportUpdateInfo, one label showing the state, its PNG written.
# Not a goal of its own: it tells how much of the ratio is left for the console itself (docs/benchmarks.md).
FLOOR_TARGET = """\
import asyncio
import sys

import grpc.aio

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

import qasync
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)


async def main():
    async with grpc.aio.insecure_channel(sys.argv[2]) as channel:
        info = await pb_grpc.IpcUpdaterStub(channel).ReportUpdateInfo(pb.GetUpdateInfoRequest(), timeout=5)
    label = QLabel(str(info.state))
    label.resize(1280, 800)
    label.show()
    app.processEvents()
    label.grab().save(sys.argv[1], "PNG")
    print("shown", flush=True)


loop.run_until_complete(main())
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPC_HMI_")}
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "NOTIFY_SOCKET", "WATCHDOG_USEC"):
        env.pop(var, None)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        QT_ACCESSIBILITY="0",
        PYTHONPATH=str(ROOT),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _shown(cmd: list[str], env: dict[str, str], marker: str) -> dict[str, float]:
    """Spawn to the marker line, and peak RSS, of one run to completion."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if marker in line and shown is None:
            shown = time.perf_counter() - start
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0 or shown is None:
        raise RuntimeError(f"{cmd[1:4]} failed with {proc.returncode}: {err[-1500:]}")
    return {"shown": shown, "rss_mb": usage.ru_maxrss / 1024.0}


class _Notify:
    """A socket standing in for systemd's $NOTIFY_SOCKET: tells when the console has drawn its first screen."""

    def __init__(self) -> None:
        self.name = f"ipc-hmi-bench-{os.getpid()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.sock.settimeout(0.5)

    def wait_ready(self, proc: subprocess.Popen[str], limit: float = 30) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if b"READY=1" in self.sock.recv(4096):
                    return
            except TimeoutError:
                continue
        raise RuntimeError(f"no READY=1 from {proc.args[1:4]}")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _running(cmd: list[str], env: dict[str, str], notify: _Notify, settle: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**env, "NOTIFY_SOCKET": "@" + notify.name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    notify.wait_ready(proc)
    time.sleep(settle)
    return proc


def _sigterm(cmd: list[str], env: dict[str, str], notify: _Notify) -> float:
    """Milliseconds from SIGTERM to the process having exited."""
    proc = _running(cmd, env, notify, 1.5)
    start = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise RuntimeError(f"{cmd[1:4]} did not exit on SIGTERM") from None
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise RuntimeError(
            f"{cmd[1:4]} exited {proc.returncode} on SIGTERM: {proc.stderr.read() if proc.stderr else ''}"
        )
    return elapsed


def _idle(cmd: list[str], env: dict[str, str], notify: _Notify) -> float:
    """Percent of one core used over IDLE_SECONDS, after the process has run for 3 s."""
    proc = _running(cmd, env, notify, 3.0)
    try:
        cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        cpu1, t1 = _cpu_seconds(proc.pid), time.perf_counter()
    finally:
        _stop(proc)
    return 100.0 * (cpu1 - cpu0) / (t1 - t0)


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _alternate(
    n: int, cases: dict[str, tuple[list[str], str]], env: dict[str, str]
) -> dict[str, list[dict[str, float]]]:
    for cmd, marker in cases.values():
        _shown(cmd, env, marker)  # warm-up: bytecode cache, OS file cache
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(n):
        for name in names if i % 2 == 0 else reversed(names):
            cmd, marker = cases[name]
            runs[name].append(_shown(cmd, env, marker))
    return runs


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_STARTUP_RUNS", "7"))
    work = Path(tempfile.mkdtemp(prefix="ipc-hmi-bench-startup-"))
    env = _env(work)
    (work / "bare.py").write_text(BARE)
    (work / "poller.py").write_text(BARE_POLLER)
    (work / "floor.py").write_text(FLOOR_TARGET)
    mock, address = _start_mock(env)
    notify = _Notify()
    figures: dict[str, object] = {"runs": n, "python": sys.version.split()[0], "cpus": os.cpu_count()}
    try:
        hmi = [sys.executable, "-m", "hmi"]
        cases = {
            "target": ([*hmi, "gui", "--target", address, "--screenshot", str(work / "t.png")], "screenshot written"),
            "demo": ([*hmi, "--demo", "--screenshot", str(work / "d.png")], "screenshot written"),
            "bare": ([sys.executable, str(work / "bare.py"), str(work / "b.png")], "shown"),
            "floor": ([sys.executable, str(work / "floor.py"), str(work / "f.png"), address], "shown"),
        }
        runs = _alternate(n, cases, env)
        for name in cases:
            figures[name] = {
                "shown_s_median": round(_median(runs[name], "shown"), 3),
                "peak_rss_mb_median": round(_median(runs[name], "rss_mb"), 1),
                "shown_s_all": [round(r["shown"], 3) for r in runs[name]],
            }
        bare_t, bare_r = _median(runs["bare"], "shown"), _median(runs["bare"], "rss_mb")
        figures["floor_time_ratio"] = round(_median(runs["floor"], "shown") / bare_t, 2)
        figures["floor_rss_ratio"] = round(_median(runs["floor"], "rss_mb") / bare_r, 2)
        for name, (time_goal, rss_goal) in GOALS.items():
            t = _median(runs[name], "shown") / _median(runs["bare"], "shown")
            r = _median(runs[name], "rss_mb") / _median(runs["bare"], "rss_mb")
            figures[f"{name}_time_ratio"], figures[f"{name}_rss_ratio"] = round(t, 2), round(r, 2)
            figures[f"{name}_goals"] = {"time": time_goal, "rss": rss_goal, "met": t <= time_goal and r <= rss_goal}

        console = [*hmi, "gui", "--target", address]
        poller = [sys.executable, str(work / "poller.py"), address]
        stops: dict[str, list[float]] = {"console": [], "bare_poller": []}
        for i in range(n):
            order = [("console", console), ("bare_poller", poller)]
            for name, cmd in order if i % 2 == 0 else reversed(order):
                stops[name].append(_sigterm(cmd, env, notify))
        figures["sigterm_ms"] = {
            **{f"{k}_median": round(statistics.median(v), 1) for k, v in stops.items()},
            **{f"{k}_all": [round(x, 1) for x in v] for k, v in stops.items()},
            "goal_ms": SIGTERM_GOAL_MS,
            "met": statistics.median(stops["console"]) <= SIGTERM_GOAL_MS,
        }

        idle = {"console": _idle(console, env, notify), "bare_poller": _idle(poller, env, notify)}
        figures["idle_cpu_percent"] = {
            **{k: round(v, 2) for k, v in idle.items()},
            "seconds": IDLE_SECONDS,
            "goal_percent": IDLE_GOAL_PERCENT,
            "met": idle["console"] <= IDLE_GOAL_PERCENT,
        }
    finally:
        notify.sock.close()
        _stop(mock)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'':8}{'to first data shown':>22}{'peak RSS':>12}   (medians of {n})")
    for name in ("target", "demo", "bare", "floor"):
        f = figures[name]
        print(f"{name:8}{f['shown_s_median']:>20.3f} s{f['peak_rss_mb_median']:>9.1f} MB")
    for name, (tg, rg) in GOALS.items():
        print(
            f"{name}/bare: time {figures[f'{name}_time_ratio']}x (goal <= {tg}x), "
            f"peak RSS {figures[f'{name}_rss_ratio']}x (goal <= {rg}x)"
        )
    print(
        f"floor (Qt + qasync + grpc.aio, one call, one label)/bare: time {figures['floor_time_ratio']}x, "
        f"peak RSS {figures['floor_rss_ratio']}x"
    )
    s = figures["sigterm_ms"]
    print(f"SIGTERM to exit: console {s['console_median']} ms (goal <= {SIGTERM_GOAL_MS:.0f} ms), ", end="")
    print(f"bare qasync poller {s['bare_poller_median']} ms")
    c = figures["idle_cpu_percent"]
    print(f"idle CPU, polling at 1 Hz, over {IDLE_SECONDS:.0f} s: console {c['console']} % of a core ", end="")
    print(f"(goal <= {IDLE_GOAL_PERCENT} %), bare qasync poller {c['bare_poller']} %")
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else None), indent=2))
