"""Classes 6 to 9: usage errors are exit 2, network text is cleaned, messages name the real cause."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from hmi.cli.audit import format_table
from hmi.core.audit import AuditRecord
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from tests.core.fake_ipc import RunningFake, available, running, start_fake
from tests.mock.support import ROOT

HOSTILE = "boom \x1b[31mred\x1b[0m \x9b2J \u202eevil"


def cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hmi", *args],
        cwd=ROOT,
        env=env or os.environ.copy(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def assert_clean(text: str) -> None:
    assert "Traceback" not in text
    assert not any(ch in text for ch in "\x1b\x9b\u202e"), repr(text)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "IPC_HMI_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def hostile_server() -> Iterator[str]:
    """A gRPC server whose ReportUpdateInfo fails INTERNAL with escape codes, and no mock control service."""

    def report(request: Any, context: grpc.ServicerContext) -> pb.UpdateInfo:
        context.abort(grpc.StatusCode.INTERNAL, HOSTILE)
        raise AssertionError("unreachable")

    handler = grpc.method_handlers_generic_handler(
        "intrinsic_proto.inversion.v1.IpcUpdater",
        {
            "ReportUpdateInfo": grpc.unary_unary_rpc_method_handler(
                report,
                request_deserializer=pb.GetUpdateInfoRequest.FromString,
                response_serializer=pb.UpdateInfo.SerializeToString,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


@pytest.mark.slow
def test_status_details_from_the_network_are_cleaned_and_mock_ctl_names_the_missing_service(
    hostile_server: str, env: dict[str, str]
) -> None:
    done = cli("report", "--target", hostile_server, env=env)
    assert done.returncode == 1 and "internal error" in done.stderr
    assert_clean(done.stderr + done.stdout)
    ctl = cli("mock-ctl", "--target", hostile_server, "state", env=env)
    assert ctl.returncode == 1 and "no mock control service" in ctl.stderr
    assert_clean(ctl.stderr)


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    f = start_fake()
    try:
        yield f
    finally:
        f.stop()


@pytest.mark.slow
def test_report_spells_out_an_id_whose_screen_form_differs(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(available("1.5.0\x1b[2K"))
    done = cli("report", "--target", fake.address, env=env)
    assert done.returncode == 0
    assert_clean(done.stdout)
    assert "Exact id:" in done.stdout and "1.5.0⟨U+001B⟩[2K" in done.stdout
    raw = cli("report", "--json", "--target", fake.address, env=env)
    assert "\\u001b[2K" in raw.stdout  # JSON keeps the data, escaped


@pytest.mark.slow
def test_approving_the_version_that_is_installing_says_so(fake: RunningFake, env: dict[str, str]) -> None:
    fake.ipc.set(running("1.5.0", "1.4.2", 2, 7))
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, env=env)
    assert "1.5.0 is already installing" in done.stderr and "no update to approve" not in done.stderr
    assert done.returncode == 3 and fake.ipc.approvals == []


@pytest.mark.slow
def test_an_http_server_at_the_target_does_not_speak_grpc(env: dict[str, str]) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = cli("report", "--target", f"127.0.0.1:{server.server_port}", env=env)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert done.returncode == 4 and "This address does not speak gRPC." in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["approve", "", "--yes"], "VERSION is empty"),
        (["mock-ctl", "--target", "localhost", "state"], "HOST:PORT"),
        (["gui", "--demo", "--demo-scenario", "no-such-scenario"], "--demo-scenario"),
        (["--demo", "--target", "127.0.0.1:50051"], "cannot be combined with --target"),
    ],
)
def test_usage_errors_are_exit_2_before_anything_starts(args: list[str], says: str, env: dict[str, str]) -> None:
    done = cli(*args, env=env)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_garbage_ca_file_is_a_config_error_naming_it_and_grpc_stays_quiet(
    tmp_path: Path, env: dict[str, str]
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(os.urandom(64) + b"\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    done = cli("report", "--tls-ca", str(ca), "--target", "127.0.0.1:1", env={**env, "GRPC_VERBOSITY": "debug"})
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: TLS: the CA certificate {ca}") and len(done.stderr.splitlines()) == 1


def test_history_table_spells_out_ids_and_cleans_the_rest() -> None:
    now = datetime.now(UTC)
    record = AuditRecord(
        id="x", kind="approve-update", target="t\x1b[1m", version_id="1.5.0\u202e", current_version=None,
        operator="an\x9bna", created_at=now, sent_at=None, completed_at=now, outcome="refused",
        code="INTERNAL", message=HOSTILE, resolved_at=None, resolution=None, sends=0, seq=1,
    )  # fmt: skip
    text = format_table([record])
    assert_clean(text)
    assert "1.5.0⟨U+202E⟩" in text
