"""Security: token handling, the plain-text refusal, file-permission warnings, TLS and mutual TLS over loopback."""

from __future__ import annotations

import logging
from pathlib import Path

import grpc
import pytest

from hmi.core.client import UpdaterClient
from hmi.core.config import ClientConfig, ConfigError
from hmi.core.model import UpdateState
from hmi.core.security import SecurityError, is_loopback_target, prepare, read_token
from tests.aio import run
from tests.core.certs import Certs
from tests.core.fake_ipc import FakeIpc, RunningFake, available, start_fake

SECRET = "s3cr3t-token-value"


def token_file(tmp_path: Path, text: str = f"  {SECRET}\n", mode: int = 0o600) -> Path:
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("127.0.0.1:50051", True),
        ("127.8.9.10:1", True),
        ("localhost:1", True),
        ("[::1]:50051", True),
        ("ipv4:127.0.0.1:1,127.0.0.2:2", True),
        ("dns:///localhost:50051", True),
        ("unix:/run/ipc.sock", True),
        ("10.0.0.5:50051", False),
        ("ipc.example.com:443", False),
        ("dns://8.8.8.8/ipc.example.com:443", False),
        ("ipv4:127.0.0.1:1,10.0.0.1:2", False),
        ("[2001:db8::1]:50051", False),
        ("localhost.evil.com:1", False),
    ],
)
def test_loopback_detection(target: str, local: bool) -> None:
    assert is_loopback_target(target) is local


def test_token_is_stripped_and_sent_as_bearer(tmp_path: Path) -> None:
    sec = prepare(ClientConfig(target="127.0.0.1:1", token_file=token_file(tmp_path)))
    assert sec.metadata == (("authorization", f"Bearer {SECRET}"),)
    assert SECRET not in repr(sec)


@pytest.mark.parametrize(
    ("text", "needle"), [("", "empty"), (" \n", "empty"), ("two words", "spaces"), ("a\nb", "line breaks")]
)
def test_bad_token_files(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(SecurityError, match=needle) as info:
        read_token(token_file(tmp_path, text))
    assert "two words" not in str(info.value)


def test_missing_token_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the token file"):
        prepare(ClientConfig(token_file=tmp_path / "missing"))


def test_token_refused_without_tls_to_a_remote_address(tmp_path: Path) -> None:
    tok = token_file(tmp_path)
    with pytest.raises(SecurityError, match=r"refusing to send the token without TLS to 10\.1\.2\.3:50051") as info:
        prepare(ClientConfig(target="10.1.2.3:50051", token_file=tok))
    assert "--allow-insecure-token" in str(info.value) and SECRET not in str(info.value)
    assert prepare(ClientConfig(target="10.1.2.3:50051", token_file=tok, allow_insecure_token=True)).metadata
    assert prepare(ClientConfig(target="10.1.2.3:50051", token_file=tok, tls=True)).metadata
    assert prepare(ClientConfig(target="localhost:50051", token_file=tok)).metadata


def test_readable_token_and_key_files_warn_without_leaking(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hmi.core.security")
    tok = token_file(tmp_path, mode=0o644)
    key = tmp_path / "client.key"
    key.write_text("not really a key")
    key.chmod(0o640)
    cert = tmp_path / "client.pem"
    cert.write_text("cert")
    prepare(ClientConfig(token_file=tok))
    with pytest.raises(SecurityError, match=r"client\.pem and key .*client\.key cannot be used together"):
        prepare(ClientConfig(token_file=tok, tls_cert=cert, tls_key=key))  # checked before any connection
    text = caplog.text
    assert f"token file {tok} can be read by other users (mode 0644)" in text
    assert f"client key file {key} can be read by other users (mode 0640)" in text
    assert "chmod 600" in text and SECRET not in text


def test_private_files_do_not_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="hmi.core.security")
    prepare(ClientConfig(token_file=token_file(tmp_path, mode=0o600)))
    assert caplog.text == ""


def test_server_name_override_and_missing_ca(tmp_path: Path) -> None:
    sec = prepare(ClientConfig(tls_server_name="ipc.test"))
    assert sec.use_tls and ("grpc.ssl_target_name_override", "ipc.test") in sec.options
    assert not any(k == "grpc.ssl_target_name_override" for k, _v in prepare(ClientConfig()).options)
    with pytest.raises(SecurityError, match="cannot read the CA certificate"):
        prepare(ClientConfig(tls_ca=tmp_path / "nope.pem"))


# --- real TLS over loopback -----------------------------------------------------------------------------------


def tls_server(certs: Certs, *, mutual: bool, named: bool = False, ipc: FakeIpc | None = None) -> RunningFake:
    cert, key = (certs.named_cert, certs.named_key) if named else (certs.server_cert, certs.server_key)
    creds = grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=certs.ca.read_bytes() if mutual else None,
        require_client_auth=mutual,
    )
    return start_fake(ipc or FakeIpc(info=available()), credentials=creds)


def read_once(config: ClientConfig):
    async def go():
        client = UpdaterClient(config)
        try:
            return await client.refresh()
        finally:
            await client.aclose()

    return run(go(), timeout=20)


def test_tls_with_ca(certs: Certs) -> None:
    server = tls_server(certs, mutual=False)
    try:
        state = read_once(ClientConfig(target=server.address, tls_ca=certs.ca, deadline=5))
        assert state.snapshot is not None and state.snapshot.state is UpdateState.UPDATE_AVAILABLE
        # Plain text to a TLS port fails; a wrong CA fails: both are connection failures, never data.
        for config in (
            ClientConfig(target=server.address, deadline=2),
            ClientConfig(target=server.address, tls_ca=certs.other_ca, deadline=2),
        ):
            state = read_once(config)
            assert state.snapshot is None and state.connection.last_attempt_failed
            assert state.connection.error_code == "UNAVAILABLE"
    finally:
        server.stop()


def test_server_name_override(certs: Certs) -> None:
    server = tls_server(certs, mutual=False, named=True)
    try:
        state = read_once(ClientConfig(target=server.address, tls_ca=certs.ca, deadline=2))
        assert state.snapshot is None, "the certificate names ipc.test, not 127.0.0.1"
        state = read_once(ClientConfig(target=server.address, tls_ca=certs.ca, tls_server_name="ipc.test", deadline=5))
        assert state.snapshot is not None and state.snapshot.state is UpdateState.UPDATE_AVAILABLE
    finally:
        server.stop()


def test_mutual_tls(certs: Certs) -> None:
    ipc = FakeIpc(info=available(), token=SECRET)
    server = tls_server(certs, mutual=True, ipc=ipc)
    try:
        state = read_once(ClientConfig(target=server.address, tls_ca=certs.ca, deadline=2))
        assert state.snapshot is None, "a server that requires a client certificate refuses one without"
        base = ClientConfig(target=server.address, tls_ca=certs.ca, tls_cert=certs.client_cert)
        with pytest.raises(SecurityError):
            prepare(base)  # a certificate without its key
        tok = certs.ca.parent / "mtls-token"
        tok.write_text(SECRET)
        tok.chmod(0o600)
        config = ClientConfig(
            target=server.address,
            tls_ca=certs.ca,
            tls_cert=certs.client_cert,
            tls_key=certs.client_key,
            token_file=tok,
            deadline=5,
        )
        state = read_once(config)
        assert state.snapshot is not None and state.snapshot.state is UpdateState.UPDATE_AVAILABLE
        assert ipc.auth_seen[-1] == f"Bearer {SECRET}"
    finally:
        server.stop()
