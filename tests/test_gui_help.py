"""`ipc-hmi gui --help`: each section of the epilog is whole and appears once."""

from __future__ import annotations

import re

import pytest

from hmi import cli
from hmi.core import i18n


@pytest.fixture(autouse=True)
def english_after():
    """`--lang de` sets the process's language: the tests after these run in English again."""
    yield
    i18n.set_language("en")
    cli._speak_argparse()


def test_gui_help_sections_are_not_mixed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["gui", "--help"])
    out = capsys.readouterr().out
    epilog = out[out.index("\nkeyboard:\n") + 1 :]
    headings: list[str] = []
    for line in epilog.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            # A heading is a whole line of lower-case words and a colon, nothing after it.
            assert re.fullmatch(r"[a-z][a-z ]*:", line), line
            headings.append(line)
        else:
            assert line.startswith("  "), line
            # No section's words spill into another's lines.
            assert not re.search(r"(keyboard|audit trail|kiosk mode|examples):$", line), line
    assert headings == ["keyboard:", "audit trail:", "kiosk mode:", "examples:"]
    assert "Ctrl+Q       quit (in kiosk mode: asks first)" in epilog


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("command", ["gui", "report", "approve", "history", "set-pin", "mock", "mock-ctl"])
def test_no_help_paragraph_runs_on_unwrapped(
    command: str, lang: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """Texts printed as they are (the epilog, a group's description) are wrapped by hand; none runs past 100 columns
    (the progress group's description once did, at 150; approve's description at 301), in either language."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        cli.main([command, "--help", "--lang", lang])
    long = [line for line in capsys.readouterr().out.splitlines() if len(line) > 100]
    assert long == []
