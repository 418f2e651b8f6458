"""The four-eyes second step holds at 800×480, 1024×600, 1280×800 and 1920×1080 (nothing clipped or overlapping,
touch sizes kept, long names), and every text on it comes from the catalogue (pseudo-locale) and fits in German."""

from __future__ import annotations

import pytest

from hmi.core import i18n
from hmi.core.audit import AuditStore

from .conftest import run, until
from .layout_check import SIZES, check_sheet, overlap_problems, rect_in, text_problems
from .live import PINS, sign_in_on_sheet, tap, type_pin
from .test_i18n_layout import english_after, hard_coded, switched  # noqa: F401  (fixture)
from .test_signin_layout import LONG_NAME, make

NAMES = (LONG_NAME, "bert", "vera", "dora")  # operator names are data, not words


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        yield s


async def second_step(qapp, window) -> None:
    """bert signs in and confirms first; the sheet asks for the second operator."""
    assert window.open_confirmation()
    await sign_in_on_sheet(window, "bert", PINS["bert"])
    window.sheet.confirm_button.held.emit()  # the completed hold (its timing is tested in test_foureyes)
    qapp.processEvents()
    assert window.sheet.step == "second-signin"


def sheet_problems(window, where: str, lang: str) -> list[str]:
    sheet = window.sheet
    problems = [f"{where}: {p}" for p in text_problems(sheet.card, window)]
    if not window.rect().contains(rect_in(window, sheet.card)):
        problems.append(f"{where}: sheet card outside the window")
    if lang == i18n.PSEUDO:
        problems += [f"{where}: hard-coded {t}" for t in hard_coded(sheet) if not any(n in t for n in NAMES)]
    return problems


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("lang", ["en", i18n.PSEUDO, "de"])
def test_the_second_step_fits_and_comes_from_the_catalogue(aloop, qapp, windows, store, size, lang):
    run(aloop, _second_step_fits(qapp, windows, store, size, lang), 30)


async def _second_step_fits(qapp, windows, store, size, lang):
    window = make(qapp, windows, store, size, require_two=True)
    switched(window, lang)
    await second_step(qapp, window)
    sheet = window.sheet
    problems: list[str] = []
    # The first operator is refused with the sentence: the longest line the keypad shows.
    tap(sheet.operator_button("bert"))
    # The refusal is recorded on a worker thread: let it finish before Qt's events are processed here.
    await until(lambda: len(store.records()) == 1, 5, "the refusal's record")
    qapp.processEvents()
    problems += sheet_problems(window, "same person", lang)
    problems += overlap_problems(window, [sheet.picker_area, sheet.signin_cancel, sheet.pad])
    for key in (*"0123456789", "ok", "clear", "delete"):
        if sheet.pad.key(key).height() < 48 or sheet.pad.key(key).width() < 48:
            problems.append(f"key {key}: {sheet.pad.key(key).size()} < 48 px")
    if sheet.signin_cancel.height() < 48 or sheet.operator_button(LONG_NAME).height() < 48:
        problems.append("a touch target below 48 px")
    # A long name as the second operator: their PIN, then the second hold.
    tap(sheet.operator_button(LONG_NAME))
    await type_pin(sheet, "2468")
    qapp.processEvents()
    assert sheet.step == "second-confirm", sheet.pad.message()
    problems += [f"second hold: {p}" for p in check_sheet(window)]
    problems += sheet_problems(window, "second hold", lang)
    problems += overlap_problems(window, [sheet.operator_row, sheet.cancel_button, sheet.confirm_button])
    if sheet.confirm_button.height() < 72:
        problems.append(f"second hold button {sheet.confirm_button.height()} px < 72")
    tap(sheet.cancel_button)
    assert not problems, "\n".join(f"{size} {lang}: {p}" for p in problems)
