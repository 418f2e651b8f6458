"""The command line speaks the language chosen with --lang (IPC_HMI_LANG, the locale): every help text of every
command, and argparse's own words (the usage line, section titles, usage errors), come from the catalogue.

The class test runs under the pseudo-locale, in which every catalogue text is marked ⟦…⟧: a text that is not
marked was never translated. German is checked by example, as a technician reads it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hmi import cli
from hmi.core import i18n

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["", "gui", "report", "approve", "history", "set-pin", "mock", "mock-ctl"]


@pytest.fixture
def language() -> Iterator[None]:
    yield
    i18n.set_language("en")
    cli._speak_argparse()


def _texts(parser: argparse.ArgumentParser, where: str = "ipc-hmi") -> Iterator[tuple[str, str]]:
    """Every text a parser prints in its help, with where it is."""
    for name in ("description", "epilog"):
        if getattr(parser, name):
            yield f"{where} {name}", getattr(parser, name)
    for group in parser._action_groups:
        if group.title:
            yield f"{where} group title", group.title
        if group.description:
            yield f"{where} group {group.title!r}", group.description
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            yield f"{where} {'/'.join(action.option_strings) or action.dest}", action.help
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{where} {choice.dest} (in the command list)", choice.help or ""
            for name, sub in action.choices.items():
                yield from _texts(sub, f"{where} {name}")


def test_every_help_text_of_every_command_comes_from_the_catalogue(language: None) -> None:
    i18n.set_language(i18n.PSEUDO)
    cli._speak_argparse()
    parser = cli.build_parser()
    seen = list(_texts(parser))
    assert len(seen) > 100  # every command's options, not only the top level's
    untranslated = []
    for where, text in seen:
        # A composed text (the exit codes and environment sections) is marked piece by piece: every line that
        # has words has a marker open on it.
        lines = [line for line in text.splitlines() if any(c.isalpha() for c in line)]
        inside = False
        for line in lines:
            if not inside and i18n.MARK_OPEN not in line and not line.startswith("  IPC_HMI_"):
                untranslated.append(f"{where}: {line!r}")
                break
            inside = line.count(i18n.MARK_OPEN) > line.count(i18n.MARK_CLOSE) or (
                inside and i18n.MARK_CLOSE not in line
            )
    assert untranslated == []
    usage = parser.format_usage()
    assert usage.startswith(i18n.MARK_OPEN)  # argparse's "usage: " too


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hmi", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", COMMANDS)
def test_german_help_says_it_in_german(command: str) -> None:
    done = _run(*([command] if command else []), "--help", "--lang", "de")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Aufruf: ipc-hmi") and "\nOptionen:\n" in out
    assert "diese Hilfe zeigen und beenden" in out
    for english in ("usage:", "\noptions:", "show this help message", "default "):
        assert english not in out, (command, english)


@pytest.mark.parametrize(
    ("args", "german"),
    [
        (["report", "--deadline", "abc"], "Argument --deadline: ungültiger Wert für float: 'abc'"),
        (["report", "--bogus"], "unbekannte Argumente: --bogus"),
        (["approve"], "diese Argumente fehlen: VERSION"),
        (["history", "--json", "--csv"], "Argument --csv: nicht zusammen mit Argument --json erlaubt"),
        (["mock-ctl", "mode", "sometimes"], "ungültige Auswahl: 'sometimes'"),
    ],
)
def test_a_usage_error_is_one_german_sentence_with_exit_2(args: list[str], german: str) -> None:
    done = _run(*args, "--lang", "de")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert ": Fehler: " in last and german in last, done.stderr
    assert done.stderr.startswith("Aufruf: ")


def test_english_stays_as_argparse_says_it() -> None:
    done = _run("report", "--bogus", "--lang", "en")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: ") and "error: unrecognized arguments: --bogus" in done.stderr
