"""The window as a pure view: client states built here, a fake clock, no network.

Covers every headline state, the approval gate on the button, the confirmation sheet's rules
(closes on a changed offer, on stale data, after 60 s; sends exactly the id shown, once),
result messages, keyboard shortcuts, the kiosk exit gesture and the value labels' accessibility.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QWidget

from hmi.core.client import ApprovalOutcome, ApprovalResult
from hmi.core.model import ApprovalIntent
from hmi.core.view import Severity
from hmi.ui.presenter import TimelineKind
from hmi.ui.window import ConsoleWindow

from .states import FakeClock, client_state, info

OBJECT_NAMES = (
    "stateHeadline",
    "currentVersion",
    "availableVersion",
    "updateNotes",
    "progressBar",
    "progressText",
    "connectionStatus",
    "approveButton",
    "timeline",
)
SHEET_NAMES = ("confirmSheet", "confirmButton")  # created at the first open (docs/automation.md)


@pytest.fixture
def clock():
    return FakeClock(1000.0)


@pytest.fixture
def make_view(qtbot, qapp, clock):
    from hmi.app import _prepare_app

    _prepare_app(qapp)

    def make(**kw) -> ConsoleWindow:
        kw.setdefault("target", "127.0.0.1:50051")
        window = ConsoleWindow(clock=clock, wall=lambda: 1_700_000_000.0, hold_seconds=0.2, **kw)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        return window

    return make


@pytest.fixture
def view(make_view):
    return make_view()


def find(window: QWidget, name: str) -> QWidget:
    widget = window.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def hold_confirm(qtbot, window: ConsoleWindow) -> None:
    button = window.sheet.confirm_button
    with qtbot.waitSignal(button.held, timeout=3000):
        QTest.mousePress(button, Qt.MouseButton.LeftButton)
    QTest.mouseRelease(button, Qt.MouseButton.LeftButton)


def test_stable_object_names_exist(make_view):
    window = make_view()
    for name in OBJECT_NAMES:
        find(window, name)
    for name in SHEET_NAMES:
        assert window.findChild(QWidget, name) is None, name
    window.set_state(client_state(info("available")))
    assert window.open_confirmation()
    for name in SHEET_NAMES:
        find(window, name)
    assert window.findChild(QWidget, "demoDrawer") is None  # only with --demo
    demo = make_view(demo=True)
    find(demo, "demoDrawer")
    assert "DEMO" in find(demo, "demoToggle").text()


@pytest.mark.parametrize(
    ("msg", "kw", "kind", "title", "severity"),
    [
        (info("up-to-date", available=None), {}, "up-to-date", "Up to date", Severity.NORMAL),
        (info("available"), {}, "update-available", "Update available", Severity.ATTENTION),
        (
            info("running", step=2, total=7, description="Migrating database"),
            {},
            "running",
            "Updating",
            Severity.ACTIVE,
        ),
        (info("fault"), {}, "fault", "Update failed", Severity.ALARM),
        (info(7), {}, "unknown", "Unknown state", Severity.DEGRADED),
        (info("unspecified"), {}, "unknown", "Unknown state", Severity.DEGRADED),
        (info("available"), {"age": 5.0}, "stale", "Connection trouble", Severity.DEGRADED),
        (
            info("available"),
            {"age": 9.0, "failed": True, "error": "UNAVAILABLE"},
            "stale",
            "not live",
            Severity.DEGRADED,
        ),
        (None, {"failed": True, "error": "UNAVAILABLE"}, "offline", "No connection", Severity.DEGRADED),
        (None, {}, "connecting", "Connecting", Severity.DEGRADED),
    ],
)
def test_every_state_has_an_icon_words_and_a_tone(view, msg, kw, kind, title, severity):
    view.set_state(client_state(msg, **kw))
    assert view.headline_card.headline_icon.icon_name() == kind
    assert title in find(view, "stateHeadline").text()
    assert view.headline_card.severity is severity
    assert find(view, "connectionStatus").text()


def test_fault_explains_the_rollback_and_offers_a_retry(view):
    view.set_state(client_state(info("fault", current="1.4.2", available="1.5.0")))
    assert "went back to version 1.4.2" in view.headline_card.headline_detail.text()
    button = find(view, "approveButton")
    assert button.isEnabled() and button.full_text() == "Install 1.5.0"
    assert "retries" in view.version_panel.notice_text.text()


def test_stale_data_is_marked_and_keeps_its_values(view, clock):
    view.set_state(client_state(info("available")))
    assert find(view, "connectionStatus").text() == "Live data"
    clock.now += 14
    view.on_tick()  # the 1 s timer does this in the running app
    assert "14 s ago" in find(view, "connectionStatus").text()
    assert view.status_bar.property("health") == "degraded"
    assert "last known" in view.version_panel.current_caption.text()
    assert find(view, "currentVersion").text() == "1.4.2"
    assert not find(view, "approveButton").isEnabled()


@pytest.mark.parametrize(
    ("msg", "kw", "enabled", "label"),
    [
        (info("available"), {}, True, "Install 1.5.0"),
        (info("fault"), {}, True, "Install 1.5.0"),
        (info("available"), {"age": 5.0}, False, "Install 1.5.0"),
        (info("available"), {"in_flight": True}, False, "Install 1.5.0"),
        (info("available", available=""), {}, False, "Install update"),
        (info("available", available="\u202e\u200b"), {}, False, "Install update"),
        (info("up-to-date", available=None), {}, False, "Install update"),
        (info(9), {}, False, "Install update"),
        (None, {}, False, "Install update"),
    ],
)
def test_install_button_follows_the_approval_gate(view, msg, kw, enabled, label):
    view.set_state(client_state(msg, **kw))
    button = find(view, "approveButton")
    assert button.isEnabled() is enabled
    assert button.full_text() == label
    assert button.height() >= 72
    assert view.open_confirmation() is enabled


def test_running_shows_progress_instead_of_the_button(view):
    view.set_state(client_state(info("up-to-date", available=None)))
    view.set_state(client_state(info("running", step=2, total=7, description="Migrating database")))
    assert not find(view, "approveButton").isVisible()
    bar = find(view, "progressBar")
    assert bar.isVisible() and (bar.minimum(), bar.maximum(), bar.value()) == (0, 7, 2)
    assert find(view, "progressText").text() == "Step 3 of 7 · Migrating database"
    assert view.version_panel.progress_elapsed.text().startswith("Started")


@pytest.mark.parametrize(("step", "total"), [(None, None), (3, 0), (9, 7), (None, 7)])
def test_progress_bar_is_busy_when_counts_are_missing_or_inconsistent(view, step, total):
    view.set_state(client_state(info("running", step=step, total=total, description="Working hard")))
    bar = find(view, "progressBar")
    assert (bar.minimum(), bar.maximum()) == (0, 0)
    assert "Working hard" in find(view, "progressText").text()
    assert view.version_panel.progress_elapsed.text().startswith("Seen running since")


def test_sheet_shows_exactly_what_will_happen(view):
    view.set_state(client_state(info("available", notes="## 1.5.0\n\n- Faster start-up.")))
    QTest.mouseClick(find(view, "approveButton"), Qt.MouseButton.LeftButton)
    sheet = find(view, "confirmSheet")
    assert sheet.isVisible()
    assert view.sheet.version_label.text() == "1.5.0"
    assert (view.sheet.change_from.text(), view.sheet.change_to.text()) == ("1.4.2", "1.5.0")
    assert "Faster start-up" in view.sheet.preview.toPlainText()
    assert not view.sheet.warning_box.isVisible()
    assert "60 s" in view.sheet.countdown.text()
    assert not find(view, "approveButton").isEnabled()  # no second sheet underneath
    assert view.sheet.cancel_button.hasFocus()  # the safe choice has the focus
    QTest.keyClick(view.sheet, Qt.Key.Key_Escape)
    assert not sheet.isVisible()
    assert find(view, "approveButton").isEnabled()


def test_confirming_sends_exactly_the_id_shown_once(view, qtbot):
    view.set_state(client_state(info("available")))
    sent = []
    view.approveRequested.connect(lambda intent: sent.append(intent.version_id))
    assert view.open_confirmation()
    hold_confirm(qtbot, view)
    assert sent == ["1.5.0"]
    assert not view.sheet.isVisible()
    assert not find(view, "approveButton").isEnabled()  # sending
    assert view.open_confirmation() is False  # a double tap opens nothing
    view.sheet.confirm_button.held.emit()  # a stray second confirmation
    view.sheet.confirmed.emit(ApprovalIntent("1.5.0"))  # and one that reaches the window
    assert sent == ["1.5.0"]
    view.show_approval_started("1.5.0")
    assert "Sending the approval" in view.notice()


def test_hidden_characters_are_spelled_out_and_sent_exactly(view, qtbot):
    raw = "1.5.0\u202e\u200b"
    view.set_state(client_state(info("available", available=raw)))
    assert find(view, "approveButton").full_text() == "Install 1.5.0"
    sent = []
    view.approveRequested.connect(lambda intent: sent.append(intent.version_id))
    assert view.open_confirmation()
    assert view.sheet.version_label.text() == "1.5.0⟨U+202E⟩⟨U+200B⟩"
    assert view.sheet.warning_box.isVisible()
    assert "hidden characters" in view.sheet.warning.text()
    hold_confirm(qtbot, view)
    assert sent == [raw]


def test_sheet_closes_and_says_why_when_the_offer_changes(view):
    view.set_state(client_state(info("available", available="1.5.0")))
    sent = []
    view.approveRequested.connect(lambda intent: sent.append(intent.version_id))
    assert view.open_confirmation()
    view.set_state(client_state(info("available", available="1.5.1")))
    assert not view.sheet.isVisible()
    assert "changed to 1.5.1" in view.notice() and "Nothing was sent" in view.notice()
    assert find(view, "approveButton").full_text() == "Install 1.5.1"
    assert sent == []
    assert any("changed to 1.5.1" in t for t in view.timeline_texts())


def test_sheet_closes_when_the_update_starts_elsewhere(view):
    view.set_state(client_state(info("available")))
    assert view.open_confirmation()
    view.set_state(client_state(info("running", step=0, total=7, description="Download")))
    assert not view.sheet.isVisible()
    assert "no longer offers 1.5.0" in view.notice()


def test_sheet_closes_when_the_data_goes_stale(view, clock):
    view.set_state(client_state(info("available")))
    assert view.open_confirmation()
    clock.now += 4.0  # stale_after is 3 s in these states
    view.on_tick()
    assert not view.sheet.isVisible()
    assert "not live" in view.notice()


def test_sheet_closes_after_60_seconds(view, clock):
    view.set_state(client_state(info("available")))
    assert view.open_confirmation()
    for _ in range(59):
        clock.now += 1.0
        view.set_state(client_state(info("available"), now=clock.now))  # fresh polls keep coming
    assert view.sheet.isVisible() and "1 s" in view.sheet.countdown.text()
    clock.now += 1.0
    view.set_state(client_state(info("available"), now=clock.now))
    assert not view.sheet.isVisible()
    assert "after 60 s" in view.notice()


def test_a_hold_that_ends_on_stale_data_sends_nothing(view, clock, qtbot):
    view.set_state(client_state(info("available")))
    sent = []
    view.approveRequested.connect(lambda intent: sent.append(intent.version_id))
    assert view.open_confirmation()
    clock.now += 4.0  # stale, but the 1 s timer has not run yet
    hold_confirm(qtbot, view)
    assert sent == []
    assert "Nothing was sent" in view.notice()


def Result(outcome: str, version_id: str = "1.5.0", message: str = "") -> ApprovalResult:
    """A typed result of `outcome`, as the controller hands it over."""
    return ApprovalResult.local(version_id, message, client_state(info("available")), ApprovalOutcome(outcome))


@pytest.mark.parametrize(
    ("outcome", "message", "expect"),
    [
        ("approved", "Approved 1.5.0. The IPC is installing it.", "Approved 1.5.0"),
        ("refused", "The offered version changed. Review the new version before approving.", "Review what is offered"),
        ("not-offered", "The IPC offers version 1.5.1, not 1.5.0. Nothing was sent.", "offers version 1.5.1"),
        ("unreachable", "The IPC cannot be reached. Nothing was sent.", "did not reach the IPC"),
        ("unknown", "The IPC cannot be reached.", "not known whether the IPC received"),
        ("auth", "The console is not signed in to this IPC.", "not signed in"),
        ("error", "The IPC reported an internal error.", "internal error"),
    ],
)
def test_results_are_said_plainly(view, outcome, message, expect):
    view.set_state(client_state(info("available")))
    view.show_approval_started("1.5.0")
    view.show_approval_result(Result(outcome, message=message))
    assert expect in view.notice()
    assert find(view, "approveButton").isEnabled()  # no longer sending
    assert view.timeline_texts()[0] == view.notice()
    assert view.version_panel.notice_close.isVisible()
    view.dismiss_notice()
    assert view.notice() == ""


def test_shortcuts(view, qtbot):
    view.set_state(client_state(info("available")))
    view.activateWindow()
    refreshes = []
    view.refreshRequested.connect(lambda: refreshes.append(1))
    QTest.keyClick(view, Qt.Key.Key_F5)
    assert refreshes == [1]
    QTest.keyClick(view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert view.sheet.isVisible()
    QTest.keyClick(view.sheet, Qt.Key.Key_Escape)
    with qtbot.waitSignal(view.closing, timeout=2000):
        QTest.keyClick(view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_kiosk_leaves_only_through_a_long_corner_press_or_ctrl_q_and_confirmation(make_view, qtbot):
    view = make_view(kiosk=True)
    assert view.windowFlags() & Qt.WindowType.FramelessWindowHint
    closed = []
    view.closing.connect(lambda: closed.append(1))
    view.close()  # a stray close request (e.g. a window manager) only asks
    assert closed == [] and view.exit_sheet.isVisible()
    QTest.mouseClick(view.exit_sheet.stay, Qt.MouseButton.LeftButton)
    assert not view.exit_sheet.isVisible()
    # A short press on the corner does nothing; a long one (3 s; shortened here) asks.
    view.kiosk_guard.corner_timer.setInterval(200)
    target = view.childAt(QPoint(10, 10))
    QTest.mousePress(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(view, QPoint(10, 10)))
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(view, QPoint(10, 10)))
    qtbot.wait(300)
    assert not view.exit_sheet.isVisible()
    QTest.mousePress(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(view, QPoint(10, 10)))
    qtbot.waitUntil(view.exit_sheet.isVisible, timeout=2000)
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, pos=target.mapFrom(view, QPoint(10, 10)))
    QTest.mouseClick(view.exit_sheet.leave, Qt.MouseButton.LeftButton)
    assert closed == [1]


def test_value_labels_let_assistive_tech_hear_the_value(view):
    view.set_state(
        client_state(info("running", current="1.4.2", available="1.5.0", step=2, total=7, description="Migrate"))
    )
    for name in ("stateHeadline", "currentVersion", "availableVersion", "progressText", "connectionStatus"):
        label = find(view, name)
        assert label.accessibleName() == "" or label.text() in label.accessibleName(), name
        iface = QAccessible.queryAccessibleInterface(label)
        assert label.text() and label.text() in iface.text(QAccessible.Text.Name), name


def test_every_visible_control_has_a_name_and_a_touch_size(view):
    view.set_state(client_state(info("available")))
    for button in view.findChildren(QAbstractButton):
        if not button.isVisible():
            continue
        assert button.accessibleName() or button.text(), button.objectName()
        assert button.height() >= 48, (button.objectName(), button.height())


def test_timeline_widget_is_newest_first_and_bounded(view):
    view.set_state(client_state(info("up-to-date", available=None)))
    view.set_state(client_state(info("available")))
    first = view.notes_pane.timeline.item(0).text()
    assert "Update available" in first and first[:8].count(":") == 2  # HH:MM:SS
    for i in range(600):
        view.notes_pane.add_entry(view.recorder.note(TimelineKind.APPROVAL, f"note {i}", Severity.NORMAL))
    assert view.notes_pane.timeline.count() == 500
    assert view.notes_pane.timeline.item(0).text().endswith("note 599")


def test_a_result_message_goes_when_the_ipc_state_moves_on(view):
    view.set_state(client_state(info("available")))
    view.show_approval_started("1.5.0")
    view.set_state(client_state(info("running", step=0, total=7, description="Download")))
    assert "Sending" in view.notice()  # kept while the approval is under way
    view.show_approval_result(Result("approved", message="Approved 1.5.0."))
    view.set_state(client_state(info("running", step=1, total=7, description="Turn down")))
    assert "Approved 1.5.0" in view.notice()  # same update, still true
    view.set_state(client_state(info("fault")))
    assert view.notice() == ""  # an "Approved" must not stand next to the failure
    assert "retries" in view.version_panel.notice_text.text()


def test_an_approved_notice_makes_room_for_the_progress_after_a_while(view, clock):
    """Through a whole update the state does not move on; "Approved" is said for APPROVED_NOTICE_SECONDS, then
    the line under Install is the update's own progress again (on 800×480 it cut the progress to half lines).
    The timeline keeps it; an outcome that is not a success stays until the state moves on."""
    from hmi.ui.presenter import APPROVED_NOTICE_SECONDS

    running = client_state(info("running", step=1, total=7, description="Download"))
    view.set_state(running)
    view.show_approval_result(Result("approved", message="Approved 1.5.0."))
    assert "Approved 1.5.0" in view.notice()
    clock.now += APPROVED_NOTICE_SECONDS - 1
    view.on_tick()
    assert "Approved 1.5.0" in view.notice()
    clock.now += 1
    view.on_tick()
    assert view.notice() == "" and any("Approved 1.5.0" in t for t in view.timeline_texts())
    view.show_approval_result(Result("unknown", message="The IPC cannot be reached."))
    clock.now += 10 * APPROVED_NOTICE_SECONDS
    view.on_tick()
    assert "not known" in view.notice()  # the state has not moved on: still to be watched


def test_overlays_are_modal_for_keyboard_and_assistive_tech(view):
    view.set_state(client_state(info("available")))
    assert view.open_confirmation()
    assert not view.centralWidget().isEnabled()  # the screen behind takes no focus or keys
    for _ in range(6):
        focused = view.focusWidget()
        assert focused is not None and view.sheet.isAncestorOf(focused), focused
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    QTest.keyClick(view.sheet, Qt.Key.Key_Escape)
    assert view.centralWidget().isEnabled()
    assert view.focusWidget() is find(view, "approveButton")


def test_a_new_state_is_a_tick_and_puts_the_next_one_off(view: ConsoleWindow, clock: FakeClock) -> None:
    """Polled once a second, the window renders once a second: each state is a tick (idle sign-out is checked,
    the clock texts are drawn) and restarts the 1 s timer a little over a second ahead, so it only fires when no
    state came; once it fires, it ticks whole seconds again."""
    from hmi.ui.window import TICK_MS, TICK_SLACK_MS

    ticks: list[int] = []
    view.ticked.connect(lambda: ticks.append(1))
    view.set_state(client_state(info("available")))
    assert ticks == [1]
    assert view._ticker.isActive() and view._ticker.interval() == TICK_MS + TICK_SLACK_MS
    clock.now += 30.0  # no state for 30 s: the timer's tick alone turns the screen "not live"
    view._on_timer()
    assert ticks == [1, 1] and view._ticker.interval() == TICK_MS
    assert view.headline_card.property("kind") == "stale"


def test_touch_scrolling_comes_on_while_states_arrive_every_tenth_of_a_second(view, qtbot) -> None:
    """Touch scrolling is switched on a second after the window is built, on its own timer: not with the first
    state (it cost the first screen 1.2 MB, seen in bench_startup run 9), and states that keep putting the tick
    off must not keep it off."""
    from PySide6.QtCore import QTimer

    state = client_state(info("available"))
    view.set_state(state)
    assert not view.notes_pane._touch_ready  # not on the first data's path (about 15 ms and 1 MB)
    feeder = QTimer(view)
    feeder.setInterval(100)
    feeder.timeout.connect(lambda: view.set_state(state))
    feeder.start()
    try:
        qtbot.waitUntil(lambda: view.notes_pane._touch_ready, timeout=5000)
    finally:
        feeder.stop()
    assert view._ticker.interval() == 1150  # the tick was put off all along: the states came faster


def test_the_window_end_on_screen_is_the_rules_answer_at_every_instant(qtbot, clock) -> None:
    """The window keeps the open stretch it found (finding its end walks the week); whatever the clock does,
    forward through a week in odd steps, across a DST change, or jumping back, the line says what the rules
    say at that instant."""
    import datetime as dt
    import random

    from hmi.core.windows import WindowRules

    wall = {"now": dt.datetime(2026, 10, 23, 12, 0, tzinfo=dt.UTC).timestamp()}  # Friday, DST ends Sunday
    view = ConsoleWindow(target="127.0.0.1:50051", clock=clock, wall=lambda: wall["now"])
    qtbot.addWidget(view)
    rules = WindowRules.from_config(["Mon-Fri 22:00-06:00", "Sat 06:00-14:00", "Sun 02:30-03:00"], "Europe/Berlin")
    assert rules is not None
    view.set_window_rules(rules)
    picks = random.Random(13)
    start = wall["now"]
    steps = [start + i * 7 * 60 + 13 for i in range(0, 1440)]  # 7 min steps over a week
    steps += [start + picks.uniform(0, 7 * 86400) for _ in range(300)]  # jumps either way
    said = 0
    for now in steps:
        wall["now"] = now
        expected = rules.allowance(dt.datetime.fromtimestamp(now, dt.UTC))
        assert view.window_open_until() == expected, dt.datetime.fromtimestamp(now, dt.UTC)
        said += expected is not None
    assert 0 < said < len(steps)  # both open and closed instants were met
