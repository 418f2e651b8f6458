"""Shelving an offered update's reminder ("Remind me later", after ISA-18.2 shelving). Qt-free.

A shelf calms the screen for one exact version id of one target until a wall-clock time: the offer stays
visible and Install stays usable, only the attention tone goes. It is in force only while the IPC offers that
version (state UPDATE_AVAILABLE) and the time is not up. It ends for good when the time is up, when another
version (or none) is offered, or when the state moves on: a running update or a fault is never shelved (a fault
must stay loud). While the data is not live the shelf is kept but not applied; the headline says "not live".

The shelf is a console-local fact, recorded in the timeline and never in the audit trail: it sends nothing.
It persists in the console's data folder (`SHELF_FILE`), so a restart does not bring back a reminder that was
shelved; a broken file is ignored with one log warning.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hmi.core.i18n import format_day
from hmi.core.model import Snapshot, UpdateState

log = logging.getLogger(__name__)

SHELF_FILE = "shelf.json"
HOUR = 3600.0
SHELF_MAX = 24 * HOUR  # a file claiming longer is not believed (a clock set back, or an edited file)


class Choice(enum.StrEnum):
    """How long the operator shelves the reminder."""

    ONE_HOUR = "1h"
    FOUR_HOURS = "4h"
    END_OF_SHIFT = "shift"


DURATIONS = {Choice.ONE_HOUR: HOUR, Choice.FOUR_HOURS: 4 * HOUR}


class Return(enum.StrEnum):
    """Why a shelved reminder came back (the timeline's words come from hmi.ui.presenter)."""

    TIME_UP = "time-up"
    NEW_VERSION = "new-version"  # a different version id is offered, or none
    NOT_OFFERED = "not-offered"  # the state moved on: running, fault, up to date, unknown
    UNSHELVED = "unshelved"  # "Remind me now"


@dataclass(frozen=True, slots=True)
class Shelf:
    """The reminder for `version_id` on `target` is shelved from `since` until `until` (both time.time()) by
    `by` (an operator's name, or None when nobody was signed in)."""

    target: str
    version_id: str
    until: float
    by: str | None = None
    since: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "version_id": self.version_id, "until": self.until, "by": self.by,
                "since": self.since}  # fmt: skip


def shelvable(snapshot: Snapshot | None) -> bool:
    """The IPC offers a version that can be shelved: an update available with a version id (not a fault)."""
    return snapshot is not None and snapshot.state is UpdateState.UPDATE_AVAILABLE and snapshot.offered is not None


def in_force(shelf: Shelf | None, snapshot: Snapshot | None, now: float) -> bool:
    """The shelf applies to this snapshot at wall time `now`: the same version is offered and the time is not up."""
    if shelf is None or not shelvable(snapshot) or now >= shelf.until:
        return False
    assert snapshot is not None and snapshot.offered is not None
    return snapshot.offered.version_id == shelf.version_id


def ended(shelf: Shelf | None, snapshot: Snapshot | None, now: float) -> Return | None:
    """Why the shelf ends now, or None while it stands. No snapshot (nothing known yet) ends nothing; a
    last-known snapshot while the IPC does not answer ends nothing either (it is the same data)."""
    if shelf is None:
        return None
    if now >= shelf.until:
        return Return.TIME_UP
    if snapshot is None:
        return None
    if snapshot.state is UpdateState.UPDATE_AVAILABLE:
        offered = snapshot.offered
        return None if offered is not None and offered.version_id == shelf.version_id else Return.NEW_VERSION
    return Return.NOT_OFFERED


# -- the end of a shift ----------------------------------------------------------------------------------------
def parse_clock(text: str) -> tuple[int, int]:
    """ "14:00" -> (14, 0); the config has already checked the form."""
    hh, _sep, mm = text.strip().partition(":")
    return int(hh), int(mm)


def zone(name: str | None) -> dt.tzinfo | None:
    """The IANA zone `name`, or None for this machine's local time."""
    if not name:
        return None
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def _instant(day: dt.date, hour: int, minute: int, tz: dt.tzinfo | None) -> float:
    naive = dt.datetime(day.year, day.month, day.day, hour, minute)
    if tz is None:
        return naive.timestamp()  # local time, as the C library sees it
    # fold=0: a time that happens twice is its first occurrence; one that does not happen (the spring gap)
    # is read with the offset before the change, which lands just after the gap.
    return naive.replace(tzinfo=tz).timestamp()


def next_shift_end(shift_ends: Sequence[str], now: float, tz: dt.tzinfo | None = None) -> float | None:
    """The first configured end of shift after wall time `now` (time.time()), in `tz` (None: local), or None
    when no shift ends are configured."""
    if not shift_ends:
        return None
    local = dt.datetime.fromtimestamp(now, tz)  # tz None: local time
    times = sorted({parse_clock(t) for t in shift_ends})
    best: float | None = None
    for offset in (-1, 0, 1, 2):  # -1: around a DST change the local date can lag the instant
        day = local.date() + dt.timedelta(days=offset)
        for hour, minute in times:
            instant = _instant(day, hour, minute, tz)
            if instant > now and (best is None or instant < best):
                best = instant
    return best


def until_for(choice: Choice, now: float, shift_ends: Sequence[str], tz: dt.tzinfo | None = None) -> float | None:
    """When a shelf chosen now ends, or None (end of shift without configured shift ends)."""
    if choice is Choice.END_OF_SHIFT:
        return next_shift_end(shift_ends, now, tz)
    return now + DURATIONS[choice]


def clock_text(wall: float, tz: dt.tzinfo | None = None, now: float | None = None) -> str:
    """ "14:00": the wall time in `tz` (None: local). With `now`, a time on another day than now's names its
    date first ("2026-12-08 02:00", "08.12.2026 02:00" in German): a shelf chosen at 23:00 until the end of the
    night shift must not read as if it ended at 02:00 today."""
    when = dt.datetime.fromtimestamp(wall, tz)  # tz None: local time
    clock = when.strftime("%H:%M")
    if now is None:
        return clock
    today = dt.datetime.fromtimestamp(now, tz).date()
    return clock if when.date() == today else f"{format_day(when.date())} {clock}"


# -- the file in the data folder -------------------------------------------------------------------------------
def shelf_from_json(data: object) -> Shelf | None:
    """A Shelf from the file's JSON, or None when it is not one."""
    if not isinstance(data, dict):
        return None
    target, version_id, until = data.get("target"), data.get("version_id"), data.get("until")
    by, since = data.get("by"), data.get("since", 0.0)
    if not isinstance(target, str) or not isinstance(version_id, str) or not version_id:
        return None
    numbers = (until, since)
    if not all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in numbers):
        return None
    if by is not None and not isinstance(by, str):
        return None
    assert isinstance(until, int | float) and isinstance(since, int | float)
    return Shelf(target, version_id, float(until), by, float(since))


def read_shelf(path: Path, target: str, now: float) -> Shelf | None:
    """The shelf saved for `target`, or None: no file, another target, the time is up, or a broken file
    (ignored with one log warning; the next shelf writes a good one). Reads the disk: not on the GUI thread."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("the shelved reminder in %s cannot be read (%s); it is ignored", path, exc.strerror or exc)
        return None
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        data = False
    if data is None:  # an empty file: nothing shelved (written when a shelf ends)
        return None
    shelf = shelf_from_json(data)
    if shelf is None or shelf.until - now > SHELF_MAX:
        log.warning("%s is not a valid shelved-reminder file; it is ignored", path)
        return None
    if shelf.target != target or now >= shelf.until:
        return None
    return shelf


def write_shelf(path: Path, shelf: Shelf | None) -> None:
    """Saves `shelf` (None: nothing shelved) atomically. Raises OSError; call it off the GUI thread."""
    from hmi.core.atomic import write_json

    write_json(path, shelf.to_json() if shelf is not None else None, prefix=".shelf-")
