"""The `ipc-hmi` dispatcher: the command map matches what each module registers."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from hmi import cli


def _registered(module_name: str) -> set[str]:
    import importlib

    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module_name).register(sub)
    return set(sub.choices)


def test_every_module_registers_exactly_the_commands_mapped_to_it():
    for module_name in set(cli._COMMANDS.values()):
        mapped = {cmd for cmd, mod in cli._COMMANDS.items() if mod == module_name}
        assert _registered(module_name) == mapped, module_name


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in cli._COMMANDS:
        assert command in out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_running_one_command_imports_only_its_own_family():
    code = (
        "import sys, hmi.cli\n"
        "try:\n    hmi.cli.main(['report', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('hmi.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    # hmi.cli.output (the guarded stdout/stderr) is part of the entry point, not a command family.
    assert out.stdout.strip().splitlines()[-1] == "['hmi.cli.client', 'hmi.cli.output']"
