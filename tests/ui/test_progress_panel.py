"""The progress area during a long update (issue 14), offscreen with a fake clock: the estimate, the amber
stuck-step state with its own icon, the timeline's start and end of it, "IPC answered N s ago" each second,
and the restart-grace headline. Estimates come from a real StepRecorder fed the same states."""

from __future__ import annotations

import pytest

from hmi.core.view import Severity
from hmi.ui import presenter as p
from hmi.ui.window import ConsoleWindow
from tests.presenter.progress_states import recorder, running

from .layout_check import check_main
from .states import FakeClock

WARNING = (
    "This step is taking much longer than on earlier updates (usually 2 min, now 9 min). "
    "Do not switch off. If the IPC still answers, it is working."
)


@pytest.fixture
def make(qtbot, qapp):
    from hmi.app import _prepare_app

    _prepare_app(qapp)

    def build(size=(1280, 800), restart_grace: float = 300.0):
        clock = FakeClock(1000.0)
        window = ConsoleWindow(
            target="127.0.0.1:50051", clock=clock, wall=lambda: 1_700_000_000.0, restart_grace=restart_grace
        )
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        return window, clock

    return build


def show(window: ConsoleWindow, clock: FakeClock, rec, step: int, start: float, end: float) -> None:
    """Polls once a second into the window, as the controller does: the estimate, then the state."""
    t = start
    while True:
        clock.now = t
        state = running(step, now=t)
        window.set_estimate(rec.feed(state.snapshot, t))
        window.set_state(state)
        if t >= end:
            return
        t = min(end, t + 1.0)


def test_the_estimate_and_the_range_show_in_the_progress_area(make) -> None:
    window, clock = make()
    rec = recorder()
    show(window, clock, rec, 1, 999.0, 999.0)
    show(window, clock, rec, 2, 1000.0, 1100.0)
    panel = window.version_panel
    assert panel.progress_text.text() == (
        "Step 3 of 7 · Migrating the database — usually about 2 min here (3 earlier updates), running for 1 min 40 s"
    )
    assert panel.progress_estimate.isVisible() and panel.progress_estimate.text() == "About 6 to 9 min left"
    assert not panel.stuck_box.isVisible()


def test_no_history_says_so(make) -> None:
    window, clock = make()
    rec = recorder(earlier=[])
    show(window, clock, rec, 1, 999.0, 999.0)
    show(window, clock, rec, 2, 1000.0, 1030.0)
    panel = window.version_panel
    assert panel.progress_text.text() == "Step 3 of 7 · Migrating the database."
    assert panel.progress_estimate.text() == "No earlier update to compare with; running for 30 s."


@pytest.mark.parametrize("size", [(1280, 800), (800, 480)], ids=["1280x800", "800x480"])
def test_a_stuck_step_turns_the_progress_area_amber_and_the_timeline_notes_start_and_end(make, qapp, size) -> None:
    window, clock = make(size)
    rec = recorder()
    show(window, clock, rec, 1, 999.0, 999.0)
    show(window, clock, rec, 2, 1000.0, 1300.0)
    panel = window.version_panel
    assert not panel.stuck_box.isVisible()
    show(window, clock, rec, 2, 1301.0, 1540.0)
    assert panel.stuck_box.isVisible()
    assert panel.stuck_box.severity is Severity.DEGRADED  # amber, not the alarm's red
    assert not panel.stuck_box._tone.hatch  # the data is live: amber without the "not live" hatch
    assert panel.stuck_icon.icon_name() == "stuck-step"
    assert panel.stuck_text.text() == WARNING
    qapp.processEvents()  # the layout follows the new text
    assert not panel.stuck_text.is_elided()
    problems = check_main(window)  # nothing clipped, fonts and touch sizes kept
    assert not problems, "\n".join(problems)
    started = [e for e in window.recorder.entries if e.kind == p.TimelineKind.STEP]
    at_start = WARNING.replace("now 9 min", "now 7 min")  # when it started: just over 3 × 130 s
    assert [e.text for e in started] == [at_start] and started[0].severity is Severity.DEGRADED
    show(window, clock, rec, 3, 1560.0, 1561.0)  # the step ends
    assert not panel.stuck_box.isVisible()
    notes = [e.text for e in window.recorder.entries if e.kind == p.TimelineKind.STEP]
    assert notes == [p.STUCK_ENDED, at_start]  # newest first


def test_the_estimate_holds_the_layout_on_a_small_panel(make, qapp) -> None:
    window, clock = make((800, 480))
    rec = recorder()
    show(window, clock, rec, 1, 999.0, 999.0)
    show(window, clock, rec, 2, 1000.0, 1100.0)
    assert window.version_panel.progress_estimate.text() == "About 6 to 9 min left"
    qapp.processEvents()
    problems = check_main(window)
    assert not problems, "\n".join(problems)


def test_the_status_bar_says_when_the_ipc_answered_and_counts_each_second(make) -> None:
    window, clock = make()
    window.set_state(running(2, now=1000.0))
    label = window.status_bar.connection_label
    assert label.text() == "IPC answered 0 s ago"
    clock.now = 1001.0
    window.on_tick()
    assert label.text() == "IPC answered 1 s ago"
    clock.now = 1002.0
    window.on_tick()
    assert label.text() == "IPC answered 2 s ago"
    window.set_state(running(2, now=1002.0))  # a fresh answer
    assert label.text() == "IPC answered 0 s ago"


def test_unreachable_mid_update_is_restarting_then_connection_trouble_after_the_grace(make) -> None:
    window, clock = make(restart_grace=60.0)
    window.set_state(running(4, now=1000.0))
    clock.now = 1010.0
    window.set_state(running(4, now=1010.0, age=10.0, failed=True, error="UNAVAILABLE"))
    title = window.headline_card.headline_title
    assert title.text() == "The IPC is restarting as part of the update; do not switch off."
    assert window.headline_card.headline_icon.icon_name() == "restarting"
    assert window.status_bar.connection_label.text() == "IPC last answered 10 s ago"
    clock.now = 1059.0
    window.on_tick()
    assert title.text() == "The IPC is restarting as part of the update; do not switch off."
    clock.now = 1060.0
    window.on_tick()
    assert title.text() == "Connection trouble: data is not live"
    assert window.headline_card.headline_icon.icon_name() == "stale"
