"""The state file: atomic writes, restart as a power loss, and a bad file left untouched."""

from __future__ import annotations

import json

import pytest

from hmi.cli import main
from hmi.mock.server import start_mock
from hmi.mock.statefile import StateFileError, load_state, save_state
from tests.aio import run
from tests.mock.support import Ipc, poll, state_is


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "state.json"
    assert load_state(path) is None
    save_state(path, {"a": 1, "notes": "ünïcode"})
    save_state(path, {"a": 2, "notes": "ünïcode"})
    assert load_state(path) == {"a": 2, "notes": "ünïcode"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not valid JSON at line 1, column 2"),
        (b"[1, 2]", "expected a JSON object"),
        (b"\xff\xfe", "cannot be read"),
    ],
)
def test_an_unreadable_file_names_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError) as caught:
        load_state(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


@pytest.mark.parametrize(
    ("content", "mentions"),
    [
        ("{ torn", "not valid JSON"),
        ('{"format": 1, "scenario": "approval"}', "mode: missing"),
        ('{"format": 1, "scenario": "demo"}', 'belongs to scenario "demo"'),
    ],
)
def test_start_mock_refuses_a_bad_state_file_and_never_overwrites_it(tmp_path, content, mentions):
    path = tmp_path / "state.json"
    path.write_text(content)

    async def scenario() -> None:
        with pytest.raises(StateFileError) as caught:
            await start_mock(scenario="approval", state_file=path)
        assert str(path) in str(caught.value) and mentions in str(caught.value)

    run(scenario())
    assert path.read_text() == content
    # Only the file itself, and the lock sidecar that keeps a second mock off it (hmi.core.filelock).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".state.json.lock", "state.json"]


def test_the_cli_exits_2_on_a_corrupt_state_file_and_keeps_it(tmp_path, capsys):
    path = tmp_path / "state.json"
    path.write_bytes(b"\x00garbage")
    assert main(["mock", "--scenario", "approval", "--state-file", str(path)]) == 2
    assert str(path) in capsys.readouterr().err
    assert path.read_bytes() == b"\x00garbage"


def test_a_missing_folder_is_refused_before_serving(tmp_path):
    async def scenario() -> None:
        with pytest.raises(StateFileError, match="does not exist"):
            await start_mock(scenario="approval", state_file=tmp_path / "no" / "state.json")

    run(scenario())


def test_every_transition_is_saved_and_a_restart_resumes(tmp_path):
    path = tmp_path / "state.json"

    async def first() -> None:
        async with await start_mock(scenario="approval", speed=1, state_file=path) as mock, Ipc(mock.address) as ipc:
            assert json.loads(path.read_text())["next_release"] == 1
            await ipc.approve("1.5.0")
            record = json.loads(path.read_text())
            assert record["running"] is True and record["assigned"] == "1.5.0"

    async def second() -> None:
        async with await start_mock(scenario="approval", speed=1, state_file=path) as mock, Ipc(mock.address) as ipc:
            info = await poll(ipc.info, state_is("STATE_FAULT"), within=5)
            assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")

    run(first())
    run(second())
    events = [e["message"] for e in json.loads(path.read_text())["events"]]
    assert any(m.startswith('Update to "1.5.0" started') for m in events)
    assert any(m.startswith("Power restored") for m in events)
