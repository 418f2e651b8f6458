"""Fixtures for the console tests: a qasync loop on pytest-qt's QApplication, and bounded helpers.

Every coroutine runs through `run(loop, coro, timeout)`, which fails the test with TimeoutError
instead of hanging. Inside a coroutine, wait with `await until(condition, timeout)`: Qt events and
asyncio callbacks both keep running while it sleeps. (qtbot.waitUntil would spin a nested Qt loop
and re-enter asyncio tasks, so it is only used in tests without a running asyncio loop.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


@pytest.fixture
def aloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    # Let cancelled tasks and closing channels finish before the loop goes.
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=5))
    close_qasync_loop(loop)
    asyncio.set_event_loop(None)


def close_qasync_loop(loop) -> None:
    """Closes a qasync loop and deletes its Qt objects now, on this (the GUI) thread.

    qasync's close() only marks its timer object stopped: every Qt timer it armed stays registered until it
    fires, including those of cancelled asyncio timers (a cancelled sleep, a wait_for timeout, a 30 s poll).
    The loop is then garbage, freed whenever the cyclic GC runs, and that can be on any thread that happens
    to allocate (a fake IPC's server thread, a worker of asyncio.to_thread, a test's reader thread). There
    ~QObject cannot unregister the timers ("QObject::~QObject: Timers cannot be stopped from another thread"),
    and the next timer activation on the GUI thread touches freed memory: SIGSEGV in
    QCoreApplication::notifyInternal2 from QTimerInfoList::activateTimers (seen in a full `make test`, inside
    qasync's run_forever or pytest-qt's processEvents). Deleted here, the timers go with their object.
    """
    import shiboken6

    notifiers = [*(loop._read_notifiers or {}).values(), *(loop._write_notifiers or {}).values()]
    qobjects = [loop._timer, getattr(loop, "_QEventLoop__call_soon_signaller", None), *notifiers]
    loop.close()
    for obj in qobjects:
        if obj is not None and shiboken6.isValid(obj):
            shiboken6.delete(obj)


def run(loop: asyncio.AbstractEventLoop, coro: Awaitable[T], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return loop.run_until_complete(bounded())


async def until(condition: Callable[[], object], limit: float = 10.0, what: str = "") -> None:
    """Waits (on the running loop) until condition() is true; fails after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit} s waiting for {what or condition}")
        await asyncio.sleep(0.02)


@pytest.fixture
def windows():
    """Collects windows so they are closed after the test even when it fails."""
    made = []
    yield made
    for window in made:
        window.force_close()
        window.deleteLater()
