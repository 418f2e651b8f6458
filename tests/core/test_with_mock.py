"""The client against the real mock IPC (hmi.mock) over loopback: scenarios end to end.

TLS, mutual TLS and the token are tested against the scriptable fake in test_security.py and
test_cli_client.py: the mock serves plain text only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hmi.core.client import ApprovalOutcome, UpdaterClient
from hmi.core.config import ClientConfig
from hmi.core.model import ClientState, Health, UpdateState
from hmi.mock.server import start_mock
from tests.aio import run
from tests.mock.support import MockProcess, kill9

ROOT = Path(__file__).resolve().parents[2]
FAST = 30.0  # the 27 scenario-seconds of an update take about a second


def config(address: str, **kw) -> ClientConfig:
    return ClientConfig(target=address, **{"poll_interval": 0.05, "deadline": 2.0, "stale_after": 30.0, **kw})


async def wait_for(client: UpdaterClient, predicate: Callable[[ClientState], bool], limit: float = 15.0) -> ClientState:
    """Bounded: checks the client's state every 20 ms for at most `limit` seconds."""
    for _ in range(int(limit / 0.02)):
        state = client.state
        if state.snapshot is not None and predicate(state):
            return state
        await asyncio.sleep(0.02)
    raise AssertionError(f"state not reached; last: {client.state.snapshot}")


def is_state(state: UpdateState, current: str | None = None):
    def check(s: ClientState) -> bool:
        snap = s.snapshot
        return snap.state is state and (current is None or (snap.current and snap.current.version_id == current))

    return check


def test_approval_scenario_every_state_and_the_right_version() -> None:
    seen: list[UpdateState] = []

    async def go() -> None:
        async with await start_mock(scenario="approval", speed=FAST) as mock:
            client = UpdaterClient(config(mock.address))

            def record(s: ClientState) -> None:
                if s.snapshot is not None and (not seen or seen[-1] is not s.snapshot.state):
                    seen.append(s.snapshot.state)

            client.subscribe(record)
            async with client:
                state = await wait_for(client, is_state(UpdateState.UPDATE_AVAILABLE))
                assert state.snapshot.available.version_id == "1.5.0"
                assert "Faster skill start-up" in (state.snapshot.available.notes or "")
                wrong = await client.approve("1.5.1")
                assert wrong.outcome is ApprovalOutcome.NOT_OFFERED and wrong.sends == 0
                result = await client.approve("1.5.0")
                assert result.outcome is ApprovalOutcome.APPROVED, result
                assert result.state.snapshot.state is UpdateState.RUNNING
                again = await client.approve("1.5.0")  # nothing offered while it runs
                assert again.outcome is ApprovalOutcome.NOT_OFFERED and again.sends == 0
                await wait_for(client, is_state(UpdateState.UP_TO_DATE, "1.5.0"))

    run(go(), timeout=40)
    assert seen[0] is UpdateState.UPDATE_AVAILABLE and UpdateState.RUNNING in seen
    assert seen[-1] is UpdateState.UP_TO_DATE


def test_fault_then_retry() -> None:
    async def go() -> None:
        async with (
            await start_mock(scenario="fault", speed=FAST) as mock,
            UpdaterClient(config(mock.address)) as client,
        ):
            await wait_for(client, is_state(UpdateState.UPDATE_AVAILABLE))
            assert (await client.approve("1.5.0")).outcome is ApprovalOutcome.APPROVED
            state = await wait_for(client, is_state(UpdateState.FAULT))
            snap = state.snapshot
            assert snap.current.version_id == "1.4.2" and snap.offered.version_id == "1.5.0"
            retry = await client.approve("1.5.0")
            assert retry.outcome is ApprovalOutcome.APPROVED, retry
            await wait_for(client, is_state(UpdateState.UP_TO_DATE, "1.5.0"))

    run(go(), timeout=40)


def test_race_stale_approval_is_refused_by_the_ipc() -> None:
    """The client read rc.N; the IPC has moved on to a newer build when the approval arrives."""

    async def go() -> None:
        async with await start_mock(scenario="race", speed=10) as mock:
            reader = UpdaterClient(config(mock.address))  # reads once, no polling: its data is about to go stale
            watcher = UpdaterClient(config(mock.address))
            try:
                first = (await reader.refresh()).snapshot.offered.version_id
                assert first.startswith("2.0.0-rc.")
                async with watcher:
                    await wait_for(watcher, lambda s: s.snapshot.offered and s.snapshot.offered.version_id != first)
                result = await reader.approve(first)
                assert result.outcome is ApprovalOutcome.REFUSED and result.code == "FAILED_PRECONDITION"
                assert result.exit_code == 3 and result.sends == 1
                newer = result.state.snapshot.offered.version_id
                assert newer != first and newer in result.message
                # The client now knows the newer build, and refuses the old one locally.
                local = await reader.approve(first)
                assert local.outcome is ApprovalOutcome.NOT_OFFERED and local.sends == 0
            finally:
                await reader.aclose()
                await watcher.aclose()

    run(go(), timeout=40)


def test_power_loss_reports_fault_on_last_known_good() -> None:
    async def go() -> None:
        async with (
            await start_mock(scenario="power-loss", speed=FAST) as mock,
            UpdaterClient(config(mock.address)) as client,
        ):
            state = await wait_for(client, lambda s: s.snapshot.offered is not None)
            assert (await client.approve(state.snapshot.offered.version_id)).outcome is ApprovalOutcome.APPROVED
            state = await wait_for(client, is_state(UpdateState.FAULT), limit=20)
            assert state.snapshot.current is not None

    run(go(), timeout=40)


# --- a mock process killed and restarted ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(port: int, scenario: str) -> MockProcess:
    """`ipc-hmi mock` on a fixed port (a restart must come back on the same address), listening."""
    child = MockProcess("--scenario", scenario, listen=f"127.0.0.1:{port}")
    try:
        child.wait_listening()
    except BaseException:
        child.stop()
        raise
    return child


@pytest.mark.slow
def test_mock_killed_and_restarted_online_offline_online() -> None:
    port = _free_port()
    procs: list[MockProcess] = []
    healths: list[Health] = []

    async def go() -> None:
        client = UpdaterClient(config(f"127.0.0.1:{port}", stale_after=0.3))

        def record(state: ClientState) -> None:
            health = state.connection.health(time.monotonic())
            if not healths or healths[-1] is not health:
                healths.append(health)

        client.subscribe(record)
        async with client:
            await wait_for(client, lambda s: s.connection.health(time.monotonic()) is Health.ONLINE)
            await asyncio.to_thread(kill9, procs[0])  # no goodbye to the client
            for _ in range(500):
                if client.state.connection.health(time.monotonic()) is Health.OFFLINE:
                    record(client.state)  # health is a function of time: seen now, even between two publishes
                    break
                await asyncio.sleep(0.02)
            assert client.state.connection.error_code in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
            procs.append(await asyncio.to_thread(_spawn, port, "fault"))
            state = await wait_for(
                client,
                lambda s: (
                    s.connection.health(time.monotonic()) is Health.ONLINE and not s.connection.last_attempt_failed
                ),
            )
            assert state.snapshot.state is UpdateState.UPDATE_AVAILABLE

    try:
        procs.append(_spawn(port, "approval"))
        run(go(), timeout=45)
    finally:
        for proc in procs:
            proc.stop()
    first = healths.index(Health.ONLINE)
    assert Health.OFFLINE in healths[first:], healths
    offline = healths.index(Health.OFFLINE, first)
    assert Health.ONLINE in healths[offline:], healths


# --- the CLI against the mock ---------------------------------------------------------------------------------


def test_cli_report_and_approve_against_the_mock(tmp_path: Path) -> None:
    port = _free_port()
    proc = None
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPC_HMI_")}
    env["IPC_HMI_DATA_DIR"] = str(tmp_path)
    env["IPC_HMI_TARGET"] = f"127.0.0.1:{port}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hmi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    try:
        proc = _spawn(port, "approval")
        done = cli("report", "--json")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(
            '{\n  "state": "STATE_UPDATE_AVAILABLE",\n  "current": {\n    "versionId": "1.4.2"'
        )
        assert cli("approve", "1.6.0", "--yes").returncode == 3
        done = cli("approve", "1.5.0", "--yes")
        assert done.returncode == 0, done.stderr
        assert "Updating" in cli("report").stdout
    finally:
        if proc is not None:
            proc.stop()
