"""Clocks and schedulers for the stage engine.

The engine asks one object for the time (`time()`, epoch seconds, used for the
event log) and for timers (`call_later(delay, callback)`, delays in scenario
seconds). `FakeClock` runs timers only when a test calls `advance`, so a
10-minute update runs in milliseconds and always in the same order.
`AsyncioClock` runs them on the current asyncio loop, `speed` times faster.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol

# A fixed epoch keeps fake-clock timestamps in tests and state dumps reproducible.
FAKE_EPOCH = 1_700_000_000.0


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def time(self) -> float:
        """Epoch seconds, for timestamps in the event log and stage table."""
        ...


class Scheduler(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Runs `callback` once after `delay` scenario seconds, unless cancelled."""
        ...


class _FakeTimer:
    __slots__ = ("callback", "cancelled", "due")

    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock and scheduler that moves only when told to."""

    def __init__(self, start: float = FAKE_EPOCH) -> None:
        self._now = start
        self._seq = itertools.count()
        self._queue: list[tuple[float, int, _FakeTimer]] = []

    def time(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _FakeTimer:
        timer = _FakeTimer(self._now + max(0.0, delay), callback)
        heapq.heappush(self._queue, (timer.due, next(self._seq), timer))
        return timer

    def pending(self) -> int:
        """How many timers are armed and not cancelled."""
        return sum(1 for _, _, t in self._queue if not t.cancelled)

    def next_due(self) -> float | None:
        """Seconds until the next armed timer, or None when nothing is armed."""
        self._drop_cancelled()
        return self._queue[0][0] - self._now if self._queue else None

    def advance(self, seconds: float, *, max_timers: int = 100_000) -> int:
        """Moves time forward, running every timer that falls due, in due order; returns how many ran.

        Timers armed by a callback run in the same call when they fall inside the window.
        `max_timers` bounds a runaway timer chain so a buggy test fails instead of hanging.
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        end = self._now + seconds
        ran = 0
        while True:
            self._drop_cancelled()
            if not self._queue or self._queue[0][0] > end:
                break
            due, _, timer = heapq.heappop(self._queue)
            self._now = max(self._now, due)
            timer.cancelled = True  # a fired timer is spent; cancel() on it is a no-op
            timer.callback()
            ran += 1
            if ran >= max_timers:
                raise RuntimeError(f"more than {max_timers} timers fell due in {seconds} s")
        self._now = end
        return ran

    def run_until_idle(self, *, limit: float = 86_400.0) -> float:
        """Advances timer by timer until nothing is armed (or `limit` seconds pass); returns the time moved."""
        moved = 0.0
        while (gap := self.next_due()) is not None and moved + gap <= limit:
            self.advance(gap)
            moved += gap
        return moved

    def _drop_cancelled(self) -> None:
        while self._queue and self._queue[0][2].cancelled:
            heapq.heappop(self._queue)


class AsyncioClock:
    """Wall time, and timers on the running asyncio loop, `speed` times faster than scenario time."""

    def __init__(self, speed: float = 1.0, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be greater than 0, got {speed}")
        self.speed = speed
        self._loop = loop or asyncio.get_running_loop()

    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self._loop.call_later(max(0.0, delay) / self.speed, callback)
