"""The [progress] table (issue 14): file < environment < flags, defaults, and one sentence for a bad value."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from hmi.core.config import ConfigError, ProgressConfig, add_config_arguments, add_progress_arguments, load_config


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    add_progress_arguments(parser)
    return parser.parse_args(list(argv))


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "d"),
        **extra,
    }


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_issue_s_numbers(tmp_path: Path) -> None:
    p = load_config(parse(), env_for(tmp_path)).progress
    assert p == ProgressConfig(3.0, 300.0, 1200.0, 300.0)


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        "[progress]\nstuck_factor = 2.5\nstuck_minimum = 120\nstuck_without_history = 900\nrestart_grace = 60\n",
    )
    from_file = load_config(parse("--config", str(path)), env_for(tmp_path)).progress
    assert from_file == ProgressConfig(2.5, 120.0, 900.0, 60.0)
    env = env_for(tmp_path, IPC_HMI_STUCK_FACTOR="4", IPC_HMI_RESTART_GRACE="30")
    from_env = load_config(parse("--config", str(path)), env).progress
    assert from_env == ProgressConfig(4.0, 120.0, 900.0, 30.0)
    flags = parse(
        "--config", str(path), "--stuck-factor", "5", "--stuck-minimum", "10", "--stuck-without-history", "20"
    )
    assert load_config(flags, env).progress == ProgressConfig(5.0, 10.0, 20.0, 30.0)


@pytest.mark.parametrize(
    ("argv", "env", "text", "needle"),
    [
        (
            (),
            {},
            "[progress]\nstuck_factor = 0.5\n",
            "progress.stuck_factor: expected a number from 1 to 1000, got 0.5",
        ),
        ((), {}, "[progress]\nstuck_minimum = -1\n", "progress.stuck_minimum: expected a number of seconds"),
        ((), {}, '[progress]\nrestart_grace = "soon"\n', "progress.restart_grace: expected a number of seconds"),
        ((), {}, "[progress]\nstuck_after = 3\n", "unknown key 'stuck_after' in [progress]"),
        (
            (),
            {"IPC_HMI_STUCK_WITHOUT_HISTORY": "nan"},
            "",
            "IPC_HMI_STUCK_WITHOUT_HISTORY: expected a number of seconds",
        ),
        (("--stuck-factor", "inf"), {}, "", "--stuck-factor: expected a number from 1 to 1000, got inf"),
        (("--restart-grace", "1e9"), {}, "", "--restart-grace: expected a number of seconds from 0 to 604800"),
    ],
)
def test_a_bad_value_is_one_sentence_naming_its_place(
    tmp_path: Path, argv: tuple[str, ...], env: dict[str, str], text: str, needle: str
) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(parse("--config", str(path), *argv), env_for(tmp_path, **env))
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_scaled_divides_the_seconds_but_not_the_factor() -> None:
    assert ProgressConfig(3.0, 300.0, 1200.0, 300.0).scaled(10) == ProgressConfig(3.0, 30.0, 120.0, 30.0)


def test_a_bad_value_exits_2_from_gui_and_report(tmp_path: Path) -> None:
    env = {**env_for(tmp_path), "PATH": "/usr/bin:/bin", "IPC_HMI_STUCK_MINIMUM": "-5", "QT_QPA_PLATFORM": "offscreen"}
    for sub in ("gui", "report"):
        out = subprocess.run(
            [sys.executable, "-m", "hmi", sub], capture_output=True, text=True, timeout=60, env=env, check=False
        )
        assert out.returncode == 2, (sub, out.stderr)
        assert "IPC_HMI_STUCK_MINIMUM: expected a number of seconds from 0 to 604800, got -5" in out.stderr
