"""`ipc-hmi report` and `ipc-hmi approve` as whole processes against a real gRPC server on loopback."""

from __future__ import annotations

import ast
import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmi.core.report import info_json
from tests.core.fake_ipc import RunningFake, available, fault, running, start_fake, up_to_date

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    running_fake = start_fake()
    try:
        yield running_fake
    finally:
        running_fake.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("IPC_HMI_")}
    e["IPC_HMI_DATA_DIR"] = str(tmp_path / "data")
    e["IPC_HMI_POLL_INTERVAL"] = "0.1"
    return e


def cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmi", *args],
        cwd=ROOT,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


def audit_records(env: dict[str, str]) -> list:
    from hmi.core import audit

    path = Path(env["IPC_HMI_DATA_DIR"]) / "audit.sqlite3"
    store = audit.AuditStore.open(path)
    try:
        return store.records()
    finally:
        store.close()


def free_port() -> int:
    server = start_fake()
    port = server.port
    server.stop()
    return port


# --- report --------------------------------------------------------------------------------------------------


def test_report_human(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(fault("1.5.0", "1.4.2"))
    done = cli("report", "--target", fake.address, env=env)
    assert done.returncode == 0, done.stderr
    assert "State:      Update failed" in done.stdout
    assert "went back to version 1.4.2. Approve 1.5.0 again to retry." in done.stdout


def test_report_json_is_exactly_the_protobuf_mapping(fake: RunningFake, env: dict[str, str]) -> None:
    info = running("1.5.0", "1.4.2", step=3, total=7)
    fake.ipc.set(info)
    env["IPC_HMI_TARGET"] = fake.address
    done = cli("report", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert ipc_fields(done.stdout) == info_json(info)
    assert '"currentStep": 3' in done.stdout and '"state": "STATE_UPDATE_RUNNING"' in done.stdout
    assert json.loads(done.stdout)["hmi"]["expected"]["text"] == "No earlier update to compare with."


def ipc_fields(text: str, *, compact: bool = False) -> str:
    """The output without the console's "hmi" object, which comes last: the IPC's fields as printed."""
    obj = json.loads(text)
    assert list(obj)[-1] == "hmi" and set(obj["hmi"]) == {"expected", "stuck"}
    del obj["hmi"]
    out = json.dumps(obj, indent=None if compact else 2, ensure_ascii=False)
    assert text.startswith(out[:-1].rstrip("\n ")), "the IPC's fields are printed first, unchanged"
    return out


def test_report_unreachable_exits_4(env: dict[str, str]) -> None:
    done = cli("report", "--target", f"127.0.0.1:{free_port()}", "--deadline", "1", env=env)
    assert done.returncode == 4
    assert done.stderr.startswith("error: The IPC cannot be reached.") and done.stdout == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--poll-interval", "0"], "--poll-interval"),
        (["--target", "nonsense"], "--target"),
        (["--poll-interval", "x"], "invalid float value"),
        (["--tls-cert", "c.pem"], "both a client certificate and its key"),
    ],
)
def test_report_bad_settings_exit_2(env: dict[str, str], args: list[str], needle: str) -> None:
    done = cli("report", *args, env=env)
    assert done.returncode == 2 and needle in done.stderr


def test_bad_config_file_exits_2_naming_file_and_key(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[tls]\nverify = false\n")
    done = cli("report", "--config", str(path), env=env)
    assert done.returncode == 2
    assert str(path) in done.stderr and "'verify'" in done.stderr and "ca_file" in done.stderr


def test_token_to_a_remote_address_without_tls_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    token = tmp_path / "token"
    token.write_text("secret-value")
    token.chmod(0o600)
    done = cli("report", "--target", "192.0.2.1:50051", "--token-file", str(token), env=env)
    assert done.returncode == 2 and "refusing to send the token without TLS" in done.stderr
    assert "secret-value" not in done.stderr + done.stdout


def test_wrong_token_exits_5(fake: RunningFake, tmp_path: Path, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0"))
    fake.ipc.token = "right"
    token = tmp_path / "token"
    token.write_text("Wr0ngT0ken-xyz\n")
    token.chmod(0o644)  # readable by others: a warning, not an error
    env["IPC_HMI_TOKEN_FILE"] = str(token)
    done = cli("report", "--target", fake.address, env=env)
    assert done.returncode == 5 and "not signed in" in done.stderr
    assert "warning: the token file" in done.stderr and "Wr0ngT0ken" not in done.stderr
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert done.returncode == 5
    assert fake.ipc.approvals == []
    token.write_text("right")
    assert cli("report", "--target", fake.address, env=env).returncode == 0


# --- approve -------------------------------------------------------------------------------------------------


def test_approve_yes_approves_exactly_that_version(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert done.returncode == 0, done.stderr
    assert "Approved 1.5.0" in done.stdout
    assert fake.ipc.approvals == ["1.5.0"]
    (record,) = audit_records(env)
    assert (record.version_id, record.current_version, record.outcome, record.target) == (
        "1.5.0",
        "1.4.2",
        "approved",
        fake.address,
    )


@pytest.mark.parametrize(
    "info", [available("1.5.1"), up_to_date(), running("1.5.0")], ids=["other", "nothing", "running"]
)
def test_approve_not_offered_exits_3_and_sends_nothing(fake: RunningFake, env: dict[str, str], info) -> None:
    fake.ipc.set(info)
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert done.returncode == 3, done.stderr
    assert fake.ipc.approvals == []
    assert "Nothing was sent" in done.stderr or "was not sent" in done.stderr
    (record,) = audit_records(env)
    assert record.outcome == "refused-locally"


def test_approve_refused_by_the_ipc_exits_3(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0"))
    # The IPC moves on between the read and the approval.
    fake.ipc.on_approve = lambda _v: fake.ipc.set(available("1.5.1"))
    import grpc

    fake.ipc.approve_script = [grpc.StatusCode.FAILED_PRECONDITION]
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert done.returncode == 3 and "offered update changed" in done.stderr and "1.5.1" in done.stderr


def test_approve_unreachable_exits_4(env: dict[str, str]) -> None:
    done = cli("approve", "1.5.0", "--yes", "--target", f"127.0.0.1:{free_port()}", "--deadline", "1", env=env)
    assert done.returncode == 4 and "Nothing was sent" in done.stderr


def test_approve_without_terminal_or_yes_refuses(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0"))
    done = cli("approve", "1.5.0", "--target", fake.address, env=env, stdin="y\n")
    assert done.returncode == 2 and "--yes" in done.stderr
    assert fake.ipc.approvals == []


def test_approve_help_lists_exit_codes(env: dict[str, str]) -> None:
    done = cli("approve", "--help", env=env)
    assert done.returncode == 0
    for line in (
        "0  done",
        "2  usage or config error",
        "3  refused",
        "4  the IPC cannot be reached or did not answer in time; nothing was sent",
        "5  not",
        "6  approve: sent, but the outcome is unknown",
    ):
        assert line in done.stdout
    assert "IPC_HMI_TOKEN_FILE" in done.stdout


def _read_until(fd: int, needle: bytes, limit: float = 20.0) -> bytes:
    buf = b""
    end = time.monotonic() + limit
    while needle not in buf and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("n", 1)])
def test_approve_asks_on_a_terminal(fake: RunningFake, env: dict[str, str], answer: str, code: int) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "approve", "1.5.0", "--target", fake.address],
        cwd=ROOT,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    try:
        prompt = _read_until(master, b"[y/N]")
        assert b"Install 1.5.0, replacing 1.4.2? [y/N]" in prompt
        os.write(master, f"{answer}\n".encode())
        assert proc.wait(30) == code
        rest = _read_until(master, b"\n", limit=2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(10)
        os.close(master)
    if code == 0:
        assert fake.ipc.approvals == ["1.5.0"] and b"Approved 1.5.0" in rest
    else:
        assert fake.ipc.approvals == [] and b"Not approved" in rest


# --- watch ---------------------------------------------------------------------------------------------------


def _watch(fake: RunningFake, env: dict[str, str], *extra: str) -> list[str]:
    """Runs report --watch, changes the state twice, stops it with SIGINT; returns its stdout lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "report", "--watch", *extra, "--target", fake.address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for info in (running("1.5.0", step=1), running("1.5.0", step=2), None):
            line = ""
            end = time.monotonic() + 20
            while not line and time.monotonic() < end:
                ready, _, _ = select.select([proc.stdout], [], [], 0.2)
                if ready:
                    line = proc.stdout.readline()
                    if "  Expected: " in line:  # the estimate's line after a step's line (test_report_progress)
                        line = ""
            assert line, "no line from --watch"
            lines.append(line.rstrip("\n"))
            if info is not None:
                fake.ipc.set(info)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    return lines


def test_watch_prints_one_line_per_change_and_ends_cleanly(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0"))
    lines = _watch(fake, env)
    assert "Update available" in lines[0]
    assert "Step 2 of 7" in lines[1] and "Step 3 of 7" in lines[2]


def test_watch_json_prints_one_compact_object_per_change(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0"))
    lines = _watch(fake, env, "--json")
    assert ipc_fields(lines[0], compact=True) == info_json(available("1.5.0"), compact=True)
    assert ipc_fields(lines[1], compact=True) == info_json(running("1.5.0", step=1), compact=True)
    assert ipc_fields(lines[2], compact=True) == info_json(running("1.5.0", step=2), compact=True)
    assert json.loads(lines[0])["hmi"] == {"expected": None, "stuck": False}
    assert json.loads(lines[2])["hmi"]["expected"]["status"] == "no-history"


# --- no Qt ---------------------------------------------------------------------------------------------------


_MODULES_AFTER_MAIN = """\
import sys
from hmi.cli import main
code = main(sys.argv[1:])
print("MODULES", sorted(sys.modules), file=sys.stderr)
sys.exit(code)
"""


def test_report_and_approve_import_no_qt(fake: RunningFake, env: dict[str, str]) -> None:
    """sys.modules after the whole command (also catches importlib imports, which -X importtime does not list)."""
    fake.ipc.set(available("1.5.0"))
    for args in (["report", "--json"], ["report"], ["approve", "9.9.9", "--yes"]):
        done = subprocess.run(
            [sys.executable, "-c", _MODULES_AFTER_MAIN, *args, "--target", fake.address],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode in (0, 3), done.stderr[-2000:]
        line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES "))
        modules = set(ast.literal_eval(line[len("MODULES ") :]))
        assert "grpc" in modules and "hmi.cli.client" in modules  # the check sees real imports
        qt = sorted(m for m in modules if m.split(".")[0] in ("PySide6", "shiboken6", "qasync"))
        assert qt == [], f"ipc-hmi {' '.join(args)} loaded {qt}"
        if args == ["report", "--json"]:
            assert "hmi.core.model" not in modules  # the one-shot JSON path stays light


def test_exit_codes_match_the_error_table() -> None:
    from hmi.cli import client
    from hmi.core import errors
    from hmi.core.model import CONFIRMATION_TTL

    for name in (
        "EXIT_OK",
        "EXIT_OTHER",
        "EXIT_USAGE",
        "EXIT_REFUSED",
        "EXIT_UNREACHABLE",
        "EXIT_AUTH",
        "EXIT_UNKNOWN",
    ):
        assert getattr(client, name) == getattr(errors, name)
    assert client.PROMPT_TTL == CONFIRMATION_TTL


def test_registering_the_commands_loads_no_grpc() -> None:
    code = (
        "import argparse, sys\n"
        "from hmi.cli import client\n"
        "p = argparse.ArgumentParser(); client.register(p.add_subparsers())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('grpc', 'PySide6', 'asyncio', 'google')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# --- issue 9: unknown outcomes, settling, and the prompt ------------------------------------------------------


def test_approve_with_a_lost_answer_exits_6_and_report_settles_it(fake: RunningFake, env: dict[str, str]) -> None:
    import grpc

    fake.ipc.set(available("1.5.0", "1.4.2"))
    fake.ipc.approve_script = [grpc.StatusCode.UNAVAILABLE]
    fake.ipc.on_approve = lambda _v: setattr(fake.ipc, "report_error", grpc.StatusCode.UNAVAILABLE)
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert done.returncode == 6, done.stderr  # main: 4, the code a script retries on
    assert "not known whether 1.5.0 was approved" in done.stderr
    (record,) = audit_records(env)
    assert record.outcome == "unknown" and record.sent_state == "update-available"
    fake.ipc.on_approve = None
    fake.ipc.report_error = None
    fake.ipc.set(fault("1.5.0", "1.4.2"))  # it ran and failed: an approval reached the IPC
    done = cli("report", "--target", fake.address, env=env)
    assert done.returncode == 0, done.stderr
    assert "may or may not have caused it" in done.stderr
    (record,) = audit_records(env)
    assert record.outcome == "ran-later" and record.resolved_at is not None  # main: never settled


def test_report_json_settles_too_and_a_report_never_creates_an_audit_trail(
    fake: RunningFake, env: dict[str, str]
) -> None:
    fake.ipc.set(available("1.5.0"))
    done = cli("report", "--json", "--target", fake.address, env=env)
    assert done.returncode == 0, done.stderr
    assert not (Path(env["IPC_HMI_DATA_DIR"]) / "audit.sqlite3").exists()


def test_prompt_answered_after_the_ipc_went_to_fault_sends_nothing(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmi", "approve", "1.5.0", "--target", fake.address],
        cwd=ROOT,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    try:
        assert b"Install 1.5.0" in _read_until(master, b"[y/N]")
        fake.ipc.set(fault("1.5.0", "1.4.2"))  # the install failed elsewhere while the question was open
        os.write(master, b"y\n")
        code = proc.wait(30)
        err = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(10)
        os.close(master)
    assert fake.ipc.approvals == []  # main sent it: "Install?" became a retry
    assert code == 3 and "FAULT" in err
