"""Channel security: TLS and mutual TLS credentials, the bearer token, and the checks around them.

- TLS uses `grpc.ssl_channel_credentials` with the CA file (or the system's roots), and the client
  certificate and key for mutual TLS; `tls_server_name` sets `grpc.ssl_target_name_override`.
- A token is read once from its file, stripped, and sent as `authorization: Bearer <token>` on every call.
  It is never logged and never part of an error message.
- A token over a channel without TLS to an address that is not this machine is refused
  (`SecurityError`) unless `allow_insecure_token` is set.
- A token or key file that other users can read gets a logged warning.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hmi import __version__
from hmi.core.config import ClientConfig, ConfigError

log = logging.getLogger(__name__)

# Notes can be megabytes; the gRPC default (4 MiB) would turn a long changelog into an error.
MAX_RECEIVE_BYTES = 64 * 1024 * 1024

# Recover quickly from a restarted IPC or a laptop that slept: reconnect attempts start after
# 250 ms and are never more than 500 ms apart (one TCP connect each: cheap), so the console is live
# again within about a second of the IPC answering (the poll loop waits on the channel's
# connectivity, not on its own back-off); keepalive pings notice a dead connection during a call.
BASE_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 500),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 0),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
    ("grpc.primary_user_agent", f"ipc-hmi/{__version__}"),
)


class SecurityError(ConfigError):
    """The security settings cannot be used as given (missing file, token over plain text, …)."""


@dataclass(frozen=True, slots=True)
class ChannelSecurity:
    """Everything needed to open a channel and authorise calls, prepared once from a ClientConfig."""

    target: str
    root_certificates: bytes | None
    private_key: bytes | None
    certificate_chain: bytes | None
    use_tls: bool
    options: tuple[tuple[str, Any], ...]
    metadata: tuple[tuple[str, str], ...]  # per-call metadata; holds the token, never log it

    def __repr__(self) -> str:  # the token must not end up in a log through repr()
        return f"ChannelSecurity(target={self.target!r}, use_tls={self.use_tls}, token={bool(self.metadata)})"


def target_hosts(target: str) -> list[str] | None:
    """The host names or addresses in a gRPC target; None for local sockets (unix:, unix-abstract:)."""
    if target.startswith(("unix:", "unix-abstract:")):
        return None
    for scheme in ("ipv4:", "ipv6:"):
        if target.startswith(scheme):
            return [_split_host(part) for part in target[len(scheme) :].split(",")]
    if target.startswith("dns:"):
        rest = target[4:]
        if rest.startswith("//"):
            rest = rest[2:].split("/", 1)[1] if "/" in rest[2:] else rest[2:]
        return [_split_host(rest)]
    return [_split_host(target)]


def _split_host(hostport: str) -> str:
    if hostport.startswith("["):
        return hostport[1 : hostport.find("]")] if "]" in hostport else hostport[1:]
    if hostport.count(":") == 1:
        return hostport.split(":", 1)[0]
    return hostport  # bare IPv6 address or bare host name


def is_loopback_target(target: str) -> bool:
    """True only when every address in the target is this machine (localhost, 127.0.0.0/8, ::1, unix sockets)."""
    hosts = target_hosts(target)
    if hosts is None:
        return True
    for host in hosts:
        name = host.strip().lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost"):
            continue
        try:
            if not ipaddress.ip_address(name.split("%", 1)[0]).is_loopback:
                return False
        except ValueError:
            return False  # a DNS name can resolve anywhere
    return bool(hosts)


def exposure_warning(path: Path, what: str) -> str | None:
    """A warning sentence when `path` can be read by group or others (POSIX only), else None."""
    if os.name != "posix":
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return (
            f"the {what} {path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"restrict it with: chmod 600 {path}"
        )
    return None


def _read(path: Path, what: str, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecurityError(f"{source}: cannot read the {what} {path}: {exc.strerror or exc}") from None


def read_token(path: Path) -> str:
    """The bearer token in `path`, stripped of surrounding whitespace. Warns if others can read the file."""
    raw = _read(path, "token file", "token")
    try:
        token = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecurityError(f"token: the token file {path} is not text") from None
    if not token:
        raise SecurityError(f"token: the token file {path} is empty")
    # Header values must be visible ASCII; say so without echoing the token.
    if any(not 0x20 < ord(c) < 0x7F for c in token):
        raise SecurityError(
            f"token: the token file {path} holds spaces, line breaks or characters that cannot be sent in a header"
        )
    warning = exposure_warning(path, "token file")
    if warning:
        log.warning(warning)
    return token


_SSL_REASONS = {
    "PEM_LIB": "not a PEM certificate and key that OpenSSL can read",
    "NO_START_LINE": "no PEM block in it",
    "KEY_VALUES_MISMATCH": "the key does not belong to the certificate",
    "BAD_DECRYPT": "the key is protected by a password, which is not supported",
}


def _ssl_reason(exc: BaseException) -> str:
    import re

    reason = str(getattr(exc, "reason", None) or "")
    if reason in _SSL_REASONS:
        return _SSL_REASONS[reason]
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(getattr(exc, "strerror", None) or exc)).strip()


def check_ca(data: bytes, path: Path) -> None:
    """The CA file holds at least one PEM certificate that OpenSSL can load; SecurityError otherwise."""
    import ssl

    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise SecurityError(f"TLS: the CA certificate {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=data.decode("ascii"))
    except (ssl.SSLError, ValueError) as exc:
        raise SecurityError(f"TLS: the CA certificate {path} cannot be loaded ({_ssl_reason(exc)})") from None


def check_pair(cert: Path, key: Path) -> None:
    """The client certificate and key load and belong together; SecurityError naming the files otherwise."""
    import ssl

    def no_password() -> bytes:  # an encrypted key is refused, never prompted for
        raise ValueError("the key is protected by a password, which is not supported")

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=no_password)
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise SecurityError(
            f"TLS: the client certificate {cert} and key {key} cannot be used together ({_ssl_reason(exc)})"
        ) from None


def prepare(config: ClientConfig) -> ChannelSecurity:
    """Reads certificates and token and checks the combination. Raises SecurityError."""
    use_tls = config.uses_tls
    roots = key = chain = None
    if use_tls:
        if config.tls_ca is not None:
            roots = _read(config.tls_ca, "CA certificate", "TLS")
            check_ca(roots, config.tls_ca)
        if config.tls_cert is not None or config.tls_key is not None:
            if config.tls_cert is None or config.tls_key is None:
                raise SecurityError("TLS: mutual TLS needs both a client certificate and its key")
            chain = _read(config.tls_cert, "client certificate", "TLS")
            key = _read(config.tls_key, "client key", "TLS")
            warning = exposure_warning(config.tls_key, "client key file")
            if warning:
                log.warning(warning)
            check_pair(config.tls_cert, config.tls_key)
    metadata: tuple[tuple[str, str], ...] = ()
    if config.token_file is not None:
        if not use_tls and not config.allow_insecure_token and not is_loopback_target(config.target):
            raise SecurityError(
                f"token: refusing to send the token without TLS to {config.target}, which is not this machine. "
                "Use TLS (--tls or --tls-ca FILE), or pass --allow-insecure-token if the network is trusted."
            )
        metadata = (("authorization", f"Bearer {read_token(config.token_file)}"),)
    options = BASE_CHANNEL_OPTIONS
    if use_tls and config.tls_server_name:
        options = (*options, ("grpc.ssl_target_name_override", config.tls_server_name))
    return ChannelSecurity(
        target=config.target,
        root_certificates=roots,
        private_key=key,
        certificate_chain=chain,
        use_tls=use_tls,
        options=options,
        metadata=metadata,
    )


def create_channel(security: ChannelSecurity) -> Any:
    """A new grpc.aio channel for the prepared settings. Call it from the event loop that will use it."""
    import grpc
    import grpc.aio

    options = list(security.options)
    if not security.use_tls:
        return grpc.aio.insecure_channel(security.target, options=options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=security.root_certificates,
        private_key=security.private_key,
        certificate_chain=security.certificate_chain,
    )
    return grpc.aio.secure_channel(security.target, credentials, options=options)
