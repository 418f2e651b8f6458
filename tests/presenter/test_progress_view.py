"""The progress area's words and the liveness rules as pure functions (hmi.ui.presenter, issue 14)."""

from __future__ import annotations

import pytest

from hmi.core.model import Connection
from hmi.core.progress import Estimate, Status
from hmi.core.view import Severity
from hmi.ui import presenter as p
from tests.ui.states import client_state, info

from .progress_states import into_step_3, poll_until, recorder, running

WARNING = (
    "This step is taking much longer than on earlier updates (usually 2 min, now 9 min). "
    "Do not switch off. If the IPC still answers, it is working."
)


def test_the_estimate_reads_as_the_issue_says() -> None:
    rec = recorder()
    t = into_step_3(rec)
    state, e = poll_until(rec, 2, t, t + 100)
    view = p.progress_view(state.snapshot, e)
    assert view.step == (
        "Step 3 of 7 · Migrating the database — usually about 2 min here (3 earlier updates), running for 1 min 40 s"
    )
    assert view.estimate == "About 6 to 9 min left"
    assert not view.stuck and view.warning == "" and view.icon == ""


def test_no_history_invents_no_number() -> None:
    rec = recorder(earlier=[])
    t = into_step_3(rec)
    state = running(2, now=t + 100)
    view = p.progress_view(state.snapshot, rec.feed(state.snapshot, t + 100))
    assert view.step == "Step 3 of 7 · Migrating the database."
    assert view.estimate == "No earlier update to compare with; running for 1 min 40 s."
    assert not any(ch.isdigit() for ch in view.estimate.split(";")[0])


def test_a_stuck_step_has_its_own_icon_and_the_issue_s_words() -> None:
    rec = recorder()
    t = into_step_3(rec)
    state = running(2, now=t + 540)
    e = rec.feed(state.snapshot, t + 540)
    view = p.progress_view(state.snapshot, e)
    assert view.stuck and view.icon == p.STUCK_ICON == "stuck-step"
    assert view.warning == WARNING
    assert view.estimate == ""  # the warning says it: no range once the step runs past every earlier one


def test_the_timeline_hears_when_the_stuck_state_starts_and_ends() -> None:
    rec = recorder()
    t = into_step_3(rec)
    before = rec.feed(running(2, now=t + 300).snapshot, t + 300)
    stuck = rec.feed(running(2, now=t + 540).snapshot, t + 540)
    again = rec.feed(running(2, now=t + 541).snapshot, t + 541)
    ended = rec.feed(running(3, now=t + 600).snapshot, t + 600)
    assert p.stuck_note(None, before) is None
    assert p.stuck_note(before, stuck) == WARNING
    assert p.stuck_note(stuck, again) is None
    assert p.stuck_note(again, ended) == p.STUCK_ENDED


def test_without_an_estimate_the_step_is_shown_as_before() -> None:
    state = running(2, now=1000.0)
    assert p.progress_view(state.snapshot, None).step == "Step 3 of 7 · Migrating the database."
    assert p.progress_view(state.snapshot, Estimate(Status.IDLE)).estimate == ""
    bad = Estimate(Status.INCONSISTENT, running_for=5.0)
    assert p.progress_view(state.snapshot, bad).estimate == "No estimate: not enough consistent data from the IPC."


def test_liveness_text_only_while_an_update_runs() -> None:
    assert p.liveness_text(running(2, now=1001.0, age=1.0), 1001.0) == "IPC answered 1 s ago"
    assert p.liveness_text(client_state(info("available"), now=1001.0, age=1.0), 1001.0) == ""
    assert p.liveness_text(None, 1000.0) == ""
    late = running(2, now=1040.0, age=40.0, failed=True, error="UNAVAILABLE")
    assert p.liveness_text(late, 1040.0) == "IPC last answered 40 s ago"


@pytest.mark.parametrize(("age", "kind"), [(10.0, "restarting"), (299.0, "restarting"), (300.0, "stale")])
def test_unreachable_mid_update_is_restarting_until_the_grace_ends(age: float, kind: str) -> None:
    state = running(4, now=2000.0, age=age, failed=True, error="UNAVAILABLE")
    line = p.console_headline(state, 2000.0, restart_grace=300.0)
    assert line.kind == kind
    if kind == "restarting":
        assert line.title == "The IPC is restarting as part of the update; do not switch off."
        assert line.severity is Severity.ACTIVE
        assert "Last known: Step 5 of 7 · Undoing the turn-down." in line.detail
    else:
        assert line.title == "Connection trouble: data is not live"


def test_the_grace_is_a_setting_and_other_states_keep_their_headline() -> None:
    state = running(4, now=2000.0, age=61.0, failed=True, error="UNAVAILABLE")
    assert p.console_headline(state, 2000.0, restart_grace=60.0).kind == "stale"
    assert p.console_headline(state, 2000.0, restart_grace=120.0).kind == "restarting"
    offline = client_state(info("available"), now=2000.0, age=20.0, failed=True, error="UNAVAILABLE")
    assert p.console_headline(offline, 2000.0).kind == "stale"  # not mid-update: the usual warning at once
    live = running(4, now=2000.0)
    assert p.console_headline(live, 2000.0).kind == "running"
    assert isinstance(live.connection, Connection)
