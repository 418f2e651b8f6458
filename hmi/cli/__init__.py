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
import contextlib
import importlib
import sys

from hmi import __version__
from hmi.core.i18n import N_, _, ngettext

# Which module registers each subcommand (`register(subparsers)`), in the order shown by --help.
# Running one command imports only its own module: `ipc-hmi report` must start fast.
_COMMANDS = {
    "gui": "hmi.cli.gui",
    "report": "hmi.cli.client",
    "approve": "hmi.cli.client",
    "mock": "hmi.cli.mock",
    "mock-ctl": "hmi.cli.mock",
    "history": "hmi.cli.audit",
    "set-pin": "hmi.cli.audit",
}
_TOP_LEVEL = {"-h", "--help", "--version"}

# argparse's own texts (Python 3.11): the usage line, the section titles and the error messages a user can meet.
# argparse looks each up through its module's `_` when it uses it; `_speak_argparse` points that at the
# console's catalogue, so `--lang de` gives German help and usage errors. Marked here for `make i18n`, which
# only sees the console's sources. A later Python that words one differently shows that one in English.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
)


def _speak_argparse() -> None:
    """argparse's texts in the language chosen (see ARGPARSE_TEXTS)."""
    setattr(argparse, "_", _)  # noqa: B010  (argparse's module-level gettext alias)
    setattr(argparse, "ngettext", ngettext)  # noqa: B010


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with only the family of `command` when it is known."""
    parser = argparse.ArgumentParser(
        prog="ipc-hmi",
        description=_("Operator console and tools for software updates of an industrial PC (IpcUpdater)."),
        epilog=_(
            "Run 'ipc-hmi COMMAND --help' for the options of one command. "
            "With no command, the console opens (same as 'ipc-hmi gui')."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"ipc-hmi {__version__}",
        help=_("show program's version number and exit"),  # argparse 3.11 does not translate its own
    )
    parser.add_argument(
        "--debug", action="store_true", help=_("let gRPC's own log lines through to the terminal (any position)")
    )
    parser.add_argument(
        "--lang",
        metavar="de|en",
        help=_("language of the texts (any position; then IPC_HMI_LANG, the config file's language, the locale)"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    families = [_COMMANDS[command]] if command in _COMMANDS else list(dict.fromkeys(_COMMANDS.values()))
    for name in families:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs one command; its exit code reports what happened with the IPC, even when output fails."""
    from hmi.cli import output

    out, err = output.install()
    try:
        code = _main(argv)
    finally:  # also after argparse's SystemExit (--help, usage errors)
        output.finish(out, err)
    if argv is None and _leave_at_once:
        _exit_now(code)
    return code


# Set by a command whose process has nothing left to finish when it returns (the console: its audit trail is
# closed and its temporary files are gone). Python's own teardown of Qt, grpc and some 300 modules then takes
# 100 to 300 ms (issue 13, docs/benchmarks.md), which a panel pays on every SIGTERM and restart.
_leave_at_once = False


def leave_at_once() -> None:
    """Called by such a command: the process entry (`ipc-hmi`, `python -m hmi`) then ends with os._exit."""
    global _leave_at_once
    _leave_at_once = True


def _exit_now(code: int) -> None:
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _take_lang(args: list[str]) -> tuple[list[str], str | None]:
    """`args` without `--lang X` / `--lang=X` (the last one counts), and its value (None when absent). Stops at
    `--`, so an argument that happens to read "--lang" after it is left alone."""
    out: list[str] = []
    value: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "--lang":
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 2
            continue
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out, value


def _start_language(flag: str | None) -> bool:
    """Applies --lang, IPC_HMI_LANG or the locale (the config file's `language` is applied once it is read).
    False after a usage error (printed); a catalogue that cannot be loaded is one warning, not an error."""
    import os

    from hmi.core import i18n

    try:
        warning = i18n.start(flag, os.environ)
    except i18n.LanguageError as exc:
        print(f"ipc-hmi: error: {exc}", file=sys.stderr)
        return False
    if warning:
        print(f"ipc-hmi: {warning}", file=sys.stderr)
    return True


def _main(argv: list[str] | None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    # --debug anywhere on the line: gRPC's own log lines reach the terminal (otherwise they never do).
    debug = "--debug" in args_in
    args_in = [a for a in args_in if a != "--debug"]
    # --lang anywhere on the line, before any text is made: help, errors and output are in that language.
    args_in, lang_flag = _take_lang(args_in)
    if not _start_language(lang_flag):
        return 2
    _speak_argparse()
    if not debug:
        import os

        os.environ["GRPC_VERBOSITY"] = "NONE"  # read by grpc's C core when it loads, which is later
        os.environ.pop("GRPC_TRACE", None)
    if not args_in or (args_in[0].startswith("-") and args_in[0] not in _TOP_LEVEL):
        args_in.insert(0, "gui")
    parser = build_parser(args_in[0])
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
