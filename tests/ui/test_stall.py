"""The GUI thread's event loop never stalls for more than 50 ms during a full update run.

A 10 ms precise QTimer ticks while the console polls the mock 4 times a second and an update
is approved on the screen and runs through every stage to "up to date". The largest gap between
two ticks is the longest time the loop could not react to anything.

On a small machine shared with other processes, the OS sometimes deschedules the GUI thread for a
while; that is not the console stalling, and it does not repeat at the same place. So a run whose
largest gap exceeds 50 ms is repeated once, and the test fails only when the second run exceeds it
too (the failure message reports both). Work or a blocking call in the console's own code shows up
in every run.
"""

from __future__ import annotations

import itertools
import time

import pytest
from PySide6.QtCore import Qt, QTimer

from hmi.core.model import UpdateState

from .conftest import run, until
from .live import approve_on_screen, live_console

STALL_LIMIT = 0.050

pytestmark = pytest.mark.slow


def _gaps(ticks: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(ticks)]


def _ticker(ticks: list[float]) -> QTimer:
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    return timer


@pytest.mark.parametrize("kind", ["blocking sleep", "busy loop"])
def test_the_measurement_catches_a_blocked_or_busy_loop(qtbot, kind):
    ticks: list[float] = []
    timer = _ticker(ticks)
    done: list[int] = []

    def stall():
        if kind == "blocking sleep":
            time.sleep(0.08)
        else:
            end = time.thread_time() + 0.08  # 80 ms of this thread's own work
            while time.thread_time() < end:
                pass
        done.append(len(ticks))

    timer.start()
    QTimer.singleShot(100, stall)
    qtbot.waitUntil(lambda: bool(done) and len(ticks) > done[0] + 3, timeout=5000)
    timer.stop()
    assert max(_gaps(ticks)) >= 0.08


def _update_run(aloop, windows) -> tuple[list[float], list[UpdateState]]:
    ticks: list[float] = []

    async def body():
        timer = _ticker(ticks)
        async with live_console("approval", speed=8, poll=0.25, windows=windows) as live:
            timer.start()
            try:
                await until(lambda: len(ticks) > 5, 5, "the timer to tick")
                await approve_on_screen(live)
                await until(lambda: live.snap().state is UpdateState.RUNNING, 10, "the update to start")
                await until(lambda: live.snap().state is UpdateState.UP_TO_DATE, 30, "the update to finish")
                await until(lambda: live.window.headline_card.headline_icon.icon_name() == "up-to-date", 2)
            finally:
                timer.stop()
            return live.kinds()

    return ticks, run(aloop, body(), 60)


def _summary(ticks: list[float]) -> str:
    gaps = _gaps(ticks)
    top = ", ".join(f"{g * 1000:.1f}" for g in sorted(gaps)[-5:])
    return (
        f"largest gap {max(gaps) * 1000:.1f} ms over {len(ticks)} ticks in {ticks[-1] - ticks[0]:.1f} s; "
        f"five largest (ms): {top}"
    )


def test_event_loop_never_stalls_more_than_50_ms_during_a_full_update(aloop, windows, record_property):
    ticks, kinds = _update_run(aloop, windows)
    assert UpdateState.RUNNING in kinds
    runs = [ticks]
    if max(_gaps(ticks)) > STALL_LIMIT:
        runs.append(_update_run(aloop, windows)[0])  # a one-off descheduling does not repeat; a stall does
    worst = max(_gaps(runs[-1]))
    record_property("max_event_loop_gap_ms", round(worst * 1000, 1))
    report = "; ".join(f"run {i + 1}: {_summary(t)}" for i, t in enumerate(runs))
    assert worst <= STALL_LIMIT, f"the event loop stalled for more than 50 ms in every run: {report}"
    print("\n" + report)
