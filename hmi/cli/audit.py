"""`ipc-hmi history` (the approval audit trail) and `ipc-hmi set-pin` (operator sign-in set-up).

Light at import: the store, the PIN hashing and tomllib load inside the
commands, and nothing here loads grpc or Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from hmi.core import limits
from hmi.core.errors import EXIT_NO_CHAIN, EXIT_TAMPERED
from hmi.core.i18n import _

if TYPE_CHECKING:
    from hmi.core.audit import AuditRecord, Verification

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

_OPERATORS_KEY = "operators"  # the config file's [[operators]] tables


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = subparsers.add_parser(
        "history",
        help=_("list the approval audit trail, newest first"),
        description=_(
            "List the approval audit trail, newest first: every approval attempt (who, which version, "
            "which IPC, when, what happened) and every failed sign-in."
        ),
        epilog=_(
            "DATE is ISO 8601 (2025-03-01, 2025-03-01T14:00, 2025-03-01T13:00Z; without a zone it is local time) "
            "or a span back from now: 30m, 12h, 7d. Export: ipc-hmi history --json > audit.json, "
            "ipc-hmi history --csv > audit.csv. Check: ipc-hmi history --verify (exit 0 intact, "
            "{tampered} fails verification, {no_chain} no hash chain yet)."
        ).format(tampered=EXIT_TAMPERED, no_chain=EXIT_NO_CHAIN),
    )
    form = history.add_mutually_exclusive_group()
    form.add_argument(
        "--json", action="store_true", help=_("one JSON array, times in ISO 8601 UTC, with each record's event hash")
    )
    form.add_argument(
        "--csv",
        action="store_true",
        help=_("CSV for plant records (RFC 4180, UTF-8, header row, one row per record with its event hash)"),
    )
    history.add_argument(
        "--verify",
        action="store_true",
        help=_("walk the hash chain and check every record against it; with --json, one object with the head hash"),
    )
    history.add_argument("--since", metavar="DATE", help=_("only records created at or after DATE"))
    history.add_argument("--target", metavar="HOST:PORT", help=_("only records for this IPC address"))
    history.add_argument(
        "--limit", metavar="N", type=limits.arg_whole(limits.RECORD_LIMIT), help=_("at most N records")
    )
    history.add_argument(
        "--audit-file", metavar="PATH", type=Path, help=_("the audit trail (default: from the config)")
    )
    history.set_defaults(func=_history)

    set_pin = subparsers.add_parser(
        "set-pin",
        help=_("set an operator's sign-in PIN in the config file"),
        description=_(
            "Set the sign-in PIN of operator NAME: writes its scrypt hash (never the PIN) into the "
            "[[operators]] table of that name in the config file, adding the table if needed. Every other line "
            "of the file is kept. The PIN is 4 to 12 digits, asked twice on the terminal."
        ),
    )
    set_pin.add_argument("name", metavar="NAME", help=_("operator name as shown at sign-in"))
    set_pin.add_argument("--config", metavar="FILE", type=Path, help=_("config file (default: the user config)"))
    set_pin.add_argument(
        "--role",
        choices=("operator", "viewer"),
        help=_("operator may approve, viewer may not (default: keep the current role; 'operator' for a new name)"),
    )
    set_pin.add_argument(
        "--pin-stdin", action="store_true", help=_("read the PIN from one line of standard input (for scripts)")
    )
    set_pin.set_defaults(func=_set_pin)


# -- history ------------------------------------------------------------------------------------------


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 date or date-time (naive means local time), or a span back from now such as 7d, 12h, 30m."""
    text = text.strip()
    span = re.fullmatch(r"(\d+)\s*([smhdw])", text)
    if span:
        factor = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[span.group(2)]
        seconds = limits.number(int(span.group(1)) * factor, "--since", limits.SPAN_SECONDS)  # RangeError: ValueError
        try:
            return (now or datetime.now(UTC)) - timedelta(seconds=seconds)
        except OverflowError:  # further back than year 1
            raise limits.RangeError("--since", "a span that ends after the year 1", text) from None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)  # ValueError on nonsense
    return moment.astimezone(UTC) if moment.tzinfo else moment.astimezone().astimezone(UTC)


def _default_audit_path() -> Path:
    """The audit trail the console and `approve` write to: [audit] path from the config, else the data folder."""
    from hmi.core import audit
    from hmi.core.config import ConfigError, load_config

    try:
        return Path(load_config().audit_path)
    except ConfigError as exc:
        fallback = audit.default_audit_path()
        print(f"ipc-hmi history: warning: {exc}; reading {fallback}", file=sys.stderr)
        return fallback


def _history(args: argparse.Namespace) -> int:
    from hmi.core.audit import AuditError, AuditStore, record_to_json

    since = None
    if args.since:
        try:
            since = parse_since(args.since)
        except limits.RangeError as exc:
            print(f"ipc-hmi history: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except ValueError:
            print(
                f"ipc-hmi history: --since: not a date: {args.since!r} (use 2025-03-01, 2025-03-01T14:00 or 7d)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    if args.limit is not None and args.limit < 1:
        print("ipc-hmi history: --limit must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    if args.verify and (args.csv or since is not None or args.target or args.limit is not None):
        print(
            "ipc-hmi history: --verify checks the whole trail; it takes only --json and --audit-file", file=sys.stderr
        )
        return EXIT_USAGE
    from hmi.core.i18n import _
    from hmi.core.text import json_for_terminal

    path = args.audit_file or _default_audit_path()
    if args.verify:
        return _verify(path, as_json=args.json)
    if not path.exists():
        if args.json:
            print("[]")
        elif args.csv:
            sys.stdout.write(format_csv([], {}))
        else:
            print(_("No audit trail yet at {path}: nothing was approved from this machine.").format(path=path))
        return EXIT_OK
    try:
        with AuditStore.open_readonly(path) as store:  # reading never writes
            records = store.records(since=since, target=args.target, limit=args.limit)
            hashes = store.event_hashes()
    except AuditError as exc:
        print(f"ipc-hmi history: {exc}", file=sys.stderr)
        return EXIT_FAIL
    try:
        if args.json:
            rows = [record_with_hash(record_to_json(r), hashes.get(r.id)) for r in records]
            text = json.dumps(rows, indent=2, ensure_ascii=False)
            sys.stdout.write(json_for_terminal(text) + "\n")
        elif args.csv:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                sys.stdout.reconfigure(encoding="utf-8", newline="")  # type: ignore[union-attr]  # \r\n as written
            sys.stdout.write(format_csv(records, hashes))
        else:
            sys.stdout.write(format_table(records, path))
        sys.stdout.flush()
    except BrokenPipeError:  # `ipc-hmi history | head`
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def record_with_hash(data: dict[str, object], event: tuple[int, str] | None) -> dict[str, object]:
    """A record's JSON with its latest event's seq and hash (null for a trail without a chain)."""
    return {**data, "eventSeq": event[0] if event else None, "eventHash": event[1] if event else None}


def _verify(path: Path, *, as_json: bool) -> int:
    """`history --verify`: 0 intact (the count and the head hash), 7 fails (the first broken event), 8 no chain yet."""
    from hmi.core.audit import AuditError, AuditStore, Verification
    from hmi.core.i18n import _
    from hmi.core.text import json_for_terminal

    if not path.exists():
        result = Verification(chained=True)
        if not as_json:
            print(_("No audit trail yet at {path}: nothing to verify.").format(path=path))
    else:
        try:
            with AuditStore.open_readonly(path) as store:
                result = store.verify()
        except AuditError as exc:
            print(f"ipc-hmi history: {exc}", file=sys.stderr)
            return EXIT_FAIL
        if not as_json:
            sys.stdout.write(json_for_terminal(verify_text(result, path)) + "\n")
    if as_json:
        text = json.dumps({**result.to_json(), "path": str(path)}, indent=2, ensure_ascii=False)
        sys.stdout.write(json_for_terminal(text) + "\n")
    if not result.chained:
        return EXIT_NO_CHAIN
    return EXIT_OK if result.intact else EXIT_TAMPERED


def verify_text(result: Verification, path: Path) -> str:
    """The one sentence `history --verify` prints."""
    from hmi.core.i18n import _, ngettext

    if not result.chained:
        return ngettext(
            "The audit trail {path} has no hash chain yet: it was written by an older version ({n} record). "
            "It gets one the next time the console or 'ipc-hmi approve' opens it for writing.",
            "The audit trail {path} has no hash chain yet: it was written by an older version ({n} records). "
            "It gets one the next time the console or 'ipc-hmi approve' opens it for writing.",
            result.records,
        ).format(path=path, n=result.records)
    if not result.intact:
        return _("The audit trail {path} fails verification: {problem}").format(path=path, problem=result.problem)
    text = ngettext(
        "The audit trail {path} is intact: {n} event verified.",
        "The audit trail {path} is intact: {n} events verified.",
        result.events,
    ).format(path=path, n=result.events)
    if result.head_hash:
        text += " " + _("Latest event {seq}, hash {hash}.").format(seq=result.head_seq, hash=result.head_hash)
    return text


# Cells a spreadsheet would read as a formula (OWASP "CSV injection"), tab and CR included.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """One CSV cell: empty for null; controls a terminal would act on written as \\uXXXX (as in the JSON);
    a leading =, +, -, @, tab or CR neutralised with a leading apostrophe."""
    from hmi.core.text import CONTROL

    if value is None:
        return ""
    text = CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def format_csv(records: list[AuditRecord], hashes: dict[str, tuple[int, str]]) -> str:
    """RFC 4180: a header row, one row per record (newest first), every cell quoted, CRLF line ends."""
    import csv
    import io

    from hmi.core.audit import export_fields, record_to_json

    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    fields = export_fields()
    writer.writerow(fields)
    for record in records:
        data = record_with_hash(record_to_json(record), hashes.get(record.id))
        writer.writerow([csv_cell(data.get(name)) for name in fields])
    return out.getvalue()


def _local(moment: datetime | None) -> str:
    from hmi.core.i18n import format_datetime

    return format_datetime(moment) if moment else "-"


def format_table(records: list[AuditRecord], path: Path | None = None) -> str:
    """The human listing: newest first, local time, outcome in words."""
    from hmi.core.audit import outcome_marker, outcome_text
    from hmi.core.foureyes import operators_text
    from hmi.core.i18n import _
    from hmi.core.model import clean_line, terminal_id
    from hmi.core.ports import RecordKind
    from hmi.core.retext import from_source

    if not records:
        return (
            _("No records match.") + "\n" if path is None else _("No records match in {path}.").format(path=path) + "\n"
        )
    zone = datetime.now().astimezone().strftime("%Z") or _("local")
    header = (_("Time ({zone})").format(zone=zone), _("Operator"), _("Target"), _("Version"), _("Result"), _("Outcome"))
    rows = []
    for r in records:
        what = r.version_id if r.kind == RecordKind.APPROVE_UPDATE else f"({r.kind})"
        outcome = outcome_text(r)
        if r.code and r.outcome != "approved":
            outcome += f" [{r.code}]"
        if r.message:
            outcome += f": {clean_line(from_source(r.message), 200)}"
        rows.append(
            (
                _local(r.created_at),
                operators_text(r.operator, r.second_operator),
                clean_line(r.target, 60) or "-",
                (terminal_id(what) if r.kind == RecordKind.APPROVE_UPDATE else what) or "-",
                outcome_marker(r),
                outcome,
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


# -- set-pin ------------------------------------------------------------------------------------------


class ConfigEditError(Exception):
    """The config file cannot be edited safely; it was left as it was."""

    usage = False  # True when the file's content is at fault (exit 2), not the writing of it (exit 1)


def default_config_path() -> Path:
    """IPC_HMI_CONFIG if set, else hmi.core.config.default_config_path() (the file the console reads)."""
    if os.environ.get("IPC_HMI_CONFIG"):
        return Path(os.environ["IPC_HMI_CONFIG"]).expanduser()
    from hmi.core import config

    return config.default_config_path()


def _read_pin(args: argparse.Namespace) -> str | None:
    """The PIN from stdin (--pin-stdin) or asked twice on the terminal; None (with a message) when refused."""
    if args.pin_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        print(
            "ipc-hmi set-pin: standard input is not a terminal. Type the PIN on a terminal, "
            "or pass --pin-stdin to read it from one line of standard input.",
            file=sys.stderr,
        )
        return None
    import getpass

    first = getpass.getpass(f"New PIN for {args.name} (4-12 digits): ")
    second = getpass.getpass("Same PIN again: ")
    if first != second:
        print("ipc-hmi set-pin: the two PINs differ; nothing was changed.", file=sys.stderr)
        return None
    return first


def _set_pin(args: argparse.Namespace) -> int:
    from hmi.core.auth import PIN_MAX_DIGITS, PIN_MIN_DIGITS, hash_pin, valid_pin

    name = args.name.strip()
    if not name or any(ch in name for ch in "\r\n\x00") or len(name) > 64:
        print("ipc-hmi set-pin: NAME must be 1 to 64 characters on one line.", file=sys.stderr)
        return EXIT_USAGE
    path = args.config or default_config_path()
    pin = _read_pin(args)
    if pin is None:
        return EXIT_USAGE
    if not valid_pin(pin):
        print(
            f"ipc-hmi set-pin: a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits (0-9); nothing was changed.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    encoded = hash_pin(pin)
    del pin
    try:
        role = write_pin_hash(path, name, encoded, role=args.role)
    except ConfigEditError as exc:
        print(f"ipc-hmi set-pin: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAIL
    print(f"PIN set for {name} ({role}) in {path}.")
    if not _signin_enabled(path):
        print("Sign-in is off. To turn it on, add to that file:\n\n[signin]\nenabled = true")
    return EXIT_OK


def _signin_enabled(path: Path) -> bool:
    import tomllib

    try:
        signin = tomllib.loads(path.read_text(encoding="utf-8-sig")).get("signin")
    except (OSError, ValueError):
        return True  # nothing useful to add
    return isinstance(signin, dict) and signin.get("enabled") is True


_HEADER = re.compile(r"^\s*\[")
_OPERATORS_HEADER = re.compile(r"^\s*\[\[\s*operators\s*\]\]\s*(#.*)?$")
_KEY_LINE = r"^(\s*{key}\s*=\s*)(\"(?:[^\"\\]|\\.)*\"|'[^']*')(\s*(?:#.*)?)$"


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string for everything json.dumps emits.
    return json.dumps(text, ensure_ascii=False)


def _set_key(block: list[str], key: str, value: str, newline: str) -> list[str]:
    """Replaces `key = "..."` in the block's lines (keeping indentation and a trailing comment) or adds it."""
    pattern = re.compile(_KEY_LINE.format(key=re.escape(key)))
    loose = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i, line in enumerate(block):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        match = pattern.match(body)
        if match:
            block[i] = f"{match.group(1)}{_toml_string(value)}{match.group(3)}{ending}"
            return block
        if loose.match(body):
            indent = body[: len(body) - len(body.lstrip())]
            block[i] = f"{indent}{key} = {_toml_string(value)}{ending or newline}"
            return block
    # Not there: add it after the last key line of the table (so trailing comments and blank lines stay after it).
    last = 0
    for i, line in enumerate(block):
        stripped = line.strip()
        if i == 0 or (stripped and not stripped.startswith("#")):
            last = i
    if not block[last].endswith(("\n", "\r")):
        block[last] += newline
    block.insert(last + 1, f"{key} = {_toml_string(value)}{newline}")
    return block


def edit_operator(text: str, name: str, pin_hash: str, *, role: str | None) -> tuple[str, str]:
    """The config text with NAME's pin_hash (and role) set; returns (new text, role). Raises ConfigEditError."""
    import tomllib

    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigEditError(f"the config file is not valid TOML ({exc}); fix it first") from exc
    operators = before.get(_OPERATORS_KEY)
    if operators is not None and not (isinstance(operators, list) and all(isinstance(o, dict) for o in operators)):
        raise ConfigEditError("'operators' in the config file is not a list of [[operators]] tables; edit it by hand")
    operators = operators or []
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    # Where each [[operators]] table starts and ends (up to the next table header).
    starts = [i for i, line in enumerate(lines) if _OPERATORS_HEADER.match(line.rstrip("\r\n"))]
    matches = [i for i, op in enumerate(operators) if op.get("name") == name]
    if len(matches) > 1:
        raise ConfigEditError(f"operator {name!r} is listed more than once; remove the extra tables first")
    expected = copy.deepcopy(before)
    if matches:
        index = matches[0]
        if len(starts) != len(operators):
            raise ConfigEditError("the [[operators]] tables are written in a form this command cannot edit safely")
        if role is None and operators[index].get("role") not in ("operator", "viewer"):
            # Writing a PIN for an entry the config loader rejects would only move the error to start-up.
            raise ConfigEditError(
                f"operator {name!r} has no valid role; run again with --role operator or --role viewer"
            )
        new_role = role or str(operators[index]["role"])
        start = starts[index]
        end = next((j for j in range(start + 1, len(lines)) if _HEADER.match(lines[j])), len(lines))
        block = lines[start:end]
        if role is not None:
            block = _set_key(block, "role", role, newline)
        block = _set_key(block, "pin_hash", pin_hash, newline)
        lines[start:end] = block
        after_text = "".join(lines)
        expected[_OPERATORS_KEY][index]["pin_hash"] = pin_hash
        if role is not None:
            expected[_OPERATORS_KEY][index]["role"] = role
    else:
        new_role = role or "operator"
        table = [
            "[[operators]]",
            f"name = {_toml_string(name)}",
            f"role = {_toml_string(new_role)}",
            f"pin_hash = {_toml_string(pin_hash)}",
        ]
        head = text
        if head and not head.endswith(("\n", "\r")):
            head += newline
        if head.strip():
            head += newline
        after_text = head + newline.join(table) + newline
        expected.setdefault(_OPERATORS_KEY, []).append({"name": name, "role": new_role, "pin_hash": pin_hash})
    # Verify: the edit changed exactly this operator's pin_hash (and role), nothing else.
    try:
        after = tomllib.loads(after_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigEditError(f"the edited file would not be valid TOML ({exc}); nothing was changed") from exc
    if after != expected:
        raise ConfigEditError("the edit would change more than this operator's entry; nothing was changed")
    return after_text, new_role


def write_pin_hash(path: Path, name: str, pin_hash: str, *, role: str | None = None) -> str:
    """Sets NAME's pin_hash in the config file at `path`, atomically, mode 0600. Returns the operator's role."""
    from hmi.core.filelock import LockBusy, locked

    target = path.resolve() if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Another set-pin on the same file waits here; the file is re-read under the lock, so
        # neither run loses the other's operator or puts back a PIN that was just changed.
        with locked(target, wait=30.0):
            return _write_pin_hash_locked(path, target, name, pin_hash, role)
    except LockBusy as exc:
        raise ConfigEditError(f"another program is editing {path} ({exc}); nothing was changed") from exc
    except PermissionError as exc:
        raise ConfigEditError(f"cannot write next to {path}: {exc.strerror or exc}") from exc


def _write_pin_hash_locked(path: Path, target: Path, name: str, pin_hash: str, role: str | None) -> str:
    try:
        raw = target.read_text(encoding="utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigEditError(f"cannot read {path}: {exc}") from exc
    bom = "\ufeff" if raw.startswith("\ufeff") else ""  # kept as it was
    try:
        new_text, new_role = edit_operator(raw[len(bom) :], name, pin_hash, role=role)
    except ConfigEditError as exc:
        exc.usage = True  # the file's content is the problem (invalid TOML, …): a config error, exit 2
        raise
    new_text = bom + new_text
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # lazy: it pulls in shutil, bz2 and lzma on every CLI start

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigEditError(f"cannot write next to {path}: {exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(new_text)
            f.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o600)
            os.fsync(f.fileno())
        # Read back what reached the disk and parse it once more before it replaces the old file.
        import tomllib

        with open(tmp, encoding="utf-8", newline="") as f:
            written = f.read()
        if written != new_text:
            raise OSError("the temporary file does not read back as written")
        tomllib.loads(written.removeprefix("\ufeff"))
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigEditError(f"cannot write {path}: {exc}") from exc
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return new_role
