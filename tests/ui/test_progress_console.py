"""The console learns step durations from the real mock over loopback gRPC (issue 14).

- Step history survives a console restart: one console records the slow-step scenario's first update
  into steps.sqlite3 and closes; a new console (new controller and window) on the same file shows the
  estimate for the second update.
- The demo (`--demo --demo-scenario slow-step`, sped up, thresholds scaled by the same speed) shows the
  estimate, then the range, then the stuck-step warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hmi.app import build_console
from hmi.core.config import ClientConfig
from hmi.core.progress import Status
from hmi.core.stephistory import StepHistory
from hmi.mock.server import start_mock

from .conftest import run, until

pytestmark = pytest.mark.slow


def full_runs(records) -> int:
    by_run: dict[str, set[int]] = {}
    for r in records:
        if r.trusted:
            by_run.setdefault(r.run_id, set()).add(r.key.index)
    return sum(1 for steps in by_run.values() if steps == set(range(7)))


def test_step_history_survives_a_console_restart(aloop, windows, tmp_path: Path) -> None:
    steps = tmp_path / "data" / "steps.sqlite3"

    async def body() -> None:
        mock = await start_mock(scenario="slow-step", speed=50)
        config = ClientConfig(target=mock.address, poll_interval=0.05, deadline=1.0)
        try:
            first, c1 = build_console(config, steps_path=steps)
            windows.append(first)
            await c1.start()
            await until(lambda: full_runs(c1.recorder.known) == 1, 20, "the first update recorded")
            await c1.aclose()  # writes what is pending, lets the writer lock go
            first.force_close()
            with StepHistory.open(steps) as h:
                assert full_runs(h.records(mock.address)) == 1

            second, c2 = build_console(config, steps_path=steps)  # the console starts again
            windows.append(second)
            shown: list[object] = []
            c2.progressChanged.connect(shown.append)
            await c2.start()
            assert full_runs(c2.recorder.known) == 1  # read back at start
            await until(lambda: "usually about" in second.version_panel.progress_text.text(), 20, "the estimate")
            assert any(e.status is Status.ESTIMATE and e.earlier == 1 for e in shown)
            await c2.aclose()
        finally:
            await mock.stop(grace=None)

    run(aloop, body(), 60)


def test_the_slow_step_demo_shows_the_estimate_the_range_then_the_warning(aloop, windows) -> None:
    async def body() -> None:
        window, controller = build_console(ClientConfig(poll_interval=0.05), demo=True, scenario="slow-step", speed=50)
        windows.append(window)
        assert controller.progress_config.stuck_minimum == 300 / 50  # the demo scales the thresholds
        shown: list[object] = []
        controller.progressChanged.connect(shown.append)
        window.show()
        await controller.start()
        panel = window.version_panel
        await until(lambda: panel.stuck_box.isVisible(), 40, "the stuck-step warning")
        assert panel.stuck_text.text().startswith("This step is taking much longer than on earlier updates")
        first = {}
        for i, e in enumerate(shown):
            for kind, yes in (("estimate", e.status is Status.ESTIMATE), ("range", e.remaining), ("stuck", e.stuck)):
                if yes:
                    first.setdefault(kind, i)
        assert first["estimate"] <= first["range"] < first["stuck"], first
        await controller.aclose()

    run(aloop, body(), 60)


def test_the_first_poll_does_not_wait_for_the_step_history(aloop, windows, tmp_path: Path, monkeypatch) -> None:
    """The step history opens in the worker thread while the first poll is out: with an opening slowed to 0.5 s,
    the first data is shown before it is open, and the state of that moment is fed to the recorder once it is."""
    import threading

    opened = threading.Event()
    real_open = StepHistory.open

    def slow_open(path: Path) -> StepHistory:
        assert threading.current_thread() is not threading.main_thread()  # never on the GUI thread
        opened.wait(0.5)  # released by the test as soon as the first data is on screen (or after 0.5 s)
        return real_open(path)

    monkeypatch.setattr(StepHistory, "open", staticmethod(slow_open))

    async def body() -> None:
        mock = await start_mock(scenario="slow-step", speed=50)
        config = ClientConfig(target=mock.address, poll_interval=0.05, deadline=1.0)
        try:
            window, controller = build_console(config, steps_path=tmp_path / "steps.sqlite3")
            windows.append(window)
            first_data: list[bool] = []
            controller.firstData.connect(lambda: first_data.append(controller.recorder is None))
            shown: list[object] = []
            controller.progressChanged.connect(shown.append)
            starting = aloop.create_task(controller.start())
            await until(lambda: bool(first_data), 10, "the first data")
            assert first_data == [True]  # shown while the step history was still opening
            opened.set()
            await starting
            assert controller.recorder is not None and shown  # the latest state went to the recorder at once
            await controller.aclose()
        finally:
            await mock.stop(grace=None)

    run(aloop, body(), 30)
