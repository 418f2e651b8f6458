"""Dates and times follow the language (issue 12): 24 h in both, 02.12.2026 in German, ISO dates in English,
and a stamp carries the date exactly when it is not from the same local day."""

from __future__ import annotations

import datetime as dt
import os
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core import i18n
from hmi.core.audit import AuditStore, record_to_json

pytestmark = pytest.mark.usefixtures("berlin_then_english")  # tests/conftest.py


WALL = dt.datetime(2026, 12, 2, 23, 59, 52, tzinfo=dt.UTC).timestamp() - 3600  # 23:59:52 in Berlin (CET)


def test_german_and_english_dates():
    moment = dt.datetime.fromtimestamp(WALL, dt.UTC)
    i18n.set_language("de")
    assert i18n.format_date(moment) == "02.12.2026"
    assert i18n.format_datetime(moment) == "02.12.2026 23:59:52"
    i18n.set_language("en")
    assert i18n.format_datetime(moment) == "2026-12-02 23:59:52"


def test_just_after_midnight_the_entry_from_before_shows_its_date():
    after = WALL + 10  # 00:00:02 on 03.12.
    i18n.set_language("de")
    assert i18n.format_stamp(after, after) == "00:00:02"
    assert i18n.format_stamp(WALL, after) == "02.12.2026 23:59:52"
    assert i18n.format_stamp(WALL, WALL) == "23:59:52"


@settings(max_examples=300, deadline=None)
@given(
    wall=st.integers(min_value=0, max_value=4_102_444_800_000).map(lambda ms: ms / 1000),
    delta=st.integers(min_value=-5 * 86_400_000, max_value=5 * 86_400_000).map(lambda ms: ms / 1000),
    lang=st.sampled_from(["de", "en"]),
)
def test_a_stamp_has_a_date_exactly_when_the_day_differs(wall, delta, lang):
    i18n.set_language(lang)
    today = wall + delta
    text = i18n.format_stamp(wall, today)
    same_day = time.localtime(wall)[:3] == time.localtime(today)[:3]
    clock = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    date = r"\d\d\.\d\d\.\d{4}" if lang == "de" else r"\d{4}-\d\d-\d\d"
    assert re.fullmatch(clock if same_day else f"{date} {clock}", text), text
    local = time.localtime(wall)
    assert text.endswith(time.strftime("%H:%M:%S", local))


def test_audit_records_keep_english_outcomes_and_store_the_language(tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite3") as store:
        i18n.set_language("de")
        rid = store.begin(target="t:1", version_id="1.5.0", current_version="1.4.2", operator="Anna")
        store.complete(rid, outcome="approved", code=None, message="")
        i18n.set_language("en")
        other = store.log_event(kind="signin-failed", outcome="wrong-pin", operator="Ben")
        first, second = store.get(rid), store.get(other)
    assert first is not None and second is not None
    assert (first.language, first.outcome) == ("de", "approved")
    assert second.language == "en"
    assert record_to_json(first)["language"] == "de"


def test_a_trail_from_before_the_language_column_gains_it_and_reads_read_only(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with AuditStore.open(path) as store:
        store.log_event(kind="signin-failed", outcome="wrong-pin", operator="Ben")
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE records DROP COLUMN language")
    conn.commit()
    conn.close()
    os.chmod(path, 0o444)
    try:
        with AuditStore.open_readonly(path) as ro:
            assert [r.language for r in ro.records()] == [None]
    finally:
        os.chmod(path, 0o644)
    with AuditStore.open(path) as store:
        i18n.set_language("de")
        store.log_event(kind="signin-failed", outcome="wrong-pin", operator="Cem")
        assert [r.language for r in store.records()] == ["de", None]


def test_a_message_written_in_german_is_stored_in_english(tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite3") as store:
        i18n.set_language("de")
        rid = store.begin(target="t:1", version_id="1.5.0", current_version="1.4.2", operator="Anna")
        shown = i18n._("The IPC cannot be reached.") + " " + i18n._("Nothing was sent.")  # as hmi.core.client joins
        assert shown == "Der IPC ist nicht erreichbar. Es wurde nichts gesendet."
        store.complete(rid, outcome="unreachable", code="UNAVAILABLE", message=shown)
        event = store.log_event(
            kind="signin-failed",
            outcome="wrong-pin",
            message=i18n._("The confirmation closed after {n} s without a decision. Nothing was sent.").format(n=30),
        )
        stored = store.get(rid), store.get(event)
    assert stored[0] is not None and stored[1] is not None
    assert stored[0].message == "The IPC cannot be reached. Nothing was sent."
    assert stored[1].message == "The confirmation closed after 30 s without a decision. Nothing was sent."


def _catalogue_messages():
    from hmi.core.retext import _FIELD, _messages

    return [(m, p) for m, p in _messages() if p is None and m.strip()], _FIELD


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_german_message_goes_back_to_its_english_source(data):
    """Any catalogue message, formatted with plain values, comes back as the English text with the same
    values, unless two messages share one German text (then either English source is a faithful record)."""
    from hmi.core.retext import to_source

    messages, field = _catalogue_messages()
    msgid, _plural = data.draw(st.sampled_from(messages))
    names = sorted(set(field.findall(msgid)))
    values = {n: f"V{i}x" for i, n in enumerate(names)}
    english = field.sub(lambda m: values[m.group(1)], msgid)
    i18n.set_language("de")
    german = field.sub(lambda m: values.get(m.group(1), m.group(0)), i18n._(msgid))
    back = to_source(german)
    twins = [m for m, _p in messages if m != msgid and i18n._(m) == i18n._(msgid)]
    assert (
        back == english
        or any(field.sub(lambda m: values.get(m.group(1), ""), t) == back for t in twins)
        or (back != german and i18n._(back) == german)
    ), (msgid, german, back)
