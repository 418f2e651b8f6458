"""Does building the overlays on first use pay? Start to first frame of the console as it is (the overlays are
built at their first open) against the same console building them all with the window, as whole processes,
alternating, in one run.

The overlays: the confirmation sheet with its notes preview (a second QTextBrowser), the kiosk's exit question,
the history sheet with its table (importing hmi.ui.sheet and the audit view), and the "Remind me later" chooser.
In the "eager" variant all of them are built right after the window (before it is shown), as the console did
before issue 13's start-up work; a screenshot run never opens them. Both variants run
`ipc-hmi --demo --screenshot FILE` through the same runner script on the offscreen platform, with a warm bytecode
cache (one warm-up run each first).

Measured per process (as benchmarks/bench_gui.py): time from spawning to the "screenshot written" line
(after the first data is drawn), and peak RSS (wait4). Reported: medians, their ratio eager/deferred, and the
spread of each variant (its interquartile range), so a difference can be read against the noise.

Decision rule (docs/benchmarks.md, "Building on first use"): the deferral pays when the eager variant is at
least 5 % slower to its first frame beyond the spread, or larger at peak by at least 2 MB (memory is not
noisy: the medians of two runs of one variant differ by less than 0.3 MB).

    .venv/bin/python -m benchmarks.bench_lazy [N]
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_gui import _median, _one, bench_env

PAYS = 1.05
PAYS_MB = 2.0

RUNNER = """\
import sys

variant, png = sys.argv[1], sys.argv[2]
if variant == "eager":
    # Patched through hmi.app, which loads no Qt: importing hmi.ui.window here would load PySide6 before grpc and
    # the model, which the console avoids (PySide's feature switch would read their sources).
    import hmi.app as app

    build = app.build_console

    def build_everything(*args, **kwargs):
        window, controller = build(*args, **kwargs)
        window.sheet, window.exit_sheet, window.shelving.sheet, window.history_sheet  # noqa: B018 - each builds one
        return window, controller

    app.build_console = build_everything

from hmi.cli import main

sys.exit(main(["--demo", "--screenshot", png]))
"""


def _iqr(values: list[float]) -> float:
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def main(n: int | None = None) -> dict[str, object]:
    n = n or int(os.environ.get("BENCH_LAZY_RUNS", "15"))
    out = tempfile.mkdtemp(prefix="ipc-hmi-bench-lazy-")
    env = bench_env()
    runner = Path(out) / "runner.py"
    runner.write_text(RUNNER)
    cmds = {v: [sys.executable, str(runner), v, str(Path(out) / f"{v}.png")] for v in ("eager", "deferred")}
    runs: dict[str, list[dict[str, float]]] = {"eager": [], "deferred": []}
    try:
        for cmd in cmds.values():  # warm-up: bytecode cache and OS file cache
            _one(cmd, env, "screenshot written")
        for i in range(n):
            for variant in ("eager", "deferred") if i % 2 == 0 else ("deferred", "eager"):
                runs[variant].append(_one(cmds[variant], env, "screenshot written"))
    finally:
        shutil.rmtree(out, ignore_errors=True)

    figures: dict[str, object] = {"runs": n, "python": sys.version.split()[0], "cpus": os.cpu_count()}
    for variant, got in runs.items():
        figures[variant] = {
            "shown_s_median": round(_median(got, "shown"), 3),
            "shown_s_iqr": round(_iqr([r["shown"] for r in got]), 3),
            "peak_rss_mb_median": round(_median(got, "rss_mb"), 1),
            "shown_s_all": [round(r["shown"], 3) for r in got],
        }
    eager, deferred = runs["eager"], runs["deferred"]
    time_ratio = _median(eager, "shown") / _median(deferred, "shown")
    rss_ratio = _median(eager, "rss_mb") / _median(deferred, "rss_mb")
    gap = _median(eager, "shown") - _median(deferred, "shown")
    noise = max(_iqr([r["shown"] for r in eager]), _iqr([r["shown"] for r in deferred]))
    rss_gap = _median(eager, "rss_mb") - _median(deferred, "rss_mb")
    pays = (time_ratio >= PAYS and gap > noise) or rss_gap >= PAYS_MB
    figures.update(
        time_ratio=round(time_ratio, 3),
        rss_ratio=round(rss_ratio, 3),
        time_gap_s=round(gap, 3),
        rss_gap_mb=round(rss_gap, 1),
        noise_s=round(noise, 3),
        deferral_pays=pays,
    )
    print(f"{'':10}{'to first frame (median, IQR)':>32}{'peak RSS (median)':>20}")
    for variant in ("eager", "deferred"):
        f = figures[variant]
        assert isinstance(f, dict)
        print(
            f"{variant:10}{f['shown_s_median']:>20.3f} s ± {f['shown_s_iqr']:.3f} s{f['peak_rss_mb_median']:>17.1f} MB"
        )
    print(f"eager/deferred: time {time_ratio:.3f}x ({gap * 1000:+.0f} ms; spread {noise * 1000:.0f} ms), ", end="")
    print(f"peak RSS {rss_ratio:.3f}x ({rss_gap:+.1f} MB); deferral pays: {'yes' if pays else 'no'} ", end="")
    print(f"(rule: >= {PAYS}x beyond the spread, or >= {PAYS_MB} MB)")
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
