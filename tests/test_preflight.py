"""`make demo` stops with a message naming what is missing."""

from hmi import preflight


def _find_all(name):
    return f"/usr/lib/lib{name}.so"


def test_offscreen_needs_nothing():
    assert preflight.problems({"QT_QPA_PLATFORM": "offscreen"}, find=lambda _n: None) == []


def test_no_display_says_how_to_run_under_xvfb():
    found = preflight.problems({}, find=_find_all)
    assert len(found) == 1
    assert "No display" in found[0] and "xvfb-run" in found[0] and "QT_QPA_PLATFORM=offscreen" in found[0]


def test_missing_xcb_library_is_named_with_its_package():
    found = preflight.problems({"DISPLAY": ":0"}, find=lambda n: None if n == "xcb-cursor" else _find_all(n))
    assert found == [
        "Qt's xcb platform needs system libraries that are not installed:\n    apt-get install -y libxcb-cursor0"
    ]


def test_all_present_with_display_is_fine():
    assert preflight.problems({"DISPLAY": ":0"}, find=_find_all) == []
