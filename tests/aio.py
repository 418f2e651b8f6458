"""Runs a coroutine to completion in a fresh event loop, bounded in time.

Every async test goes through this, so no test can hang: a coroutine that does
not finish within `timeout` seconds fails the test with TimeoutError.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())
