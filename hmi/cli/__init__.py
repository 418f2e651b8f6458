"""The one entry point, `ipc-hmi`, with subcommands.

Each subcommand family registers its own parser from a light module
(`register(subparsers)`) and sets `func`, a callable taking the parsed args and
returning the exit code. Heavy imports (grpc, Qt) happen inside `func` only,
so `ipc-hmi report` never loads Qt and `--help` is instant.

`ipc-hmi` with no subcommand (or with only options, e.g. `ipc-hmi --demo`)
opens the console, the same as `ipc-hmi gui`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from hmi import __version__

# Modules that provide `register(subparsers)`, in the order shown by --help.
_FAMILIES = ("hmi.cli.gui", "hmi.cli.client", "hmi.cli.mock", "hmi.cli.audit")
_TOP_LEVEL = {"-h", "--help", "--version"}


def build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser, and the names of the subcommands it knows."""
    parser = argparse.ArgumentParser(
        prog="ipc-hmi",
        description="Operator console and tools for software updates of an industrial PC (IpcUpdater).",
        epilog="Run 'ipc-hmi COMMAND --help' for the options of one command. "
        "With no command, the console opens (same as 'ipc-hmi gui').",
    )
    parser.add_argument("--version", action="version", version=f"ipc-hmi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _FAMILIES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that family is not built yet
        module.register(sub)
    return parser, set(sub.choices)


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    if "gui" in commands and (not args_in or (args_in[0].startswith("-") and args_in[0] not in _TOP_LEVEL)):
        args_in.insert(0, "gui")
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
