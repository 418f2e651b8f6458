"""Renders docs/screenshots/<state>.png for each state of the console (`make screenshots`).

Each picture is the real console on the offscreen platform, connected over loopback gRPC to the
mock IPC running the scenario that produces the state (driven through its control service where
needed). The mock never reports an unknown state, so that one comes from a tiny stub IpcUpdater
that answers with a state number the contract does not define.

    QT_QPA_PLATFORM=offscreen python tools/screenshots.py docs/screenshots
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LARGE = (1280, 800)
SMALL = (800, 480)


async def until(condition: Callable[[], object], limit: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Shooter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: list[Path] = []

    async def save(self, window: Any, name: str, sizes: tuple[tuple[int, int], ...]) -> None:
        for size in sizes:
            window.resize(*size)
            await asyncio.sleep(0.15)  # layout and paint
            suffix = "" if size == LARGE else f"-{size[0]}x{size[1]}"
            path = self.out / f"{name}{suffix}.png"
            if not window.save_screenshot(path):
                raise OSError(f"could not write {path}")
            self.written.append(path)
            print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
        window.resize(*LARGE)


async def console_on(
    target: str, *, poll: float = 0.25, demo: bool = False, scenario: str = "demo", speed=1.0, signin=None, audit=None
):
    from hmi.app import build_console
    from hmi.core.config import AppConfig, ClientConfig

    config: Any = ClientConfig(target=target, poll_interval=poll, deadline=1.0)
    if signin is not None:
        config = AppConfig(client=config, config_file=None, audit_path=audit.path, signin=signin)
    window, controller = build_console(config, demo=demo, scenario=scenario, speed=speed, audit=audit)
    window.resize(*LARGE)
    window.show()
    await controller.start()
    return window, controller


async def with_mock(scenario: str, speed: float, body: Callable[[Any, Any, Any], Awaitable[None]]) -> None:
    from hmi.mock.server import start_mock

    mock = await start_mock(scenario=scenario, speed=speed)
    window, controller = await console_on(mock.address)
    try:
        await until(lambda: controller.state and controller.state.snapshot, 10, "first data")
        await body(mock, window, controller)
    finally:
        await controller.aclose()
        await mock.stop(grace=None)
        window.force_close()


def state_of(controller: Any) -> str:
    snap = controller.state.snapshot if controller.state else None
    return snap.state.value if snap else ""


async def shots(out: Path) -> list[Path]:
    from hmi.mock.control import ControlClient

    shooter = Shooter(out)

    async def up_to_date(mock, window, controller):
        await shooter.save(window, "up-to-date", (LARGE,))

    async def available(mock, window, controller):
        await shooter.save(window, "update-available", (LARGE, SMALL))
        assert window.open_confirmation(), window.notice()
        await shooter.save(window, "confirmation", (LARGE, SMALL))

    async def updating(mock, window, controller):
        controller.request_approval("1.5.0")
        await until(lambda: (s := controller.state.snapshot).progress and (s.progress.step or 0) >= 2, 30, "step 3")
        await shooter.save(window, "updating", (LARGE, SMALL))

    async def fault(mock, window, controller):
        controller.request_approval("1.5.0")
        await until(lambda: state_of(controller) == "fault", 60, "the fault")
        await asyncio.sleep(0.5)
        await shooter.save(window, "fault", (LARGE,))

    async def refused(mock, window, controller):
        async with ControlClient(mock.address) as ctl:
            await ctl.publish("1.5.1", notes="## 1.5.1\n\nA fix for 1.5.0, published while you were reading.")
        await until(lambda: window.version_panel.approve_button.full_text() != "Install 1.5.0", 10, "the new offer")
        await shooter.save(window, "offer-changed", (LARGE,))

    async def shelved(mock, window, controller):
        """ "Remind me later" until the end of the shift: the offer calm, in neutral grey, still installable."""
        window.enable_shelving(("06:00", "14:00", "22:00"))
        await until(window.shelving.row.isVisible, 5, "Remind me later")
        window.shelving.row.button.click()
        await shooter.save(window, "shelve-chooser", (SMALL,))
        from hmi.core.shelve import Choice

        window.shelving.sheet.buttons[Choice.END_OF_SHIFT].click()
        await until(lambda: window.headline_card.property("kind") == "update-shelved", 5, "the calm offer")
        await shooter.save(window, "shelved", (LARGE, SMALL))

    async def stale(mock, window, controller):
        await mock.stop(grace=None)
        await until(lambda: window.headline_card.headline_icon.icon_name() == "stale", 10, "stale")
        await asyncio.sleep(3.2)
        await shooter.save(window, "offline-stale", (LARGE, SMALL))

    print("rendering screenshots:", flush=True)
    await with_mock("demo", 1.0, up_to_date)
    await with_mock("approval", 1.0, available)
    await with_mock("approval", 1.0, updating)
    await with_mock("fault", 20.0, fault)

    async def offer_changed(mock, window, controller):
        await until(window.version_panel.approve_button.isEnabled, 5, "an offer")
        assert window.open_confirmation()
        await refused(mock, window, controller)

    await with_mock("approval", 1.0, offer_changed)
    await with_mock("approval", 1.0, shelved)
    await with_mock("approval", 1.0, stale)
    await unknown_state(shooter)
    await demo_drawer(shooter)
    await signin_and_history(shooter)
    await approvals_off(shooter)
    await long_update(shooter)
    return shooter.written


async def long_update(shooter: Shooter) -> None:
    """The slow-step demo (issue 14), sped up 20 times with the thresholds scaled alike: on the second update
    the estimate from the first, then the stuck-step warning when "migrate database" runs ten times longer."""
    from hmi.core.progress import Status

    window, controller = await console_on("", demo=True, scenario="slow-step", speed=20.0, poll=0.1)
    try:

        def estimating() -> bool:
            e = controller.recorder.estimate if controller.recorder else None
            snap = controller.state.snapshot if controller.state else None
            second = snap is not None and snap.available is not None and snap.available.version_id == "1.6.0"
            on_migrate = e is not None and e.step is not None and e.step.index == 2 and (e.running_for or 0) >= 1
            return bool(second and on_migrate and e.status is Status.ESTIMATE and e.remaining)

        await until(estimating, 40, "the estimate on the second update")
        await shooter.save(window, "progress-estimate", (LARGE, SMALL))
        await until(window.version_panel.stuck_box.isVisible, 40, "the stuck-step warning")
        await asyncio.sleep(0.3)
        await shooter.save(window, "progress-stuck", (LARGE, SMALL))
    finally:
        await controller.aclose()
        window.force_close()


async def approvals_off(shooter: Shooter) -> None:
    """The audit trail cannot be written (here: a file that is not a database): approvals are off."""
    import tempfile

    from hmi.app import build_console, open_console_audit
    from hmi.core.config import AppConfig, ClientConfig
    from hmi.mock.server import start_mock

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ipc-hmi" / "audit.sqlite3"
        path.parent.mkdir()
        path.write_bytes(b"not a database\n" * 10)
        mock = await start_mock(scenario="approval", speed=1.0)
        client = ClientConfig(target=mock.address, poll_interval=0.25, deadline=1.0)
        trail = open_console_audit(AppConfig(client=client, config_file=None, audit_path=path))
        window, controller = build_console(client, approvals_off=trail.problem)
        window.resize(*LARGE)
        window.show()
        try:
            await controller.start()
            await until(lambda: controller.state and controller.state.snapshot, 10, "first data")
            await shooter.save(window, "approvals-off", (LARGE, SMALL))
        finally:
            await controller.aclose()
            await mock.stop(grace=None)
            window.force_close()


async def signin_and_history(shooter: Shooter) -> None:
    """Sign-in on, three operators, a temporary audit trail: the PIN step, the confirm step, the history."""
    import tempfile

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from hmi.core.audit import AuditStore
    from hmi.core.auth import hash_pin
    from hmi.core.config import OperatorEntry, SignInConfig
    from hmi.mock.server import start_mock

    cheap = {"n": 16, "r": 1, "p": 1}  # fast hashes: these PINs exist only for the pictures
    signin = SignInConfig(
        enabled=True,
        idle_timeout=120.0,
        operators=(
            OperatorEntry("Anna Schmidt", "operator", hash_pin("2468", **cheap)),
            OperatorEntry("Bert Nguyen", "operator", hash_pin("1357", **cheap)),
            OperatorEntry("Vera (QA)", "viewer", hash_pin("9999", **cheap)),
        ),
    )
    with tempfile.TemporaryDirectory() as folder:
        audit = AuditStore.open(Path(folder) / "audit.sqlite3")
        mock = await start_mock(scenario="approval", speed=1.0)
        window, controller = await console_on(mock.address, signin=signin, audit=audit)
        try:
            await until(window.version_panel.approve_button.isEnabled, 10, "an offer")
            sheet = window.sheet

            def type_pin(pin: str) -> None:
                for digit in pin:
                    QTest.mouseClick(sheet.pad.key(digit), Qt.MouseButton.LeftButton)

            async def press_ok() -> None:  # the PIN is checked off the GUI thread
                QTest.mouseClick(sheet.pad.key("ok"), Qt.MouseButton.LeftButton)
                await until(lambda: not sheet.checking, 5, "the PIN check")

            # A viewer tries first (refused and recorded), then Anna mistypes once.
            assert window.open_confirmation()
            QTest.mouseClick(sheet.operator_button("Vera (QA)"), Qt.MouseButton.LeftButton)
            type_pin("9999")
            await press_ok()
            QTest.mouseClick(sheet.operator_button("Anna Schmidt"), Qt.MouseButton.LeftButton)
            type_pin("1111")
            await press_ok()
            type_pin("24")
            await shooter.save(window, "signin", (LARGE, SMALL))
            type_pin("68")
            await press_ok()
            assert sheet.step == "confirm", sheet.pad.message()
            await shooter.save(window, "signin-confirm", (LARGE, SMALL))
            sheet.dismiss()
            assert controller.request_approval("1.5.0")
            await until(lambda: state_of(controller) == "running", 20, "the update to start")
            await asyncio.sleep(0.3)
            await shooter.save(window, "signed-in", (LARGE, SMALL))
            assert window.open_history()
            await asyncio.sleep(0.2)
            await shooter.save(window, "history", (LARGE, SMALL))
        finally:
            await controller.aclose()
            await mock.stop(grace=None)
            window.force_close()
            audit.close()


async def unknown_state(shooter: Shooter) -> None:
    """A stub IPC that reports state 7, a number the contract does not define."""
    import grpc

    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
    from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2_grpc as pb_grpc

    class Stub(pb_grpc.IpcUpdaterServicer):
        async def ReportUpdateInfo(self, request, context):
            info = pb.UpdateInfo(state=7)
            info.current.version_id = "1.4.2"
            return info

    server = grpc.aio.server()
    pb_grpc.add_IpcUpdaterServicer_to_server(Stub(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    window, controller = await console_on(f"127.0.0.1:{port}")
    try:
        await until(lambda: controller.state and controller.state.snapshot, 10, "first data")
        await shooter.save(window, "unknown", (LARGE,))
    finally:
        await controller.aclose()
        await server.stop(None)
        window.force_close()


async def demo_drawer(shooter: Shooter) -> None:
    window, controller = await console_on("", demo=True, scenario="approval")
    try:
        await until(lambda: controller.state and controller.state.snapshot, 10, "first data")
        window.status_bar.demo_toggle.click()
        await shooter.save(window, "demo", (LARGE,))
    finally:
        await controller.aclose()
        window.force_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--lang",
        action="append",
        choices=("en", "de"),
        help="render this language (repeatable; default: English into OUT and German into OUT/de)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args.out.mkdir(parents=True, exist_ok=True)

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from hmi.core import i18n
    from hmi.ui.language import load_qt_translations

    written: list[Path] = []
    with loop:
        for lang in args.lang or ["en", "de"]:
            i18n.set_language(lang)
            load_qt_translations(lang)
            out = args.out if lang == "en" else args.out / lang
            out.mkdir(parents=True, exist_ok=True)
            print(f"{i18n.lang_name(lang)}:", flush=True)
            written += loop.run_until_complete(asyncio.wait_for(shots(out), 300))
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
