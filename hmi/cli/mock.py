"""`ipc-hmi mock` (run a mock IPC) and `ipc-hmi mock-ctl` (drive a running one).

Light at import: grpc and hmi.mock load inside the commands only.
Exit codes: 0 ok, 1 other error, 2 usage or a bad scenario/state file,
3 refused by the mock, 4 mock unreachable (the product's table in hmi.core.errors).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hmi.core.i18n import _

DEFAULT_LISTEN = "127.0.0.1:50051"
EXIT_OK, EXIT_OTHER, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 4
BUILTINS = "approval, automatic, fault, power-loss, race, demo, slow-step"
_EVENTS_SHOWN = 20


def _speed(text: str) -> float:
    from hmi.core.limits import SPEED, arg_number

    return arg_number(SPEED, above=True, unit="")(text)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mock = subparsers.add_parser(
        "mock",
        help=_("run a mock IPC (IpcUpdater over a stage engine) for tests, training and demos"),
        description=_(
            "Run a mock IPC: a real IpcUpdater gRPC server over a stage engine with faults, rollback "
            "and power loss, plus the MockControl service (see mock-ctl), the gRPC health service and server "
            "reflection, all on one port. Prints 'listening on HOST:PORT' once it serves. SIGINT or SIGTERM "
            "stops it (exit 0)."
        ),
        epilog=_(
            "Built-in scenarios: {scenarios}. Exit codes: 0 stopped cleanly, 1 cannot listen, "
            "2 bad option, scenario file or state file."
        ).format(scenarios=BUILTINS),
    )
    mock.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=_("address to serve on (default {listen}; port 0 picks a free port)").format(listen=DEFAULT_LISTEN),
    )
    mock.add_argument(
        "--scenario", metavar="NAME|FILE.toml", default="demo", help=_("built-in name or TOML file (default demo)")
    )
    mock.add_argument(
        "--speed", metavar="FACTOR", type=_speed, default=1.0, help=_("10 makes every duration ten times shorter")
    )
    mock.add_argument(
        "--state-file",
        metavar="PATH",
        type=Path,
        help=_(
            "keep the state here (JSON, saved atomically at every transition); "
            "an update that was running when the mock stopped comes back as a power loss"
        ),
    )
    mock.add_argument(
        "--allow-remote", action="store_true", help=_("allow a non-loopback listen address (serves other machines)")
    )
    mock.set_defaults(func=_run_mock)

    ctl = subparsers.add_parser(
        "mock-ctl",
        help=_("drive a running mock IPC: publish, mode, fail, power-loss, state, reset"),
        description=_("Drive a running mock IPC through its MockControl service."),
        epilog=_("Exit codes: 0 ok, 1 other error, 2 usage, 3 refused by the mock, 4 mock unreachable."),
    )
    ctl.add_argument(
        "--target",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=_("the mock's address (default {listen})").format(listen=DEFAULT_LISTEN),
    )
    verbs = ctl.add_subparsers(dest="verb", metavar="VERB", required=True)
    publish = verbs.add_parser("publish", help=_("add a version to the release feed (the newest is offered)"))
    publish.add_argument("version", metavar="VERSION", help=_("version id, e.g. 1.6.0"))
    publish.add_argument("--notes-file", metavar="F", help=_("update notes (Markdown) from this file; - for stdin"))
    publish.add_argument(
        "--fail-at", metavar="STAGE", help=_('the first attempt fails in this stage, e.g. "check health"')
    )
    mode = verbs.add_parser("mode", help=_("approval: updates wait for ApproveUpdate; automatic: they start alone"))
    mode.add_argument("mode", choices=("approval", "automatic"))
    verbs.add_parser("fail", help=_("the running update fails now and rolls back"))
    verbs.add_parser("power-loss", help=_("power is lost now; the IPC restarts (FAULT if an update was running)"))
    state = verbs.add_parser("state", help=_("versions, stage table with times, and the event log"))
    state.add_argument("--json", action="store_true", help=_("the whole state as JSON"))
    verbs.add_parser("reset", help=_("back to the start of the scenario (the event log is kept)"))
    ctl.set_defaults(func=_run_ctl)


# -- mock ---------------------------------------------------------------------------------------------


def _run_mock(args: argparse.Namespace) -> int:
    import asyncio

    from hmi.mock.scenarios import ScenarioError
    from hmi.mock.server import ListenRefused
    from hmi.mock.statefile import StateFileError

    try:
        return asyncio.run(_serve(args))
    except (ScenarioError, StateFileError, ListenRefused) as exc:
        print(f"ipc-hmi mock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"ipc-hmi mock: {exc}", file=sys.stderr)
        return EXIT_OTHER


async def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from hmi.mock.server import start_mock

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        mock = await start_mock(
            scenario=args.scenario,
            listen=args.listen,
            speed=args.speed,
            state_file=args.state_file,
            allow_remote=args.allow_remote,
        )
        try:
            print(f"listening on {mock.address}", flush=True)
            await stop.wait()
        finally:
            await mock.stop()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    return EXIT_OK


# -- mock-ctl -----------------------------------------------------------------------------------------


def _run_ctl(args: argparse.Namespace) -> int:
    import asyncio

    import grpc

    from hmi.core.errors import describe

    notes = None
    if args.verb == "publish" and args.notes_file:
        try:
            notes = sys.stdin.read() if args.notes_file == "-" else Path(args.notes_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"ipc-hmi mock-ctl: cannot read the notes file {args.notes_file}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    from hmi.core.config import ConfigError, validate_target
    from hmi.core.errors import NOT_GRPC, explain
    from hmi.core.model import clean_line

    try:
        validate_target(args.target, "--target")
    except ConfigError as exc:
        print(f"ipc-hmi mock-ctl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_ctl(args, notes))
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        details = clean_line(exc.details() or "", 500)  # the server's words, never raw on a terminal
        if explain(code, details) is NOT_GRPC:
            print(f"ipc-hmi mock-ctl: {args.target}: {NOT_GRPC.operator}", file=sys.stderr)
            return NOT_GRPC.exit_code
        if code is grpc.StatusCode.UNIMPLEMENTED:
            print(
                f"ipc-hmi mock-ctl: there is no mock control service at {args.target}: something serves gRPC "
                "there, but it is not 'ipc-hmi mock' (a real IPC, perhaps)",
                file=sys.stderr,
            )
            return describe(code).exit_code
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            print(
                f"ipc-hmi mock-ctl: cannot reach a mock IPC at {args.target} (is 'ipc-hmi mock' running there?)",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
        print(f"ipc-hmi mock-ctl: the mock refused ({code.name}): {details}", file=sys.stderr)
        return describe(code).exit_code


async def _ctl(args: argparse.Namespace, notes: str | None) -> int:
    from hmi.mock.control import ControlClient

    async with ControlClient(args.target) as mock:
        if args.verb == "publish":
            await mock.publish(args.version, notes=notes, fail_at=args.fail_at)
            print(f"published {args.version}")
        elif args.verb == "mode":
            await mock.set_mode(args.mode)
            print(f"mode {args.mode}")
        elif args.verb == "fail":
            await mock.fail()
            print("the running update failed and rolled back")
        elif args.verb == "power-loss":
            await mock.power_loss()
            print("power lost; the IPC restarts")
        elif args.verb == "reset":
            await mock.reset()
            print("reset to the start of the scenario")
        elif args.verb == "state":
            state = await mock.state()
            from hmi.core.model import clean_line
            from hmi.core.text import json_for_terminal

            if args.json:
                print(json_for_terminal(json.dumps(state, indent=2, ensure_ascii=False)))
            else:  # version ids, notes and messages come from the mock: one clean line each
                print("\n".join(clean_line(line, 2000) for line in format_state(state).split("\n")))
    return EXIT_OK


def format_state(state: dict[str, Any]) -> str:
    """The state as a readable table for a terminal."""
    lines = [
        f"scenario         {state['scenario']}",
        f"state            {state['state']}" + ("" if state["powered"] else "   (no power: restarting)"),
        f"mode             {state['mode']}",
        f"active           {state['active']}",
        f"assigned         {state['assigned']}",
        f"last known good  {state['last_known_good']}",
        f"offered          {state['offered'] or '-'}",
    ]
    if progress := state["progress"]:
        step = f"step {progress['current_step'] + 1} of {progress['total_steps']}"
        lines.append(f"progress         {step}: {progress['description']}")
    lines += ["", f"{'stage':<26} {'status':<12} {'started':<25} {'finished':<25} duration"]
    for stage in state["stages"]:
        lines.append(
            f"{stage['name']:<26} {stage['status']:<12} {stage['started_at'] or '-':<25} "
            f"{stage['finished_at'] or '-':<25} {stage['duration']:g} s"
        )
    events = state["events"]
    shown = events[-_EVENTS_SHOWN:]
    title = "events" if len(shown) == len(events) else f"events (latest {len(shown)} of {len(events)}; --json for all)"
    lines += ["", title]
    lines += [f"{e['time']}  {e['level']:<8} {e['message']}" for e in shown]
    return "\n".join(lines)
