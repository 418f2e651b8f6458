"""Class 7: one status, one exit code, everywhere; the documented table comes from the error table."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from hmi.core import errors
from tests.mock.support import ROOT


def _tool():  # tools/gen_exit_codes.py, loaded as a module
    spec = importlib.util.spec_from_file_location("gen_exit_codes", ROOT / "tools" / "gen_exit_codes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_marked_table_in_the_docs_is_the_generated_one() -> None:
    tool = _tool()
    blocks = 0
    for path in tool.documents():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        blocks += len(tool.BLOCK.findall(text))
        assert tool.render(text) == text, f"{path}: run 'make exit-codes'"
    assert blocks >= 1  # the README has one (wherever the section moves, the markers move with it)


def test_the_generator_rewrites_a_stale_block(tmp_path: Path) -> None:
    stale = "x\n<!-- exit-codes:begin -->\n| 9 | made up |\n<!-- exit-codes:end -->\ny\n"
    fresh = _tool().render(stale)
    assert "made up" not in fresh and errors.exit_codes_markdown() in fresh and fresh.startswith("x\n")


def test_help_lists_every_exit_code_from_the_table() -> None:
    text = errors.exit_codes_help()
    for code in errors.EXIT_CODES:
        assert re.search(rf"^  {code}  ", text, re.M)


@pytest.mark.parametrize("name", errors.all_codes())
def test_each_grpc_status_has_one_exit_code_that_the_table_explains(name: str) -> None:
    assert errors.describe(name).exit_code in errors.EXIT_CODES
