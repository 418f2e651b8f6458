"""One validator per kind of number, for every flag, config key, scenario file and state file.

NaN, ±inf, booleans, negative or zero where that makes no sense, and integers too large for
SQLite, `timedelta` or a timer all get the same treatment: `RangeError` naming the setting and
the allowed range. Loaders turn it into their own error type (ConfigError, ScenarioError,
StateFileError); argparse types (`arg_number`, `arg_whole`) turn it into a usage error (exit 2).
Standard library only: the CLI's parsers import it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The kinds of number the product reads, with their ranges.
POLL_SECONDS = (0.1, 60.0)
DEADLINE_SECONDS = (0.1, 60.0)
STALE_SECONDS = (0.0, 3600.0)
IDLE_SECONDS = (1.0, 86400.0)
SCENARIO_SECONDS = (0.0, 7 * 86400.0)  # any delay or duration in a scenario: at most a week
SPEED = (0.0, 10_000.0)  # greater than the low end
SCREENSHOT_SECONDS = (0.0, 3600.0)
EPOCH_SECONDS = (0.0, 253_402_300_799.0)  # 1970 to the end of year 9999 (what datetime can show)
SPAN_SECONDS = (0.0, 100 * 366 * 86400.0)  # `history --since 7d`: at most a hundred years back
RECORD_LIMIT = (1, 1_000_000_000)  # `history --limit`
BUILDS = (1, 1000)
STUCK_FACTOR = (1.0, 1000.0)  # [progress] stuck_factor: times the longest earlier duration of a step
PROGRESS_SECONDS = (0.0, 7 * 86400.0)  # [progress] stuck_minimum, stuck_without_history, restart_grace


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    above: bool = False  # True: lo itself is not allowed ("greater than lo")
    unit: str = "seconds"
    whole: bool = False

    @property
    def expected(self) -> str:
        from hmi.core.i18n import _

        what = _(_UNITS.get(self.unit, "a number")) if not self.whole else _("a whole number")
        if self.unit and self.unit not in _UNITS:
            what = f"a number of {self.unit}"  # the mock's own files (epoch seconds): English, as the mock is
        if self.above:
            return _("{what} greater than {lo} and at most {hi}").format(what=what, lo=_num(self.lo), hi=_num(self.hi))
        return _("{what} from {lo} to {hi}").format(what=what, lo=_num(self.lo), hi=_num(self.hi))


def N_(text: str) -> str:  # marked for extraction (hmi.core.i18n.N_; imported lazily, see `expected`)
    return text


_UNITS = {"seconds": N_("a number of seconds"), "": N_("a number")}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class RangeError(ValueError):
    """A number that is not a number, or outside its range. `str()` is 'NAME: expected …, got …'."""

    def __init__(self, name: str, expected: str, got: Any) -> None:
        self.name = name
        self.expected = expected
        self.got = got
        from hmi.core.i18n import _

        super().__init__(
            _("{name}: expected {expected}, got {got}").format(name=name, expected=expected, got=_show(got))
        )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return _num(value) if math.isfinite(value) else f"{value:g}"
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _parse(value: Any, name: str, expected: str, parse_text: bool) -> Any:
    if parse_text and isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        except (ValueError, OverflowError):
            raise RangeError(name, expected, value) from None
    return value


def number(value: Any, name: str, bounds: tuple[float, float], *, above: bool = False, unit: str = "seconds",
           parse_text: bool = False) -> float:  # fmt: skip
    """A finite float in `bounds` (lo excluded with `above`); RangeError otherwise."""
    spec = Range(bounds[0], bounds[1], above, unit)
    value = _parse(value, name, spec.expected, parse_text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RangeError(name, spec.expected, value)
    try:
        result = float(value)
    except OverflowError:  # an int beyond float range
        raise RangeError(name, spec.expected, value) from None
    if not math.isfinite(result) or result > spec.hi or result < spec.lo or (above and result == spec.lo):
        raise RangeError(name, spec.expected, value)
    return result


def whole(value: Any, name: str, bounds: tuple[int, int], *, parse_text: bool = False) -> int:
    """An int in `bounds` (not a bool, not a float); RangeError otherwise."""
    spec = Range(bounds[0], bounds[1], whole=True)
    value = _parse(value, name, spec.expected, parse_text)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise RangeError(name, spec.expected, value)
    return value


def _expected(expected: str, text: str) -> str:
    from hmi.core.i18n import _

    return _("expected {expected}, got {got}").format(expected=expected, got=repr(text))


def arg_number(bounds: tuple[float, float], *, above: bool = False, unit: str = "seconds") -> Callable[[str], float]:
    """An argparse `type=` for a number flag: a bad value is a usage error (exit 2) with the range."""

    def parse(text: str) -> float:
        try:
            return number(text, "value", bounds, above=above, unit=unit, parse_text=True)
        except RangeError as exc:
            raise argparse.ArgumentTypeError(_expected(exc.expected, text)) from None

    return parse


def arg_whole(bounds: tuple[int, int]) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return whole(text, "value", bounds, parse_text=True)
        except RangeError as exc:
            raise argparse.ArgumentTypeError(_expected(exc.expected, text)) from None

    return parse
