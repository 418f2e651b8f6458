"""Does building parts on first use pay? Start to first frame with every part built at start (as the console
does) against the same console with those parts left out, as whole processes, alternating, in one run.

The parts are the ones an `is None` build-on-first-use branch used to defer in window.py and sheet.py: the
kiosk's exit question (ExitSheet), the history sheet with its table (HistorySheet, which imports the audit
view), and the confirmation sheet's notes preview (a second QTextBrowser). In the "deferred" variant they are
replaced before the window is built by stand-ins that build nothing, which is the most that building them on
first use could save before the first frame (a screenshot run never opens them). Both variants run
`ipc-hmi --demo --screenshot FILE` through the same runner script on the offscreen platform, with a warm
bytecode cache (one warm-up run each first).

Measured per process (as benchmarks/bench_gui.py): time from spawning to the "screenshot written" line
(after the first data is drawn), and peak RSS (wait4). Reported: medians, their ratio eager/deferred, and the
spread of each variant (its interquartile range), so a difference can be read against the noise.

Decision rule (docs/benchmarks.md, "Building on first use"): the deferral pays when the eager variant is at
least 5 % slower to its first frame or 5 % larger at peak and the time difference exceeds the spread.

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

RUNNER = """\
import sys

variant, png = sys.argv[1], sys.argv[2]
if variant == "deferred":
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QWidget

    import hmi.ui.sheet as sheet
    import hmi.ui.window as window

    class Overlay(QWidget):  # an overlay that is never built (never opened in a screenshot run)
        visibilityChanged = Signal(bool)
        accepted = Signal()

        def __init__(self, parent, **_kw):
            super().__init__(parent)
            self.hide()

        def open(self):
            raise AssertionError("a deferred overlay was opened")

        def set_records(self, *_a):
            pass

    class Preview(QWidget):  # the sheet's notes preview, never built
        def set_notes(self, *_a):
            pass

    window.ExitSheet = Overlay
    window.HistorySheet = Overlay
    sheet.NotesView = Preview

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
    pays = (time_ratio >= PAYS and gap > noise) or rss_ratio >= PAYS
    figures.update(
        time_ratio=round(time_ratio, 3),
        rss_ratio=round(rss_ratio, 3),
        time_gap_s=round(gap, 3),
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
    print(f"peak RSS {rss_ratio:.3f}x; deferral pays: {'yes' if pays else 'no'} (rule: >= {PAYS}x beyond the spread)")
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
