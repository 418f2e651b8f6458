"""Maintenance windows: when approvals may go out, by the IPC's local wall clock (issue 15).

An entry is days and a time range: "Mon-Fri 22:00-06:00", "Sat 06:00-14:00", "Mon,Wed 08:00-10:00",
"Fri-Mon 00:00-24:00". Days are Mon Tue Wed Thu Fri Sat Sun (any case), single, in ranges (which wrap: Fri-Mon
is Fri, Sat, Sun, Mon) and in comma lists. A range that ends at or before its start crosses midnight and belongs
to its start day ("Fri 22:00-06:00" is Friday 22:00 to Saturday 06:00); 24:00 is the end of the day.

The rules are wall-clock rules in the IPC's zone: an instant is inside a window when the local wall time it
shows is inside one. From that follow the two daylight-saving cases, which are tested (tests/core/test_windows.py):
- the hour that happens twice (autumn): a window covering a wall time covers both of its occurrences (fold=0
  and fold=1). "Sun 02:00-02:30" in Europe/Berlin is open twice on that night, 30 min each time;
- the hour that does not happen (spring): a window that starts at a wall time that is skipped starts at the
  first real instant after it: "Sun 02:30-04:00" opens at 03:00 local. A window wholly inside the gap does not
  open that day.
No entries means approvals at any time. Qt-free, stdlib only (zoneinfo).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hmi.core.config import ConfigError
from hmi.core.i18n import N_, _, language, ngettext

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime.weekday() order
MINUTES_PER_DAY = 24 * 60
EXAMPLE = '"Mon-Fri 22:00-06:00"'
# How far ahead the next start is looked for: a week, one more day for a window crossing midnight, and a
# week more for a window that does not happen this week (wholly inside a skipped hour).
HORIZON_DAYS = 16
_EPSILON = dt.timedelta(microseconds=1)
_ENTRY = re.compile(r"^(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")
_UTC = dt.UTC

OUTSIDE_WINDOWS = N_("Approvals are allowed from {start}; next in {wait}.")
INSIDE_WINDOW = N_("Approvals until {end}.")
# Audit trail values stay English.
AUDIT_OUTSIDE = "outside the maintenance windows"


@dataclass(frozen=True, slots=True)
class Window:
    """One entry: its start days (0 = Monday), start and end as minutes of the day (end 1..1440; an end at or
    before the start is on the next day), and the entry as written."""

    days: frozenset[int]
    start: int
    end: int
    text: str

    @property
    def length(self) -> int:
        """Minutes from start to end (crossing midnight when the end is not after the start)."""
        return self.end - self.start if self.end > self.start else self.end + MINUTES_PER_DAY - self.start

    def contains_wall(self, wall: dt.datetime) -> bool:
        """Whether a naive local wall time lies in this window (started on its day or the day before)."""
        for back in (0, 1):
            day = wall.date() - dt.timedelta(days=back)
            if day.weekday() not in self.days:
                continue
            start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=self.start)
            if start <= wall < start + dt.timedelta(minutes=self.length):
                return True
        return False


def _clock(text: str, entry: str, where: str, *, end: bool) -> int:
    hh, _sep, mm = text.partition(":")
    hours, minutes = int(hh), int(mm)
    if (hours, minutes) == (24, 0) and end:
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        allowed = _("00:00 to 24:00") if end else _("00:00 to 23:59")
        raise ConfigError(
            _("{where}: {entry}: {text} is not a time of day ({allowed})").format(
                where=where, entry=repr(entry), text=text, allowed=allowed
            )
        )
    return hours * 60 + minutes


def _day(text: str, entry: str, where: str) -> int:
    for i, name in enumerate(DAYS):
        if text.lower() == name.lower():
            return i
    raise ConfigError(
        _("{where}: {entry}: {text} is not a day; expected one of {days}").format(
            where=where, entry=repr(entry), text=repr(text), days=", ".join(DAYS)
        )
    )


def _days(text: str, entry: str, where: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        first, sep, last = part.partition("-")
        if not first or (sep and not last):
            raise ConfigError(
                _("{where}: {entry}: {text} is not a list of days such as Mon-Fri or Mon,Wed").format(
                    where=where, entry=repr(entry), text=repr(text)
                )
            )
        a = _day(first, entry, where)
        if not sep:
            out.add(a)
            continue
        b = _day(last, entry, where)
        if a == b:
            raise ConfigError(
                _("{where}: {entry}: the day range {part} starts and ends on the same day").format(
                    where=where, entry=repr(entry), part=repr(part)
                )
            )
        out.update((a + i) % 7 for i in range((b - a) % 7 + 1))  # wraps: Fri-Mon
    return frozenset(out)


def parse_window(entry: str, where: str = "window") -> Window:
    """One entry, or a ConfigError naming it (and `where`, the config key) with the form expected."""
    text = entry.strip()
    match = _ENTRY.match(text)
    if match is None:
        raise ConfigError(
            _(
                "{where}: {entry} is not a maintenance window; expected days and a time range such as {example}, "
                '"Sat 06:00-14:00" or "Mon,Wed 08:00-10:00"'
            ).format(where=where, entry=repr(entry), example=EXAMPLE)
        )
    days = _days(match["days"], entry, where)
    start = _clock(match["start"], entry, where, end=False)
    end = _clock(match["end"], entry, where, end=True)
    if end == start:
        raise ConfigError(
            _(
                "{where}: {entry}: the window starts and ends at the same time; for a whole day write 00:00-24:00"
            ).format(where=where, entry=repr(entry))
        )
    return Window(days, start, end, text)


def parse_windows(entries: Iterable[str], where: str = "windows") -> tuple[Window, ...]:
    return tuple(parse_window(e, where) for e in entries)


def local_zone(name: str | None = None) -> dt.tzinfo:
    """The zone the windows are read in: the IANA `name`, else this machine's own (TZ, /etc/localtime), else
    its current fixed offset (then without daylight-saving rules: configure `timezone` on such a machine)."""
    import zoneinfo

    if name:
        return zoneinfo.ZoneInfo(name)
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            return zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as fp:
            return zoneinfo.ZoneInfo.from_file(fp, key="localtime")
    except (OSError, ValueError):
        pass
    return dt.datetime.now().astimezone().tzinfo or _UTC


# --- the rules ------------------------------------------------------------------------------------------------


def _wall(instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("an aware datetime is needed (the instant of the question), got a naive one")
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def is_open(windows: Sequence[Window], instant: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether approvals are allowed at `instant` (aware): its local wall time in `tz` is inside a window.
    No windows: always."""
    if not windows:
        return True
    wall = _wall(instant, tz)
    return any(w.contains_wall(wall) for w in windows)


def _instants(wall: dt.datetime, tz: dt.tzinfo) -> set[dt.datetime]:
    """The UTC instants a local wall time can name: two in the repeated hour, one otherwise (a skipped wall
    time gives instants near the gap, which the transitions cover)."""
    return {wall.replace(tzinfo=tz, fold=f).astimezone(_UTC) for f in (0, 1)}


def _transitions(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[dt.datetime]:
    """The instants in [start, end) where `tz` changes its UTC offset (found hourly, then to the microsecond)."""
    out: list[dt.datetime] = []
    hour = dt.timedelta(hours=1)
    t = start
    before = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = t + hour
        after = nxt.astimezone(tz).utcoffset()
        if after != before:
            lo, hi = t, nxt  # offset(lo) = before, offset(hi) = after
            while hi - lo > _EPSILON:
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        t, before = nxt, after
    return out


def _candidates(windows: Sequence[Window], instant: dt.datetime, tz: dt.tzinfo, *, ends: bool) -> list[dt.datetime]:
    """Every instant after `instant` (within the horizon) where a window may start (or end): the start (end)
    wall times in both folds, and the zone's offset changes, where the wall clock jumps."""
    utc = instant.astimezone(_UTC)
    first = _wall(instant, tz).date() - dt.timedelta(days=1)
    found: set[dt.datetime] = set()
    for n in range(HORIZON_DAYS + 1):
        day = first + dt.timedelta(days=n)
        midnight = dt.datetime.combine(day, dt.time())
        for w in windows:
            if day.weekday() in w.days:
                minutes = w.start + w.length if ends else w.start
                found |= _instants(midnight + dt.timedelta(minutes=minutes), tz)
    found.update(_transitions(utc, utc + dt.timedelta(days=HORIZON_DAYS), tz))
    return sorted(t for t in found if t > utc)


def next_open(windows: Sequence[Window], instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """The next window start strictly after `instant` (UTC): the first instant that is open when the moment
    before it is not. None when there are no windows or they never close (always open)."""
    if not windows:
        return None
    for t in _candidates(windows, instant, tz, ends=False):
        if is_open(windows, t, tz) and not is_open(windows, t - _EPSILON, tz):
            return t
    return None


def open_until(windows: Sequence[Window], instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """When the window open at `instant` closes (UTC; adjoining windows count as one). None when closed at
    `instant`, or when the windows never close."""
    if not windows or not is_open(windows, instant, tz):
        return None
    for t in _candidates(windows, instant, tz, ends=True):
        if not is_open(windows, t, tz) and is_open(windows, t - _EPSILON, tz):
            return t
    return None


# --- in words -------------------------------------------------------------------------------------------------

# Locale data, not translations (as hmi.core.i18n's date formats): weekday abbreviations per language.
_WEEKDAYS = {"de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"), "en": DAYS}


def format_day_time(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """A local weekday and time in `tz`: "Sat 06:00" / "Sa 06:00"."""
    local = moment.astimezone(tz)
    names = _WEEKDAYS.get(language(), DAYS)
    return f"{names[local.weekday()]} {local:%H:%M}"


def format_wait(seconds: float) -> str:
    """How long until a window opens, in whole minutes rounded up: "45 min", "2 h 10 min", "3 days 4 h"."""
    minutes = max(1, -(-int(seconds) // 60))
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("{h} h {m} min").format(h=hours, m=minutes) if minutes else _("{h} h").format(h=hours)
    days, hours = divmod(hours, 24)
    return ngettext("{d} day {h} h", "{d} days {h} h", days).format(d=days, h=hours)


@dataclass(frozen=True, slots=True)
class WindowRules:
    """The configured windows and their zone, as the console and the CLI check them."""

    windows: tuple[Window, ...]
    tz: dt.tzinfo
    zone_name: str = ""

    @classmethod
    def from_config(cls, entries: Sequence[str], timezone: str | None) -> WindowRules | None:
        """The rules of an [approval] table; None without windows (approvals at any time). Raises ConfigError."""
        if not entries:
            return None
        return cls(parse_windows(entries), local_zone(timezone), timezone or "")

    def is_open(self, instant: dt.datetime) -> bool:
        return is_open(self.windows, instant, self.tz)

    def next_open(self, instant: dt.datetime) -> dt.datetime | None:
        return next_open(self.windows, instant, self.tz)

    def open_until(self, instant: dt.datetime) -> dt.datetime | None:
        return open_until(self.windows, instant, self.tz)

    def refusal(self, instant: dt.datetime) -> str | None:
        """The sentence why approving is not allowed at `instant` (translated), or None when it is:
        "Approvals are allowed from Sat 06:00; next in 2 h 10 min."."""
        if self.is_open(instant):
            return None
        start = self.next_open(instant)
        if start is None:  # closed now but never opening: cannot happen with weekly windows; say it plainly
            return _("Approvals are not allowed at this time (maintenance windows).")
        wait = (start - instant.astimezone(_UTC)).total_seconds()
        return _(OUTSIDE_WINDOWS).format(start=format_day_time(start, self.tz), wait=format_wait(wait))

    def allowance(self, instant: dt.datetime) -> str | None:
        """While a window is open, until when (translated), short enough for the line under Install on an
        800×480 panel: "Approvals until Sat 06:00."; None when no window is open, or when the open
        windows never close (00:00-24:00 every day)."""
        if not self.is_open(instant):
            return None
        end = self.open_until(instant)
        return None if end is None else self.until_text(end)

    def until_text(self, end: dt.datetime) -> str:
        """ "Approvals until Sat 06:00.": `end` (an `open_until` answer) in the rules' zone, translated."""
        return _(INSIDE_WINDOW).format(end=format_day_time(end, self.tz))

    def audit_message(self, instant: dt.datetime) -> str:
        """The refused-locally record's message (English, as every audit value)."""
        start = self.next_open(instant)
        zone = self.zone_name or "local time"
        windows = ", ".join(w.text for w in self.windows)
        if start is None:
            return f"{AUDIT_OUTSIDE} ({windows}, {zone})"
        local = start.astimezone(self.tz)
        return f"{AUDIT_OUTSIDE} ({windows}, {zone}); the next opens {local:%a %Y-%m-%d %H:%M}"
