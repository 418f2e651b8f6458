"""`ipc-hmi approve --operator A --second-operator B` with four-eyes approval on ([approval] require_two).

Whole `ipc-hmi` processes against the mock IPC (`ipc-hmi mock`, its own process) over loopback; both PINs
come on standard input (--pin-stdin reads two lines). Every refusal sends nothing and is recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hmi.core.auth import hash_pin
from hmi.core.foureyes import Refusal, audit_message
from tests.mock.support import mock_process
from tests.test_cli_client import audit_records, cli, env  # noqa: F401  (fixtures)

CHEAP = {"n": 2**4, "r": 8, "p": 1}  # fast hashing for tests; the real default is far costlier
PINS = {"anna": "2468", "bert": "1357", "vera": "9999"}


@pytest.fixture
def mock():
    with mock_process("--scenario", "approval") as child:
        child.wait_listening()
        yield child


def config_env(env: dict[str, str], tmp_path: Path, *, require_two: bool = True) -> dict[str, str]:  # noqa: F811
    config = tmp_path / "config.toml"
    roles = {"anna": "operator", "bert": "operator", "vera": "viewer"}
    text = "[signin]\nenabled = true\n\n"
    if require_two:
        text += "[approval]\nrequire_two = true\n\n"
    for name, role in roles.items():
        text += f'[[operators]]\nname = "{name}"\nrole = "{role}"\npin_hash = "{hash_pin(PINS[name], **CHEAP)}"\n\n'
    config.write_text(text)
    config.chmod(0o600)
    return {**env, "IPC_HMI_CONFIG": str(config)}


@pytest.fixture
def four_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:  # noqa: F811
    return config_env(env, tmp_path)


def approve(mock, e, *names: str, pins: list[str] | None = None):
    args = ["approve", "1.5.0", "--yes", "--target", mock.address, "--pin-stdin"]
    if names:
        args += ["--operator", names[0]]
    if len(names) > 1:
        args += ["--second-operator", names[1]]
    pins = pins if pins is not None else [PINS.get(n, "0000") for n in names]
    return cli(*args, env=e, stdin="".join(p + "\n" for p in pins))


def state(mock, e) -> str:
    done = cli("report", "--target", mock.address, env=e)
    assert done.returncode == 0, done.stderr
    return done.stdout


def approvals(e) -> list:
    return [r for r in audit_records(e) if r.kind == "approve-update"]


def test_two_operators_approve_and_the_record_names_both(mock, four_env):
    done = approve(mock, four_env, "anna", "bert")
    assert done.returncode == 0, done.stderr
    assert "Update available" not in state(mock, four_env)  # the mock took it
    (record,) = approvals(four_env)
    assert (record.operator, record.second_operator, record.outcome) == ("anna", "bert", "approved")
    assert record.confirmed_at is not None and record.confirmed_at <= record.second_confirmed_at
    history = cli("history", env=four_env)
    assert history.returncode == 0 and "anna and bert" in history.stdout, history.stdout
    as_json = cli("history", "--json", env=four_env)
    assert '"secondOperator": "bert"' in as_json.stdout and '"secondConfirmedAt": "' in as_json.stdout


@pytest.mark.parametrize(
    ("names", "pins", "code", "said", "refusal"),
    [
        (("anna",), None, 2, "A second operator must confirm 1.5.0. Nothing was sent.", Refusal.NO_SECOND),
        (("anna", "anna"), None, 5, "anna already confirmed 1.5.0. A different operator", Refusal.SAME_OPERATOR),
        (("anna", "vera"), None, 5, "vera is a viewer; a viewer cannot be the second operator.", Refusal.VIEWER),
    ],
    ids=["no-second", "same-person", "viewer"],
)
def test_refusals_send_nothing_and_are_recorded(mock, four_env, names, pins, code, said, refusal):
    done = approve(mock, four_env, *names, pins=pins)
    assert done.returncode == code and said in done.stderr, done.stderr
    assert "Nothing was sent" in done.stderr
    (record,) = approvals(four_env)
    assert (record.operator, record.outcome, record.message) == ("anna", "refused-locally", audit_message(refusal))
    assert record.second_operator == (names[1] if len(names) > 1 else None)
    assert "Update available: waiting for approval" in state(mock, four_env)  # the mock was never approved
    assert "approved" not in [r.outcome for r in audit_records(four_env)]


def test_a_wrong_second_pin_and_a_locked_out_second_operator_are_refused(mock, four_env):
    wrong = approve(mock, four_env, "anna", "bert", pins=[PINS["anna"], "0000"])
    assert wrong.returncode == 5, wrong.stderr
    assert "Wrong PIN, 4 tries left. bert is not confirmed as the second operator. Nothing was sent." in wrong.stderr
    (failed,) = audit_records(four_env)
    assert (failed.kind, failed.operator, failed.outcome) == ("signin-failed", "bert", "wrong-pin")
    for _ in range(4):
        assert approve(mock, four_env, "anna", "bert", pins=[PINS["anna"], "0000"]).returncode == 5
    locked = approve(mock, four_env, "anna", "bert")  # the right PIN, but bert is locked out across processes
    assert locked.returncode == 5 and "bert is locked out" in locked.stderr, locked.stderr
    assert approvals(four_env) == []
    assert "Update available: waiting for approval" in state(mock, four_env)
    assert not any(r.operator == "anna" for r in audit_records(four_env))  # the first operator's sign-ins were fine


def test_a_wrong_first_pin_asks_nobody_second(mock, four_env):
    done = approve(mock, four_env, "anna", "bert", pins=["0000", PINS["bert"]])
    assert done.returncode == 5 and "Wrong PIN" in done.stderr
    (failed,) = audit_records(four_env)
    assert (failed.operator, failed.outcome) == ("anna", "wrong-pin")


def test_second_operator_without_four_eyes_is_a_usage_error(mock, env, tmp_path):  # noqa: F811
    e = config_env(env, tmp_path, require_two=False)
    done = approve(mock, e, "anna", "bert")
    assert done.returncode == 2 and "[approval] require_two = true" in done.stderr
    assert audit_records(e) == []
    one = approve(mock, e, "anna")  # one operator is enough without four eyes
    assert one.returncode == 0, one.stderr
