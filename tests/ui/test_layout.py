"""The layout holds at 800×480, 1024×600, 1280×800, 1920×1080 and at 2× device-pixel ratio.

Each size is rendered with a 120-character version id and long notes, in the states whose
layout differs (offer, running, failed, stale with a message), and with the confirmation sheet
open: key areas inside the window and not overlapping, labels' text fits (elided only with the
full text in a tooltip; the sheet's version id wraps and is never elided), touch sizes kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .layout_check import SIZES, build, check_main, check_sheet

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("kind", ["available", "running", "fault", "stale", "shelved"])
def test_main_screen_holds(qtbot, size, kind):
    window, _clock = build(size, kind)
    qtbot.addWidget(window)
    assert (window.width(), window.height()) == size, "the window refused the size: its minimum is larger"
    assert window.wide == (size[0] >= 1180 and size[1] >= 700)
    problems = check_main(window)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_confirmation_sheet_holds_and_never_elides_the_id(qtbot, size):
    from .states import LONG_ID

    window, _clock = build(size, "available")
    qtbot.addWidget(window)
    assert window.open_confirmation()
    qtbot.wait(10)
    assert window.sheet.version_label.text() == LONG_ID
    problems = check_sheet(window)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_remind_me_later_chooser_holds(qtbot, size):
    from .layout_check import text_problems

    window, _clock = build(size, "available")
    qtbot.addWidget(window)
    assert window.shelving.open()
    qtbot.wait(10)
    sheet = window.shelving.sheet
    assert all(b.isVisible() for b in sheet.buttons.values()), "end of shift is configured: all three choices"
    problems = text_problems(sheet.card, window)
    assert window.rect().contains(sheet.card.geometry()), "the chooser is outside the window"
    assert not problems, "\n".join(problems)


def test_short_ids_fill_the_button_without_eliding(qtbot):
    window, _clock = build((800, 480), "available", long=False)
    qtbot.addWidget(window)
    assert window.version_panel.approve_button.text() == "Install 1.5.0"
    assert not window.version_panel.approve_button.is_elided()


def test_layout_holds_at_2x_device_pixel_ratio():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.layout_check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["screen_dpr"] == 2.0
    assert result["dpr"] and all(d == 2.0 for d in result["dpr"])
    assert not result["problems"], "\n".join(result["problems"])
