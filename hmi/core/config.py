"""Settings for the client, the console and the CLI, from four places, highest first.

1. command-line flags (`add_config_arguments` adds the same set to every subcommand that talks to an IPC);
2. environment variables (`IPC_HMI_TARGET`, … see `ENVIRONMENT`);
3. a TOML file: `--config FILE`, else `IPC_HMI_CONFIG`, else `default_config_path()` if it exists;
4. defaults: `127.0.0.1:50051`, poll every 1 s, 2 s deadline per call, no TLS, no token.

Every bad value is a `ConfigError` whose message names where it came from (file and key,
variable or flag) and the expected form, so the CLI can print it as is and exit 2.
This module imports neither grpc nor Qt: `ipc-hmi --help` stays light.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hmi.core import limits  # the one validator per kind of number
from hmi.core.i18n import N_, _

APP_DIR_NAME = "ipc-hmi"
CONFIG_FILE_NAME = "config.toml"
AUDIT_FILE_NAME = "audit.sqlite3"

DEFAULT_TARGET = "127.0.0.1:50051"
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_DEADLINE = 2.0
DEFAULT_IDLE_TIMEOUT = 300.0
# [progress] defaults (issue 14; the same numbers as hmi.core.progress, which this module does not import).
DEFAULT_STUCK_FACTOR = 3.0
DEFAULT_STUCK_MINIMUM = 300.0
DEFAULT_STUCK_WITHOUT_HISTORY = 1200.0
DEFAULT_RESTART_GRACE = 300.0
# Auto stale threshold: about three poll intervals without a fresh answer.
STALE_POLLS = 3

POLL_RANGE = limits.POLL_SECONDS
DEADLINE_RANGE = limits.DEADLINE_SECONDS
STALE_RANGE = limits.STALE_SECONDS
IDLE_RANGE = limits.IDLE_SECONDS
STUCK_FACTOR_RANGE = limits.STUCK_FACTOR
PROGRESS_RANGE = limits.PROGRESS_SECONDS
ROLES = ("operator", "viewer")

# Environment variables, documented in the README and `--help`.
ENVIRONMENT = {
    "IPC_HMI_TARGET": N_("IPC address, HOST:PORT"),
    "IPC_HMI_CONFIG": N_("config file to read instead of the default one"),
    "IPC_HMI_POLL_INTERVAL": N_("seconds between two reads of the IPC state (0.1..60)"),
    "IPC_HMI_DEADLINE": N_("seconds each call may take (0.1..60)"),
    "IPC_HMI_TOKEN_FILE": N_("file holding a bearer token"),
    "IPC_HMI_TLS_CA": N_("CA certificate (PEM) to verify the IPC with; implies TLS"),
    "IPC_HMI_TLS_CERT": N_("client certificate (PEM) for mutual TLS; implies TLS"),
    "IPC_HMI_TLS_KEY": N_("client private key (PEM) for mutual TLS; implies TLS"),
    "IPC_HMI_TLS_SERVER_NAME": N_("name expected in the IPC's certificate; implies TLS"),
    "IPC_HMI_DATA_DIR": N_("folder for the audit trail and other data"),
    "IPC_HMI_STUCK_FACTOR": N_("a step is stuck after this many times its longest earlier duration (1..1000)"),
    "IPC_HMI_STUCK_MINIMUM": N_("and after at least this many seconds (0..604800)"),
    "IPC_HMI_STUCK_WITHOUT_HISTORY": N_("seconds on one step before it counts as stuck with no history (0..604800)"),
    "IPC_HMI_RESTART_GRACE": N_("seconds an IPC may be unreachable mid-update before it is trouble (0..604800)"),
}


class ConfigError(Exception):
    """A setting is missing, unknown or malformed. The message says where and what is expected."""


@dataclass(frozen=True)
class ClientConfig:
    """What `UpdaterClient` needs. Tests build it directly; `load_config` validates it for users.

    The config classes are frozen but not slotted: a slotted dataclass is built twice at import,
    and every CLI start pays for it (see benchmarks/bench_cli.py).
    """

    target: str = DEFAULT_TARGET
    poll_interval: float = DEFAULT_POLL_INTERVAL
    deadline: float = DEFAULT_DEADLINE
    stale_after: float = 0.0  # seconds; 0 or less = STALE_POLLS poll intervals (resolved on creation)
    tls: bool = False  # TLS with the system's roots unless tls_ca is given
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_server_name: str | None = None
    token_file: Path | None = None
    allow_insecure_token: bool = False

    def __post_init__(self) -> None:
        if not self.stale_after or self.stale_after <= 0:
            object.__setattr__(self, "stale_after", STALE_POLLS * self.poll_interval)

    @property
    def uses_tls(self) -> bool:
        """Any TLS setting switches TLS on; a CA, a client pair or a server name make no sense without it."""
        return bool(self.tls or self.tls_ca or self.tls_cert or self.tls_key or self.tls_server_name)


@dataclass(frozen=True)
class OperatorEntry:
    """One [[operators]] table."""

    name: str
    role: str  # "operator" or "viewer"
    pin_hash: str | None = None  # verified by hmi.core.auth, only type-checked here


@dataclass(frozen=True)
class SignInConfig:
    """The [signin] section and the operator list."""

    enabled: bool = False
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    operators: tuple[OperatorEntry, ...] = ()


@dataclass(frozen=True)
class ProgressConfig:
    """The [progress] section: when a step counts as stuck, how long a restart mid-update may take."""

    stuck_factor: float = DEFAULT_STUCK_FACTOR
    stuck_minimum: float = DEFAULT_STUCK_MINIMUM
    stuck_without_history: float = DEFAULT_STUCK_WITHOUT_HISTORY
    restart_grace: float = DEFAULT_RESTART_GRACE

    def scaled(self, speed: float) -> ProgressConfig:
        """The seconds divided by a demo speed (the demo's mock runs `speed` times faster)."""
        return ProgressConfig(
            stuck_factor=self.stuck_factor,
            stuck_minimum=self.stuck_minimum / speed,
            stuck_without_history=self.stuck_without_history / speed,
            restart_grace=self.restart_grace / speed,
        )


@dataclass(frozen=True)
class ApprovalConfig:
    """The [approval] section: plant rules the console and the CLI enforce before anything is sent (issue 15).

    `windows` are the raw entries ("Mon-Fri 22:00-06:00"), checked by hmi.core.windows at load; empty means
    approvals at any time. `timezone` is the IPC's IANA zone for the windows (None: this machine's local
    zone). `shift_ends` are the local times a shift ends ("06:00"), for "Remind me later: until end of shift".
    """

    require_two: bool = False
    windows: tuple[str, ...] = ()
    timezone: str | None = None
    shift_ends: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppConfig:
    """Everything `load_config` resolved. (Each config class has a docstring: without one, dataclass
    builds it with inspect.signature, which costs every CLI start a little.)"""

    client: ClientConfig
    config_file: Path | None  # the file that was read, if any
    audit_path: Path
    signin: SignInConfig = field(default_factory=SignInConfig)
    data_dir: Path = Path(".")
    progress: ProgressConfig = field(default_factory=ProgressConfig)
    language: str | None = None  # the config file's `language` (hmi.core.i18n.settle puts it in order)
    approval: ApprovalConfig = field(default_factory=ApprovalConfig)


# --- platform folders -----------------------------------------------------------------------------------------


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) if home else Path.home()


def _xdg(environ: Mapping[str, str], var: str, fallback: str) -> Path:
    value = environ.get(var, "")
    # The XDG spec says relative values are invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else _home(environ) / fallback


def default_config_path(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    """Where the config file lives when neither --config nor IPC_HMI_CONFIG names one."""
    if platform == "win32":
        base = Path(environ["APPDATA"]) if environ.get("APPDATA") else _home(environ) / "AppData" / "Roaming"
    elif platform == "darwin":
        base = _home(environ) / "Library" / "Application Support"
    else:
        base = _xdg(environ, "XDG_CONFIG_HOME", ".config")
    return base / APP_DIR_NAME / CONFIG_FILE_NAME


def default_data_dir(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    """IPC_HMI_DATA_DIR if set, else the platform's per-user data folder (audit trail and the like)."""
    if environ.get("IPC_HMI_DATA_DIR"):
        return Path(environ["IPC_HMI_DATA_DIR"]).expanduser()
    if platform == "win32":
        local = environ.get("LOCALAPPDATA") or environ.get("APPDATA")
        base = Path(local) if local else _home(environ) / "AppData" / "Local"
    elif platform == "darwin":
        base = _home(environ) / "Library" / "Application Support"
    else:
        base = _xdg(environ, "XDG_DATA_HOME", ".local/share")
    return base / APP_DIR_NAME


# --- command line ---------------------------------------------------------------------------------------------


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The connection flags shared by every subcommand that talks to an IPC. Unset flags stay None."""
    group = parser.add_argument_group(
        _("connection"),
        _("Flags override environment variables (IPC_HMI_TARGET, …), which override the config file."),
    )
    group.add_argument(
        "--target",
        metavar="HOST:PORT",
        default=None,
        help=_("IPC address (default {target})").format(target=DEFAULT_TARGET),
    )
    group.add_argument(
        "--config", metavar="FILE", type=Path, default=None, help=_("config file (default: see the README)")
    )
    group.add_argument(
        "--poll-interval",
        metavar="SECONDS",
        type=float,
        default=None,
        help=_("seconds between reads of the IPC state (default {seconds:g})").format(seconds=DEFAULT_POLL_INTERVAL),
    )
    group.add_argument(
        "--deadline",
        metavar="SECONDS",
        type=float,
        default=None,
        help=_("seconds per call (default {seconds:g})").format(seconds=DEFAULT_DEADLINE),
    )
    group.add_argument("--tls", action="store_true", default=None, help=_("use TLS, verified with the system's roots"))
    group.add_argument(
        "--tls-ca", metavar="FILE", type=Path, default=None, help=_("CA certificate (PEM); implies --tls")
    )
    group.add_argument(
        "--tls-cert", metavar="FILE", type=Path, default=None, help=_("client certificate (PEM) for mutual TLS")
    )
    group.add_argument("--tls-key", metavar="FILE", type=Path, default=None, help=_("client key (PEM) for mutual TLS"))
    group.add_argument(
        "--tls-server-name", metavar="NAME", default=None, help=_("name expected in the IPC's certificate")
    )
    group.add_argument(
        "--token-file", metavar="FILE", type=Path, default=None, help=_("send the bearer token in FILE with every call")
    )
    group.add_argument(
        "--allow-insecure-token",
        action="store_true",
        default=None,
        help=_("allow sending the token without TLS to an address that is not this machine"),
    )


def add_progress_arguments(parser: argparse.ArgumentParser) -> None:
    """The [progress] flags, for the subcommands that follow a running update (gui, report)."""
    group = parser.add_argument_group(
        _("progress"),
        # Two lines: `gui --help` prints group descriptions as they are (RawDescriptionHelpFormatter, for its epilog).
        _(
            "When a step counts as stuck, and how long the IPC may restart mid-update\n"
            "(IPC_HMI_STUCK_FACTOR, …, or the config file's [progress] table)."
        ),
    )
    group.add_argument(
        "--stuck-factor",
        metavar="N",
        type=float,
        default=None,
        help=_("a step is stuck after N times its longest earlier duration (default {n:g})").format(
            n=DEFAULT_STUCK_FACTOR
        ),
    )
    group.add_argument(
        "--stuck-minimum",
        metavar="SECONDS",
        type=float,
        default=None,
        help=_("and after at least SECONDS (default {seconds:g})").format(seconds=DEFAULT_STUCK_MINIMUM),
    )
    group.add_argument(
        "--stuck-without-history",
        metavar="SECONDS",
        type=float,
        default=None,
        help=_("with no earlier update to compare with, after SECONDS (default {seconds:g})").format(
            seconds=DEFAULT_STUCK_WITHOUT_HISTORY
        ),
    )
    group.add_argument(
        "--restart-grace",
        metavar="SECONDS",
        type=float,
        default=None,
        help=_(
            "seconds the IPC may be unreachable mid-update before the connection-trouble warning (default {seconds:g})"
        ).format(seconds=DEFAULT_RESTART_GRACE),
    )


# --- validation -----------------------------------------------------------------------------------------------


def _number(value: Any, where: str, bounds: tuple[float, float], unit: str = "seconds") -> float:
    try:
        return limits.number(value, where, bounds, unit=unit, parse_text=True)
    except limits.RangeError as exc:
        raise ConfigError(str(exc)) from None


def validate_target(value: Any, where: str) -> str:
    """HOST:PORT, [IPV6]:PORT, or a gRPC target with a scheme (dns:, ipv4:, ipv6:, unix:)."""
    expected = _("HOST:PORT (for example 127.0.0.1:50051)")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            _("{where}: expected {expected}, got {value}").format(where=where, expected=expected, value=repr(value))
        )
    value = text = value.strip()
    if any(c.isspace() for c in value):
        raise ConfigError(
            _("{where}: expected {expected} without spaces, got {value}").format(
                where=where, expected=expected, value=repr(value)
            )
        )
    if value.startswith(("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:")):
        return text
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or (":" in host and not value.startswith("[")):
        raise ConfigError(
            _("{where}: expected {expected}, got {value}").format(where=where, expected=expected, value=repr(value))
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            _("{where}: the port must be a number from 1 to 65535, got {value}").format(where=where, value=repr(value))
        )
    return text


def _string(value: Any, where: str, what: str = N_("a string")) -> str:
    """`what` is a catalogue text (N_), translated here."""
    if not isinstance(value, str) or not value:
        raise ConfigError(
            _("{where}: expected {what}, got {value}").format(where=where, what=_(what), value=repr(value))
        )
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(_("{where}: expected true or false, got {value}").format(where=where, value=repr(value)))
    return value


# TOML schema: key -> (expected form, kind). Kinds: str, path, bool, poll, deadline, stale, idle, target,
# factor, progress.
_TOP_KEYS = {
    "target": "target",
    "poll_interval": "poll",
    "deadline": "deadline",
    "stale_after": "stale",
    "language": "language",
}
_SECTIONS = {
    "tls": {"enabled": "bool", "ca_file": "path", "cert_file": "path", "key_file": "path", "server_name": "str"},
    "auth": {"token_file": "path", "allow_insecure_token": "bool"},
    "audit": {"path": "path"},
    "signin": {"enabled": "bool", "idle_timeout": "idle"},
    "progress": {
        "stuck_factor": "factor",
        "stuck_minimum": "progress",
        "stuck_without_history": "progress",
        "restart_grace": "progress",
    },
    "approval": {"require_two": "bool", "windows": "windows", "timezone": "timezone", "shift_ends": "clock_times"},
}
_OPERATOR_KEYS = ("name", "role", "pin_hash")


def _check(kind: str, value: Any, where: str, base: Path) -> Any:
    if kind == "target":
        return validate_target(value, where)
    if kind == "poll":
        return _number(value, where, POLL_RANGE)
    if kind == "deadline":
        return _number(value, where, DEADLINE_RANGE)
    if kind == "stale":
        return _number(value, where, STALE_RANGE)
    if kind == "idle":
        return _number(value, where, IDLE_RANGE)
    if kind == "factor":
        return _number(value, where, STUCK_FACTOR_RANGE, unit="")
    if kind == "progress":
        return _number(value, where, PROGRESS_RANGE)
    if kind == "bool":
        return _bool(value, where)
    if kind in ("windows", "clock_times"):
        return _string_list(value, where, kind)
    if kind == "timezone":
        return _timezone(_string(value, where, N_('an IANA time zone name such as "Europe/Berlin"')), where)
    if kind == "language":
        from hmi.core.i18n import LanguageError, parse_choice

        try:
            return parse_choice(_string(value, where), where)
        except LanguageError as exc:
            raise ConfigError(str(exc)) from None
    if kind == "path":
        path = Path(_string(value, where, N_("a file path as a string"))).expanduser()
        return path if path.is_absolute() else base / path  # relative to the config file
    return _string(value, where)


def _string_list(value: Any, where: str, kind: str) -> tuple[str, ...]:
    example = '["Mon-Fri 22:00-06:00", "Sat 06:00-14:00"]' if kind == "windows" else '["06:00", "14:00", "22:00"]'
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            _("{where}: expected a list of strings such as {example}, got {value}").format(
                where=where, example=example, value=repr(value)
            )
        )
    entries = tuple(v.strip() for v in value)
    if kind == "windows":
        from hmi.core.windows import parse_windows  # only a config with windows needs it

        parse_windows(entries, where)  # a malformed entry is a ConfigError naming it
    if kind == "clock_times":
        for entry in entries:
            hh, sep, mm = entry.partition(":")
            if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(hh) < 24 and int(mm) < 60):
                raise ConfigError(
                    _('{where}: {entry} is not a time of day as HH:MM, such as "14:00"').format(
                        where=where, entry=repr(entry)
                    )
                )
    return entries


def _timezone(name: str, where: str) -> str:
    import zoneinfo  # only when a zone is configured

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _('{where}: unknown time zone {name}; expected an IANA name such as "Europe/Berlin"').format(
                where=where, name=repr(name)
            )
        ) from None
    return name


def _read_file(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            _("{path}: cannot read the config file: {err}").format(path=path, err=exc.strerror or exc)
        ) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))  # a leading byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("{path}: the config file is not UTF-8 text ({reason} at byte {byte})").format(
                path=path, reason=exc.reason, byte=exc.start
            )
        ) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line N, column M)".
        raise ConfigError(_("{path}: not valid TOML: {exc}").format(path=path, exc=exc)) from None


def _not_a_file(path: Path) -> str:
    """Why `path` cannot be a config file, in words: the real cause, not always "does not exist"."""
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return _("config file {path} does not exist").format(path=path)
    except OSError as exc:
        return _("config file {path} cannot be opened: {err}").format(path=path, err=exc.strerror or exc)
    if stat.S_ISDIR(mode):
        return _("{path} is a folder, not a config file").format(path=path)
    if stat.S_ISFIFO(mode):
        return _("{path} is a named pipe (FIFO), not a config file").format(path=path)
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("{path} is a device (such as /dev/null), not a config file").format(path=path)
    if stat.S_ISSOCK(mode):
        return _("{path} is a socket, not a config file").format(path=path)
    return _("{path} is not a regular file").format(path=path)


def parse_config_file(path: Path) -> dict[str, Any]:
    """Reads and validates one config file. Returns flat settings: {"target": …, "tls.ca_file": Path, …}."""
    data = _read_file(path)
    base = path.parent
    out: dict[str, Any] = {}
    sections = ", ".join(f"[{s}]" for s in _SECTIONS)
    for key, value in data.items():
        if key in _TOP_KEYS:
            out[key] = _check(_TOP_KEYS[key], value, f"{path}: {key}", base)
        elif key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(
                    _("{path}: {key}: expected a section [{key}], got {value}").format(
                        path=path, key=key, value=repr(value)
                    )
                )
            allowed = _SECTIONS[key]
            for sub, subvalue in value.items():
                where = f"{path}: {key}.{sub}"
                if sub not in allowed:
                    raise ConfigError(
                        _("{path}: unknown key '{sub}' in [{key}]; expected one of: {keys}").format(
                            path=path, sub=sub, key=key, keys=", ".join(allowed)
                        )
                    )
                out[f"{key}.{sub}"] = _check(allowed[sub], subvalue, where, base)
        elif key == "operators":
            out["operators"] = _operators(value, path)
        else:
            raise ConfigError(
                _("{path}: unknown key '{key}'; expected one of: {keys}, sections {sections}, or [[operators]]").format(
                    path=path, key=key, keys=", ".join(_TOP_KEYS), sections=sections
                )
            )
    return out


def _operators(value: Any, path: Path) -> tuple[OperatorEntry, ...]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(_("{path}: operators: expected [[operators]] tables with name and role").format(path=path))
    result: list[OperatorEntry] = []
    seen: set[str] = set()
    for i, entry in enumerate(value, start=1):
        where = f"{path}: operators #{i}"
        for key in entry:
            if key not in _OPERATOR_KEYS:
                raise ConfigError(
                    _("{where}: unknown key '{key}'; expected one of: {keys}").format(
                        where=where, key=key, keys=", ".join(_OPERATOR_KEYS)
                    )
                )
        if "name" not in entry:
            raise ConfigError(_('{where}: name is missing; expected name = "…"').format(where=where))
        name = _string(entry["name"], f"{where}: name", N_("a non-empty name")).strip()
        if not name:
            raise ConfigError(_("{where}: name: expected a non-empty name").format(where=where))
        if name in seen:
            raise ConfigError(_("{where}: name: '{name}' is listed twice").format(where=where, name=name))
        seen.add(name)
        role = entry.get("role")
        if role not in ROLES:
            raise ConfigError(
                _('{where}: role: expected "operator" or "viewer", got {role}').format(where=where, role=repr(role))
            )
        pin_hash = entry.get("pin_hash")
        if pin_hash is not None and not isinstance(pin_hash, str):
            raise ConfigError(
                _('{where}: pin_hash: expected a string such as "scrypt$…", got {pin_hash}').format(
                    where=where, pin_hash=repr(pin_hash)
                )
            )
        if pin_hash is not None:
            from hmi.core.auth import hash_cost_problem  # lazy: only a config with operators needs it

            problem = hash_cost_problem(pin_hash)
            if problem is not None:
                raise ConfigError(_("{where}: pin_hash: {problem}").format(where=where, problem=problem))
        result.append(OperatorEntry(name=name, role=role, pin_hash=pin_hash))
    return tuple(result)


# --- merging --------------------------------------------------------------------------------------------------


def _arg(args: argparse.Namespace | None, name: str) -> Any:
    return getattr(args, name, None) if args is not None else None


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value else None  # an empty variable counts as unset


def load_config(args: argparse.Namespace | None = None, environ: Mapping[str, str] = os.environ) -> AppConfig:
    """Merges flags > environment > config file > defaults and validates everything. Raises ConfigError."""
    # Which file: --config, then IPC_HMI_CONFIG (both must exist), then the default path if it exists.
    config_file: Path | None
    explicit = _arg(args, "config")
    where_file = "--config"
    if explicit is None and _env(environ, "IPC_HMI_CONFIG"):
        explicit, where_file = Path(environ["IPC_HMI_CONFIG"]), "IPC_HMI_CONFIG"
    if explicit is not None:
        config_file = Path(explicit).expanduser()
        if not config_file.is_file():
            raise ConfigError(_("{where_file}: {why}").format(where_file=where_file, why=_not_a_file(config_file)))
    else:
        default = default_config_path(environ)
        config_file = default if default.is_file() else None
    file_values = parse_config_file(config_file) if config_file else {}

    def pick(flag: str, env: str | None, key: str) -> tuple[Any, str]:
        """The first set value and where it came from (for error messages)."""
        value = _arg(args, flag)
        if value is not None:
            return value, "--" + flag.replace("_", "-")
        if env and _env(environ, env) is not None:
            return environ[env], env
        if key in file_values:
            return file_values[key], f"{config_file}: {key}"
        return None, ""

    target, where = pick("target", "IPC_HMI_TARGET", "target")
    target = validate_target(target, where) if target is not None else DEFAULT_TARGET
    poll, where = pick("poll_interval", "IPC_HMI_POLL_INTERVAL", "poll_interval")
    poll = _number(poll, where, POLL_RANGE) if poll is not None else DEFAULT_POLL_INTERVAL
    deadline, where = pick("deadline", "IPC_HMI_DEADLINE", "deadline")
    deadline = _number(deadline, where, DEADLINE_RANGE) if deadline is not None else DEFAULT_DEADLINE
    stale = float(file_values.get("stale_after", 0.0))

    def path_setting(flag: str, env: str, key: str) -> Path | None:
        value, _where = pick(flag, env, key)
        return Path(value).expanduser() if value is not None else None

    tls_ca = path_setting("tls_ca", "IPC_HMI_TLS_CA", "tls.ca_file")
    tls_cert = path_setting("tls_cert", "IPC_HMI_TLS_CERT", "tls.cert_file")
    tls_key = path_setting("tls_key", "IPC_HMI_TLS_KEY", "tls.key_file")
    server_name, _w = pick("tls_server_name", "IPC_HMI_TLS_SERVER_NAME", "tls.server_name")
    if server_name is not None and not str(server_name).strip():
        raise ConfigError(_("{where}: expected a host name, got {value}").format(where=_w, value=repr(server_name)))
    tls_flag, _w = pick("tls", None, "tls.enabled")
    token_file = path_setting("token_file", "IPC_HMI_TOKEN_FILE", "auth.token_file")
    allow_insecure, _w = pick("allow_insecure_token", None, "auth.allow_insecure_token")

    if (tls_cert is None) != (tls_key is None):
        raise ConfigError(
            _(
                "mutual TLS needs both a client certificate and its key "
                "(--tls-cert/--tls-key, IPC_HMI_TLS_CERT/IPC_HMI_TLS_KEY, or [tls] cert_file/key_file)"
            )
        )

    client = ClientConfig(
        target=target,
        poll_interval=poll,
        deadline=deadline,
        stale_after=stale,
        tls=bool(tls_flag),
        tls_ca=tls_ca,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_server_name=str(server_name).strip() if server_name is not None else None,
        token_file=token_file,
        allow_insecure_token=bool(allow_insecure),
    )
    data_dir = default_data_dir(environ)
    audit_path = file_values.get("audit.path") or data_dir / AUDIT_FILE_NAME
    signin = SignInConfig(
        enabled=bool(file_values.get("signin.enabled", False)),
        idle_timeout=float(file_values.get("signin.idle_timeout", DEFAULT_IDLE_TIMEOUT)),
        operators=file_values.get("operators", ()),
    )

    def progress_setting(name: str, default: float, kind: str) -> float:
        value, where = pick(name, "IPC_HMI_" + name.upper(), "progress." + name)
        return float(_check(kind, value, where, Path("."))) if value is not None else default

    progress = ProgressConfig(
        stuck_factor=progress_setting("stuck_factor", DEFAULT_STUCK_FACTOR, "factor"),
        stuck_minimum=progress_setting("stuck_minimum", DEFAULT_STUCK_MINIMUM, "progress"),
        stuck_without_history=progress_setting("stuck_without_history", DEFAULT_STUCK_WITHOUT_HISTORY, "progress"),
        restart_grace=progress_setting("restart_grace", DEFAULT_RESTART_GRACE, "progress"),
    )
    approval = ApprovalConfig(
        require_two=bool(file_values.get("approval.require_two", False)),
        windows=file_values.get("approval.windows", ()),
        timezone=file_values.get("approval.timezone"),
        shift_ends=file_values.get("approval.shift_ends", ()),
    )
    if approval.require_two and not signin.enabled:
        raise ConfigError(
            _("{path}: approval.require_two: four-eyes approval needs sign-in; set [signin] enabled = true").format(
                path=config_file
            )
        )
    return AppConfig(
        client=client,
        config_file=config_file,
        audit_path=audit_path,
        signin=signin,
        data_dir=data_dir,
        progress=progress,
        language=file_values.get("language"),
        approval=approval,
    )
