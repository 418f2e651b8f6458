"""The mock over real gRPC on loopback: every built-in scenario, control, health, reflection, listen rules."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hmi.mock.control import ControlClient
from hmi.mock.server import IPC_UPDATER, MOCK_CONTROL, ListenRefused, is_loopback, parse_listen, start_mock
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from tests.aio import run
from tests.mock.support import Ipc, poll, state_is

S = pb.UpdateInfo
FAST = 200.0  # a 27 s update takes about 0.14 s


async def _refused(coro) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value


def test_approval_scenario_installs_the_approved_version():
    async def scenario() -> None:
        async with await start_mock(scenario="approval", speed=FAST) as mock, Ipc(mock.address) as ipc:
            assert mock.address == f"127.0.0.1:{mock.port}" and mock.port > 0
            info = await ipc.info()
            assert info.state == S.STATE_UPDATE_AVAILABLE and info.available.version_id == "1.5.0"
            stale = await _refused(ipc.approve("1.4.9"))
            assert stale.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert stale.details() == 'version "1.4.9" is not the offered version "1.5.0"'
            empty = await _refused(ipc.approve(""))
            assert empty.code() is grpc.StatusCode.INVALID_ARGUMENT
            await ipc.approve("1.5.0", notes="ignored by the IPC")
            await ipc.approve("1.5.0")  # the safe retry
            info = await poll(ipc.info, state_is("STATE_UP_TO_DATE"))
            assert info.current.version_id == "1.5.0" and not info.HasField("available")
            nothing = await _refused(ipc.approve("1.5.0"))
            assert "nothing to approve" in nothing.details()

    run(scenario())


def test_automatic_scenario_installs_by_itself():
    async def scenario() -> None:
        async with await start_mock(scenario="automatic", speed=FAST) as mock, Ipc(mock.address) as ipc:
            info = await poll(ipc.info, lambda i: i.state == S.STATE_UP_TO_DATE and i.current.version_id == "1.5.0")
            assert mock.engine.last_known_good == "1.5.0"
            assert info.current.version_id == "1.5.0"

    run(scenario())


def test_fault_scenario_rolls_back_then_the_retry_succeeds():
    async def scenario() -> None:
        async with await start_mock(scenario="fault", speed=FAST) as mock, Ipc(mock.address) as ipc:
            await ipc.approve("1.5.0")
            info = await poll(ipc.info, state_is("STATE_FAULT"))
            assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")
            assert not info.HasField("progress")
            await ipc.approve("1.5.0")
            info = await poll(ipc.info, state_is("STATE_UP_TO_DATE"))
            assert info.current.version_id == "1.5.0"

    run(scenario())


def test_power_loss_scenario_comes_back_in_fault_on_last_known_good():
    async def scenario() -> None:
        async with await start_mock(scenario="power-loss", speed=FAST) as mock, Ipc(mock.address) as ipc:
            await ipc.approve("1.5.0")
            info = await poll(ipc.info_or_none, state_is("STATE_FAULT"))
            assert (info.current.version_id, info.available.version_id) == ("1.4.2", "1.5.0")

    run(scenario())


def test_race_scenario_refuses_a_stale_approval():
    async def scenario() -> None:
        async with await start_mock(scenario="race", speed=20) as mock, Ipc(mock.address) as ipc:
            first = (await ipc.info()).available.version_id
            newer = await poll(ipc.info, lambda i: i.available.version_id != first, within=10)
            stale = await _refused(ipc.approve(first))
            assert stale.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert f'"{first}"' in stale.details() and '"2.0.0-rc.' in stale.details()
            assert newer.available.version_id.startswith("2.0.0-rc.")
            for _ in range(5):  # a new build may land between reading and approving
                offered = (await ipc.info()).available.version_id
                try:
                    await ipc.approve(offered)
                    break
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() is grpc.StatusCode.FAILED_PRECONDITION
            info = await poll(ipc.info, state_is("STATE_UP_TO_DATE"))
            assert info.current.version_id == offered

    run(scenario())


def test_demo_scenario_tells_its_story_and_starts_over():
    async def scenario() -> None:
        async with await start_mock(scenario="demo", speed=100) as mock, Ipc(mock.address) as ipc:
            info = await poll(ipc.info, state_is("STATE_UPDATE_AVAILABLE"))
            assert info.available.version_id == "1.5.0" and "|" in info.available.update_notes
            await ipc.approve("1.5.0")
            await poll(ipc.info, lambda i: i.state == S.STATE_UPDATE_AVAILABLE and i.available.version_id == "1.6.0")
            await ipc.approve("1.6.0")
            info = await poll(ipc.info, state_is("STATE_FAULT"))
            assert (info.current.version_id, info.available.version_id) == ("1.5.0", "1.6.0")
            info = await poll(ipc.info, lambda i: i.current.version_id == "1.4.2")
            events = [e["message"] for e in mock.engine.snapshot()["events"]]
            assert any("starts over" in m for m in events)

    run(scenario())


def test_mock_control_drives_the_engine_and_state_matches_the_snapshot():
    async def scenario() -> None:
        async with (
            await start_mock(scenario="approval", speed=1) as mock,
            Ipc(mock.address) as ipc,
            ControlClient(mock.address) as ctl,
        ):
            await ctl.publish("1.6.0", notes="# Six", fail_at="download")
            info = await ipc.info()
            assert info.available.version_id == "1.6.0" and info.available.update_notes == "# Six"
            state = await ctl.state()
            assert state == mock.engine.snapshot()
            assert state["offered"] == "1.6.0" and state["progress"] is None
            assert state["feed"][0]["update_notes"] is None
            dup = await _refused(ctl.publish("1.6.0"))
            assert dup.code() is grpc.StatusCode.ALREADY_EXISTS
            bad = await _refused(ctl.publish("1.7.0", fail_at="reboot"))
            assert bad.code() is grpc.StatusCode.INVALID_ARGUMENT
            idle = await _refused(ctl.fail())
            assert idle.code() is grpc.StatusCode.FAILED_PRECONDITION
            await ipc.approve("1.6.0")
            state = await ctl.state()
            assert state["progress"]["current_step"] == 0 and state["stages"][0]["status"] == "underway"
            await ctl.fail()
            assert (await ipc.info()).state == S.STATE_FAULT
            await ctl.set_mode("automatic")
            assert (await ctl.state())["mode"] == "automatic"
            mode = await _refused(ctl.set_mode("sometimes"))
            assert mode.code() is grpc.StatusCode.INVALID_ARGUMENT
            await ctl.power_loss()
            off = await _refused(ipc.info())
            assert off.code() is grpc.StatusCode.UNAVAILABLE
            assert (await ctl.state())["powered"] is False
            await ctl.reset()
            state = await ctl.state()
            assert (state["state"], state["mode"], state["powered"]) == ("STATE_UPDATE_AVAILABLE", "approval", True)

    run(scenario())


def test_health_reports_serving_for_the_server_and_both_services():
    async def scenario() -> None:
        async with await start_mock(scenario="approval") as mock, grpc.aio.insecure_channel(mock.address) as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            for service in ("", IPC_UPDATER, MOCK_CONTROL):
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING, service

    run(scenario())


def test_reflection_lists_the_services_and_serves_their_descriptors():
    async def scenario() -> None:
        async with await start_mock(scenario="approval") as mock, grpc.aio.insecure_channel(mock.address) as ch:
            stub = reflection_pb2_grpc.ServerReflectionStub(ch)
            requests = [
                reflection_pb2.ServerReflectionRequest(list_services=""),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol=IPC_UPDATER),
                reflection_pb2.ServerReflectionRequest(file_containing_symbol=MOCK_CONTROL),
            ]
            replies = [r async for r in stub.ServerReflectionInfo(iter(requests), timeout=5)]
            names = {s.name for s in replies[0].list_services_response.service}
            assert {IPC_UPDATER, MOCK_CONTROL, "grpc.health.v1.Health"} <= names
            assert replies[1].file_descriptor_response.file_descriptor_proto
            assert replies[2].file_descriptor_response.file_descriptor_proto

    run(scenario())


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:0"])
def test_a_non_loopback_address_is_refused_without_allow_remote(listen):
    async def scenario() -> None:
        with pytest.raises(ListenRefused, match="allow-remote"):
            await start_mock(scenario="approval", listen=listen)

    run(scenario())


def test_listen_parsing():
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:50051") == ("[::1]", 50051)
    for bad in ("50051", ":50051", "host:", "host:70000", "host:port"):
        with pytest.raises(ListenRefused, match="HOST:PORT"):
            parse_listen(bad)
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("[::1]") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback("ipc.local")


def test_a_bad_speed_is_refused():
    async def scenario() -> None:
        for speed in (0, -2, float("inf")):
            with pytest.raises(ValueError, match="speed"):
                await start_mock(scenario="approval", speed=speed)

    run(scenario())


def test_a_busy_port_is_an_error_not_a_shared_port():
    async def scenario() -> None:
        async with await start_mock(scenario="approval") as mock:
            with pytest.raises(OSError, match="cannot listen"):
                await start_mock(scenario="approval", listen=mock.address)

    run(scenario())
