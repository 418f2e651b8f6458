"""`ipc-hmi report` and `ipc-hmi approve`: the technician's commands for one IPC.

Registering the parsers imports only argparse-level modules; grpc, asyncio and the client load
inside the command, so `ipc-hmi --help` stays instant and neither command ever loads Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from hmi.core import i18n
from hmi.core.config import ENVIRONMENT, add_config_arguments, add_progress_arguments
from hmi.core.errors import (  # the one error table: exit codes and their meaning in --help
    EXIT_AUTH,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_REFUSED,
    EXIT_UNKNOWN,  # noqa: F401
    EXIT_UNREACHABLE,  # noqa: F401
    EXIT_USAGE,
    exit_codes_help,
)
from hmi.core.i18n import _, ngettext

if TYPE_CHECKING:  # types only: the modules load inside the commands
    from hmi.core.audit import AuditStore
    from hmi.core.client import ApprovalResult, UpdaterClient
    from hmi.core.config import AppConfig, ClientConfig
    from hmi.core.model import ClientState
    from hmi.core.oneshot import ReadResult

PROMPT_TTL = 60.0  # = hmi.core.model.CONFIRMATION_TTL, the confirmation sheet's limit (a test checks they agree)


def _env_line(name: str, text: str) -> str:
    """One variable of the `environment:` section, wrapped at 79 columns under its text (printed as it is)."""
    import textwrap

    indent = " " * 27
    if len(name) > 24:  # a long name takes a line of its own
        return f"  {name}\n" + textwrap.fill(text, 79, initial_indent=indent, subsequent_indent=indent)
    return textwrap.fill(text, 79, initial_indent=f"  {name:<24} ", subsequent_indent=indent)


def _wrapped(text: str) -> str:
    """A description for RawDescriptionHelpFormatter (which prints it as it is), wrapped at 79 columns."""
    import textwrap

    return textwrap.fill(text, 79)


def env_help() -> str:
    """The `environment:` section of `--help`, in the current language."""
    return _("environment:") + "\n" + "\n".join(_env_line(name, _(text)) for name, text in ENVIRONMENT.items())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser(
        "report",
        help=_("show the IPC's update state"),
        description=_wrapped(
            _("Reads the IPC's update state once (or, with --watch, until interrupted) and prints it.")
        ),
        epilog=f"{exit_codes_help()}\n{env_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--json",
        action="store_true",
        help=_(
            'print UpdateInfo as protobuf JSON, exactly as grpcurl prints it, plus an "hmi" object with the '
            "console's estimate (expected, stuck)"
        ),
    )
    report.add_argument(
        "--watch",
        action="store_true",
        help=_(
            "keep polling and print one line (or, with --json, one compact JSON object) per change, recording "
            "how long each step takes in the step history; Ctrl-C ends"
        ),
    )
    add_config_arguments(report)
    add_progress_arguments(report)
    report.set_defaults(func=run_report)

    approve = subparsers.add_parser(
        "approve",
        help=_("approve exactly one offered version"),
        description=_wrapped(
            _(
                "Approves VERSION, and only if the IPC offers exactly that version right now. "
                "It never approves whatever happens to be available. Without --yes it asks on a terminal "
                "('Install 1.5.0, replacing 1.4.2? [y/N]'); without a terminal and without --yes it refuses. "
                "Each attempt is recorded in the audit trail."
            )
        ),
        epilog=f"{exit_codes_help()}\n{env_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    approve.add_argument("version", metavar="VERSION", help=_("the exact version id the IPC offers"))
    approve.add_argument("-y", "--yes", action="store_true", help=_("do not ask for confirmation"))
    approve.add_argument(
        "--operator",
        metavar="NAME",
        help=_("with sign-in on (config [signin] enabled): who approves; the PIN is asked on the terminal"),
    )
    approve.add_argument(
        "--second-operator",
        metavar="NAME",
        help=_(
            "with four-eyes approval (config [approval] require_two = true): the second, different operator "
            "who confirms the same version; their PIN is asked after the first one's"
        ),
    )
    approve.add_argument(
        "--pin-stdin",
        action="store_true",
        help=_(
            "with sign-in on: read the PIN from the first line of standard input (with four-eyes approval: "
            "the first operator's PIN, then the second operator's on the next line)"
        ),
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


def _load(args: argparse.Namespace) -> AppConfig | None:
    """AppConfig, or None after printing the error (exit 2)."""
    from hmi.core.config import ConfigError, load_config

    try:
        app = load_config(args)
        warning = i18n.settle(os.environ, config=app.language)
        if warning:
            _err(f"ipc-hmi: {warning}")
        return app
    except ConfigError as exc:
        _err(_("error: {reason}").format(reason=exc))
        return None


def _new_client(config: AppConfig, audit: AuditStore | None = None) -> UpdaterClient | None:
    from hmi.core.client import UpdaterClient
    from hmi.core.config import ConfigError

    try:
        return UpdaterClient(config.client, audit=audit)
    except ConfigError as exc:  # SecurityError is a ConfigError
        _err(_("error: {reason}").format(reason=exc))
        return None


# --- report -----------------------------------------------------------------------------------------------------


def run_report(args: argparse.Namespace) -> int:
    _setup_output()
    app = _load(args)
    if app is None:
        return EXIT_USAGE
    import asyncio

    try:
        store = _existing_audit(app)  # the next read settles earlier unknown outcomes for this IPC
        try:
            if args.watch:
                client = _new_client(app, audit=store)
                if client is None:
                    return EXIT_USAGE
                recorder = _step_recorder(app, app.client.target, create=True)
                try:
                    return asyncio.run(_watch(client, as_json=args.json, recorder=recorder))
                finally:
                    _close_recorder(recorder)
            return _report_once(app.client, as_json=args.json, store=store, app=app)
        finally:
            if store is not None:
                store.close()
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


def _existing_audit(app: AppConfig) -> AuditStore | None:
    """The audit trail when it already exists (a report never creates one), else None."""
    try:
        if not app.audit_path.is_file():
            return None
        from hmi.core.audit import AuditStore

        return AuditStore.open(app.audit_path)
    except Exception as exc:
        _err(_("warning: cannot open the audit trail to settle earlier approvals: {reason}").format(reason=exc))
        return None


def _progress_settings(app: Any) -> Any:
    from hmi.core.progress import ProgressSettings

    p = app.progress
    return ProgressSettings(p.stuck_factor, p.stuck_minimum, p.stuck_without_history)


def _step_recorder(app: Any, target: str, *, create: bool) -> Any:
    """A StepRecorder on the step history beside the audit trail (docs/progress.md). `create`: make the file
    if needed (report --watch records); otherwise only an existing file is read. In memory only, with a
    warning, when the file cannot be used."""
    from hmi.core.stephistory import StepHistory, StepHistoryError, StepRecorder, default_steps_path

    path = default_steps_path(app.audit_path)
    history = None
    if create or path.is_file():
        try:
            history = StepHistory.open(path)
        except StepHistoryError as exc:
            _err(f"warning: {exc}; estimates come from what this command sees only")
    recorder = StepRecorder(target, history, settings=_progress_settings(app))
    if recorder.last_error:
        _err(f"warning: {recorder.last_error}")
    return recorder


def _close_recorder(recorder: Any) -> None:
    history = recorder.history
    if recorder.pending:
        recorder.flush()
    recorder.close()
    if history is not None:
        history.close()


def _settle_from(store: AuditStore | None, config: ClientConfig, result: ReadResult) -> None:
    """Settles unknown approvals for this IPC from the read just made, and says so on stderr."""
    if store is None or result.info is None:
        return
    from hmi.core.model import DISPLAY_ID_MAX, clean_line, snapshot_from_proto
    from hmi.core.settle import settle_unresolved

    snapshot = snapshot_from_proto(result.info, received_at=result.received_at, received_wall=result.received_wall)
    try:
        settled = settle_unresolved(store, config.target, snapshot, lambda v: clean_line(v, DISPLAY_ID_MAX) or repr(v))
    except Exception as exc:
        _err(_("warning: could not settle earlier approvals: {reason}").format(reason=exc))
        return
    for record_id, settlement in settled:
        _err(_("note: audit record {n}: {message}").format(n=record_id, message=settlement.message))


def _estimate_once(app: Any, config: Any, result: Any) -> Any:
    """What is usual for the running step, from the stored step history (None without an app)."""
    if app is None:
        return None
    from hmi.core.model import snapshot_from_proto
    from hmi.core.progress import estimate_once

    snapshot = snapshot_from_proto(result.info, received_at=result.received_at, received_wall=result.received_wall)
    recorder = _step_recorder(app, config.target, create=False)
    try:
        return estimate_once(snapshot, recorder.known, recorder.settings)
    finally:
        _close_recorder(recorder)


def _report_once(config: ClientConfig, *, as_json: bool, store: AuditStore | None = None, app: Any = None) -> int:
    """One read without the polling client: `--json` of an IPC that runs no update never loads the snapshot
    model."""
    import asyncio

    from hmi.core.config import ConfigError
    from hmi.core.oneshot import read_update_info
    from hmi.core.security import prepare

    try:
        security = prepare(config)
    except ConfigError as exc:  # SecurityError: unreadable file, token without TLS, …
        _err(_("error: {reason}").format(reason=exc))
        return EXIT_USAGE
    result = asyncio.run(read_update_info(config, security))
    _settle_from(store, config, result)
    running = result.info is not None and result.info.state == result.info.STATE_UPDATE_RUNNING
    if result.info is not None and as_json:
        from hmi.core.report import NOT_RUNNING_HMI, info_json

        hmi: dict[str, object] = NOT_RUNNING_HMI
        if running:
            from hmi.core.progress import hmi_json

            estimate = _estimate_once(app, config, result)
            hmi = hmi_json(estimate) if estimate is not None else NOT_RUNNING_HMI
        print(info_json(result.info, hmi=hmi), flush=True)
        return EXIT_OK
    from hmi.core.report import format_failure, format_report

    state = result.client_state(config)
    if result.info is None:
        operator, technician, code = format_failure(state)  # technician line already cleaned
        _err(_("error: {sentence}").format(sentence=operator) + f"\n  {technician}")
        return code
    estimate = _estimate_once(app, config, result) if running else None
    print(format_report(state, result.received_at, estimate), flush=True)
    return EXIT_OK


async def _watch(client: UpdaterClient, *, as_json: bool, recorder: Any = None) -> int:
    """Prints each change; with a `recorder` (hmi.core.stephistory.StepRecorder) also the estimate, and it
    records the steps (a small synchronous write when a step ends: this loop has no screen to keep smooth)."""
    import asyncio
    import signal
    import time

    from hmi.core.progress import hmi_json
    from hmi.core.report import change_key, estimate_key, format_estimate_lines, format_line, info_json

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass

    last: list[object] = [object()]
    shown: list[Any] = [None]  # the estimate last printed
    broken: list[BaseException] = []

    def on_state(state: ClientState) -> None:
        try:
            estimate = recorder.feed(state.snapshot, time.monotonic()) if recorder is not None else None
            if recorder is not None and recorder.pending:
                problem = recorder.last_error
                recorder.flush()  # never raises; a problem is kept in last_error
                if recorder.last_error and recorder.last_error != problem:
                    _err(f"warning: {recorder.last_error}")
            if as_json:
                info, failed = client.last_info, state.connection.last_attempt_failed
                if failed:
                    key: object = ("failed", state.connection.error_code)
                    if key != last[0]:
                        from hmi.core.model import clean_line

                        detail = state.connection.error_detail or state.connection.error_code
                        _err(f"warning: {clean_line(str(detail), 1000)}")
                elif info is not None:
                    key = (info.SerializeToString(deterministic=True), estimate and estimate_key(estimate))
                    if key != last[0]:
                        hmi = hmi_json(estimate) if estimate is not None else None
                        print(info_json(info, compact=True, hmi=hmi), flush=True)
                else:
                    return
            else:
                now = time.monotonic()
                key = change_key(state, now)
                if key != last[0]:
                    print(format_line(state, now, time.time()), flush=True)
                if estimate is not None:
                    for line in format_estimate_lines(shown[0], estimate, time.time()):
                        print(line, flush=True)
            shown[0] = estimate
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


def _open_audit(app: AppConfig) -> AuditStore | None:
    """The audit store, or None after saying why (then nothing may be sent)."""
    from hmi.core.audit import AuditReadOnly, AuditStore

    try:
        return AuditStore.open(app.audit_path)
    except AuditReadOnly as exc:
        _err(_("error: {reason}").format(reason=exc) + "\n  " + _("Nothing was sent."))
        return None
    except Exception as exc:
        _err(
            _("error: cannot open the audit trail {path}: {reason}").format(path=app.audit_path, reason=exc)
            + "\n  "
            + _("Nothing was sent.")
        )
        return None


def _read_pin(args: argparse.Namespace, name: str | None = None) -> str | None:
    """The next PIN: the next line of standard input with --pin-stdin, else asked on the terminal (None: no
    terminal to ask on)."""
    if args.pin_stdin:
        return sys.stdin.readline().strip()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"PIN for {name or args.operator}: ")
    return None


def _locked_out(signin: Any, store: AuditStore, app: AppConfig, name: str) -> bool:
    """True (said and recorded) when `name` is locked out, counting earlier wrong PINs from the audit trail, so a
    new process per guess does not reset the lockout."""
    from hmi.core.auth import recent_pin_failures
    from hmi.core.ports import SignInStatus

    signin.seed_failures(name, recent_pin_failures(store, name))
    if signin.locked_seconds(name) <= 0:
        return False
    store.record_signin_failure(
        operator=name, reason=SignInStatus.LOCKED_OUT, message="locked (command line)", target=app.client.target
    )
    _err(
        ngettext(
            "error: {name} is locked out after {n} wrong PIN. Try again in a minute.",
            "error: {name} is locked out after {n} wrong PINs. Try again in a minute.",
            signin.lockout_after,
        ).format(name=name, n=signin.lockout_after)
    )
    return True


def _signed_in_operator(args: argparse.Namespace, app: AppConfig, store: AuditStore) -> tuple[str | None, int]:
    """With sign-in on: (operator name, 0) after a good PIN of someone allowed to approve, else (None, exit code).

    Failed PINs are audited by SignIn; the lockout counts earlier failures from the audit trail,
    so a new process per guess does not reset it.
    """
    from hmi.core.auth import VIEWER_REFUSED, SignIn
    from hmi.core.ports import AuditOutcome

    if not args.operator:
        _err(_("error: sign-in is on: pass --operator NAME (the PIN is asked on the terminal, or use --pin-stdin)."))
        return None, EXIT_USAGE
    pin = _read_pin(args)
    if pin is None:
        _err(_("error: sign-in is on and there is no terminal to ask for the PIN on. Use --pin-stdin."))
        return None, EXIT_USAGE
    signin = SignIn.from_config(app.signin, audit=store, target=app.client.target)
    if _locked_out(signin, store, app, args.operator):  # the core's lockout rule, counted across processes
        return None, EXIT_AUTH
    result = signin.sign_in(args.operator, pin)
    if not result.ok:
        _err(_("error: {reason}. Nothing was sent.").format(reason=result.message))
        return None, EXIT_AUTH
    if not signin.may_approve():
        record = store.begin(
            target=app.client.target, version_id=args.version, current_version=None, operator=args.operator
        )
        store.complete(record, outcome=AuditOutcome.REFUSED_LOCALLY, code=None, message=VIEWER_REFUSED)
        _err(
            _("error: {name} is a viewer; viewers cannot approve updates. Nothing was sent.").format(name=args.operator)
        )
        return None, EXIT_AUTH
    return args.operator, 0


def _outside_window(app: AppConfig, store: AuditStore, version: str, operator: str | None) -> bool:
    """True after refusing (said on stderr, recorded as refused-locally) when now is outside the maintenance
    windows ([approval] windows); nothing is sent then."""
    if not app.approval.windows:
        return False
    import datetime as dt

    from hmi.core.ports import AuditOutcome
    from hmi.core.windows import WindowRules

    rules = WindowRules.from_config(app.approval.windows, app.approval.timezone)
    instant = dt.datetime.now(dt.UTC)
    sentence = rules.refusal(instant) if rules is not None else None
    if rules is None or sentence is None:
        return False
    record = store.begin(target=app.client.target, version_id=version, current_version=None, operator=operator)
    store.complete(record, outcome=AuditOutcome.REFUSED_LOCALLY, code=None, message=rules.audit_message(instant))
    _err(_("error: {sentence} Nothing was sent.").format(sentence=sentence))
    return True


@dataclass(frozen=True)
class _TwoOperators:
    first: str
    second: str
    first_at: float  # monotonic: the time limit counts from the first confirmation
    first_wall: datetime
    second_wall: datetime


def _two_operators(args: argparse.Namespace, app: AppConfig, store: AuditStore) -> _TwoOperators | int:
    """Four-eyes approval: the first operator's PIN, then a second, different operator's, each checked by the
    sign-in rules (lockout across processes, failures recorded). A refusal is said, recorded as refused-locally
    (hmi.core.foureyes) unless the sign-in recorded it, and returned as the exit code."""
    import time

    from hmi.core.auth import ROLE_OPERATOR, SignIn
    from hmi.core.foureyes import Refusal, audit_message, refusal_text, same_person
    from hmi.core.ports import AuditOutcome

    first, code = _signed_in_operator(args, app, store)
    if first is None:
        return code
    first_at, first_wall = time.monotonic(), datetime.now(UTC)
    second = (args.second_operator or "").strip()

    def refuse(refusal: Refusal, name: str, exit_code: int, hint: str = "") -> int:
        record = store.begin(
            target=app.client.target,
            version_id=args.version,
            current_version=None,
            operator=first,
            second_operator=second or None,
        )
        store.complete(record, outcome=AuditOutcome.REFUSED_LOCALLY, code=None, message=audit_message(refusal))
        _err(_("error: {sentence}").format(sentence=refusal_text(refusal, version_id=args.version, name=name)) + hint)
        return exit_code

    if not second:
        hint = "\n  " + _("Four-eyes approval is on ([approval] require_two): add --second-operator NAME.")
        return refuse(Refusal.NO_SECOND, "", EXIT_USAGE, hint)
    if same_person(first, second):
        return refuse(Refusal.SAME_OPERATOR, first, EXIT_AUTH)
    pin = _read_pin(args, second)
    if pin is None:
        _err(_("error: sign-in is on and there is no terminal to ask for the PIN on. Use --pin-stdin."))
        return EXIT_USAGE
    signin = SignIn.from_config(app.signin, audit=store, target=app.client.target)
    if _locked_out(signin, store, app, second):
        return EXIT_AUTH
    result = signin.verify(second, pin)  # checks the PIN only: nobody is signed in or out by it
    del pin
    if not result.ok or result.operator is None:
        why = result.message.rstrip(".")
        _err(
            _("error: {why}. {name} is not confirmed as the second operator. Nothing was sent.").format(
                why=why, name=second
            )
        )
        return EXIT_AUTH
    if result.operator.role != ROLE_OPERATOR:
        return refuse(Refusal.VIEWER, second, EXIT_AUTH)
    return _TwoOperators(first, second, first_at, first_wall, datetime.now(UTC))


def run_approve(args: argparse.Namespace) -> int:
    _setup_output()
    if not args.version:
        _err(_("error: VERSION is empty: give the exact version id the IPC offers (see 'ipc-hmi report')."))
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


def _run_approve(args: argparse.Namespace, app: AppConfig, store: AuditStore, version: str) -> int:
    import asyncio
    import time

    operator = _os_user()
    opened_at: float | None = None
    is_retry: bool | None = None
    two: _TwoOperators | None = None
    if app.signin.enabled and app.approval.require_two:
        checked = _two_operators(args, app, store)
        if isinstance(checked, int):
            return checked
        two, operator, opened_at = checked, checked.first, checked.first_at
    elif args.second_operator:
        _err(
            _(
                "error: --second-operator needs four-eyes approval turned on in the config file "
                "([approval] require_two = true)."
            )
        )
        return EXIT_USAGE
    elif app.signin.enabled:
        operator, code = _signed_in_operator(args, app, store)
        if operator is None:
            return code
    elif args.operator or args.pin_stdin:
        _err(
            _("error: --operator and --pin-stdin need sign-in turned on in the config file ([signin] enabled = true).")
        )
        return EXIT_USAGE
    if _outside_window(app, store, version, operator):
        return EXIT_REFUSED
    if not args.yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _err(
                _(
                    "error: not approving without confirmation: there is no terminal to ask on. "
                    "Pass --yes to approve {v} without asking."
                ).format(v=repr(version))
            )
            return EXIT_USAGE
        client = _new_client(app)
        if client is None:
            return EXIT_USAGE
        asked = asyncio.run(_question(client, version))
        if asked is not None:  # offered now: ask; otherwise the approval below is refused and recorded
            question, is_retry = asked
            if two is None:  # with four eyes the time limit counts from the first operator's confirmation
                opened_at = time.monotonic()
            sys.stdout.write(question)
            sys.stdout.flush()
            answer = _read_answer(PROMPT_TTL)  # "" at end of input or after the limit: no
            if answer is None or answer.strip().lower() not in ("y", "yes"):
                if answer is None:
                    print()
                    print(_("No answer within {s:.0f} s. Not approved. Nothing was sent.").format(s=PROMPT_TTL))
                else:
                    print(_("Not approved. Nothing was sent."))
                return EXIT_OTHER
            if _outside_window(app, store, version, operator):  # the window closed while the question was open
                return EXIT_REFUSED

    client = _new_client(app, audit=store)
    if client is None:
        return EXIT_USAGE
    # The same rule as the sheet: the client refuses if the answer came too late, or if the state changed
    # between the question and the answer (for example UPDATE_AVAILABLE became FAULT: "Install?" is no retry).
    four_eyes: dict[str, Any] = {}
    if two is not None:
        four_eyes = {
            "second_operator": two.second,
            "confirmed_at": two.first_wall,
            "second_confirmed_at": two.second_wall,
        }
    result = asyncio.run(_approve(client, version, operator, opened_at=opened_at, expect_retry=is_retry, **four_eyes))
    from hmi.core.client import ApprovalOutcome
    from hmi.core.errors import NOT_GRPC, explain
    from hmi.core.model import clean_line

    # Message and detail may quote the IPC's own words: cleaned of control characters for the terminal.
    message, detail = clean_line(result.message or "", 1000), clean_line(result.detail or "", 1000)
    if result.outcome is ApprovalOutcome.APPROVED:
        print(message, flush=True)
    elif explain("UNAVAILABLE", detail) is NOT_GRPC:
        _err(_("error: {sentence} Nothing was approved.").format(sentence=NOT_GRPC.operator) + f"\n  {detail}")
    else:
        _err(_("error: {sentence}").format(sentence=message) + f"\n  {detail}")
    return result.exit_code


def _read_answer(limit: float) -> str | None:
    """One line from the terminal, or None when none came within `limit` seconds (POSIX; elsewhere no limit
    here, and the client still refuses an answer that came too late)."""
    try:
        import select

        ready, _w, _x = select.select([sys.stdin], [], [], limit)
    except (ImportError, OSError, ValueError):
        return sys.stdin.readline()
    if not ready:
        return None
    return sys.stdin.readline()


async def _question(client: UpdaterClient, version: str) -> tuple[str, bool] | None:
    """'Install 1.5.0, replacing 1.4.2? [y/N] ' when exactly `version` is offered now, else None."""
    import time

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
        return _("Retry installing {new}, replacing {current}? [y/N] ").format(new=shown, current=current), True
    return _("Install {new}, replacing {current}? [y/N] ").format(new=shown, current=current), False


async def _approve(
    client: UpdaterClient,
    version: str,
    operator: str | None,
    *,
    opened_at: float | None,
    expect_retry: bool | None,
    **four_eyes: Any,
) -> ApprovalResult:
    try:
        await client.refresh()  # the gate needs fresh data (and settles earlier unknown outcomes); approve() re-checks
        return await client.approve(
            version, operator=operator, opened_at=opened_at, expect_retry=expect_retry, **four_eyes
        )
    finally:
        await client.aclose()
