"""Per-stage durations with jitter, the slow-step scenario, and the estimator learning from the mock (issue 14)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core.model import snapshot_from_proto
from hmi.core.progress import ProgressSettings, Status
from hmi.core.stephistory import StepHistory, StepRecorder
from hmi.mock.clock import FakeClock
from hmi.mock.engine import Engine, State
from hmi.mock.scenarios import ScenarioError, load_scenario, parse_scenario
from hmi.mock.stages import STAGE_NAMES

BASE: dict[str, Any] = {
    "installed": {"version_id": "1.0"},
    "mode": "automatic",
    "releases": [{"version_id": "2.0", "delay": 1}],
}


def planned(engine: Engine) -> list[float]:
    return [s["duration"] for s in engine.snapshot()["stages"]]


def run_one_update(scenario_data: dict[str, Any]) -> list[float]:
    """Runs the scenario's first update to its end on a fake clock; the durations the stages really took."""
    clock = FakeClock()
    engine = Engine(parse_scenario(scenario_data, "<test>"), clock)
    clock.advance(10)  # published and started by the auto start
    for _ in range(1000):
        if engine.state is not State.RUNNING:
            break
        clock.advance(0.5)
    stages = engine.snapshot()["stages"]
    assert all(s["status"] == "completed" for s in stages)
    return planned(engine)


def test_the_same_seed_gives_the_same_durations_and_another_seed_others() -> None:
    data = {**BASE, "jitter": 0.3, "seed": 7}
    first, again = run_one_update(data), run_one_update(data)
    assert first == again
    assert run_one_update({**data, "seed": 8}) != first
    defaults = load_scenario("automatic").durations
    assert first != [defaults[n] for n in STAGE_NAMES]  # jitter really changes them


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 0.9), st.integers(0, 2**32 - 1))
def test_jitter_stays_within_its_bounds(jitter: float, seed: int) -> None:
    durations = run_one_update({**BASE, "jitter": jitter, "seed": seed})
    defaults = load_scenario("automatic").durations
    for name, d in zip(STAGE_NAMES, durations, strict=True):
        assert defaults[name] * (1 - jitter) - 1e-9 <= d <= defaults[name] * (1 + jitter) + 1e-9


def test_a_slow_stage_runs_slow_factor_times_longer() -> None:
    data = {**BASE, "releases": [{"version_id": "2.0", "delay": 1, "slow_at": "migrate database", "slow_factor": 10}]}
    durations = dict(zip(STAGE_NAMES, run_one_update(data), strict=True))
    assert durations["migrate database"] == 10 * load_scenario("automatic").duration("migrate database")
    assert durations["download"] == load_scenario("automatic").duration("download")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"jitter": 1.5}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
        ({"jitter": math.nan}, "jitter"),
        ({"jitter": "0.1"}, "jitter"),
        ({"jitter": True}, "jitter"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": 2**40}, "seed"),
        ({"releases": [{"version_id": "2.0", "slow_at": "nap"}]}, "releases[0].slow_at"),
        ({"releases": [{"version_id": "2.0", "slow_factor": 0.5}]}, "releases[0].slow_factor"),
        ({"releases": [{"version_id": "2.0", "slow_factor": math.inf}]}, "releases[0].slow_factor"),
        ({"releases": [{"version_id": "2.0", "slow_factor": "10"}]}, "releases[0].slow_factor"),
    ],
)
def test_bad_new_keys_name_the_key(change: dict[str, Any], where: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({**BASE, **change}, "x.toml")
    assert caught.value.where == where and caught.value.source == "x.toml"


def test_the_slow_step_scenario_shows_the_estimate_then_the_stuck_warning(tmp_path: Path) -> None:
    """Polls the built-in scenario once a second on a fake clock, as the console would, through a real history file."""
    scenario = load_scenario("slow-step")
    assert scenario.jitter > 0 and scenario.releases[1].slow_at == "migrate database"
    clock = FakeClock()
    engine = Engine(scenario, clock)
    history = StepHistory.open(tmp_path / "steps.sqlite3")
    recorder = StepRecorder("mock:slow-step", history, settings=ProgressSettings())
    seen: list[tuple[str, str, bool]] = []  # (version, status, stuck) while migrating on the second update
    texts: dict[str, str] = {}
    previous = None
    for _ in range(1500):  # 1500 scenario seconds, far more than the two updates take
        clock.advance(1.0)
        snap = snapshot_from_proto(
            engine.update_info(), received_at=clock.time(), received_wall=clock.time(), previous=previous
        )
        previous = snap
        e = recorder.feed(snap, clock.time())
        assert recorder.flush()
        if snap.available and snap.available.version_id == "1.6.0" and e.step and e.step.index == 2:
            seen.append((snap.available.version_id, e.status.value, e.stuck))
            texts.setdefault("stuck" if e.stuck else "estimate", e.step_text + " | " + e.remaining_text + e.stuck_text)
        if engine.snapshot()["active"] == "1.6.0" and engine.state is State.UP_TO_DATE:
            break
    history.close()
    statuses = [(s, stuck) for _, s, stuck in seen]
    assert statuses[0] == ("estimate", False)
    assert ("estimate", True) in statuses
    assert statuses.index(("estimate", True)) > 250  # after stuck_minimum (300 s) less a poll or two
    assert "usually about 40 s here (1 earlier update), running for" in texts["estimate"]
    assert "min left" in texts["estimate"]
    assert texts["stuck"].endswith("Do not switch off. If the IPC still answers, it is working.")
    assert "This step is taking much longer than on earlier updates (usually 40 s, now 5 min)" in texts["stuck"]
    # The history survived: reopened, it has both updates, all seven steps trusted for the first.
    with StepHistory.open(tmp_path / "steps.sqlite3") as reopened:
        rows = reopened.records("mock:slow-step")
    runs = {r.run_id for r in rows}
    assert len(runs) == 2 and all(r.trusted for r in rows)
    assert sorted(r.key.index for r in rows) == sorted(list(range(7)) * 2)


def test_settings_scale_with_the_demo_speed() -> None:
    s = ProgressSettings().scaled(10)
    assert (s.stuck_factor, s.stuck_minimum, s.stuck_without_history) == (3.0, 30.0, 120.0)
    with pytest.raises(ValueError):
        ProgressSettings().scaled(0)


def test_the_demo_thresholds_fire_within_a_minute_at_speed_10() -> None:
    """At --demo-speed 10, polled once a real second, the scaled warning comes within 60 s of the start."""
    clock = FakeClock()
    engine = Engine(load_scenario("slow-step"), clock)
    recorder = StepRecorder("demo", None, settings=ProgressSettings().scaled(10))
    first_estimate = first_stuck = None
    for second in range(1, 150):
        clock.advance(10.0)  # one real second is ten scenario seconds
        snap = snapshot_from_proto(engine.update_info(), received_at=second, received_wall=second)
        e = recorder.feed(snap, second)
        if e.status is Status.ESTIMATE and first_estimate is None:
            first_estimate = second
        if e.stuck:
            first_stuck = second
            break
    assert first_estimate is not None and first_stuck is not None and first_estimate < first_stuck < 60
    assert recorder.tracker.step is not None and recorder.tracker.step.description == "Migrating the database."
