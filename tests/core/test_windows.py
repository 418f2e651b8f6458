"""Maintenance windows (issue 15): parsing, and the rules against a brute-force minute-of-week oracle.

The oracle marks every minute of the week a window covers (a 7 × 1440 table, filled minute by minute) and reads
an instant's local wall time in it. The implementation works with intervals and the zone's offset changes; both
must agree for random windows, random instants and several zones, and at the daylight-saving edges.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core import i18n
from hmi.core.config import ConfigError
from hmi.core.windows import (
    DAYS,
    MINUTES_PER_DAY,
    Window,
    WindowRules,
    format_day_time,
    format_wait,
    is_open,
    next_open,
    open_until,
    parse_window,
    parse_windows,
)

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Zones with daylight saving in both hemispheres, a 30-minute shift (Lord Howe) and a 45-minute offset.
ZONES = [
    BERLIN,
    NEW_YORK,
    zoneinfo.ZoneInfo("UTC"),
    zoneinfo.ZoneInfo("Australia/Sydney"),
    zoneinfo.ZoneInfo("Australia/Lord_Howe"),
    zoneinfo.ZoneInfo("Asia/Kathmandu"),
]
MINUTE = dt.timedelta(minutes=1)
WEEK = 7 * MINUTES_PER_DAY


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(tz: dt.tzinfo, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz, fold=fold)


# --- the oracle -----------------------------------------------------------------------------------------------


def week_table(windows: Sequence[Window]) -> list[bool]:
    table = [False] * WEEK
    for w in windows:
        for day in w.days:
            minute = day * MINUTES_PER_DAY + w.start
            for i in range(w.length):
                table[(minute + i) % WEEK] = True
    return table


def oracle_open(table: list[bool], instant: dt.datetime, tz: dt.tzinfo) -> bool:
    wall = instant.astimezone(tz)
    return table[wall.weekday() * MINUTES_PER_DAY + wall.hour * 60 + wall.minute]


def ceil_minute(instant: dt.datetime) -> dt.datetime:
    """The first whole UTC minute strictly after `instant`."""
    floor = instant.astimezone(UTC).replace(second=0, microsecond=0)
    return floor + MINUTE


def oracle_next_open(table: list[bool], instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """Minute by minute (every zone here changes offset on whole minutes, so openness is constant within a UTC
    minute): the first minute after `instant` that is open while the minute before it is not."""
    if all(table):
        return None
    t = ceil_minute(instant)
    before = oracle_open(table, t - MINUTE, tz)
    for _i in range(17 * MINUTES_PER_DAY):
        now = oracle_open(table, t, tz)
        if now and not before:
            return t
        before, t = now, t + MINUTE
    return None


def oracle_open_until(table: list[bool], instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    if all(table) or not oracle_open(table, instant, tz):
        return None
    t = ceil_minute(instant)
    for _i in range(17 * MINUTES_PER_DAY):
        if not oracle_open(table, t, tz):
            return t
        t += MINUTE
    return None


# --- strategies -----------------------------------------------------------------------------------------------


@st.composite
def windows_st(draw: st.DrawFn) -> Window:
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, MINUTES_PER_DAY - 1))
    # Short windows make the DST edges matter; long ones cross midnight.
    end = draw(
        st.one_of(st.integers(1, MINUTES_PER_DAY), st.integers(start + 1, min(start + 90, MINUTES_PER_DAY))).filter(
            lambda e: e != start
        )
    )
    hh, mm = divmod(end, 60)
    text = f"{','.join(DAYS[d] for d in sorted(days))} {start // 60:02d}:{start % 60:02d}-{hh:02d}:{mm:02d}"
    return parse_window(text)


window_lists = st.lists(windows_st(), min_size=1, max_size=4)
zones = st.sampled_from(ZONES)
# Instants from 2000 on (no historical local mean time offsets with seconds), often near a DST change.
plain_instants = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2037, 12, 31), timezones=st.just(UTC))
dst_edges = [
    utc(2026, 3, 29, 1),  # Berlin spring forward
    utc(2026, 10, 25, 1),  # Berlin fall back
    utc(2026, 3, 8, 7),  # New York spring forward
    utc(2026, 11, 1, 6),  # New York fall back
    utc(2026, 4, 5, 15),  # Lord Howe (30 min back) and Sydney
    utc(2026, 10, 3, 16),  # Sydney forward
]
near_edges = st.builds(
    lambda edge, minutes, us: edge + dt.timedelta(minutes=minutes, microseconds=us),
    st.sampled_from(dst_edges),
    st.integers(-3 * MINUTES_PER_DAY, 3 * MINUTES_PER_DAY),
    st.sampled_from([0, 0, 1, 999_999, 30_000_000]),
)
instants = st.one_of(plain_instants, near_edges)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties -----------------------------------------------------------------------------------------------


@PROPERTY
@given(window_lists, instants, zones)
def test_is_open_agrees_with_the_minute_table(windows: list[Window], instant: dt.datetime, tz: dt.tzinfo) -> None:
    assert is_open(windows, instant, tz) == oracle_open(week_table(windows), instant, tz)


@PROPERTY
@given(window_lists, instants, zones)
def test_next_open_is_the_first_open_minute_after_a_closed_one(
    windows: list[Window], instant: dt.datetime, tz: dt.tzinfo
) -> None:
    table = week_table(windows)
    got = next_open(windows, instant, tz)
    assert got == oracle_next_open(table, instant, tz)
    if got is None:
        assert all(table)  # only windows that never close have no next start
        return
    assert got > instant
    assert is_open(windows, got, tz) and not is_open(windows, got - dt.timedelta(microseconds=1), tz)
    if not is_open(windows, instant, tz):  # closed now: no open minute between now and the start
        t = ceil_minute(instant)
        while t < got:
            assert not oracle_open(table, t, tz), t
            t += MINUTE


@PROPERTY
@given(window_lists, instants, zones)
def test_open_until_is_the_first_closed_minute(windows: list[Window], instant: dt.datetime, tz: dt.tzinfo) -> None:
    table = week_table(windows)
    got = open_until(windows, instant, tz)
    assert got == oracle_open_until(table, instant, tz)
    if got is not None:
        assert got > instant and not is_open(windows, got, tz)


@PROPERTY
@given(window_lists, instants, zones)
def test_inside_a_window_the_allowance_names_its_end(
    windows: list[Window], instant: dt.datetime, tz: dt.tzinfo
) -> None:
    """Exactly one of refusal and allowance speaks while windows close at some time; the allowance names the
    weekday and time of `open_until`, and never appears for windows that never close."""
    rules = WindowRules(tuple(windows), tz)
    said, refused, end = rules.allowance(instant), rules.refusal(instant), open_until(windows, instant, tz)
    if not windows or all(week_table(windows)):
        assert said is None
        return
    assert (said is None) == (refused is not None) == (not is_open(windows, instant, tz))
    if said is not None:
        assert end is not None and format_day_time(end, tz) in said and said.startswith("Approvals until")


@PROPERTY
@given(windows_st())
def test_an_entry_reads_back_as_written(window: Window) -> None:
    again = parse_window(window.text)
    assert (again.days, again.start, again.end) == (window.days, window.start, window.end)
    assert 0 < window.length <= MINUTES_PER_DAY


@PROPERTY
@given(window_lists, instants, zones)
def test_the_repeated_hour_has_one_answer_for_both_folds(
    windows: list[Window], instant: dt.datetime, tz: dt.tzinfo
) -> None:
    wall = instant.astimezone(tz).replace(tzinfo=None)
    first, second = (wall.replace(tzinfo=tz, fold=f) for f in (0, 1))
    assert is_open(windows, first, tz) == is_open(windows, second, tz)


def test_no_windows_is_always_open() -> None:
    assert is_open((), utc(2026, 1, 1), BERLIN)
    assert next_open((), utc(2026, 1, 1), BERLIN) is None
    assert open_until((), utc(2026, 1, 1), BERLIN) is None
    assert WindowRules.from_config((), "Europe/Berlin") is None


def test_a_whole_week_never_closes() -> None:
    windows = parse_windows(["Mon-Sun 00:00-24:00"])
    assert is_open(windows, utc(2026, 10, 25, 1), BERLIN)
    assert next_open(windows, utc(2026, 10, 25, 1), BERLIN) is None
    assert open_until(windows, utc(2026, 10, 25, 1), BERLIN) is None


# --- crossing midnight ----------------------------------------------------------------------------------------


def test_a_window_crossing_midnight_belongs_to_its_start_day() -> None:
    windows = parse_windows(["Mon-Fri 22:00-06:00", "Sat 06:00-14:00"])
    # Friday 2026-12-04 23:30 and Saturday 05:59 Berlin: inside Friday's night window.
    assert is_open(windows, local(BERLIN, 2026, 12, 4, 23, 30), BERLIN)
    assert is_open(windows, local(BERLIN, 2026, 12, 5, 5, 59), BERLIN)
    # Saturday 06:00 hands over to the Saturday window without a gap: one window until 14:00.
    assert open_until(windows, local(BERLIN, 2026, 12, 5, 5, 0), BERLIN) == local(BERLIN, 2026, 12, 5, 14, 0)
    # Sunday night is not Friday's: Monday 05:00 is closed, the Monday window opens at 22:00.
    assert not is_open(windows, local(BERLIN, 2026, 12, 7, 5, 0), BERLIN)
    assert next_open(windows, local(BERLIN, 2026, 12, 7, 5, 0), BERLIN) == local(BERLIN, 2026, 12, 7, 22, 0)
    # Saturday 22:00 is not a start day (Mon-Fri): from Saturday 14:00 the next start is Monday 22:00.
    assert next_open(windows, local(BERLIN, 2026, 12, 5, 14, 0), BERLIN) == local(BERLIN, 2026, 12, 7, 22, 0)


def test_day_ranges_wrap_and_24_00_is_the_end_of_the_day() -> None:
    (w,) = parse_windows(["Fri-Mon 20:00-24:00"])
    assert w.days == {4, 5, 6, 0}
    assert is_open([w], local(BERLIN, 2026, 12, 6, 23, 59), BERLIN)  # Sunday
    assert not is_open([w], local(BERLIN, 2026, 12, 8, 0, 0), BERLIN)  # Tuesday 00:00: Monday's ended
    assert open_until([w], local(BERLIN, 2026, 12, 7, 21, 0), BERLIN) == local(BERLIN, 2026, 12, 8, 0, 0)


# --- daylight saving: Europe/Berlin (2026: forward 29 March 02:00, back 25 October 03:00) -------------------


def test_berlin_repeated_hour_is_inside_for_both_folds() -> None:
    windows = parse_windows(["Sun 02:00-03:00"])
    first, second = local(BERLIN, 2026, 10, 25, 2, 30, fold=0), local(BERLIN, 2026, 10, 25, 2, 30, fold=1)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30) and second.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert is_open(windows, first, BERLIN) and is_open(windows, second, BERLIN)
    # It opens at the first 02:00 (CEST) and stays open through both hours, to 03:00 CET: two real hours.
    assert next_open(windows, utc(2026, 10, 24, 12), BERLIN) == utc(2026, 10, 25, 0, 0)
    assert open_until(windows, utc(2026, 10, 25, 0, 0), BERLIN) == utc(2026, 10, 25, 2, 0)


def test_berlin_a_window_inside_the_repeated_hour_opens_twice() -> None:
    windows = parse_windows(["Sun 02:15-02:45"])
    start = next_open(windows, utc(2026, 10, 24, 12), BERLIN)
    assert start == utc(2026, 10, 25, 0, 15)  # 02:15 CEST
    assert open_until(windows, start, BERLIN) == utc(2026, 10, 25, 0, 45)
    again = next_open(windows, utc(2026, 10, 25, 0, 45), BERLIN)
    assert again == utc(2026, 10, 25, 1, 15)  # 02:15 CET, an hour later
    assert open_until(windows, again, BERLIN) == utc(2026, 10, 25, 1, 45)


def test_berlin_a_night_window_ending_in_the_repeated_hour_reopens_for_it() -> None:
    windows = parse_windows(["Sat 22:00-02:30"])
    assert open_until(windows, local(BERLIN, 2026, 10, 24, 22, 0), BERLIN) == utc(2026, 10, 25, 0, 30)
    # The wall clock shows 02:00 again at 01:00 UTC: inside the window once more, until 02:30 CET.
    assert next_open(windows, utc(2026, 10, 25, 0, 30), BERLIN) == utc(2026, 10, 25, 1, 0)
    assert open_until(windows, utc(2026, 10, 25, 1, 0), BERLIN) == utc(2026, 10, 25, 1, 30)


def test_berlin_missing_hour_a_window_starting_in_it_starts_at_03_00() -> None:
    windows = parse_windows(["Sun 02:30-04:00"])
    start = next_open(windows, utc(2026, 3, 28, 12), BERLIN)
    assert start == utc(2026, 3, 29, 1, 0)
    assert start.astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"
    assert not is_open(windows, start - dt.timedelta(microseconds=1), BERLIN)  # 01:59:59.999999 CET
    assert open_until(windows, start, BERLIN) == local(BERLIN, 2026, 3, 29, 4, 0)


def test_berlin_missing_hour_a_window_wholly_inside_it_waits_a_week() -> None:
    windows = parse_windows(["Sun 02:00-02:59"])
    assert next_open(windows, utc(2026, 3, 28, 12), BERLIN) == local(BERLIN, 2026, 4, 5, 2, 0)


def test_berlin_a_night_window_over_the_missing_hour_is_an_hour_shorter() -> None:
    windows = parse_windows(["Sat 22:00-06:00"])
    start = next_open(windows, utc(2026, 3, 28, 12), BERLIN)
    end = open_until(windows, start, BERLIN)
    assert start is not None and end is not None and end - start == dt.timedelta(hours=7)


# --- daylight saving: America/New_York (2026: forward 8 March 02:00, back 1 November 02:00) ----------------


def test_new_york_repeated_hour_is_inside_for_both_folds() -> None:
    windows = parse_windows(["Sun 01:00-02:00"])
    assert is_open(windows, local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0), NEW_YORK)
    assert is_open(windows, local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1), NEW_YORK)
    start = next_open(windows, utc(2026, 10, 31, 12), NEW_YORK)
    assert start == utc(2026, 11, 1, 5, 0)  # 01:00 EDT
    assert open_until(windows, start, NEW_YORK) == utc(2026, 11, 1, 7, 0)  # 02:00 EST: two real hours


def test_new_york_missing_hour_a_window_starting_in_it_starts_at_03_00() -> None:
    windows = parse_windows(["Sun 02:30-03:30"])
    start = next_open(windows, utc(2026, 3, 7, 12), NEW_YORK)
    assert start == utc(2026, 3, 8, 7, 0)
    assert start.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"
    assert open_until(windows, start, NEW_YORK) == utc(2026, 3, 8, 7, 30)  # 03:30 EDT: half an hour


def test_new_york_a_window_ending_in_the_missing_hour_ends_at_the_jump() -> None:
    windows = parse_windows(["Sun 01:00-02:30"])
    start = next_open(windows, utc(2026, 3, 7, 12), NEW_YORK)
    assert start == utc(2026, 3, 8, 6, 0)  # 01:00 EST
    assert open_until(windows, start, NEW_YORK) == utc(2026, 3, 8, 7, 0)  # 01:59:59 EST, then 03:00 EDT


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(parse_windows(["Mon 08:00-09:00"]), dt.datetime(2026, 1, 1), BERLIN)


# --- parsing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "days", "start", "end"),
    [
        ("Mon-Fri 22:00-06:00", {0, 1, 2, 3, 4}, 22 * 60, 6 * 60),
        ("Sat 06:00-14:00", {5}, 6 * 60, 14 * 60),
        ("mon,WED 8:00 - 10:00", {0, 2}, 8 * 60, 10 * 60),
        ("Fri-Mon 00:00-24:00", {4, 5, 6, 0}, 0, MINUTES_PER_DAY),
        ("Sun-Sat 23:59-00:00", set(range(7)), 23 * 60 + 59, 0),
        ("Mon-Tue,Thu 12:00-13:30", {0, 1, 3}, 12 * 60, 13 * 60 + 30),
    ],
)
def test_good_entries(entry: str, days: set[int], start: int, end: int) -> None:
    w = parse_window(entry)
    assert (w.days, w.start, w.end) == (days, start, end)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("Mon 08:00", "is not a maintenance window"),
        ("08:00-09:00", "is not a maintenance window"),
        ("Mon 08:00-09:00 10:00-11:00", "is not a maintenance window"),
        ("Mon 0800-0900", "is not a maintenance window"),
        ("Mo 08:00-09:00", "'Mo' is not a day"),
        ("Monday 08:00-09:00", "'Monday' is not a day"),
        ("Mon- 08:00-09:00", "is not a list of days"),
        ("Mon,,Tue 08:00-09:00", "is not a list of days"),
        ("Mon-Mon 08:00-09:00", "starts and ends on the same day"),
        ("Mon 24:00-06:00", "24:00 is not a time of day (00:00 to 23:59)"),
        ("Mon 08:00-24:01", "is not a time of day (00:00 to 24:00)"),
        ("Mon 25:00-06:00", "25:00 is not a time of day"),
        ("Mon 08:60-09:00", "08:60 is not a time of day"),
        ("Mon 08:00-08:00", "starts and ends at the same time"),
    ],
)
def test_bad_entries_name_the_entry(entry: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_window(entry, "config.toml: approval.windows")
    message = str(info.value)
    assert words in message and repr(entry) in message and message.startswith("config.toml: approval.windows: ")
    assert "\n" not in message


# --- in words -------------------------------------------------------------------------------------------------


@pytest.fixture
def german():
    # This checkout's catalogue (an editable install may point hmi.resources at another one).
    i18n.set_language("de", Path(__file__).resolve().parents[2] / "resources" / "locale")
    try:
        yield
    finally:
        i18n.set_language("en")


def test_refusal_names_the_next_start_and_the_wait() -> None:
    rules = WindowRules.from_config(["Mon-Fri 22:00-06:00", "Sat 06:00-14:00"], "Europe/Berlin")
    assert rules is not None
    assert rules.refusal(local(BERLIN, 2026, 12, 5, 3, 50)) is None  # Friday's night window, Saturday 03:50
    friday_noon = local(BERLIN, 2026, 12, 4, 19, 50)
    assert rules.refusal(friday_noon) == "Approvals are allowed from Fri 22:00; next in 2 h 10 min."
    assert "Europe/Berlin" in rules.audit_message(friday_noon) and "Fri 2026-12-04 22:00" in rules.audit_message(
        friday_noon
    )


def test_the_allowance_in_english_and_german(german: None) -> None:
    rules = WindowRules.from_config(["Sat 06:00-14:00"], "Europe/Berlin")
    assert rules is not None
    saturday = local(BERLIN, 2026, 12, 5, 11, 50)
    assert rules.allowance(saturday) == "Freigaben bis Sa 14:00."
    i18n.set_language("en")
    assert rules.allowance(saturday) == "Approvals until Sat 14:00."
    assert rules.allowance(local(BERLIN, 2026, 12, 5, 14, 0)) is None  # closed: the refusal speaks


def test_refusal_in_german(german: None) -> None:
    rules = WindowRules.from_config(["Sat 06:00-14:00"], "Europe/Berlin")
    assert rules is not None
    text = rules.refusal(local(BERLIN, 2026, 12, 4, 19, 50))
    assert text == "Freigaben sind ab Sa 06:00 erlaubt; nächstes Wartungsfenster in 10 Std. 10 min."
    # The audit message stays English.
    assert rules.audit_message(local(BERLIN, 2026, 12, 4, 19, 50)).startswith("outside the maintenance windows")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 min"), (60, "1 min"), (61, "2 min"), (3599, "1 h"), (3600, "1 h"), (7800, "2 h 10 min"),
     (86400, "1 day 0 h"), (3 * 86400 + 4 * 3600, "3 days 4 h")],
)  # fmt: skip
def test_format_wait(seconds: float, text: str) -> None:
    assert format_wait(seconds) == text
