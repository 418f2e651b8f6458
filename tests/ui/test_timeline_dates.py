"""The timeline on screen (issue 12): entries not from today carry their date, rows are stamped again when
midnight passes, and a language switch gives every row the new language and date format."""

from __future__ import annotations

import datetime as dt

import pytest

from hmi.core import i18n
from hmi.core.view import Severity
from hmi.ui import language
from hmi.ui.notes_pane import NotesPane
from hmi.ui.presenter import TimelineKind

from .states import client_state, info

BEFORE = dt.datetime(2026, 12, 2, 22, 59, 52, tzinfo=dt.UTC).timestamp()  # 23:59:52 in Berlin


pytestmark = pytest.mark.usefixtures("berlin_then_english")  # tests/conftest.py


def rows(pane: NotesPane) -> list[str]:
    return [pane.timeline.item(i).text() for i in range(pane.timeline.count())]


def test_after_midnight_yesterday_s_rows_show_their_date(qtbot):
    clock = {"wall": BEFORE}
    pane = NotesPane(kiosk=False, wall=lambda: clock["wall"])
    qtbot.addWidget(pane)
    pane.observe(client_state(info("available")), 1000.0)
    assert rows(pane) and all(r.startswith("23:59:52   ") for r in rows(pane))
    clock["wall"] = BEFORE + 10  # 00:00:02 the next day
    pane.observe(client_state(info("available", available="1.5.1")), 1001.0)
    newest, *older = rows(pane)
    assert newest.startswith("00:00:02   ") and "1.5.1" in newest
    assert older and all(r.startswith("2026-12-02 23:59:52   ") for r in older)


def test_a_language_switch_translates_the_rows_and_their_dates(qtbot):
    clock = {"wall": BEFORE}
    pane = NotesPane(kiosk=False, wall=lambda: clock["wall"])
    qtbot.addWidget(pane)
    pane.observe(client_state(info("available")), 1000.0)
    pane.note(TimelineKind.APPROVAL, i18n._("Connection restored; the data is live again."), Severity.NORMAL)
    clock["wall"] = BEFORE + 10
    pane.restamp()
    english = rows(pane)
    assert all(r.startswith("2026-12-02 23:59:52   ") for r in english)
    language.switch(pane, "de")
    german = rows(pane)
    assert len(german) == len(english)
    assert german[0] == "02.12.2026 23:59:52   Verbindung wiederhergestellt; die Daten sind wieder aktuell."
    assert all(g != e for g, e in zip(german, english, strict=True))
    language.switch(pane, "en")
    assert rows(pane) == english  # the round trip gives back every row exactly
