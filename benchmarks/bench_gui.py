"""`ipc-hmi --demo --screenshot` against a bare PySide6 window, as whole processes, in the same run.

Alternating, N times each, on the offscreen platform:
- console: `python -m hmi --demo --screenshot FILE`: starts Qt, the embedded mock IPC (gRPC server)
  and the client, waits for the first answer, renders the window with it and writes the PNG;
- bare:    a script that creates a QApplication, shows one QLabel at the same size, renders it
  and writes a PNG the same way (QWidget.grab), then exits;
- floor:   for reference, not a goal: the bare script plus what --demo cannot do without (qasync,
  the in-process mock IPC, the client and its first answer), still with one label. The console's
  cost over `floor` is what its window adds.

Measured per process:
- time to shown: from just before the process is spawned to the line each prints right after
  its PNG is written (for the console, that is after the first data was shown);
- wall: until the process has exited (the console also stops its mock and client);
- peak RSS: ru_maxrss of that child, from os.wait4.
Goals: console/bare medians at most 2x for time to shown and 1.6x for peak RSS.

Both run with the normal, warm bytecode cache (a warm-up run of each comes first), as an installed
package would. (PYTHONPYCACHEPREFIX is not used: with it set, even the bare PySide6 script took about
twice as long here, 0.33 s instead of 0.17 s, which would flatter the ratio.)

    .venv/bin/python -m benchmarks.bench_gui [N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_GOAL = 2.0
RSS_GOAL = 1.6

BARE = """\
import sys

from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])
label = QLabel("IPC Update Console")
label.resize(1280, 800)
label.show()
app.processEvents()
label.grab().save(sys.argv[1], "PNG")
print("shown", flush=True)
"""


FLOOR = """\
import asyncio
import sys

import qasync
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)


async def main():
    from hmi.core.client import UpdaterClient
    from hmi.core.config import ClientConfig
    from hmi.mock.server import start_mock

    mock = await start_mock(scenario="demo")
    client = UpdaterClient(ClientConfig(target=mock.address))
    state = await client.refresh()
    label = QLabel(state.snapshot.state.value)
    label.resize(1280, 800)
    label.show()
    label.grab().save(sys.argv[1], "PNG")
    print("shown", flush=True)
    await client.aclose()
    await mock.stop(None)


loop.run_until_complete(main())
"""


def _one(cmd: list[str], env: dict[str, str], marker: str) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shown = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if marker in line and shown is None:
            shown = time.perf_counter() - start
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0 or shown is None:
        raise RuntimeError(f"{cmd[:4]} failed with {proc.returncode}: {err[-1500:]}")
    return {"shown": shown, "wall": wall, "rss_mb": usage.ru_maxrss / 1024.0}


def bench_env() -> dict[str, str]:
    """Offscreen, no accessibility bridge, and the normal warm bytecode cache (see the module docstring)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_ACCESSIBILITY="0")
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_GUI_RUNS", "7"))
    out = tempfile.mkdtemp(prefix="ipc-hmi-bench-png-")
    env = bench_env()
    bare_script = Path(out) / "bare.py"
    bare_script.write_text(BARE)
    floor_script = Path(out) / "floor.py"
    floor_script.write_text(FLOOR)
    console_cmd = [sys.executable, "-m", "hmi", "--demo", "--screenshot", str(Path(out) / "console.png")]
    bare_cmd = [sys.executable, str(bare_script), str(Path(out) / "bare.png")]
    floor_cmd = [sys.executable, str(floor_script), str(Path(out) / "floor.png")]
    try:
        # One warm-up each: fills the bytecode cache and the OS file cache.
        _one(console_cmd, env, "screenshot written")
        _one(bare_cmd, env, "shown")
        _one(floor_cmd, env, "shown")
        console: list[dict[str, float]] = []
        bare: list[dict[str, float]] = []
        floor: list[dict[str, float]] = []
        for i in range(n):
            order = [
                (console, console_cmd, "screenshot written"),
                (bare, bare_cmd, "shown"),
                (floor, floor_cmd, "shown"),
            ]
            for runs, cmd, marker in order if i % 2 == 0 else reversed(order):
                runs.append(_one(cmd, env, marker))
    finally:
        shutil.rmtree(out, ignore_errors=True)

    figures: dict[str, object] = {"runs": n, "python": sys.version.split()[0], "cpus": os.cpu_count()}
    for name, runs in (("console", console), ("bare", bare), ("floor", floor)):
        figures[name] = {
            "shown_s_median": round(_median(runs, "shown"), 3),
            "wall_s_median": round(_median(runs, "wall"), 3),
            "peak_rss_mb_median": round(_median(runs, "rss_mb"), 1),
            "shown_s_all": [round(r["shown"], 3) for r in runs],
        }
    time_ratio = _median(console, "shown") / _median(bare, "shown")
    rss_ratio = _median(console, "rss_mb") / _median(bare, "rss_mb")
    figures["floor_time_ratio"] = round(_median(floor, "shown") / _median(bare, "shown"), 2)
    figures["floor_rss_ratio"] = round(_median(floor, "rss_mb") / _median(bare, "rss_mb"), 2)
    figures["time_ratio"] = round(time_ratio, 2)
    figures["rss_ratio"] = round(rss_ratio, 2)
    figures["time_goal_met"] = time_ratio <= TIME_GOAL
    figures["rss_goal_met"] = rss_ratio <= RSS_GOAL

    c, b, fl = figures["console"], figures["bare"], figures["floor"]
    print(f"{'':10}{'to shown (median)':>20}{'wall (median)':>16}{'peak RSS (median)':>20}")
    for name, f in (("console", c), ("bare", b), ("floor", fl)):
        print(
            f"{name:10}{f['shown_s_median']:>18.3f} s{f['wall_s_median']:>14.3f} s{f['peak_rss_mb_median']:>17.1f} MB"
        )
    print(f"ratio: time to shown {time_ratio:.2f}x (goal <= {TIME_GOAL}x), ", end="")
    print(f"peak RSS {rss_ratio:.2f}x (goal <= {RSS_GOAL}x)")
    print(f"floor/bare: time {figures['floor_time_ratio']}x, peak RSS {figures['floor_rss_ratio']}x")
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
