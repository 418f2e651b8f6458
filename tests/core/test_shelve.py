"""Shelving an offer's reminder (hmi.core.shelve): when it is in force, when it ends, the end of a shift across
midnight and daylight-saving changes, and the file that keeps it over a restart."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core.model import Snapshot, UpdateState, Version, display_id
from hmi.core.shelve import (
    SHELF_FILE,
    Choice,
    Return,
    Shelf,
    clock_text,
    ended,
    in_force,
    next_shift_end,
    read_shelf,
    until_for,
    write_shelf,
)

T0 = 1_764_000_000.0  # 2025-11-24, a wall time (time.time())
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ZONES = [zoneinfo.ZoneInfo(n) for n in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")]

ids = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=20)
states = st.sampled_from(list(UpdateState))


def version(vid: str) -> Version:
    return Version(version_id=vid, display_id=display_id(vid), notes=None, notes_preview="", raw_notes=None)


def snap(state: UpdateState = UpdateState.UPDATE_AVAILABLE, available: str | None = "1.5.0") -> Snapshot:
    return Snapshot(
        state=state,
        raw_state=1,
        current=version("1.4.2"),
        available=version(available) if available is not None else None,
        progress=None,
        received_at=0.0,
        received_wall=T0,
    )


def shelf(vid: str = "1.5.0", until: float = T0 + 3600) -> Shelf:
    return Shelf("10.0.0.5:50051", vid, until, "anna", T0)


# -- in force and ended -------------------------------------------------------------------------------------
@given(shelved=ids, offered=ids, offset=st.floats(0, 3599))
def test_a_different_version_always_unshelves(shelved, offered, offset):
    s, shot, now = shelf(shelved), snap(available=offered), T0 + offset
    if shot.offered is None or offered != shelved:  # no approvable id (nothing to install) counts as another
        assert not in_force(s, shot, now)
        assert ended(s, shot, now) is Return.NEW_VERSION
    else:
        assert in_force(s, shot, now)
        assert ended(s, shot, now) is None


@given(offset=st.floats(0, 1e7), state=states)
def test_time_up_always_unshelves(offset, state):
    s = shelf()
    now = s.until + offset
    assert not in_force(s, snap(state), now)
    assert ended(s, snap(state), now) is Return.TIME_UP
    assert ended(s, None, now) is Return.TIME_UP


@given(state=states, offset=st.floats(0, 3599))
def test_only_an_offered_update_is_shelved_never_a_run_or_a_fault(state, offset):
    s, now = shelf(), T0 + offset
    shot = snap(state)
    assert in_force(s, shot, now) == (state is UpdateState.UPDATE_AVAILABLE)
    expected = None if state is UpdateState.UPDATE_AVAILABLE else Return.NOT_OFFERED
    assert ended(s, shot, now) is expected


def test_no_offer_and_no_data():
    s = shelf()
    assert ended(s, snap(available=None), T0) is Return.NEW_VERSION
    assert not in_force(s, snap(available=None), T0)
    assert ended(s, None, T0) is None  # nothing known yet (a restart): the shelf waits for the first answer
    assert not in_force(None, snap(), T0) and ended(None, snap(), T0) is None


# -- the end of a shift -------------------------------------------------------------------------------------
clock_times = st.lists(
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"), min_size=1, max_size=4
)
instants = st.floats(1_600_000_000, 1_900_000_000)  # 2020 to 2030, every DST change in between


@settings(max_examples=300)
@given(ends=clock_times, now=instants, tz=st.sampled_from(ZONES))
def test_the_next_shift_end_is_after_now_within_a_day_and_the_first_such(ends, now, tz):
    end = next_shift_end(ends, now, tz)
    assert end is not None and now < end <= now + 26 * 3600  # a day, plus a DST hour or Lord Howe's half hour
    # No configured time of day happens strictly between now and the answer (scan minute by minute is too slow:
    # check each configured time on the days around now instead).
    local = dt.datetime.fromtimestamp(now, tz)
    for day in (local.date() + dt.timedelta(days=d) for d in (-1, 0, 1, 2)):
        for text in ends:
            hh, mm = (int(x) for x in text.split(":"))
            for fold in (0, 1):
                at = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz, fold=fold)
                if at.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != at.replace(tzinfo=None):
                    continue  # a time in the spring gap does not happen that day
                if fold == 1 and at.utcoffset() == at.replace(fold=0).utcoffset():
                    continue
                instant = at.timestamp()
                assert not (now < instant < end) or fold == 1, (text, day, fold, end)


def test_shift_end_across_midnight():
    now = dt.datetime(2026, 3, 10, 23, 30, tzinfo=BERLIN).timestamp()
    end = next_shift_end(["06:00", "14:00", "22:00"], now, BERLIN)
    assert end == dt.datetime(2026, 3, 11, 6, 0, tzinfo=BERLIN).timestamp()
    assert clock_text(end, BERLIN) == "06:00"
    exactly = dt.datetime(2026, 3, 11, 6, 0, tzinfo=BERLIN).timestamp()
    two_pm = dt.datetime(2026, 3, 11, 14, tzinfo=BERLIN).timestamp()
    assert next_shift_end(["06:00", "14:00"], exactly, BERLIN) == two_pm  # strictly after now


@settings(max_examples=300, deadline=None)
@given(st.floats(T0, T0 + 400 * 86400), st.floats(0, 26 * 3600), st.sampled_from(ZONES), st.sampled_from(["en", "de"]))
def test_a_clock_on_another_day_names_the_day(now: float, ahead: float, tz: dt.tzinfo, lang: str) -> None:
    """Any shelf end (up to a day and two hours ahead, in any zone, either language) reads as a clock time, and
    with its date exactly when it falls on another local day than now."""
    from hmi.core import i18n

    wall = now + ahead
    before = i18n.language()
    i18n.set_language(lang)
    try:
        text = clock_text(wall, tz, now=now)
    finally:
        i18n.set_language(before)
    local, today = dt.datetime.fromtimestamp(wall, tz), dt.datetime.fromtimestamp(now, tz).date()
    assert text.endswith(local.strftime("%H:%M")) and clock_text(wall, tz) == local.strftime("%H:%M")
    if local.date() == today:
        assert text == local.strftime("%H:%M")
    else:
        day = local.strftime("%d.%m.%Y") if lang == "de" else local.strftime("%Y-%m-%d")
        assert text == f"{day} {local.strftime('%H:%M')}"


def test_the_night_shift_end_says_its_date():
    now = dt.datetime(2026, 12, 7, 23, 0, tzinfo=BERLIN).timestamp()
    end = next_shift_end(["02:00"], now, BERLIN)
    assert end is not None and clock_text(end, BERLIN, now=now) == "2026-12-08 02:00"
    assert clock_text(now + 1800, BERLIN, now=now) == "23:30"


def test_shift_end_in_the_spring_gap_lands_just_after_it():
    # 29 March 2026: Berlin skips 02:00-03:00. A shift "ending" at 02:30 ends when the clocks show 03:30.
    now = dt.datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN).timestamp()
    end = next_shift_end(["02:30"], now, BERLIN)
    assert end is not None
    assert end - now == 90 * 60  # 02:30 read as CET (the offset before the change) is 03:30 CEST
    assert clock_text(end, BERLIN) == "03:30"


def test_shift_end_in_the_hour_that_happens_twice_is_its_first_time():
    # 25 October 2026: Berlin has 02:00-03:00 twice; the shift ends at the first 02:30 (CEST).
    now = dt.datetime(2026, 10, 25, 1, 0, tzinfo=BERLIN).timestamp()
    end = next_shift_end(["02:30"], now, BERLIN)
    assert end == now + 90 * 60
    # Between the first and the second 02:30 the next end is the next day's.
    second = dt.datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN, fold=1).timestamp()
    tomorrow = dt.datetime(2026, 10, 26, 2, 30, tzinfo=BERLIN).timestamp()
    assert next_shift_end(["02:30"], second, BERLIN) == tomorrow


def test_no_shift_ends_configured():
    assert next_shift_end([], T0) is None
    assert until_for(Choice.END_OF_SHIFT, T0, ()) is None
    assert until_for(Choice.ONE_HOUR, T0, ()) == T0 + 3600
    assert until_for(Choice.FOUR_HOURS, T0, ()) == T0 + 4 * 3600
    assert next_shift_end(["12:00"], T0) is not None  # this machine's local time


# -- the file -----------------------------------------------------------------------------------------------
def test_saved_shelf_round_trips_and_is_bound_to_the_target(tmp_path):
    path = tmp_path / "data" / SHELF_FILE
    s = shelf()
    write_shelf(path, s)
    assert read_shelf(path, s.target, T0) == s
    assert read_shelf(path, "10.0.0.6:50051", T0) is None  # another IPC
    assert read_shelf(path, s.target, s.until) is None  # the time is up
    write_shelf(path, None)
    assert read_shelf(path, s.target, T0) is None
    assert read_shelf(tmp_path / "missing.json", s.target, T0) is None


@pytest.mark.parametrize(
    "content",
    [b"{", b"\xff\xfe", b"[]", b'{"target": "x"}', json.dumps({**shelf().to_json(), "until": "soon"}).encode(),
     json.dumps({**shelf().to_json(), "until": T0 + 10 * 24 * 3600}).encode(),
     json.dumps({**shelf().to_json(), "by": 7}).encode()],
)  # fmt: skip
def test_a_broken_file_is_ignored_with_one_warning(tmp_path, caplog, content):
    path = tmp_path / SHELF_FILE
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="hmi.core.shelve"):
        assert read_shelf(path, shelf().target, T0) is None
    assert len(caplog.records) == 1 and "ignored" in caplog.records[0].getMessage()


def test_an_unreadable_file_is_ignored_with_one_warning(tmp_path, caplog):
    path = tmp_path / SHELF_FILE
    path.mkdir()  # a folder where the file should be
    with caplog.at_level(logging.WARNING, logger="hmi.core.shelve"):
        assert read_shelf(path, "x", T0) is None
    assert len(caplog.records) == 1
