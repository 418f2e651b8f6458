"""Every built-in scenario is named in the help of `mock --scenario` and `gui --demo-scenario`.

The CLI writes the names out so that parsing the command line does not import the mock; this keeps the two
lists from drifting apart (slow-step was once missing from both).
"""

from __future__ import annotations

import argparse

from hmi.cli import gui, mock
from hmi.mock.scenarios import BUILTIN_NAMES


def _help_of(register: object, command: str) -> str:
    parser = argparse.ArgumentParser(prog="ipc-hmi")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)  # type: ignore[operator]
    return subparsers.choices[command].format_help()


def test_mock_help_names_every_builtin_scenario() -> None:
    assert [n for n in BUILTIN_NAMES if n not in mock.BUILTINS.split(", ")] == []


def test_gui_help_names_every_builtin_scenario() -> None:
    text = " ".join(_help_of(gui.register, "gui").split())
    missing = [n for n in BUILTIN_NAMES if n not in text]
    assert missing == []
