"""Small fakes shared by the audit and sign-in tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class WallClock:
    """An injectable UTC wall clock for the store."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class MonoClock:
    """An injectable monotonic clock (seconds) for sign-in."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass(frozen=True)
class Entry:
    """Stands in for hmi.core.config.OperatorEntry."""

    name: str
    role: str
    pin_hash: str | None


@dataclass(frozen=True)
class SignInConf:
    """Stands in for hmi.core.config.SignInConfig."""

    enabled: bool
    idle_timeout: float
    operators: tuple[Entry, ...]
