"""The palette and sizes the operator's screen promises (ISA-101 style, WCAG contrast)."""

from __future__ import annotations

import pytest

from hmi.core.view import Severity
from hmi.ui import theme


@pytest.mark.parametrize("role", sorted(theme.ROLES))
def test_every_text_colour_pair_has_contrast_of_at_least_7_to_1(role):
    fg, bg = theme.ROLES[role]
    assert theme.contrast(fg, bg) >= 7.0, f"{role}: {fg} on {bg} is {theme.contrast(fg, bg):.2f}:1"


def test_contrast_formula_matches_wcag_reference_values():
    assert theme.contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert theme.contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)


def test_sizes_meet_the_touch_and_reading_floors():
    assert theme.BODY_PX >= 18
    assert theme.TITLE_PX >= 32
    assert theme.TOUCH_PX >= 48
    assert theme.PRIMARY_PX >= 72


def test_colour_only_where_attention_is_needed():
    neutral = theme.TONES[Severity.NORMAL]
    assert neutral.background == theme.PANEL  # grey when nothing needs anyone
    for severity in (Severity.ATTENTION, Severity.ALARM, Severity.DEGRADED):
        assert theme.TONES[severity].accent != neutral.accent
    assert theme.TONES[Severity.DEGRADED].hatch  # not live: hatched, not only coloured


def test_icons_exist_for_every_headline_kind():
    from hmi.ui import icons

    for kind in ("up-to-date", "update-available", "running", "fault", "unknown", "stale", "offline", "connecting"):
        assert icons.icon_path(kind).is_file(), kind
