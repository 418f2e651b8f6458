"""The stage engine on a fake clock: every transition and every ApproveUpdate rule, in milliseconds."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.mock.clock import FakeClock
from hmi.mock.engine import Engine, EngineError, State
from hmi.mock.scenarios import Mode, Release, Scenario, load_scenario
from hmi.mock.stages import STAGE_NAMES
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

S = pb.UpdateInfo
CODE = grpc.StatusCode
TOTAL = 27.0  # the default stage durations add up to this


def make(name: str = "approval", **changes: object) -> tuple[Engine, FakeClock]:
    scenario = load_scenario(name)
    if changes:
        scenario = dataclasses.replace(scenario, **changes)
    clock = FakeClock()
    return Engine(scenario, clock), clock


def refused(code: grpc.StatusCode, fn, *args) -> str:
    with pytest.raises(EngineError) as caught:
        fn(*args)
    assert caught.value.code is code, caught.value.message
    return caught.value.message


def assert_consistent(info: pb.UpdateInfo) -> None:
    """The shape each state promises (docs/mock.md, "What the engine does")."""
    assert info.HasField("current") and info.current.version_id
    if info.state == S.STATE_UP_TO_DATE:
        assert not info.HasField("available") and not info.HasField("progress")
    elif info.state == S.STATE_UPDATE_AVAILABLE:
        assert info.HasField("available") and not info.HasField("progress")
        assert info.available.version_id != info.current.version_id
    elif info.state == S.STATE_UPDATE_RUNNING:
        p = info.progress
        assert info.HasField("available")
        assert p.HasField("current_step") and p.HasField("total_steps") and p.description
        assert 0 <= p.current_step < p.total_steps == len(STAGE_NAMES)
    elif info.state == S.STATE_FAULT:
        assert info.HasField("available") and not info.HasField("progress")
    else:
        pytest.fail(f"unexpected state {info.state}")


def statuses(engine: Engine) -> list[str]:
    return [s["status"] for s in engine.snapshot()["stages"]]


# ---- states and what ReportUpdateInfo shows -----------------------------------------------------


def test_up_to_date_has_no_available_and_no_progress():
    engine, _ = make(releases=())
    info = engine.update_info()
    assert info.state == S.STATE_UP_TO_DATE and info.current.version_id == "1.4.2"
    assert_consistent(info)


def test_update_available_at_start_with_notes():
    engine, _ = make()
    info = engine.update_info()
    assert info.state == S.STATE_UPDATE_AVAILABLE
    assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
    assert info.available.HasField("update_notes") and "1.5.0" in info.available.update_notes
    assert_consistent(info)


def test_update_info_is_a_copy():
    engine, _ = make()
    engine.update_info().current.version_id = "tampered"
    assert engine.update_info().current.version_id == "1.4.2"


def test_approved_update_runs_every_stage_in_order_and_becomes_last_known_good():
    engine, clock = make()
    engine.approve("1.5.0")
    seen = []
    for _ in range(200):  # 0.25 s steps over a 27 s update
        info = engine.update_info()
        assert_consistent(info)
        if info.state != S.STATE_UPDATE_RUNNING:
            break
        assert info.available.version_id == "1.5.0"
        if not seen or seen[-1][0] != info.progress.current_step:
            seen.append((info.progress.current_step, info.progress.description, info.current.version_id))
        clock.advance(0.25)
    assert [s[0] for s in seen] == list(range(7))
    assert seen[0][1] == "Downloading version 1.5.0."
    # The new version runs once "write new configs" completes; the health check follows on it.
    assert [s[2] for s in seen] == ["1.4.2"] * 4 + ["1.5.0"] * 3
    assert info.state == S.STATE_UP_TO_DATE and info.current.version_id == "1.5.0"
    assert engine.last_known_good == "1.5.0" and engine.assigned == "1.5.0"
    assert statuses(engine) == ["completed"] * 7


def test_last_known_good_changes_only_after_the_health_check_passes():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(TOTAL - 0.5)  # inside the health check
    assert engine.active == "1.5.0" and engine.last_known_good == "1.4.2"
    clock.advance(0.5)
    assert engine.last_known_good == "1.5.0"


def test_stage_table_has_times_and_leveled_logs():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(TOTAL)
    stages = engine.snapshot()["stages"]
    assert stages[0]["started_at"] == "2023-11-14T22:13:20.000Z"
    assert stages[0]["finished_at"] == "2023-11-14T22:13:25.000Z"
    levels = {log["level"] for stage in stages for log in stage["logs"]}
    assert {"info", "warning", "success"} <= levels
    assert all(stage["logs"][-1]["level"] == "success" for stage in stages)


# ---- ApproveUpdate rules --------------------------------------------------------------------------


def test_approve_empty_id_is_invalid_argument():
    engine, _ = make()
    assert "empty" in refused(CODE.INVALID_ARGUMENT, engine.approve, "")


def test_approve_another_id_names_both():
    engine, _ = make()
    message = refused(CODE.FAILED_PRECONDITION, engine.approve, "1.4.9")
    assert message == 'version "1.4.9" is not the offered version "1.5.0"'
    assert engine.state is State.UPDATE_AVAILABLE


def test_approve_with_nothing_offered_says_so():
    engine, _ = make(releases=())
    message = refused(CODE.FAILED_PRECONDITION, engine.approve, "1.5.0")
    assert message.startswith("nothing to approve") and '"1.4.2"' in message and '"1.5.0"' in message


def test_approve_the_running_version_again_is_ok_and_changes_nothing():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(6)
    calls = []
    engine.add_listener(lambda e: calls.append(1))
    before = engine.snapshot()
    engine.approve("1.5.0")
    assert engine.snapshot() == before and calls == []


def test_approve_another_id_while_running_names_both():
    engine, _ = make()
    engine.approve("1.5.0")
    message = refused(CODE.FAILED_PRECONDITION, engine.approve, "1.6.0")
    assert '"1.6.0"' in message and '"1.5.0"' in message
    assert engine.state is State.RUNNING


def test_approve_the_installed_version_when_up_to_date_is_nothing_to_approve():
    engine, _ = make(releases=())
    assert "nothing to approve" in refused(CODE.FAILED_PRECONDITION, engine.approve, "1.4.2")


def test_approve_while_power_is_off_is_unavailable():
    engine, _ = make()
    engine.power_loss()
    refused(CODE.UNAVAILABLE, engine.approve, "1.5.0")
    refused(CODE.UNAVAILABLE, engine.update_info)


def test_approve_in_automatic_mode_starts_at_once_and_follows_the_same_rules():
    engine, clock = make("automatic")
    clock.advance(4)  # the release appears
    assert engine.state is State.UPDATE_AVAILABLE
    assert "is not the offered version" in refused(CODE.FAILED_PRECONDITION, engine.approve, "9.9")
    refused(CODE.INVALID_ARGUMENT, engine.approve, "")
    engine.approve("1.5.0")
    assert engine.state is State.RUNNING
    engine.approve("1.5.0")  # the running one: OK, no change
    assert engine.update_info().progress.current_step == 0


# ---- automatic mode ---------------------------------------------------------------------------


def test_automatic_mode_installs_by_itself_after_a_short_delay():
    engine, clock = make("automatic")
    assert engine.state is State.UP_TO_DATE
    clock.advance(4)
    assert engine.state is State.UPDATE_AVAILABLE
    clock.advance(1.9)
    assert engine.state is State.UPDATE_AVAILABLE
    clock.advance(0.1)
    assert engine.state is State.RUNNING
    clock.advance(TOTAL)
    assert engine.state is State.UP_TO_DATE and engine.active == "1.5.0"


def test_switching_to_automatic_starts_the_offered_version():
    engine, clock = make()
    engine.set_mode("automatic")
    clock.advance(2)
    assert engine.state is State.RUNNING and engine.assigned == "1.5.0"


def test_switching_back_to_approval_cancels_the_pending_automatic_start():
    engine, clock = make("automatic")
    clock.advance(5)
    engine.set_mode("approval")
    clock.advance(10)
    assert engine.state is State.UPDATE_AVAILABLE


def test_set_mode_rejects_unknown_modes():
    engine, _ = make()
    assert '"sometimes"' in refused(CODE.INVALID_ARGUMENT, engine.set_mode, "sometimes")


def test_a_fault_waits_for_an_operator_even_in_automatic_mode():
    engine, clock = make("fault", mode=Mode.AUTOMATIC)
    clock.advance(2 + TOTAL)
    assert engine.state is State.FAULT
    clock.advance(100)
    assert engine.state is State.FAULT


# ---- faults and rollback -------------------------------------------------------------------------


def test_fault_rolls_back_to_last_known_good_and_offers_a_retry_that_succeeds():
    engine, clock = make("fault")
    engine.approve("1.5.0")
    clock.advance(TOTAL)
    info = engine.update_info()
    assert info.state == S.STATE_FAULT
    assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
    assert_consistent(info)
    assert statuses(engine) == ["rolled back"] * 6 + ["failed"]
    assert engine.last_known_good == "1.4.2" and engine.active == "1.4.2"
    events = [e["message"] for e in engine.snapshot()["events"]]
    assert any('failed in stage "check health"' in m and "Rolled back" in m for m in events)
    engine.approve("1.5.0")
    clock.advance(TOTAL)
    assert engine.state is State.UP_TO_DATE and engine.last_known_good == "1.5.0"


def test_fail_now_fails_the_running_stage_and_rolls_back_the_earlier_ones():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(9)  # in "migrate database"
    engine.fail()
    assert statuses(engine) == ["rolled back", "rolled back", "failed"] + ["unstarted"] * 4
    assert engine.state is State.FAULT and engine.active == "1.4.2"
    clock.advance(100)  # no stage timer survives the failure
    assert engine.state is State.FAULT


def test_fail_after_the_new_version_is_active_rolls_back_to_last_known_good():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(15)
    assert engine.active == "1.5.0"
    engine.fail()
    assert engine.active == "1.4.2" and engine.update_info().current.version_id == "1.4.2"


def test_fail_with_nothing_running_is_refused():
    engine, _ = make()
    assert "no update is running" in refused(CODE.FAILED_PRECONDITION, engine.fail)


# ---- power loss -----------------------------------------------------------------------------------


def test_power_loss_mid_update_comes_back_as_fault_on_last_known_good():
    engine, clock = make("power-loss")
    engine.approve("1.5.0")
    clock.advance(8 + 2)  # half-way through "migrate database": power goes
    assert not engine.powered
    refused(CODE.UNAVAILABLE, engine.update_info)
    clock.advance(3)  # restart_delay
    info = engine.update_info()
    assert info.state == S.STATE_FAULT
    assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
    assert statuses(engine) == ["rolled back", "rolled back", "failed"] + ["unstarted"] * 4
    events = [e["message"] for e in engine.snapshot()["events"]]
    assert "Power lost." in events and "Power restored." in events
    engine.approve("1.5.0")  # the retry has power all the way
    clock.advance(TOTAL)
    assert engine.state is State.UP_TO_DATE


def test_power_loss_while_idle_comes_back_in_the_same_state():
    engine, clock = make()
    engine.power_loss()
    assert "no power" in refused(CODE.FAILED_PRECONDITION, engine.power_loss)
    clock.advance(3)
    assert engine.powered and engine.state is State.UPDATE_AVAILABLE


# ---- release feed ----------------------------------------------------------------------------------


def test_the_newest_published_version_is_offered():
    engine, _ = make()
    engine.publish("1.5.1", "notes")
    engine.publish("1.5.0-hotfix")  # opaque ids: publication order decides, not the text
    assert engine.update_info().available.version_id == "1.5.0-hotfix"
    assert not engine.update_info().available.HasField("update_notes")
    message = refused(CODE.FAILED_PRECONDITION, engine.approve, "1.5.1")
    assert message == 'version "1.5.1" is not the offered version "1.5.0-hotfix"'


def test_publish_rules():
    engine, _ = make()
    refused(CODE.INVALID_ARGUMENT, engine.publish, "")
    assert "check health" in refused(CODE.INVALID_ARGUMENT, engine.publish, "2.0", None, "reboot")
    assert '"1.5.0"' in refused(CODE.ALREADY_EXISTS, engine.publish, "1.5.0")
    refused(CODE.ALREADY_EXISTS, engine.publish, "1.4.2")


def test_a_version_published_while_running_is_offered_after_the_update():
    engine, clock = make()
    engine.approve("1.5.0")
    engine.publish("1.6.0")
    assert engine.update_info().available.version_id == "1.5.0"
    refused(CODE.FAILED_PRECONDITION, engine.approve, "1.6.0")
    clock.advance(TOTAL)
    info = engine.update_info()
    assert info.state == S.STATE_UPDATE_AVAILABLE and info.available.version_id == "1.6.0"


def test_published_fail_at_fails_the_first_attempt_only():
    engine, clock = make(releases=())
    engine.publish("2.0", fail_at="download")
    engine.approve("2.0")
    clock.advance(2.5)
    assert engine.state is State.FAULT and statuses(engine)[0] == "failed"
    engine.approve("2.0")
    clock.advance(TOTAL)
    assert engine.state is State.UP_TO_DATE and engine.active == "2.0"


def test_reset_goes_back_to_the_start_and_keeps_the_event_log():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(TOTAL)
    engine.set_mode("automatic")
    events_before = len(engine.snapshot()["events"])
    engine.reset()
    snap = engine.snapshot()
    assert (snap["state"], snap["active"], snap["mode"]) == ("STATE_UPDATE_AVAILABLE", "1.4.2", "approval")
    messages = [e["message"] for e in snap["events"]]
    assert messages[events_before].startswith("Reset") and "published" in messages[-1]
    assert statuses(engine) == ["unstarted"] * 7


# ---- built-in stories ---------------------------------------------------------------------------


def test_race_supersedes_the_offered_build_while_approval_is_pending_and_stops_after_approval():
    engine, clock = make("race")
    assert engine.update_info().available.version_id == "2.0.0-rc.1"
    clock.advance(4)
    assert engine.update_info().available.version_id == "2.0.0-rc.2"
    message = refused(CODE.FAILED_PRECONDITION, engine.approve, "2.0.0-rc.1")
    assert message == 'version "2.0.0-rc.1" is not the offered version "2.0.0-rc.2"'
    engine.approve("2.0.0-rc.2")
    clock.advance(TOTAL + 40)
    assert engine.state is State.UP_TO_DATE and engine.active == "2.0.0-rc.2"


def test_race_is_bounded():
    engine, clock = make("race")
    clock.advance(4 * 100)
    feed = engine.snapshot()["feed"]
    assert len(feed) == 1 + 30 and feed[-1]["version_id"] == "2.0.0-rc.30"
    assert clock.pending() == 0


def test_demo_story_loops():
    engine, clock = make("demo")
    assert engine.state is State.UP_TO_DATE
    clock.advance(10)
    info = engine.update_info()
    assert info.state == S.STATE_UPDATE_AVAILABLE and info.available.version_id == "1.5.0"
    notes = info.available.update_notes
    assert all(mark in notes for mark in ("# Release 1.5.0", "\n- ", "](https://", "|-----"))
    clock.advance(3600)  # it waits for approval indefinitely
    assert engine.state is State.UPDATE_AVAILABLE
    engine.approve("1.5.0")
    clock.advance(32)
    assert engine.state is State.UP_TO_DATE and engine.last_known_good == "1.5.0"
    clock.advance(20)
    assert engine.update_info().available.version_id == "1.6.0"
    engine.approve("1.6.0")
    clock.advance(32)
    info = engine.update_info()
    assert info.state == S.STATE_FAULT and info.current.version_id == "1.5.0"
    clock.advance(25)  # the story starts over
    assert engine.state is State.UP_TO_DATE and engine.active == "1.4.2"
    clock.advance(10)
    assert engine.update_info().available.version_id == "1.5.0"


# ---- records (the state file's content) -----------------------------------------------------------


def test_record_round_trip_keeps_everything_and_notes_the_restart():
    engine, clock = make()
    engine.publish("1.6.0", "six", fail_at="check health")
    restored = Engine(engine.scenario, clock, record=engine.to_record())
    a, b = engine.snapshot(), restored.snapshot()
    assert b["events"][:-1] == a["events"] and "state file" in b["events"][-1]["message"]
    assert {k: v for k, v in a.items() if k != "events"} == {k: v for k, v in b.items() if k != "events"}


def test_a_record_written_while_running_restores_as_a_power_loss():
    engine, clock = make()
    engine.approve("1.5.0")
    clock.advance(9)
    restored = Engine(engine.scenario, clock, record=engine.to_record())
    info = restored.update_info()
    assert info.state == S.STATE_FAULT
    assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
    events = [e["message"] for e in restored.snapshot()["events"]]
    assert events[: len(engine.snapshot()["events"])] == [e["message"] for e in engine.snapshot()["events"]]
    assert events[-2].startswith("Power restored") and "interrupted" not in events[-2]
    assert "Interrupted by a power loss" in events[-1]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"format": 99}, "format"),
        ({"scenario": "demo"}, "scenario"),
        ({"mode": "sometimes"}, "mode"),
        ({"running": "yes"}, "running"),
        ({"feed": []}, "feed"),
        ({"stages": []}, "stages"),
    ],
)
def test_a_record_that_does_not_fit_names_the_key(change, key):
    engine, clock = make()
    record = engine.to_record() | change
    with pytest.raises(ValueError, match=rf"^{key}\b"):
        Engine(engine.scenario, clock, record=record)


def test_a_nested_bad_value_names_its_path():
    engine, clock = make()
    record = engine.to_record()
    record["stages"][2]["status"] = "exploded"
    with pytest.raises(ValueError, match=r"stages\[2\]\.status"):
        Engine(engine.scenario, clock, record=record)


# ---- every reachable state is consistent -----------------------------------------------------------

_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.sampled_from([0.0, 0.5, 1.0, 2.5, 4.0, 10.0, 40.0])),
        st.tuples(st.just("approve_offered"), st.none()),
        st.tuples(st.just("approve"), st.sampled_from(["", "1.4.2", "1.5.0", "1.6.0", "x"])),
        st.tuples(st.just("publish"), st.sampled_from(["1.6.0", "1.7.0", "1.5.0"])),
        st.tuples(st.just("publish_failing"), st.sampled_from(STAGE_NAMES)),
        st.tuples(st.just("mode"), st.sampled_from(["approval", "automatic"])),
        st.tuples(st.just("fail"), st.none()),
        st.tuples(st.just("power_loss"), st.none()),
        st.tuples(st.just("reset"), st.none()),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(["approval", "automatic", "fault", "power-loss", "race", "demo"]), actions=_ACTIONS)
def test_any_sequence_of_events_keeps_update_info_consistent(name, actions):
    engine, clock = make(name)
    for kind, arg in actions:
        try:
            if kind == "advance":
                clock.advance(arg)
            elif kind == "approve_offered":
                if engine.state is not State.RUNNING and (offered := engine.offered()):
                    engine.approve(offered.version_id)
            elif kind == "approve":
                engine.approve(arg)
            elif kind == "publish":
                engine.publish(arg)
            elif kind == "publish_failing":
                engine.publish(f"f-{len(engine.snapshot()['feed'])}", fail_at=arg)
            elif kind == "mode":
                engine.set_mode(arg)
            elif kind == "fail":
                engine.fail()
            elif kind == "power_loss":
                engine.power_loss()
            elif kind == "reset":
                engine.reset()
        except EngineError:
            pass
        if engine.powered:
            info = engine.update_info()
            assert_consistent(info)
            assert info.current.version_id == engine.active
            if info.state == S.STATE_FAULT:
                assert engine.active == engine.last_known_good
        snap = engine.snapshot()
        assert snap["state"] == engine.state.value
        # While the power is off mid-update the stage stays underway until the restart rolls it back.
        assert statuses(engine).count("underway") == (1 if engine.state is State.RUNNING else 0)


def test_a_scenario_built_in_code_works_without_a_file():
    scenario = Scenario(name="inline", installed="1", releases=(Release("2", delay=1.0),))
    engine = Engine(scenario, FakeClock())
    assert engine.state is State.UP_TO_DATE
