"""`ipc-hmi gui` (also plain `ipc-hmi` and `ipc-hmi --demo`): the operator console.

Only argparse and the Qt-free config module are imported here; Qt, qasync and grpc load
inside `_run`, so `ipc-hmi --help` and the other subcommands stay light.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from hmi.core import limits
from hmi.core.config import add_config_arguments, add_progress_arguments
from hmi.core.i18n import N_, _

EPILOG = N_("""\
keyboard:
  Ctrl+I       open the confirmation for the offered update (when approval is possible)
  F5, Ctrl+R   read the IPC state now
  Ctrl+Q       quit (in kiosk mode: asks first)
  Esc          cancel the confirmation
  In the confirmation, hold the install button (touch, mouse, or Space/Enter) for 1.5 s.

audit trail:
  Every approval is recorded in the audit trail (see 'ipc-hmi history'). If it cannot be
  written, the console shows the IPC but approvals stay off, with the reason on screen.
  --no-audit runs without the trail (only with sign-in off); --demo uses a temporary one.

kiosk mode:
  Full screen, no window frame. To leave: press and hold the top-left corner of the
  screen for 3 seconds, or press Ctrl+Q; then confirm with "Close console".
  On a panel, docs/panel.md runs it under a Wayland kiosk compositor as a systemd service.

examples:
  ipc-hmi --demo                                  the console on the embedded simulated IPC
  ipc-hmi gui --target 10.0.0.5:50051 --kiosk     the touch panel of a real IPC
  QT_QPA_PLATFORM=offscreen ipc-hmi --demo --screenshot demo.png --after 12
""")


def _seconds(text: str) -> float:
    return limits.arg_number(limits.SCREENSHOT_SECONDS)(text)


def _speed(text: str) -> float:
    return limits.arg_number(limits.SPEED, above=True, unit="")(text)


def _size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 1280x800, got {text!r}")
    w, h = (int(p) for p in parts)
    if not (320 <= w <= 16384 and 240 <= h <= 16384):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range (320x240 to 16384x16384)")
    return w, h


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gui",
        help=_("open the operator console (the default command)"),
        description=textwrap.fill(
            _("The operator console: shows the IPC's update state and approves exactly the offered version."), 79
        ),
        epilog=_(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo", action="store_true", help=_("run a simulated IPC inside the console, with a demo drawer to drive it")
    )
    parser.add_argument(
        "--demo-scenario",
        metavar="NAME|FILE",
        default="demo",
        help=_(
            "with --demo: the mock scenario (approval, automatic, fault, power-loss, race, demo, slow-step, "
            "or a TOML file)"
        ),
    )
    parser.add_argument(
        "--demo-speed", metavar="FACTOR", type=_speed, default=1.0, help=_("with --demo: run the simulation faster")
    )
    parser.add_argument("--kiosk", action="store_true", help=_("full screen, frameless; see 'kiosk mode' below"))
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        type=Path,
        default=None,
        help=_("render the window to a PNG file after the first data arrives, then exit"),
    )
    parser.add_argument(
        "--after",
        metavar="SECONDS",
        type=_seconds,
        default=None,
        help=_("with --screenshot: render after this many seconds instead of at the first data"),
    )
    parser.add_argument("--size", metavar="WxH", type=_size, default=None, help=_("window size, e.g. 1280x800"))
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help=_(
            "do not open the audit trail: approvals are sent without a record (a warning says so on screen). "
            "Only with sign-in off. Without this flag, approvals are off while the audit trail cannot be written"
        ),
    )
    add_config_arguments(parser)
    add_progress_arguments(parser)
    parser.set_defaults(func=_run, _gui_parser=parser)


def _run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args._gui_parser
    if args.after is not None and args.screenshot is None:
        parser.error("--after needs --screenshot")
    if not args.demo and (args.demo_scenario != "demo" or args.demo_speed != 1.0):
        parser.error("--demo-scenario and --demo-speed need --demo")
    if args.demo and args.target is not None:
        parser.error("--demo runs its own simulated IPC; it cannot be combined with --target")
    if args.demo:  # a bad scenario is a usage error before Qt starts
        from hmi.mock.scenarios import ScenarioError, load_scenario

        try:
            load_scenario(args.demo_scenario)
        except ScenarioError as exc:
            parser.error(f"--demo-scenario: {exc}")
    from hmi import cli
    from hmi.app import main

    code = main(args)
    cli.leave_at_once()  # the window, the client and the audit trail are closed: Python's teardown is skipped
    return code
