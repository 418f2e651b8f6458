"""Class 4: two writers at once. Every file the product rewrites is locked, re-read under the lock,
and replaced atomically: N parallel set-pin runs keep all N operators, a changed PIN is never put
back, and a second mock on the same state file is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hmi.core.auth import verify_pin
from hmi.mock.server import start_mock
from hmi.mock.statefile import StateFileError
from tests.mock.support import ROOT

N = 4


def _set_pin(config: Path, name: str, pin: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hmi", "set-pin", name, "--pin-stdin", "--config", str(config)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


@pytest.mark.slow
def test_parallel_set_pin_keeps_every_operator_and_the_changed_pin(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    first = _set_pin(config, "u0", "1111")
    assert first.communicate("1111\n", timeout=30)[1] == "" and first.returncode == 0
    # u0 changes its PIN while u1..u3 are added, all at the same moment.
    procs = [_set_pin(config, "u0", "2222")] + [_set_pin(config, f"u{i}", f"{i}{i}{i}{i}") for i in range(1, N)]
    for p, pin in zip(procs, ["2222"] + [f"{i}{i}{i}{i}" for i in range(1, N)], strict=True):
        assert p.stdin is not None
        p.stdin.write(pin + "\n")
        p.stdin.flush()
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert "PIN set" in out
    operators = {o["name"]: o for o in tomllib.loads(config.read_text(encoding="utf-8"))["operators"]}
    assert sorted(operators) == [f"u{i}" for i in range(N)]
    assert verify_pin("2222", operators["u0"]["pin_hash"])
    for i in range(1, N):
        assert verify_pin(f"{i}{i}{i}{i}", operators[f"u{i}"]["pin_hash"])


def test_a_second_mock_on_the_same_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"

    async def scenario() -> str:
        first = await start_mock(scenario="approval", state_file=state)
        try:
            before = state.read_bytes()
            with pytest.raises(StateFileError, match="in use by another running mock") as caught:
                await start_mock(scenario="approval", state_file=state)
            assert state.read_bytes() == before  # untouched by the refused one
        finally:
            await first.stop()
        second = await start_mock(scenario="approval", state_file=state)  # free again once stopped
        await second.stop()
        return str(caught.value)

    assert str(state) in asyncio.run(scenario())
