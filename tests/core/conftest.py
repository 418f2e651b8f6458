"""Fixtures for the client core: a scriptable fake IPC on loopback and test certificates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.certs import SKIP_REASON, Certs, make_certs
from tests.core.fake_ipc import RunningFake, start_fake


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    running = start_fake()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    made = make_certs(Path(tmp_path_factory.mktemp("certs")))
    if made is None:
        pytest.skip(SKIP_REASON)
    return made
