"""Scenario files: the built-ins load, and a bad file says which file, which key or line, and what was expected."""

from __future__ import annotations

import pytest

from hmi.cli import main
from hmi.mock.scenarios import BUILTIN_NAMES, Mode, ScenarioError, load_scenario
from hmi.mock.stages import STAGE_NAMES

GOOD = """
name = "mine"
mode = "automatic"
[installed]
version_id = "3.0"
[stages]
"check health" = 1.5
[[releases]]
version_id = "3.1"
delay = 2
fail_at = "migrate database"
"""


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_built_in_loads(name):
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.installed
    assert set(scenario.durations) == set(STAGE_NAMES)


def test_a_good_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    scenario = load_scenario(path)
    assert (scenario.name, scenario.mode, scenario.installed) == ("mine", Mode.AUTOMATIC, "3.0")
    assert scenario.durations["check health"] == 1.5 and scenario.durations["download"] == 5.0
    assert scenario.releases[0].fail_at == "migrate database" and scenario.source == str(path)


def _error(tmp_path, text: str) -> ScenarioError:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    return caught.value


HEAD = '[installed]\nversion_id = "1"\n'


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ('[installed]\nversion_id = "1"\nmode = \n', "line 3, column 8", "valid TOML"),
        ('mode = "approval"\n', "installed", "[installed] table"),
        ("[installed]\nversion_id = 7\n", "installed.version_id", "non-empty string"),
        ('mode = "sometimes"\n' + HEAD, "mode", '"approval" or "automatic"'),
        (HEAD + '[[releases]]\nversion_id = "2"\ndelay = "soon"\n', "releases[0].delay", "number of seconds"),
        (HEAD + '[[releases]]\nversion_id = "2"\nfail_at = "reboot"\n', "releases[0].fail_at", "check health"),
        (HEAD + '[[releases]]\nversion_id = "1"\n', "releases[0].version_id", "not used earlier"),
        (HEAD + '[stages]\n"check health" = 0\n', 'stages."check health"', "greater than 0"),
        (HEAD + "[stages]\nreboot = 1\n", "stages.reboot", "a stage name"),
        ('colour = "red"\n' + HEAD, "colour", "a known key"),
        (HEAD + '[supersede]\nversion_id = "2"\nevery = 1\nbuilds = 3\n', "supersede.version_id", "{n}"),
        (HEAD + '[supersede]\nversion_id = "2-{n}"\nevery = 1\n', "supersede.builds", "whole number"),
        ("loop_after = 0\n" + HEAD, "loop_after", "greater than 0"),
    ],
)
def test_bad_files_name_the_file_the_key_and_what_was_expected(tmp_path, text, where, expected):
    error = _error(tmp_path, text)
    assert error.where == where and expected in error.expected, str(error)


def test_an_unknown_name_or_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="built-in name"):
        load_scenario("nonsense")
    with pytest.raises(ScenarioError, match="readable"):
        load_scenario(tmp_path / "missing.toml")


def test_the_cli_prints_the_error_and_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[installed]\nversion_id = "1"\n[[releases]]\nversion_id = "2"\ndelay = "soon"\n')
    assert main(["mock", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "releases[0].delay" in err and "number of seconds" in err
