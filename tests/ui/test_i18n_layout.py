"""Languages on the screen: the switch at run time, the pseudo-locale at every size, German at every size.

The pseudo-locale (`en-XA`: every text 40 % longer, in ⟦…⟧) shows two things at once: a longer language still
fits (the layout checks of tests/ui/layout_check.py, which allow eliding only with the full text in a
tooltip), and every visible text came through the catalogue (a text without markers is hard-coded). The
window is built in English and switched, so the same test proves the run-time switch reaches every text.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from hmi.core import i18n
from hmi.core.client import ApprovalOutcome
from hmi.ui import language

from .layout_check import SIZES, build, check_main, check_sheet, text_problems
from .states import LONG_ID


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")
    language.load_qt_translations("en")


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    out = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible() or widget.width() <= 0:
            continue
        if isinstance(widget, QAbstractButton):
            text = widget.full_text() if hasattr(widget, "full_text") else widget.text()
        elif isinstance(widget, QLabel):
            text = widget.text()
        else:
            continue
        if text:
            out.append((widget.objectName() or type(widget).__name__, text))
    return out


# Texts that are data, not words: version ids, the address, clock times, language codes, the arrow.
_DATA = re.compile(r"^(?:[\d\s:.,→—·/%()✕⌫-]*|DE|EN|1\.4\.2|1\.5\.0|192\.168\.100\.200:50051)$")
# The approval result that layout_check.build hands the window in the stale state: the client's sentence,
# made by the test there (in the product it comes translated from hmi.core.client).
_TEST_DATA = {"The IPC did not answer in time."}


def hard_coded(root: QWidget) -> list[str]:
    data = {LONG_ID, LONG_ID.replace("2025", "2024")}
    return [
        f"{name}: {text!r}"
        for name, text in visible_texts(root)
        if i18n.MARK_OPEN not in text and text not in data | _TEST_DATA and not _DATA.match(text)
    ]


def switched(window, lang: str) -> None:
    language.switch(window, lang, rerender=lambda: language.rerender_console(window))
    window.status_bar.show_language()


STATES = ["up-to-date", "available", "running", "running-approved", "fault", "stale", "shelved"]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("lang", [i18n.PSEUDO, "de"])
def test_every_state_and_the_sheet_fit_and_come_from_the_catalogue(qtbot, size, lang):
    problems: list[str] = []
    for kind in STATES:
        window, _clock = build(size, kind)
        qtbot.addWidget(window)
        switched(window, lang)
        qtbot.wait(1)
        found = check_main(window)
        if kind == "running-approved":
            # Decided: for the 15 s "Approved" is said beside a running update, a step description of three
            # lines and more may give up its last lines on the smallest screen, cut at a whole line with "…"
            # (the timeline keeps it whole); nothing else may be squeezed.
            step = window.version_panel.progress_text
            squeezed = f"{size[0]}x{size[1]}: label progressText: needs"
            if any(p.startswith(squeezed) for p in found):
                assert step.is_elided() and step.toolTip(), "cut without an ellipsis and its tooltip"
                found = [p for p in found if not p.startswith(squeezed)]
        problems += [f"{kind}: {p}" for p in found]
        if lang == i18n.PSEUDO:
            problems += [f"{kind}: hard-coded {t}" for t in hard_coded(window)]
        if kind == "available":
            assert window.open_confirmation()
            qtbot.wait(1)
            problems += check_sheet(window)
            if lang == i18n.PSEUDO:
                problems += [f"sheet: hard-coded {t}" for t in hard_coded(window.sheet)]
            window.sheet.dismiss()
            if window.demo_drawer is not None:
                window.demo_drawer.toggle()
                qtbot.wait(1)
                problems += [f"demo drawer: {p}" for p in text_problems(window.demo_drawer, window)]
                if lang == i18n.PSEUDO:
                    problems += [f"demo drawer: hard-coded {t}" for t in hard_coded(window.demo_drawer)]
                window.demo_drawer.toggle()
            chooser = window.shelving.sheet  # "Remind me later"
            assert window.shelving.open()
            qtbot.wait(1)
            problems += [f"shelve chooser: {p}" for p in text_problems(chooser.card, window)]
            if lang == i18n.PSEUDO:
                problems += [f"shelve chooser: hard-coded {t}" for t in hard_coded(chooser)]
            chooser.hide()
            exit_sheet = window.exit_sheet
            exit_sheet.open()
            qtbot.wait(1)
            problems += [f"exit sheet: {p}" for p in text_problems(exit_sheet.card, window)]
            if lang == i18n.PSEUDO:
                problems += [f"exit sheet: hard-coded {t}" for t in hard_coded(exit_sheet)]
            exit_sheet.hide()
        window.force_close()
        i18n.set_language("en")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", [i18n.PSEUDO, "de"])
def test_layout_holds_at_2x_device_pixel_ratio_in(lang):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2", LAYOUT_LANG=lang)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.layout_check"], cwd=Path(__file__).resolve().parents[2], env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["screen_dpr"] == 2.0
    assert not result["problems"], "\n".join(result["problems"])


def test_switching_keeps_an_open_confirmation_and_round_trips_every_text(qtbot):
    window, _clock = build((1280, 800), "available")
    qtbot.addWidget(window)
    assert window.open_confirmation()
    sheet = window.sheet
    opened_at, version = sheet.opened_at, sheet.version_id
    sheet.confirm_button._start()  # a hold in progress
    qtbot.wait(200)
    progress = sheet.confirm_button.progress
    assert 0 < progress < 1
    before = visible_texts(window)
    switched(window, "de")
    assert sheet.isVisible() and sheet.version_id == version and sheet.opened_at == opened_at
    assert sheet.confirm_button.holding() and sheet.confirm_button.progress >= progress
    assert window.headline_card.findChild(QLabel, "stateHeadline").text() == "Update verfügbar: wartet auf Freigabe"
    assert sheet.confirm_button.text() == "Zum Installieren halten"
    assert window.status_bar.language_button.text() == "DE"
    texts = dict(visible_texts(window))
    assert "Install this update?" not in texts.values() and "Abbrechen" in texts.values()
    sheet.confirm_button._stop()
    switched(window, "en")
    assert visible_texts(window) == [(n, t) for n, t in before], "English after a round trip differs"
    window.force_close()


def test_the_language_button_switches_and_is_a_touch_target(qtbot):
    from hmi.app import build_console
    from hmi.core.config import ClientConfig

    window, _controller = build_console(ClientConfig(target="127.0.0.1:1", poll_interval=1.0, deadline=0.2))
    qtbot.addWidget(window)
    window.resize(800, 480)
    window.show()
    button = window.status_bar.language_button
    qtbot.wait(1)
    assert button.text() == "EN" and button.height() >= 48 and button.width() >= 48
    button.click()
    assert i18n.language() == "de" and button.text() == "DE"
    assert window.windowTitle() == "IPC-Update-Konsole"
    button.click()
    assert i18n.language() == "en" and window.windowTitle() == "IPC Update Console"
    window.force_close()


def test_qt_own_texts_load_from_the_pyside6_wheel(qapp):
    assert language.load_qt_translations("de")
    assert qapp.translate("QPlatformTheme", "Cancel") == "Abbrechen"
    assert not language.load_qt_translations("en")
    assert qapp.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_the_saved_choice_round_trips_and_a_bad_file_is_ignored_with_a_notice(tmp_path):
    assert i18n.read_saved(tmp_path) == (None, None)
    i18n.save_choice(tmp_path, "de")
    assert i18n.read_saved(tmp_path) == ("de", None)
    assert [p.name for p in tmp_path.iterdir()] == ["panel.json"]
    (tmp_path / "panel.json").write_bytes(b"\xff{not json")
    lang, notice = i18n.read_saved(tmp_path)
    assert lang is None and notice is not None and "ignored" in notice and "\n" not in notice


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("lang", [i18n.PSEUDO, "de"])
def test_sign_in_confirm_and_history_fit_and_come_from_the_catalogue(aloop, qapp, windows, tmp_path, size, lang):
    from .conftest import run

    run(aloop, _sign_in_confirm_and_history(qapp, windows, tmp_path, size, lang), 30)


async def _sign_in_confirm_and_history(qapp, windows, tmp_path, size, lang):
    from hmi.core.audit import AuditStore

    from .live import PINS, sign_in_on_sheet, tap, until
    from .test_signin_layout import LONG_NAME, make

    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        for outcome in ("refused-locally", "approved", "unreachable"):
            store.log_event(kind="approve-update", outcome=outcome, operator=LONG_NAME, version_id=LONG_ID,
                            current_version="1.4.2", message="m", target="192.168.100.200:50051")  # fmt: skip
        window = make(qapp, windows, store, size)
        switched(window, lang)
        qapp.processEvents()
        problems = check_main(window)
        assert window.open_confirmation()
        sheet = window.sheet
        tap(sheet.operator_button(LONG_NAME))
        qapp.processEvents()
        problems += [f"sign-in: {p}" for p in text_problems(sheet.card, window)]
        if lang == i18n.PSEUDO:
            names = (LONG_NAME, "bert", "vera", "dora")  # operator names are data
            problems += [f"sign-in: hard-coded {t}" for t in hard_coded(sheet) if not any(n in t for n in names)]
        tap(sheet.signin_cancel)
        assert window.open_confirmation()
        await sign_in_on_sheet(window, "bert", PINS["bert"])
        qapp.processEvents()
        problems += [f"confirm: {p}" for p in check_sheet(window)]
        if lang == i18n.PSEUDO:
            problems += [f"confirm: hard-coded {t}" for t in hard_coded(sheet)]
        tap(sheet.cancel_button)
        assert window.open_history()
        history = window.history_sheet
        await until(lambda: history.view.table.rowCount() == 3, 5, "the records (read off the GUI thread)")
        qapp.processEvents()
        problems += [f"history: {p}" for p in text_problems(history.card, window)]
        if lang == i18n.PSEUDO:
            problems += [f"history: hard-coded {t}" for t in hard_coded(history)]
            table = history.view.table
            for c in range(table.columnCount()):
                head = table.horizontalHeaderItem(c).text()
                if i18n.MARK_OPEN not in head:
                    problems.append(f"history header {c}: hard-coded {head!r}")
            for r in range(table.rowCount()):
                words = history.view.row_text(r)[-1]
                if i18n.MARK_OPEN not in words:
                    problems.append(f"history row {r}: hard-coded outcome {words!r}")
        # Switching with the history open refills it in the new language.
        switched(window, "en")
        await until(lambda: history.view.table.rowCount() == 3, 5, "the records in English")
        assert all(i18n.MARK_OPEN not in history.view.row_text(r)[-1] for r in range(history.view.table.rowCount()))
        assert not problems, "\n".join(f"{size}: {p}" for p in problems)


def test_the_choice_is_saved_in_the_data_folder_and_read_at_the_next_start(qtbot, tmp_path):
    from hmi.app import build_console
    from hmi.core.config import AppConfig, ClientConfig

    config = AppConfig(client=ClientConfig(target="127.0.0.1:1"), config_file=None, audit_path=tmp_path / "a",
                       data_dir=tmp_path)  # fmt: skip
    window, _controller = build_console(config)
    qtbot.addWidget(window)
    window.status_bar.language_button.click()  # no loop running here: saved at once
    assert i18n.read_saved(tmp_path) == ("de", None)
    assert i18n.choose(flag=None, environ={}, saved=i18n.read_saved(tmp_path)[0]) == ("de", "panel")
    window.status_bar.language_button.click()
    assert i18n.read_saved(tmp_path) == ("en", None)
    window.force_close()


@pytest.mark.parametrize("outcome", list(ApprovalOutcome))
def test_the_notice_under_install_follows_a_switch(qtbot, outcome):
    """The window keeps the notice it said (an approval's outcome) and why approvals are off between renders;
    a switch says both again in the new language, and switching back gives exactly the English again."""
    from hmi.core.client import ApprovalResult

    window, _clock = build((1280, 800), "available", long=False)
    qtbot.addWidget(window)
    state = window.state
    window.show_approval_result(ApprovalResult(outcome, "1.5.0", None, "", "", None, state))
    window.set_approvals_off(
        i18n._("The audit trail cannot be written: {path}: {reason}. Approvals are off until this is fixed.").format(
            path="/var/lib/ipc-hmi/audit.sqlite3", reason="Permission denied"
        )
    )

    def kept():
        desk = window._desk
        return (desk.notice.text if desk.notice else "", desk.approvals_off)

    english = kept()
    assert english[1] and (english[0] or outcome is ApprovalOutcome.IN_FLIGHT)  # in flight says the client's words
    switched(window, "de")
    german = kept()
    assert german[1] != english[1] and "Freigaben sind gesperrt" in german[1]
    if english[0]:
        assert german[0] != english[0], outcome
    switched(window, "en")
    assert kept() == english
    window.force_close()
