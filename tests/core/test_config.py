"""Config: flags > environment > TOML file > defaults, and every bad value named with its place."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hmi.core.config import (
    AppConfig,
    ClientConfig,
    ConfigError,
    OperatorEntry,
    add_config_arguments,
    default_config_path,
    default_data_dir,
    load_config,
)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    return parser.parse_args(list(argv))


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose default config file does not exist unless a test writes it."""
    return {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        **extra,
    }


def test_defaults(tmp_path: Path) -> None:
    app = load_config(None, env_for(tmp_path))
    assert isinstance(app, AppConfig)
    c = app.client
    assert (c.target, c.poll_interval, c.deadline, c.stale_after) == ("127.0.0.1:50051", 1.0, 2.0, 3.0)
    assert not c.uses_tls and c.token_file is None and not c.allow_insecure_token
    assert app.config_file is None
    assert app.data_dir == tmp_path / "data" / "ipc-hmi"
    assert app.audit_path == tmp_path / "data" / "ipc-hmi" / "audit.sqlite3"
    assert not app.signin.enabled and app.signin.idle_timeout == 300 and app.signin.operators == ()


def test_client_config_built_directly_resolves_stale_after() -> None:
    c = ClientConfig(target="127.0.0.1:1", poll_interval=0.05, deadline=1.0)
    assert c.stale_after == pytest.approx(0.15)
    assert ClientConfig(poll_interval=0.05, stale_after=7.0).stale_after == 7.0


FULL = """
target = "ipc.example:6000"
poll_interval = 0.5
deadline = 3
stale_after = 10

[tls]
enabled = true
ca_file = "certs/ca.pem"
cert_file = "/abs/client.pem"
key_file = "certs/client.key"
server_name = "ipc.internal"

[auth]
token_file = "token"
allow_insecure_token = true

[audit]
path = "trail.sqlite3"

[signin]
enabled = true
idle_timeout = 120

[[operators]]
name = "anna"
role = "operator"
pin_hash = "scrypt$abc"

[[operators]]
name = "ben"
role = "viewer"
"""


def test_full_file(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    app = load_config(parse("--config", str(path)), env_for(tmp_path))
    c = app.client
    assert app.config_file == path
    assert (c.target, c.poll_interval, c.deadline, c.stale_after) == ("ipc.example:6000", 0.5, 3.0, 10.0)
    assert c.tls and c.uses_tls
    assert c.tls_ca == tmp_path / "certs/ca.pem"  # relative to the file
    assert c.tls_cert == Path("/abs/client.pem")
    assert c.tls_key == tmp_path / "certs/client.key"
    assert c.tls_server_name == "ipc.internal"
    assert c.token_file == tmp_path / "token" and c.allow_insecure_token
    assert app.audit_path == tmp_path / "trail.sqlite3"
    assert app.signin.enabled and app.signin.idle_timeout == 120
    assert app.signin.operators == (OperatorEntry("anna", "operator", "scrypt$abc"), OperatorEntry("ben", "viewer"))


def test_default_file_location_is_read(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    path = default_config_path(env, platform="linux")
    assert path == tmp_path / "cfg" / "ipc-hmi" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('target = "10.0.0.5:50051"\n')
    app = load_config(None, env)
    assert app.config_file == path and app.client.target == "10.0.0.5:50051"


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'target = "file:1"\npoll_interval = 5\ndeadline = 5\n'.replace("file:1", "filehost:1"))
    env = env_for(tmp_path, IPC_HMI_CONFIG=str(path), IPC_HMI_TARGET="envhost:2", IPC_HMI_POLL_INTERVAL="2.5")
    app = load_config(parse(), env)
    assert (app.client.target, app.client.poll_interval, app.client.deadline) == ("envhost:2", 2.5, 5.0)
    app = load_config(parse("--target", "flaghost:3", "--poll-interval", "0.2"), env)
    assert (app.client.target, app.client.poll_interval, app.client.deadline) == ("flaghost:3", 0.2, 5.0)
    assert app.client.stale_after == pytest.approx(0.6)


def test_env_security_settings(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        IPC_HMI_TOKEN_FILE="~/tok",
        IPC_HMI_TLS_CA="/ca.pem",
        IPC_HMI_TLS_CERT="/c.pem",
        IPC_HMI_TLS_KEY="/c.key",
        IPC_HMI_TLS_SERVER_NAME="ipc.test",
        IPC_HMI_DATA_DIR=str(tmp_path / "d"),
        IPC_HMI_DEADLINE="4",
    )
    app = load_config(parse(), env)
    c = app.client
    assert c.uses_tls and c.tls_ca == Path("/ca.pem") and c.tls_server_name == "ipc.test"
    assert c.token_file == Path("~/tok").expanduser()
    assert c.deadline == 4.0
    assert app.data_dir == tmp_path / "d" and app.audit_path == tmp_path / "d" / "audit.sqlite3"


def test_flags_for_tls_and_token(tmp_path: Path) -> None:
    args = parse("--tls", "--tls-server-name", "x.test", "--token-file", "t", "--allow-insecure-token")
    c = load_config(args, env_for(tmp_path)).client
    assert c.tls and c.tls_server_name == "x.test" and c.token_file == Path("t") and c.allow_insecure_token


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('colour = "red"\n', ["unknown key 'colour'", "target", "[tls]"]),
        ("[tls]\nverify = true\n", ["unknown key 'verify' in [tls]", "ca_file"]),
        ("[network]\nx = 1\n", ["unknown key 'network'"]),
        ('poll_interval = "fast"\n', ["poll_interval", "a number of seconds from 0.1 to 60", "'fast'"]),
        ("poll_interval = 0.01\n", ["poll_interval", "from 0.1 to 60"]),
        ("deadline = 600\n", ["deadline", "from 0.1 to 60"]),
        ("deadline = true\n", ["deadline", "number"]),
        ("stale_after = -1\n", ["stale_after"]),
        ('target = "no-port"\n', ["target", "HOST:PORT"]),
        ('target = "host:99999"\n', ["target", "port"]),
        ("[tls]\nenabled = 1\n", ["tls.enabled", "true or false"]),
        ("[auth]\ntoken_file = 5\n", ["auth.token_file", "file path"]),
        ("[signin]\nidle_timeout = 0\n", ["signin.idle_timeout"]),
        ("tls = 3\n", ["tls", "section"]),
        ('[[operators]]\nname = "a"\nrole = "admin"\n', ["operators #1", "role", '"operator" or "viewer"']),
        ('[[operators]]\nrole = "viewer"\n', ["operators #1", "name is missing"]),
        ('[[operators]]\nname = "a"\nrole = "viewer"\npin = "1234"\n', ["unknown key 'pin'", "pin_hash"]),
        ('[[operators]]\nname = "a"\nrole = "viewer"\npin_hash = 1234\n', ["pin_hash", "string"]),
        (
            '[[operators]]\nname = "a"\nrole = "viewer"\n[[operators]]\nname = "a"\nrole = "operator"\n',
            ["operators #2", "listed twice"],
        ),
    ],
)
def test_bad_file_names_file_key_and_form(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(parse("--config", str(path)), env_for(tmp_path))
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message


def test_bad_toml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'target = "a:1"\n\npoll_interval = = 3\n')
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 3") as info:
        load_config(parse("--config", str(path)), env_for(tmp_path))
    assert str(path) in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'target = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(parse("--config", str(path)), env_for(tmp_path))


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--config: config file .* does not exist"):
        load_config(parse("--config", str(tmp_path / "nope.toml")), env_for(tmp_path))
    with pytest.raises(ConfigError, match="IPC_HMI_CONFIG"):
        load_config(parse(), env_for(tmp_path, IPC_HMI_CONFIG=str(tmp_path / "nope.toml")))


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        (["--poll-interval", "0"], {}, "--poll-interval"),
        (["--deadline", "1000"], {}, "--deadline"),
        (["--target", "a b:1"], {}, "--target"),
        ([], {"IPC_HMI_POLL_INTERVAL": "soon"}, "IPC_HMI_POLL_INTERVAL"),
        ([], {"IPC_HMI_DEADLINE": "nan"}, "IPC_HMI_DEADLINE"),
        ([], {"IPC_HMI_TARGET": "nohostport"}, "IPC_HMI_TARGET"),
        (["--tls-cert", "c.pem"], {}, "both a client certificate and its key"),
    ],
)
def test_bad_flag_or_env_is_named(tmp_path: Path, argv: list[str], env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(parse(*argv), env_for(tmp_path, **env))
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "target",
    ["127.0.0.1:50051", "localhost:1", "[::1]:50051", "ipc.example.com:443", "dns:///ipc:1", "unix:/tmp/s.sock"],
)
def test_good_targets(tmp_path: Path, target: str) -> None:
    assert load_config(parse("--target", target), env_for(tmp_path)).client.target == target


def test_empty_env_counts_as_unset(tmp_path: Path) -> None:
    app = load_config(parse(), env_for(tmp_path, IPC_HMI_TARGET="", IPC_HMI_POLL_INTERVAL=""))
    assert app.client.target == "127.0.0.1:50051" and app.client.poll_interval == 1.0


def test_platform_folders(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert default_config_path({"HOME": home}, platform="linux") == tmp_path / ".config/ipc-hmi/config.toml"
    # A relative XDG value is invalid per the spec and ignored.
    assert (
        default_config_path({"HOME": home, "XDG_CONFIG_HOME": "rel"}, "linux")
        == tmp_path / ".config/ipc-hmi/config.toml"
    )
    assert default_config_path({"HOME": home}, "darwin") == tmp_path / "Library/Application Support/ipc-hmi/config.toml"
    assert default_config_path({"APPDATA": home}, "win32") == tmp_path / "ipc-hmi" / "config.toml"
    assert default_data_dir({"HOME": home}, "linux") == tmp_path / ".local/share/ipc-hmi"
    assert default_data_dir({"HOME": home, "XDG_DATA_HOME": str(tmp_path / "x")}, "linux") == tmp_path / "x/ipc-hmi"
    assert default_data_dir({"LOCALAPPDATA": home}, "win32") == tmp_path / "ipc-hmi"
    assert default_data_dir({"HOME": home, "IPC_HMI_DATA_DIR": str(tmp_path / "d")}, "linux") == tmp_path / "d"


def test_config_module_is_light() -> None:
    """The parsers of every subcommand import this module; it must not pull grpc in."""
    import subprocess
    import sys

    code = "import sys, hmi.core.config; print('grpc' in sys.modules, 'tomllib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    """The commented config example in docs/configuration.md loads as shown."""
    import re

    readme = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    match = re.search(r"## Config file.*?```toml\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    assert match, "docs/configuration.md has no ```toml example under '## Config file'"
    path = write(tmp_path, match.group(1))
    app = load_config(parse("--config", str(path)), env_for(tmp_path))
    assert app.client.uses_tls and app.client.token_file is not None and len(app.signin.operators) == 2


_BAD_FILES = [case[0] for case in test_bad_file_names_file_key_and_form.pytestmark[0].args[1]]  # type: ignore[attr-defined]


_BAD_WINDOWS = [
    *("Mon 25:00-26:00", "Mo 08:00-09:00", "Mon- 08:00-09:00", "Mon-Mon 08:00-09:00", "always", "Mon 08:00-08:00")
]


@pytest.mark.parametrize(
    "text",
    [
        *_BAD_FILES,
        "[approval]\nrequire_two = true\n",
        'target = "a b:1"\n',
        *(f'[approval]\nwindows = ["{w}"]\n' for w in _BAD_WINDOWS),
    ],
)
def test_every_config_error_reads_in_german_and_goes_back_to_the_english(tmp_path: Path, text: str) -> None:
    """The class, not one example: each bad file above gives a German sentence under --lang de, which is the
    English one translated (hmi.core.retext turns it back into exactly the English sentence)."""
    from hmi.core import i18n
    from hmi.core.retext import to_source

    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as english:
        load_config(parse("--config", str(path)), env_for(tmp_path))
    i18n.set_language("de")
    try:
        with pytest.raises(ConfigError) as german:
            load_config(parse("--config", str(path)), env_for(tmp_path))
        assert str(german.value) != str(english.value)
        assert to_source(str(german.value)) == str(english.value)
    finally:
        i18n.set_language("en")
