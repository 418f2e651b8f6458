"""ReportUpdateInfo against the mock's engine versus a bare grpc.aio server, measured in the same run.

Both servers run in child processes (one each, started the same way) and answer
the same bytes: the bare one returns a constant UpdateInfo equal to what the
engine reports for the `approval` scenario. The load generator is this process:
N pollers on one grpc.aio channel, each a loop bounded by a deadline and a call
count. Each cell runs several rounds, alternating which server goes first, and keeps
the round with the highest throughput (the least disturbed one). The ratio is
engine throughput / bare throughput; the goal is >= 0.8 (the engine costs under 20%).
Server CPU per call (from /proc) is shown too, because with a Python client on a
small machine the client, or anything else running, may be the bottleneck.

Run: .venv/bin/python -m benchmarks.bench_mock   (or `make bench`)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLLERS = (1, 50, 200)
DURATION = 1.5  # seconds of measured load per server, poller count and round
ROUNDS = 5  # each cell is the best of this many alternating rounds
WARMUP = 0.5
MAX_CALLS_PER_POLLER = 200_000  # a second bound besides the deadline
GOAL = 0.8


# ---- servers (child processes) --------------------------------------------------------------------


async def _serve(kind: str, payload_hex: str) -> None:
    import grpc

    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if kind == "engine":
        from hmi.mock.server import start_mock

        mock = await start_mock(scenario="approval", listen="127.0.0.1:0")
        address, stopper = mock.address, mock.stop
    else:
        constant = pb.UpdateInfo.FromString(bytes.fromhex(payload_hex))

        class Bare(pb_grpc.IpcUpdaterServicer):
            async def ReportUpdateInfo(self, request: Any, context: Any) -> Any:
                return constant

        server = grpc.aio.server()
        port = server.add_insecure_port("127.0.0.1:0")
        pb_grpc.add_IpcUpdaterServicer_to_server(Bare(), server)
        await server.start()
        address = f"127.0.0.1:{port}"

        async def stopper() -> None:
            await server.stop(0.5)

    print(f"listening on {address}", flush=True)
    await stop.wait()
    await stopper()


class _Child:
    """A server child process; always terminated (killed on timeout)."""

    def __init__(self, kind: str, payload_hex: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_mock", "--serve", kind, "--payload", payload_hex],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        self.address = line.removeprefix("listening on ").strip()

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the child so far (Linux /proc), None elsewhere."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# ---- load generator (this process) -----------------------------------------------------------------


async def _load(child: _Child, pollers: int, duration: float) -> dict[str, float]:
    import grpc

    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

    request = pb.GetUpdateInfoRequest()
    async with grpc.aio.insecure_channel(child.address) as channel:
        stub = pb_grpc.IpcUpdaterStub(channel)

        async def poller(until: float, latencies: list[float]) -> None:
            for _ in range(MAX_CALLS_PER_POLLER):
                start = time.perf_counter()
                if start >= until:
                    return
                await stub.ReportUpdateInfo(request, timeout=10)
                latencies.append(time.perf_counter() - start)

        warm: list[float] = []
        warmup = min(WARMUP, duration)
        await asyncio.gather(*(poller(time.perf_counter() + warmup, warm) for _ in range(pollers)))
        latencies: list[float] = []
        cpu_before = child.cpu_seconds()
        start = time.perf_counter()
        await asyncio.gather(*(poller(start + duration, latencies) for _ in range(pollers)))
        elapsed = time.perf_counter() - start
        cpu_after = child.cpu_seconds()
    latencies.sort()
    calls = len(latencies)
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / calls * 1e6
    return {
        "calls": calls,
        "throughput": calls / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p99_ms": latencies[min(calls - 1, int(calls * 0.99))] * 1e3,
        "server_cpu_us_per_call": cpu,
    }


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the highest throughput: the one least disturbed by anything else on the machine."""
    best = dict(max(runs, key=lambda r: r["throughput"]))
    best["throughput_rounds"] = [round(r["throughput"]) for r in runs]
    return best


def _cpu_ratio(row: dict[str, Any]) -> float | None:
    """Bare server CPU per call / engine server CPU per call: the same goal, without the client's noise."""
    b, e = row["bare"]["server_cpu_us_per_call"], row["engine"]["server_cpu_us_per_call"]
    return None if not b or not e else b / e


def _payload() -> str:
    """The exact UpdateInfo the engine reports for `approval` at start, for the bare server to return."""
    from hmi.mock.clock import FakeClock
    from hmi.mock.engine import Engine

    return Engine("approval", FakeClock()).update_info().SerializeToString().hex()


def main(duration: float = DURATION, pollers: tuple[int, ...] = POLLERS, rounds: int = ROUNDS) -> dict[str, Any]:
    payload = _payload()
    children = {}
    try:
        for kind in ("bare", "engine"):
            children[kind] = _Child(kind, payload)
        rows = []
        for n in pollers:
            runs: dict[str, list[dict[str, Any]]] = {"bare": [], "engine": []}
            for i in range(rounds):
                # Alternating order, so neither server always runs right after the other warmed the machine.
                for kind in ("bare", "engine") if i % 2 == 0 else ("engine", "bare"):
                    runs[kind].append(asyncio.run(_load(children[kind], n, duration)))
            row: dict[str, Any] = {"pollers": n, "bare": _best(runs["bare"]), "engine": _best(runs["engine"])}
            row["ratio"] = row["engine"]["throughput"] / row["bare"]["throughput"]
            row["ratio_cpu"] = _cpu_ratio(row)
            rows.append(row)
    finally:
        for child in children.values():
            child.close()
    figures = {
        "benchmark": "ReportUpdateInfo: mock engine vs bare grpc.aio server",
        "duration_s": duration,
        "rounds": rounds,
        "payload_bytes": len(payload) // 2,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "goal_ratio": GOAL,
        "rows": rows,
        "goal_met": all(r["ratio"] >= GOAL for r in rows),
    }
    print(_table(figures), flush=True)
    return figures


def _table(f: dict[str, Any]) -> str:
    def cpu(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f}"

    lines = [
        f"{f['benchmark']}; best of {f['rounds']} rounds of {f['duration_s']:g} s per cell; {f['machine']}; "
        f"payload {f['payload_bytes']} bytes",
        "",
        "| pollers | bare calls/s | engine calls/s | ratio | bare p50 / p99 ms | engine p50 / p99 ms "
        "| server CPU µs/call bare / engine | CPU ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in f["rows"]:
        b, e = r["bare"], r["engine"]
        lines.append(
            f"| {r['pollers']} | {b['throughput']:.0f} | {e['throughput']:.0f} | {r['ratio']:.2f} "
            f"| {b['p50_ms']:.2f} / {b['p99_ms']:.2f} | {e['p50_ms']:.2f} / {e['p99_ms']:.2f} "
            f"| {cpu(b['server_cpu_us_per_call'])} / {cpu(e['server_cpu_us_per_call'])} "
            f"| {'-' if r['ratio_cpu'] is None else format(r['ratio_cpu'], '.2f')} |"
        )
    lines += [
        "",
        "ratio = engine calls/s / bare calls/s; CPU ratio = bare server CPU per call / engine server CPU per call.",
        f"goal: ratio >= {f['goal_ratio']} at every row: {'met' if f['goal_met'] else 'NOT met'}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=("engine", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--payload", default="", help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=DURATION, help="seconds per cell (default 3)")
    cli = parser.parse_args()
    if cli.serve:
        asyncio.run(_serve(cli.serve, cli.payload))
    else:
        main(cli.duration)
