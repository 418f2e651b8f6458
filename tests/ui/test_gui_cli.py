"""`ipc-hmi gui` / `ipc-hmi --demo`: options, usage errors, and --screenshot as a whole process."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from hmi.cli import main

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def ipc_hmi(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "hmi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gui", "--size", "big"], "expected WIDTHxHEIGHT"),
        (["--demo", "--size", "1280x"], "expected WIDTHxHEIGHT"),
        (["gui", "--size", "10x10"], "out of range"),
        (["gui", "--after", "3"], "--after needs --screenshot"),
        (["gui", "--screenshot", "x.png", "--after", "-1"], "seconds from 0"),
        (["gui", "--demo-speed", "2"], "need --demo"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_config_value_exits_2_before_any_window(capsys):
    code = main(["gui", "--poll-interval", "0", "--screenshot", "/nonexistent/x.png"])
    assert code == 2
    assert "--poll-interval" in capsys.readouterr().err


def test_parsing_the_gui_options_loads_no_qt():
    code = "import sys, hmi.cli; hmi.cli.build_parser(); print('PySide6' in sys.modules, 'grpc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["False", "False"], out.stderr


@pytest.mark.slow
def test_demo_screenshot_renders_after_the_first_data_and_exits_0(tmp_path):
    shot = tmp_path / "demo.png"
    proc = ipc_hmi("--demo", "--screenshot", str(shot))
    assert proc.returncode == 0, proc.stderr
    assert png_size(shot) == (1280, 800)
    assert "screenshot written" in proc.stdout


@pytest.mark.slow
def test_screenshot_of_an_unreachable_ipc_after_a_delay_at_a_size(tmp_path):
    shot = tmp_path / "offline.png"
    proc = ipc_hmi(
        "gui", "--target", "127.0.0.1:9", "--deadline", "0.2", "--screenshot", str(shot), "--after", "1",
        "--size", "800x480",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert png_size(shot) == (800, 480)
