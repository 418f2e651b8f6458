"""Sign-in and history hold at 800×480, 1024×600, 1280×800 and 1920×1080: nothing clipped or overlapping,
text fits (or is shortened with the whole text in a tooltip), touch sizes kept; long names and ids."""

from __future__ import annotations

import pytest

from hmi.core.audit import AuditStore

from .conftest import run, until
from .layout_check import SIZES, check_main, check_sheet, overlap_problems, rect_in, text_problems
from .live import CHEAP, PINS, sign_in_on_sheet, tap
from .states import LONG_ID, LONG_NOTES, FakeClock, client_state, info

LONG_NAME = "Anna-Katharina Schmidt-Oberhauser"


@pytest.fixture
def store(tmp_path):
    with AuditStore.open(tmp_path / "audit.sqlite3") as s:
        for _ in range(40):
            s.log_event(
                kind="approve-update",
                outcome="refused-locally",
                operator=LONG_NAME,
                version_id=LONG_ID,
                current_version="1.4.2",
                message="viewer may not approve",
                target="192.168.100.200:50051",
            )
        yield s


CONTROLLERS: dict = {}  # window -> its controller (build_console returns both; the window does not hold it)


def make(qapp, windows, store, size, *, require_two: bool = False):
    from hmi.app import build_console
    from hmi.core.auth import hash_pin
    from hmi.core.config import AppConfig, ApprovalConfig, ClientConfig, OperatorEntry, SignInConfig

    operators = tuple(
        OperatorEntry(name, role, hash_pin(PINS.get(name, "2468"), **CHEAP))
        for name, role in ((LONG_NAME, "operator"), ("bert", "operator"), ("vera", "viewer"), ("dora", "operator"))
    )
    config = AppConfig(
        client=ClientConfig(target="192.168.100.200:50051"),
        config_file=None,
        audit_path=store.path,
        signin=SignInConfig(enabled=True, idle_timeout=120, operators=operators),
        approval=ApprovalConfig(require_two=require_two),
    )
    window, controller = build_console(config, audit=store, clock=FakeClock(1000.0), demo=False)
    windows.append(window)
    CONTROLLERS[window] = controller
    window.resize(*size)
    window.show()
    window.set_state(client_state(info("available", current=LONG_ID.replace("2025", "2024"), available=LONG_ID,
                                       notes=LONG_NOTES)))  # fmt: skip
    qapp.processEvents()
    return window


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_sign_in_step_holds(qapp, windows, store, size):
    window = make(qapp, windows, store, size)
    assert window.open_confirmation()
    sheet = window.sheet
    tap(sheet.operator_button(LONG_NAME))
    sheet.pad.set_message("Wrong PIN. Locked for 60 s")
    qapp.processEvents()
    w, h = size
    problems = text_problems(sheet.card, window)
    problems += overlap_problems(window, [sheet.picker_area, sheet.signin_cancel, sheet.pad])
    if not window.rect().contains(rect_in(window, sheet.card)):
        problems.append("sheet card outside the window")
    for key in (*"0123456789", "ok", "clear", "delete"):
        if sheet.pad.key(key).height() < 64 or sheet.pad.key(key).width() < 64:
            problems.append(f"key {key}: {sheet.pad.key(key).size()} < 64 px")
    if sheet.signin_cancel.height() < 72:
        problems.append(f"cancel {sheet.signin_cancel.height()} px < 72")
    room = rect_in(window, sheet.picker_area.viewport())
    visible = [b for b in sheet._picker.values() if room.contains(rect_in(window, b))]
    if len(visible) < 2:
        problems.append(f"only {len(visible)} name buttons fit without scrolling")
    assert sheet.operator_button(LONG_NAME).is_elided() or w >= 1280  # long names are shortened, not cut
    assert not problems, "\n".join(f"{w}x{h}: {p}" for p in problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_confirm_step_and_main_screen_with_sign_in_hold(aloop, qapp, windows, store, size):
    run(aloop, _confirm_step_and_main_screen_with_sign_in_hold(qapp, windows, store, size), 30)


async def _confirm_step_and_main_screen_with_sign_in_hold(qapp, windows, store, size):
    window = make(qapp, windows, store, size)
    assert window.version_panel.notice_text.text().endswith("An operator signs in on the next screen.")
    problems = check_main(window)  # nobody signed in yet
    assert window.open_confirmation()
    await sign_in_on_sheet(window, "bert", PINS["bert"])
    qapp.processEvents()
    assert window.sheet.step == "confirm"
    problems += check_sheet(window)
    sheet = window.sheet
    problems += overlap_problems(window, [sheet.operator_row, sheet.cancel_button, sheet.confirm_button])
    tap(sheet.cancel_button)
    await CONTROLLERS[window].sign_in(LONG_NAME, "2468")
    qapp.processEvents()
    problems += check_main(window)
    problems += overlap_problems(
        window,
        [
            window.status_bar.connection_label,
            window.status_bar.history_button,
            window.status_bar.operator_label,
            window.status_bar.sign_out_button,
        ],
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_history_holds(aloop, qapp, windows, store, size):
    run(aloop, _history_holds(qapp, windows, store, size), 30)


async def _history_holds(qapp, windows, store, size):
    window = make(qapp, windows, store, size)
    assert window.open_history()
    sheet = window.history_sheet
    await until(lambda: sheet.view.table.rowCount() == 40, 5, "the records")
    qapp.processEvents()
    problems = text_problems(sheet.card, window)
    table = sheet.view.table
    if table.horizontalScrollBar().maximum() > 0 and sheet.view.narrow:
        problems.append("the narrow history scrolls sideways")
    if not window.rect().contains(rect_in(window, sheet.card)):
        problems.append("history card outside the window")
    if sheet.close_button.height() < 72:
        problems.append(f"close {sheet.close_button.height()} px < 72")
    if table.verticalHeader().defaultSectionSize() < 48:
        problems.append("rows below 48 px")
    visible_rows = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    if visible_rows < 3:
        problems.append(f"only {visible_rows} rows visible")
    assert not problems, "\n".join(f"{size}: {p}" for p in problems)


def test_notes_and_timeline_come_back_after_a_small_window_grows(qapp, windows, store):
    window = make(qapp, windows, store, (1280, 800))
    for size in ((800, 480), (1280, 800), (800, 480), (1920, 1080)):
        window.resize(*size)
        qapp.processEvents()
    assert window.wide and window.notes_pane.notes.isVisible() and window.notes_pane.timeline.isVisible()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_approvals_off_reason_is_shown_whole(qapp, windows, size):
    from hmi.app import build_console
    from hmi.core.config import ClientConfig

    reason = (
        "The audit trail cannot be written: /var/lib/ipc-hmi/workcell-07/audit.sqlite3: it is not a readable "
        "audit trail (it was left untouched; move it aside and restart). Approvals are off until this is fixed."
    )
    window, _c = build_console(ClientConfig(target="192.168.100.200:50051"), approvals_off=reason, clock=FakeClock())
    windows.append(window)
    window.resize(*size)
    window.show()
    window.set_state(client_state(info("available", current=LONG_ID.replace("2025", "2024"), available=LONG_ID,
                                       notes=LONG_NOTES)))  # fmt: skip
    qapp.processEvents()
    banner = window.approvals_off_banner.approvals_off_text
    assert banner.isVisible() and banner.text() == reason and not banner.is_elided()
    problems = check_main(window)
    problems += overlap_problems(window, [window.headline_card, window.approvals_off_banner, window.version_panel])
    assert not problems, "\n".join(problems)
