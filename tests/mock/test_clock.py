"""FakeClock runs due timers deterministically; AsyncioClock honours speed."""

from __future__ import annotations

import asyncio

import pytest

from hmi.mock.clock import FAKE_EPOCH, AsyncioClock, FakeClock
from tests.aio import run


def test_fake_clock_runs_due_timers_in_due_order_then_in_arming_order():
    clock, ran = FakeClock(), []
    clock.call_later(2, lambda: ran.append("b"))
    clock.call_later(1, lambda: ran.append("a"))
    clock.call_later(2, lambda: ran.append("c"))
    clock.call_later(3, lambda: ran.append("late"))
    assert clock.advance(2.5) == 3
    assert ran == ["a", "b", "c"] and clock.time() == FAKE_EPOCH + 2.5


def test_fake_clock_time_inside_a_callback_is_the_due_time():
    clock, seen = FakeClock(), []
    clock.call_later(1.5, lambda: seen.append(clock.time()))
    clock.advance(10)
    assert seen == [FAKE_EPOCH + 1.5]


def test_timers_armed_by_a_callback_run_in_the_same_advance_when_due():
    clock, ran = FakeClock(), []

    def first() -> None:
        ran.append(1)
        clock.call_later(1, lambda: ran.append(2))
        clock.call_later(0, lambda: ran.append(1.5))

    clock.call_later(1, first)
    clock.advance(2)
    assert ran == [1, 1.5, 2]


def test_cancelled_timers_do_not_run():
    clock, ran = FakeClock(), []
    timer = clock.call_later(1, lambda: ran.append(1))
    timer.cancel()
    assert clock.pending() == 0 and clock.next_due() is None
    clock.advance(5)
    assert ran == []


def test_run_until_idle_and_bounds():
    clock = FakeClock()
    clock.call_later(100, lambda: None)
    assert clock.run_until_idle() == 100
    with pytest.raises(ValueError):
        clock.advance(-1)

    def forever() -> None:
        clock.call_later(0, forever)

    clock.call_later(0, forever)
    with pytest.raises(RuntimeError, match="timers fell due"):
        clock.advance(0, max_timers=50)


def test_asyncio_clock_divides_delays_by_speed():
    async def scenario() -> float:
        loop = asyncio.get_running_loop()
        clock = AsyncioClock(speed=1000)
        fired = loop.create_future()
        start = loop.time()
        clock.call_later(5, lambda: fired.set_result(loop.time()))  # 5 scenario s = 5 ms
        return await asyncio.wait_for(fired, 5) - start

    assert run(scenario(), timeout=10) >= 0  # fires; how fast is not asserted


def test_asyncio_clock_refuses_a_speed_that_is_not_positive():
    async def scenario() -> None:
        for speed in (0, -1, float("nan")):
            with pytest.raises(ValueError):
                AsyncioClock(speed=speed)

    run(scenario())
