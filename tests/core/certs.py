"""Test certificates made on the spot: a CA, two server certificates and a client certificate.

Made with the `openssl` command line (the `cryptography` package is not installed in this project's
environment); `make_certs` returns None, and the caller skips with SKIP_REASON, when openssl is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certs:
    ca: Path  # CA certificate
    server_cert: Path  # SAN: IP 127.0.0.1 and DNS localhost
    server_key: Path
    named_cert: Path  # SAN: DNS ipc.test only (needs a server-name override to reach 127.0.0.1)
    named_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here

    def read(self, path: Path) -> bytes:
        return path.read_bytes()


SKIP_REASON = "the openssl command is not available to make test certificates"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _key(name: str, cwd: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key", cwd=cwd)


def _ca(name: str, cwd: Path) -> None:
    _key(name, cwd)
    _openssl(
        "req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
        "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=cwd,
    )  # fmt: skip


def _leaf(name: str, san: str, usage: str, cwd: Path) -> None:
    _key(name, cwd)
    _openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=cwd)
    (cwd / f"{name}.ext").write_text(
        f"subjectAltName={san}\nextendedKeyUsage={usage}\nbasicConstraints=CA:FALSE\n", encoding="ascii"
    )
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
        cwd=cwd,
    )  # fmt: skip


def make_certs(folder: Path) -> Certs | None:
    if shutil.which("openssl") is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    _ca("ca", folder)
    _ca("other-ca", folder)
    _leaf("server", "IP:127.0.0.1,DNS:localhost", "serverAuth", folder)
    _leaf("named", "DNS:ipc.test", "serverAuth", folder)
    _leaf("client", "DNS:technician", "clientAuth", folder)
    for key in folder.glob("*.key"):
        key.chmod(0o600)
    return Certs(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=folder / "server.key",
        named_cert=folder / "named.pem",
        named_key=folder / "named.key",
        client_cert=folder / "client.pem",
        client_key=folder / "client.key",
        other_ca=folder / "other-ca.pem",
    )
