"""`ipc-hmi approve` with operator sign-in on: only an operator with the right PIN approves.

Whole processes against a real gRPC server on loopback (the scriptable fake IPC).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hmi.core.auth import hash_pin
from tests.core.fake_ipc import available
from tests.test_cli_client import audit_records, cli, env, fake  # noqa: F401  (fixtures)

CHEAP = {"n": 2**4, "r": 8, "p": 1}  # fast hashing for tests; the real default is far costlier


@pytest.fixture
def signin_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:  # noqa: F811
    config = tmp_path / "config.toml"
    config.write_text(
        "[signin]\nenabled = true\n\n"
        f'[[operators]]\nname = "anna"\nrole = "operator"\npin_hash = "{hash_pin("2468", **CHEAP)}"\n\n'
        f'[[operators]]\nname = "vera"\nrole = "viewer"\npin_hash = "{hash_pin("1357", **CHEAP)}"\n'
    )
    config.chmod(0o600)
    return {**env, "IPC_HMI_CONFIG": str(config)}


def approve(fake_ipc, signin_env, *extra: str, pin: str | None = None):
    args = ["approve", "1.5.0", "--yes", "--target", fake_ipc.address, *extra]
    if pin is not None:
        args.append("--pin-stdin")
    return cli(*args, env=signin_env, stdin=None if pin is None else pin + "\n")


def test_right_pin_approves_and_the_record_names_the_operator(fake, signin_env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    done = approve(fake, signin_env, "--operator", "anna", pin="2468")
    assert done.returncode == 0, done.stderr
    assert fake.ipc.approvals == ["1.5.0"]
    (record,) = audit_records(signin_env)
    assert (record.kind, record.operator, record.outcome) == ("approve-update", "anna", "approved")


def test_sign_in_on_needs_an_operator_and_a_pin(fake, signin_env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    no_name = approve(fake, signin_env, pin="2468")
    assert no_name.returncode == 2 and "--operator NAME" in no_name.stderr
    no_pin = approve(fake, signin_env, "--operator", "anna")  # no terminal, no --pin-stdin
    assert no_pin.returncode == 2 and "--pin-stdin" in no_pin.stderr
    assert fake.ipc.approvals == []


def test_wrong_pin_exits_5_sends_nothing_and_is_audited(fake, signin_env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    done = approve(fake, signin_env, "--operator", "anna", pin="0000")
    assert done.returncode == 5 and "Wrong PIN, 4 tries left" in done.stderr
    assert fake.ipc.approvals == []
    (record,) = audit_records(signin_env)
    assert (record.kind, record.operator, record.outcome) == ("signin-failed", "anna", "wrong-pin")
    # The PIN is in no text field (ids, times and the address are digits by nature, so not scanned).
    texts = (record.operator, record.outcome, record.code, record.message, record.resolution, record.version_id)
    assert not any("0000" in (text or "") for text in texts)


def test_lockout_holds_across_processes(fake, signin_env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    codes = [approve(fake, signin_env, "--operator", "anna", pin="0000").returncode for _ in range(5)]
    assert codes == [5] * 5
    right = approve(fake, signin_env, "--operator", "anna", pin="2468")
    assert right.returncode == 5 and "locked out" in right.stderr
    assert fake.ipc.approvals == []
    outcomes = [r.outcome for r in audit_records(signin_env)]
    assert outcomes[0] == "locked-out" and outcomes.count("wrong-pin") == 4


def test_viewer_is_refused_and_the_refusal_recorded(fake, signin_env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    done = approve(fake, signin_env, "--operator", "vera", pin="1357")
    assert done.returncode == 5 and "viewers cannot approve" in done.stderr
    assert fake.ipc.approvals == []
    (record,) = audit_records(signin_env)
    assert (record.operator, record.outcome, record.message) == ("vera", "refused-locally", "viewer may not approve")


def test_operator_flag_without_sign_in_is_a_usage_error(fake, env):  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    done = cli("approve", "1.5.0", "--yes", "--operator", "anna", "--target", fake.address, env=env)
    assert done.returncode == 2 and "[signin] enabled = true" in done.stderr
    assert fake.ipc.approvals == []
