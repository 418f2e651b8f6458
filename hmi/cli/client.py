"""`ipc-hmi report` and `ipc-hmi approve`: the technician's commands for one IPC.

Registering the parsers imports only argparse-level modules; grpc, asyncio and the client load
inside the command, so `ipc-hmi --help` stays instant and neither command ever loads Qt.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hmi.core.config import ENVIRONMENT, add_config_arguments
from hmi.core.errors import (  # the one error table: exit codes and their meaning in --help
    EXIT_AUTH,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_REFUSED,  # noqa: F401  (re-exported: the CLI names every code)
    EXIT_UNREACHABLE,  # noqa: F401
    EXIT_USAGE,
    exit_codes_help,
)

REPORT_EXIT_CODES_HELP = EXIT_CODES_HELP = exit_codes_help()

ENV_HELP = "environment:\n" + "\n".join(f"  {name:<24} {text}" for name, text in ENVIRONMENT.items())


def register(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report",
        help="show the IPC's update state",
        description="Reads the IPC's update state once (or, with --watch, until interrupted) and prints it.",
        epilog=f"{REPORT_EXIT_CODES_HELP}\n{ENV_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--json", action="store_true", help="print UpdateInfo as protobuf JSON, exactly as grpcurl prints it"
    )
    report.add_argument(
        "--watch",
        action="store_true",
        help="keep polling and print one line (or, with --json, one compact JSON object) per change; Ctrl-C ends",
    )
    add_config_arguments(report)
    report.set_defaults(func=run_report)

    approve = subparsers.add_parser(
        "approve",
        help="approve exactly one offered version",
        description="Approves VERSION, and only if the IPC offers exactly that version right now. "
        "It never approves whatever happens to be available. Without --yes it asks on a terminal "
        "('Install 1.5.0, replacing 1.4.2? [y/N]'); without a terminal and without --yes it refuses. "
        "Each attempt is recorded in the audit trail.",
        epilog=f"{EXIT_CODES_HELP}\n{ENV_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    approve.add_argument("version", metavar="VERSION", help="the exact version id the IPC offers")
    approve.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    approve.add_argument(
        "--operator",
        metavar="NAME",
        help="with sign-in on (config [signin] enabled): who approves; the PIN is asked on the terminal",
    )
    approve.add_argument(
        "--pin-stdin", action="store_true", help="with sign-in on: read the PIN from the first line of standard input"
    )
    add_config_arguments(approve)
    approve.set_defaults(func=run_approve)


# --- shared -----------------------------------------------------------------------------------------------------


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _setup_output() -> None:
    import logging

    # A terminal that cannot show a character gets an escape instead of a crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    logging.addLevelName(logging.WARNING, "warning")
    logging.addLevelName(logging.ERROR, "error")


def _load(args: argparse.Namespace) -> Any:
    """AppConfig, or None after printing the error (exit 2)."""
    from hmi.core.config import ConfigError, load_config

    try:
        return load_config(args)
    except ConfigError as exc:
        _err(f"error: {exc}")
        return None


def _new_client(config: Any, **kwargs: Any) -> Any:
    from hmi.core.client import UpdaterClient
    from hmi.core.config import ConfigError

    try:
        return UpdaterClient(config.client, **kwargs)
    except ConfigError as exc:  # SecurityError is a ConfigError
        _err(f"error: {exc}")
        return None


# --- report -----------------------------------------------------------------------------------------------------


def run_report(args: argparse.Namespace) -> int:
    _setup_output()
    app = _load(args)
    if app is None:
        return EXIT_USAGE
    import asyncio

    try:
        if args.watch:
            client = _new_client(app)
            if client is None:
                return EXIT_USAGE
            return asyncio.run(_watch(client, as_json=args.json))
        return _report_once(app.client, as_json=args.json)
    except BrokenPipeError:  # `ipc-hmi report --watch | head` ends quietly
        _quiet_stdout()
        return EXIT_OK


def _quiet_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _report_once(config: Any, *, as_json: bool) -> int:
    """One read without the polling client: `--json` then never loads the snapshot model."""
    import asyncio

    from hmi.core.config import ConfigError
    from hmi.core.oneshot import read_update_info
    from hmi.core.security import prepare

    try:
        security = prepare(config)
    except ConfigError as exc:  # SecurityError: unreadable file, token without TLS, …
        _err(f"error: {exc}")
        return EXIT_USAGE
    result = asyncio.run(read_update_info(config, security))
    if result.info is not None and as_json:
        from hmi.core.report import info_json

        print(info_json(result.info), flush=True)
        return EXIT_OK
    from hmi.core.report import format_failure, format_report

    state = result.client_state(config)
    if result.info is None:
        operator, technician, code = format_failure(state)  # technician line already cleaned
        _err(f"error: {operator}\n  {technician}")
        return code
    print(format_report(state, result.received_at), flush=True)
    return EXIT_OK


async def _watch(client: Any, *, as_json: bool) -> int:
    import asyncio
    import signal
    import time

    from hmi.core.report import change_key, format_line, info_json

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass

    last: list[Any] = [object()]
    broken: list[BaseException] = []

    def on_state(state: Any) -> None:
        try:
            if as_json:
                info, failed = client.last_info, state.connection.last_attempt_failed
                if failed:
                    key: Any = ("failed", state.connection.error_code)
                    if key != last[0]:
                        from hmi.core.model import clean_line

                        detail = state.connection.error_detail or state.connection.error_code
                        _err(f"warning: {clean_line(str(detail), 1000)}")
                elif info is not None:
                    key = info.SerializeToString(deterministic=True)
                    if key != last[0]:
                        print(info_json(info, compact=True), flush=True)
                else:
                    return
            else:
                now = time.monotonic()
                key = change_key(state, now)
                if key != last[0]:
                    print(format_line(state, now, time.time()), flush=True)
            last[0] = key
        except BrokenPipeError as exc:
            broken.append(exc)
            stop.set()

    client.subscribe(on_state)
    failures = getattr(sys.stdout, "on_failure", None)  # hmi.cli.output: stdout full or closed ends the watch
    if failures is not None:
        failures.append(stop.set)
    try:
        await client.start()
        await stop.wait()
    except asyncio.CancelledError:  # Ctrl-C where signal handlers are not available
        pass
    finally:
        await client.aclose()
    if broken:
        raise broken[0]
    return EXIT_OK


# --- approve ----------------------------------------------------------------------------------------------------


def _os_user() -> str | None:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return None


def _open_audit(app: Any) -> Any:
    """The audit store, or None after saying why (then nothing may be sent)."""
    from hmi.core.audit import AuditReadOnly, AuditStore

    try:
        return AuditStore.open(app.audit_path)
    except AuditReadOnly as exc:
        _err(f"error: {exc}\n  Nothing was sent.")
        return None
    except Exception as exc:
        _err(f"error: cannot open the audit trail {app.audit_path}: {exc}\n  Nothing was sent.")
        return None


def _read_pin(args: argparse.Namespace) -> str | None:
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"PIN for {args.operator}: ")
    return None


def _signed_in_operator(args: argparse.Namespace, app: Any, store: Any) -> tuple[str | None, int]:
    """With sign-in on: (operator name, 0) after a good PIN of someone allowed to approve, else (None, exit code).

    Failed PINs are audited by SignIn; the lockout counts earlier failures from the audit trail,
    so a new process per guess does not reset it.
    """
    from hmi.core.auth import SignIn, recent_pin_failures

    if not args.operator:
        _err("error: sign-in is on: pass --operator NAME (the PIN is asked on the terminal, or use --pin-stdin).")
        return None, EXIT_USAGE
    pin = _read_pin(args)
    if pin is None:
        _err("error: sign-in is on and there is no terminal to ask for the PIN on. Use --pin-stdin.")
        return None, EXIT_USAGE
    lockout_after = 5
    left = lockout_after - recent_pin_failures(store, args.operator)
    if left <= 0:
        store.record_signin_failure(
            operator=args.operator, reason="locked-out", message="locked (command line)", target=app.client.target
        )
        _err(f"error: {args.operator} is locked out after {lockout_after} wrong PINs. Try again in a minute.")
        return None, EXIT_AUTH
    signin = SignIn.from_config(app.signin, audit=store, target=app.client.target, lockout_after=left)
    result = signin.sign_in(args.operator, pin)
    if not result.ok:
        _err(f"error: {result.message}. Nothing was sent.")
        return None, EXIT_AUTH
    if not signin.may_approve():
        record = store.begin(
            target=app.client.target, version_id=args.version, current_version=None, operator=args.operator
        )
        store.complete(record, outcome="refused-locally", code=None, message="viewer may not approve")
        _err(f"error: {args.operator} is a viewer; viewers cannot approve updates. Nothing was sent.")
        return None, EXIT_AUTH
    return args.operator, 0


def run_approve(args: argparse.Namespace) -> int:
    _setup_output()
    if not args.version:
        _err("error: VERSION is empty: give the exact version id the IPC offers (see 'ipc-hmi report').")
        return EXIT_USAGE
    app = _load(args)
    if app is None:
        return EXIT_USAGE

    version = args.version
    store = _open_audit(app)
    if store is None:
        return EXIT_OTHER
    try:
        return _run_approve(args, app, store, version)
    finally:
        store.close()


def _run_approve(args: argparse.Namespace, app: Any, store: Any, version: str) -> int:
    import asyncio

    operator = _os_user()
    if app.signin.enabled:
        operator, code = _signed_in_operator(args, app, store)
        if operator is None:
            return code
    elif args.operator or args.pin_stdin:
        _err("error: --operator and --pin-stdin need sign-in turned on in the config file ([signin] enabled = true).")
        return EXIT_USAGE
    if not args.yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _err(
                "error: not approving without confirmation: there is no terminal to ask on. "
                f"Pass --yes to approve {version!r} without asking."
            )
            return EXIT_USAGE
        client = _new_client(app)
        if client is None:
            return EXIT_USAGE
        question = asyncio.run(_question(client, version))
        if question is not None:  # offered now: ask; otherwise the approval below is refused and recorded
            sys.stdout.write(question)
            sys.stdout.flush()
            answer = sys.stdin.readline()  # "" at end of input: no
            if answer.strip().lower() not in ("y", "yes"):
                from hmi.core.i18n import _

                print(_("Not approved. Nothing was sent."))
                return EXIT_OTHER

    client = _new_client(app, audit=store)
    if client is None:
        return EXIT_USAGE
    result = asyncio.run(_approve(client, version, operator))
    from hmi.core.errors import NOT_GRPC, explain
    from hmi.core.model import clean_line

    # Message and detail may quote the IPC's own words: cleaned of control characters for the terminal.
    message, detail = clean_line(result.message or "", 1000), clean_line(result.detail or "", 1000)
    if result.outcome == "approved":
        print(message, flush=True)
    elif explain("UNAVAILABLE", detail) is NOT_GRPC:
        _err(f"error: {NOT_GRPC.operator} Nothing was approved.\n  {detail}")
    else:
        _err(f"error: {message}\n  {detail}")
    return result.exit_code


async def _question(client: Any, version: str) -> str | None:
    """'Install 1.5.0, replacing 1.4.2? [y/N] ' when exactly `version` is offered now, else None."""
    import time

    from hmi.core.i18n import _
    from hmi.core.model import approval_gate
    from hmi.core.view import version_text

    try:
        state = await client.refresh()
    finally:
        await client.aclose()
    gate = approval_gate(state, time.monotonic())
    if not gate.permits(version) or gate.version is None:
        return None
    current = version_text(state.snapshot, "current")
    shown = gate.version.display_id
    if gate.version.display_differs:  # say exactly what will be sent when the screen form hides something
        shown = f"{shown} (exact id {version!r})"
    if gate.is_retry:
        return _("Retry installing {new}, replacing {current}? [y/N] ").format(new=shown, current=current)
    return _("Install {new}, replacing {current}? [y/N] ").format(new=shown, current=current)


async def _approve(client: Any, version: str, operator: str | None) -> Any:
    try:
        await client.refresh()  # the gate needs fresh data; approve() re-checks it
        return await client.approve(version, operator=operator)
    finally:
        await client.aclose()
