"""`ipc-hmi report --json` as a whole process, against a bare grpc script making the same one call.

One mock IPC (`ipc-hmi mock --scenario approval`) runs in its own process on 127.0.0.1. Then, in one
run and alternating, N times each:
- cli:  `.venv/bin/ipc-hmi report --json --target ADDR` (the installed console script; falls back to
        `python -m hmi` when the script is missing), and
- bare: a Python script that imports grpc and the generated stub, makes one ReportUpdateInfo call with
        the same deadline and prints the answer with json_format (the same bytes as the CLI; checked).
Goal: the CLI's median wall time is at most 1.2x the bare script's. Also reported: the ratio of the
fastest runs and of the median CPU time (user + system), which a busy machine disturbs less.

Both run with a warm bytecode cache kept outside the tree (PYTHONPYCACHEPREFIX), as an installed
package would (with PYTHONDONTWRITEBYTECODE=1 and no cache, every hmi module would be compiled on
every start, which measures the compiler rather than the CLI).

    .venv/bin/python -m benchmarks.bench_cli [N]   (N runs of each, default 30)
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.2
ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 2.0

BARE = """\
import sys

import grpc
from google.protobuf import json_format

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

with grpc.insecure_channel(sys.argv[1]) as channel:
    info = pb_grpc.IpcUpdaterStub(channel).ReportUpdateInfo(pb.GetUpdateInfoRequest(), timeout=float(sys.argv[2]))
print(json_format.MessageToJson(info, ensure_ascii=False))
"""


def _start_mock(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "mock", "--listen", "127.0.0.1:0", "--scenario", "approval"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("listening on "):
            return proc, line.split()[-1]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait(10)
    raise RuntimeError("the mock IPC did not start")


def _cli_command() -> tuple[list[str], str]:
    script = Path(sys.executable).with_name("ipc-hmi")
    if script.exists():
        return [str(script)], str(script.relative_to(ROOT) if script.is_relative_to(ROOT) else script)
    return [sys.executable, "-m", "hmi"], "python -m hmi"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, str, float]:
    """Wall time, stdout and CPU time (user + system) of one run of `cmd`."""
    cpu = _cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout, _cpu() - cpu


def _compare(n: int, env: dict[str, str], cli: list[str], bare: list[str]) -> dict[str, float]:
    for _ in range(2):  # warm the bytecode cache and the OS file cache
        _time(cli, env)
        _time(bare, env)
    wall: dict[str, list[float]] = {"cli": [], "bare": []}
    cpu: dict[str, list[float]] = {"cli": [], "bare": []}
    for i in range(n):
        order = (("cli", cli), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("cli", cli))
        for name, cmd in order:
            elapsed, _out, used = _time(cmd, env)
            wall[name].append(elapsed)
            cpu[name].append(used)

    def ms(values: float) -> float:
        return round(values * 1000, 1)

    med = {k: statistics.median(v) for k, v in wall.items()}
    low = {k: min(v) for k, v in wall.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "cli_median_ms": ms(med["cli"]),
        "bare_median_ms": ms(med["bare"]),
        "ratio": round(med["cli"] / med["bare"], 3),
        "cli_min_ms": ms(low["cli"]),
        "bare_min_ms": ms(low["bare"]),
        "ratio_of_mins": round(low["cli"] / low["bare"], 3),
        "cli_cpu_median_ms": ms(cpu_med["cli"]),
        "bare_cpu_median_ms": ms(cpu_med["bare"]),
        "cpu_ratio": round(cpu_med["cli"] / cpu_med["bare"], 3),
    }


def main(n: int = 30) -> dict:
    cache = tempfile.mkdtemp(prefix="ipc-hmi-bench-pycache-")
    work = tempfile.mkdtemp(prefix="ipc-hmi-bench-")
    bare_path = Path(work) / "bare_report.py"
    bare_path.write_text(BARE)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("IPC_HMI_")}
    base_env["PYTHONPATH"] = str(ROOT)
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    warm_env = {**base_env, "PYTHONPYCACHEPREFIX": cache}
    mock, address = _start_mock(warm_env)
    try:
        cli_prefix, cli_name = _cli_command()
        cli = [*cli_prefix, "report", "--json", "--target", address, "--deadline", str(DEADLINE)]
        bare = [sys.executable, str(bare_path), address, str(DEADLINE)]
        # Same call, same answer: the outputs must be identical.
        if _time(cli, warm_env)[1] != _time(bare, warm_env)[1]:
            raise RuntimeError("the CLI and the bare script printed different JSON")
        warm = _compare(n, warm_env, cli, bare)
    finally:
        mock.terminate()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()
            mock.wait(10)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "runs_each": n,
        "cli": f"{cli_name} report --json",
        "bare": "python bare_report.py (import grpc + generated stub, one call, json_format)",
        "server": "ipc-hmi mock --scenario approval (separate process, 127.0.0.1)",
        "goal_ratio": GOAL,
        **warm,
        "meets_goal": warm["ratio"] <= GOAL,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    print(
        f"wall median: cli {warm['cli_median_ms']} ms, bare {warm['bare_median_ms']} ms, ratio {warm['ratio']} "
        f"(goal <= {GOAL}); fastest runs {warm['ratio_of_mins']}; CPU time {warm['cpu_ratio']}",
        flush=True,
    )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30), indent=2))
