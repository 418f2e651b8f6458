"""The [approval] table (issue 15): four-eyes needs sign-in, windows and shift ends are lists, zones are IANA names."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hmi.core.config import ApprovalConfig, ConfigError, add_config_arguments, load_config


def load(tmp_path: Path, text: str) -> ApprovalConfig:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_DATA_HOME": str(tmp_path / "d")}
    return load_config(parser.parse_args(["--config", str(path)]), env).approval


def test_defaults_allow_one_operator_at_any_time(tmp_path: Path) -> None:
    assert load(tmp_path, "") == ApprovalConfig(require_two=False, windows=(), timezone=None, shift_ends=())


def test_full_table(tmp_path: Path) -> None:
    got = load(
        tmp_path,
        "[signin]\nenabled = true\n[approval]\nrequire_two = true\n"
        'windows = ["Mon-Fri 22:00-06:00", " Sat 06:00-14:00 "]\n'
        'timezone = "Europe/Berlin"\nshift_ends = ["06:00", "14:00", "22:00"]\n',
    )
    assert got == ApprovalConfig(
        True, ("Mon-Fri 22:00-06:00", "Sat 06:00-14:00"), "Europe/Berlin", ("06:00", "14:00", "22:00")
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[approval]\nrequire_two = true\n", "needs sign-in"),
        ('[approval]\nrequire_two = "yes"\n', "expected true or false"),
        ('[approval]\nwindows = "Mon 08:00-09:00"\n', "expected a list of strings"),
        ('[approval]\nwindows = ["Mon 08:00-09:00", ""]\n', "expected a list of strings"),
        ('[approval]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        ('[approval]\ntimezone = "../etc/passwd"\n', "unknown time zone"),
        ('[approval]\nshift_ends = ["25:00"]\n', "'25:00' is not a time of day"),
        ('[approval]\nshift_ends = ["6"]\n', "'6' is not a time of day"),
        ("[approval]\nfour_eyes = true\n", "unknown key 'four_eyes' in [approval]"),
    ],
)
def test_bad_values_are_one_sentence_naming_the_key(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert words in message
    assert "config.toml" in message and "\n" not in message


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("Fri 25:00-06:00", "25:00 is not a time of day"),
        ("Weekdays 22:00-06:00", "'Weekdays' is not a day"),
        ("Mon-Fri 22-06", "is not a maintenance window"),
    ],
)
def test_a_malformed_window_is_a_config_error_naming_the_entry(tmp_path: Path, entry: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f'[approval]\nwindows = ["Sat 06:00-14:00", "{entry}"]\n')
    message = str(info.value)
    assert "approval.windows" in message and repr(entry) in message and words in message and "\n" not in message
