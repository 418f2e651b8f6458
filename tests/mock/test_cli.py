"""`ipc-hmi mock` as a real process (listening line, signals, SIGKILL mid-update) and `ipc-hmi mock-ctl`."""

from __future__ import annotations

import json
import signal
import socket

import pytest

from hmi.cli import main
from tests.aio import run
from tests.mock.support import Ipc, kill9, mock_process, poll, state_is


def test_help_lists_mock_and_mock_ctl(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "mock-ctl" in out and "mock " in out


@pytest.mark.parametrize("speed", ["0", "-1", "fast", "nan"])
def test_speed_must_be_greater_than_0(speed, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["mock", "--speed", speed])
    assert caught.value.code == 2 and "--speed" in capsys.readouterr().err


def test_a_non_loopback_listen_exits_2(capsys):
    assert main(["mock", "--listen", "0.0.0.0:0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_mock_ctl_against_nothing_exits_4(capsys):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["mock-ctl", "--target", f"127.0.0.1:{port}", "state"]) == 4
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.slow
def test_sigkill_mid_update_comes_back_as_power_loss_with_history_then_sigterm_exits_0(tmp_path, capsys):
    path = tmp_path / "state.json"
    args = ("--scenario", "approval", "--speed", "2", "--state-file", str(path))
    with mock_process(*args) as first:
        address = first.wait_listening()

        async def approve() -> None:
            async with Ipc(address) as ipc:
                await ipc.approve("1.5.0")
                await poll(ipc.info, state_is("STATE_UPDATE_RUNNING"))

        run(approve())
        kill9(first)
    before = json.loads(path.read_text())
    assert before["running"] is True
    with mock_process(*args) as second:
        address = second.wait_listening()

        async def check() -> None:
            async with Ipc(address) as ipc:
                info = await ipc.info()
                assert info.state == pb_state("STATE_FAULT")
                assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
                assert not info.HasField("progress")

        run(check())
        assert main(["mock-ctl", "--target", address, "state", "--json"]) == 0
        state = json.loads(capsys.readouterr().out)
        messages = [e["message"] for e in state["events"]]
        assert messages[: len(before["events"])] == [e["message"] for e in before["events"]]
        assert any(m.startswith("Power restored") for m in messages)
        assert state["last_known_good"] == "1.4.2" and "failed" in {s["status"] for s in state["stages"]}
        assert main(["mock-ctl", "--target", address, "state"]) == 0
        table = capsys.readouterr().out
        assert "STATE_FAULT" in table and "last known good  1.4.2" in table
        second.signal(signal.SIGTERM)
        assert second.wait() == 0
    assert json.loads(path.read_text())["fault"] is True


@pytest.mark.slow
def test_sigint_stops_cleanly_and_mock_ctl_verbs_work(tmp_path, capsys):
    notes = tmp_path / "notes.md"
    notes.write_text("# 9.0\n\n- everything\n")
    with mock_process("--scenario", "approval", "--speed", "1") as child:
        address = child.wait_listening()
        ctl = ["mock-ctl", "--target", address]
        assert main([*ctl, "publish", "9.0", "--notes-file", str(notes), "--fail-at", "download"]) == 0
        assert main([*ctl, "publish", "9.0"]) == 3  # already published: refused
        assert main([*ctl, "fail"]) == 3  # nothing running: refused
        assert main([*ctl, "mode", "automatic"]) == 0
        assert main([*ctl, "power-loss"]) == 0
        assert main([*ctl, "reset"]) == 0
        capsys.readouterr()
        assert main([*ctl, "state", "--json"]) == 0
        state = json.loads(capsys.readouterr().out)
        assert state["mode"] == "approval" and state["offered"] == "1.5.0"
        child.signal(signal.SIGINT)
        assert child.wait() == 0


def pb_state(name: str) -> int:
    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

    return pb.UpdateInfo.State.Value(name)


def test_registering_the_commands_loads_neither_grpc_nor_the_mock():
    import subprocess
    import sys

    code = "import sys, hmi.cli.mock; print(sorted(m for m in ('grpc', 'hmi.mock') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"
