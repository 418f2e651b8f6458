"""`ipc-hmi history` and `ipc-hmi set-pin`."""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hmi.cli import audit as cli
from hmi.core.audit import AuditStore
from hmi.core.auth import verify_pin

from .helpers import WallClock

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ipc-hmi")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    """A store with four records over three days on two IPCs."""
    path = tmp_path / "audit.sqlite3"
    clock = WallClock(START)
    with AuditStore.open(path, clock=clock) as s:
        rid = s.begin(target="10.0.0.5:50051", version_id="1.5.0", current_version="1.4.2", operator="alice")
        s.mark_sent(rid)
        s.complete(rid, outcome="approved", code="OK", message="")
        clock.advance(days=1)
        rid = s.begin(target="10.0.0.6:50051", version_id="2.0.0", current_version="1.9.0", operator="bob")
        s.complete(rid, outcome="refused-locally", code=None, message="the offered version changed")
        clock.advance(days=1)
        s.record_signin_failure(operator="alice", reason="wrong-pin", message="4 tries left", target="10.0.0.5:50051")
        clock.advance(minutes=5)
        rid = s.begin(target="10.0.0.5:50051", version_id="1.6.0", current_version="1.5.0", operator="alice")
        s.mark_sent(rid)
        s.complete(rid, outcome="refused", code="FAILED_PRECONDITION", message="not offered")
    return path


def _json(capsys, argv: list[str]) -> list[dict]:
    assert run(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_history_table_newest_first_in_local_time(trail: Path, capsys) -> None:
    assert run(["history", "--audit-file", str(trail)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Time (") and "Operator" in lines[0] and "Outcome" in lines[0]
    body = lines[1:]
    assert len(body) == 4
    assert "1.6.0" in body[0] and "REFUSED" in body[0] and "Refused by the IPC [FAILED_PRECONDITION]" in body[0]
    assert "(signin-failed)" in body[1] and "Sign-in failed: wrong PIN" in body[1]
    assert "2.0.0" in body[2] and "bob" in body[2] and "NOT SENT" in body[2]
    assert "1.5.0" in body[3] and "alice" in body[3] and "Approved" in body[3]
    assert START.astimezone().strftime("%Y-%m-%d %H:%M:%S") in body[3]


def test_history_json_is_one_array_with_utc_times(trail: Path, capsys) -> None:
    data = _json(capsys, ["history", "--json", "--audit-file", str(trail)])
    assert [d["versionId"] for d in data] == ["1.6.0", "", "2.0.0", "1.5.0"]
    assert data[-1]["createdAt"] == "2025-03-01T12:00:00Z"
    assert data[-1]["operator"] == "alice" and data[-1]["outcome"] == "approved"
    assert data[2]["sentAt"] is None
    assert data[1]["kind"] == "signin-failed"


def test_history_since_and_target_filters(trail: Path, capsys) -> None:
    base = ["history", "--json", "--audit-file", str(trail)]
    since_day_2 = _json(capsys, [*base, "--since", "2025-03-02T11:00Z"])
    assert [d["versionId"] for d in since_day_2] == ["1.6.0", "", "2.0.0"]
    assert [d["versionId"] for d in _json(capsys, [*base, "--target", "10.0.0.6:50051"])] == ["2.0.0"]
    both = _json(capsys, [*base, "--since", "2025-03-03T00:00+00:00", "--target", "10.0.0.5:50051"])
    assert [d["kind"] for d in both] == ["approve-update", "signin-failed"]
    assert len(_json(capsys, [*base, "--limit", "1"])) == 1
    # A date alone is local midnight.
    local_day = START.astimezone().date() + timedelta(days=3)
    assert _json(capsys, [*base, "--since", local_day.isoformat()]) == []


def test_parse_since_forms() -> None:
    now = datetime(2025, 3, 10, tzinfo=UTC)
    assert cli.parse_since("7d", now=now) == datetime(2025, 3, 3, tzinfo=UTC)
    assert cli.parse_since("12h", now=now) == datetime(2025, 3, 9, 12, tzinfo=UTC)
    assert cli.parse_since("2025-03-01T13:00Z") == datetime(2025, 3, 1, 13, tzinfo=UTC)
    naive = cli.parse_since("2025-03-01T13:00")
    assert naive == datetime(2025, 3, 1, 13).astimezone().astimezone(UTC)


def test_history_refuses_a_bad_date(trail: Path, capsys) -> None:
    assert run(["history", "--since", "last tuesday", "--audit-file", str(trail)]) == 2
    assert "not a date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # an argparse type now: a usage error naming the range
        run(["history", "--limit", "0", "--audit-file", str(trail)])
    assert exc.value.code == 2
    assert "from 1 to 1000000000" in capsys.readouterr().err


def test_history_without_a_store(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.sqlite3"
    assert run(["history", "--audit-file", str(missing)]) == 0
    assert "No audit trail yet" in capsys.readouterr().out
    assert _json(capsys, ["history", "--json", "--audit-file", str(missing)]) == []
    assert not missing.exists()


def test_history_on_a_corrupt_file_names_it_and_keeps_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "audit.sqlite3"
    path.write_bytes(b"garbage" * 100)
    assert run(["history", "--audit-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "not a readable SQLite database" in err
    assert path.read_bytes() == b"garbage" * 100


def test_history_default_path_is_the_data_dir(capsys) -> None:
    from hmi.core.audit import default_audit_path

    assert str(default_audit_path()).startswith(os.environ["XDG_DATA_HOME"])
    assert run(["history", "--json"]) == 0  # the sandboxed default; never the real home
    json.loads(capsys.readouterr().out)


# -- set-pin -----------------------------------------------------------------------------------------

CONFIG = """\
# IPC Update Console configuration
target = "10.0.0.5:50051"   # the IPC

[signin]
enabled = true
idle_timeout = 120.0

# The people who may sign in.
[[operators]]
name = "alice"
role = "operator"
pin_hash = "scrypt$16$1$1$00$00"  # set with ipc-hmi set-pin

[[operators]]
name = "bob"
# bob has no PIN yet
role = "viewer"

[tls]
server_name = "ipc.plant.local"
"""


class _Stdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def _set_pin(monkeypatch, argv: list[str], stdin: str = "", tty: bool = False) -> int:
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin, tty))
    return run(["set-pin", *argv])


def _operators(path: Path) -> dict[str, dict]:
    return {o["name"]: o for o in tomllib.loads(path.read_text())["operators"]}


def test_set_pin_replaces_the_hash_and_keeps_everything_else(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["alice", "--config", str(path), "--pin-stdin"], "246810\n") == 0
    out = capsys.readouterr().out
    assert "PIN set for alice (operator)" in out and "Sign-in is off" not in out
    text = path.read_text()
    old, new = CONFIG.splitlines(), text.splitlines()
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == 1
    before, after = changed[0]
    assert before.startswith("pin_hash = ") and after.startswith('pin_hash = "scrypt$')
    assert after.endswith("  # set with ipc-hmi set-pin")  # the comment on that line stays
    assert verify_pin("246810", _operators(path)["alice"]["pin_hash"])
    assert "246810" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".config.toml.lock", "config.toml"]  # no temp file left; the lock sidecar stays


def test_set_pin_adds_the_line_and_can_change_the_role(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["bob", "--config", str(path), "--pin-stdin", "--role", "operator"], "1234\n") == 0
    ops = _operators(path)
    assert ops["bob"]["role"] == "operator" and verify_pin("1234", ops["bob"]["pin_hash"])
    assert ops["alice"]["pin_hash"] == "scrypt$16$1$1$00$00"
    text = path.read_text()
    assert "# bob has no PIN yet" in text and 'server_name = "ipc.plant.local"' in text
    data = tomllib.loads(text)
    assert data["tls"] == {"server_name": "ipc.plant.local"} and data["signin"]["idle_timeout"] == 120.0
    # The new line sits inside bob's table, before [tls].
    assert text.index("pin_hash", text.index('name = "bob"')) < text.index("[tls]")


def test_set_pin_adds_a_table_for_a_new_name(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["carol", "--config", str(path), "--pin-stdin", "--role", "viewer"], "9999\n") == 0
    text = path.read_text()
    assert text.startswith(CONFIG)
    carol = _operators(path)["carol"]
    assert carol["role"] == "viewer" and verify_pin("9999", carol["pin_hash"])
    assert tomllib.loads(text)["tls"] == {"server_name": "ipc.plant.local"}


def test_set_pin_creates_the_file_at_the_default_path(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert _set_pin(monkeypatch, ["alice", "--pin-stdin"], "4321\n") == 0
    assert "Sign-in is off" in capsys.readouterr().out  # a new file: say how to turn it on
    path = cli.default_config_path()
    assert str(path).startswith(str(tmp_path / "xdg"))
    assert verify_pin("4321", _operators(path)["alice"]["pin_hash"])
    assert _operators(path)["alice"]["role"] == "operator"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_set_pin_refuses_a_non_terminal_without_pin_stdin(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["alice", "--config", str(path)], "1234\n", tty=False) == 2
    assert "--pin-stdin" in capsys.readouterr().err
    assert path.read_text() == CONFIG


def test_set_pin_asks_twice_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    import getpass

    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    answers = iter(["8642", "8642"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert _set_pin(monkeypatch, ["alice", "--config", str(path)], tty=True) == 0
    assert verify_pin("8642", _operators(path)["alice"]["pin_hash"])
    answers = iter(["8642", "8643"])
    before = path.read_text()
    assert _set_pin(monkeypatch, ["alice", "--config", str(path)], tty=True) == 2
    assert path.read_text() == before


@pytest.mark.parametrize("pin", ["123", "12a4", "1234567890123", "", " 1234"])
def test_set_pin_refuses_a_bad_pin(tmp_path: Path, monkeypatch, pin: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["alice", "--config", str(path), "--pin-stdin"], pin + "\n") == 2
    assert path.read_text() == CONFIG


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("target = [unclosed\n", "not valid TOML"),
        ('operators = [{name = "alice", role = "operator"}]\n', "cannot edit safely"),
        ('[[operators]]\nname = "alice"\n[[operators]]\nname = "alice"\n', "more than once"),
        ('operators = "alice"\n', "not a list"),
    ],
)
def test_set_pin_leaves_a_file_it_cannot_edit_safely(tmp_path: Path, monkeypatch, capsys, content, reason) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content)
    assert _set_pin(monkeypatch, ["alice", "--config", str(path), "--pin-stdin"], "1234\n") == 2
    assert reason in capsys.readouterr().err
    assert path.read_text() == content


def test_edit_keeps_crlf_and_a_missing_final_newline() -> None:
    text = '# x\r\n[[operators]]\r\nname = "alice"\r\nrole = "operator"'
    new, role = cli.edit_operator(text, "alice", "scrypt$16$1$1$00$" + "00" * 32, role=None)
    assert role == "operator"
    assert new.startswith('# x\r\n[[operators]]\r\nname = "alice"\r\nrole = "operator"\r\npin_hash = "scrypt$')
    assert "\n" not in new.replace("\r\n", "")


def test_set_pin_honours_ipc_hmi_config(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "elsewhere.toml"
    monkeypatch.setenv("IPC_HMI_CONFIG", str(path))
    assert cli.default_config_path() == path
    assert _set_pin(monkeypatch, ["alice", "--pin-stdin"], "1357\n") == 0
    assert verify_pin("1357", _operators(path)["alice"]["pin_hash"])


def test_a_pin_set_with_set_pin_signs_in_through_the_app_config(tmp_path: Path, monkeypatch) -> None:
    from hmi.core import config
    from hmi.core.auth import SignIn

    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert _set_pin(monkeypatch, ["bob", "--config", str(path), "--pin-stdin", "--role", "operator"], "8080\n") == 0
    app = config.load_config(argparse.Namespace(config=path), environ={})
    assert app.signin.enabled and app.signin.idle_timeout == 120.0
    signin = SignIn.from_config(app.signin)
    assert signin.sign_in("bob", "8080").ok and signin.may_approve()
    assert not signin.sign_in("alice", "8080").ok


def test_set_pin_refuses_an_operator_without_a_role_unless_one_is_given(tmp_path):
    from hmi.cli.audit import ConfigEditError, edit_operator

    text = '[signin]\nenabled = true\n\n[[operators]]\nname = "anna"\n'
    with pytest.raises(ConfigEditError, match="--role operator or --role viewer"):
        edit_operator(text, "anna", "scrypt$x", role=None)
    new_text, role = edit_operator(text, "anna", "scrypt$x", role="viewer")
    assert role == "viewer" and 'role = "viewer"' in new_text and 'pin_hash = "scrypt$x"' in new_text
