"""Geometry checks for the console at a given size: nothing clipped, nothing overlapping.

Used by test_layout.py in-process and, at 2× device-pixel ratio, in a child process
(`python -m tests.ui.layout_check`), because QT_SCALE_FACTOR must be set before Qt starts.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QRect
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from hmi.ui.widgets import ElideButton, ElideLabel, HoldButton, WrapLabel

SIZES = ((800, 480), (1024, 600), (1280, 800), (1920, 1080))
MAIN_KEYS = (
    "statusBar",
    "headlineCard",
    "sideCard",
    "updateNotes",
)


def rect_in(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


def _shown(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and widget.isVisible() and widget.width() > 0 and widget.height() > 0


def _clipped_by_ancestors(window: QWidget, widget: QWidget) -> bool:
    r = rect_in(window, widget)
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if not rect_in(window, parent).contains(r):
            return True
        parent = parent.parentWidget()
    return not window.rect().contains(r)


def text_problems(root: QWidget, window: QWidget) -> list[str]:
    """Every visible label and button under `root`: text fits (or is elided with a tooltip), ≥ 18 px, ≥ 48 px."""
    problems: list[str] = []
    for label in root.findChildren(QLabel):
        if not _shown(label, root) or not label.text():
            continue
        name = label.objectName() or label.text()[:30]
        if QFontInfo(label.font()).pixelSize() < 18:
            problems.append(f"label {name}: font {QFontInfo(label.font()).pixelSize()} px < 18")
        if _clipped_by_ancestors(window, label):
            problems.append(f"label {name}: outside its parent or the window ({rect_in(window, label)})")
        if isinstance(label, WrapLabel):
            if label.is_elided() and label.text() not in label.toolTip().replace("&amp;", "&"):
                problems.append(f"label {name}: cut after its last line without the full text in its tooltip")
            if label.text_height() > label.height():
                problems.append(f"label {name}: needs {label.text_height()} px height, has {label.height()}")
        elif isinstance(label, ElideLabel):
            if label.is_elided() and label.text() not in label.toolTip().replace("&amp;", "&"):
                problems.append(f"label {name}: elided without the full text in its tooltip")
            if label.fontMetrics().height() > label.contentsRect().height() + 1:
                problems.append(f"label {name}: cut vertically")
        else:
            hint = label.sizeHint()
            if hint.width() > label.width() or (
                label.hasHeightForWidth() and label.heightForWidth(label.width()) > label.height()
            ):
                problems.append(f"label {name}: text does not fit ({hint} in {label.size()})")
    for button in root.findChildren(QAbstractButton):
        if not _shown(button, root):
            continue
        name = button.objectName() or button.text()
        if button.height() < 48:
            problems.append(f"button {name}: {button.height()} px tall < 48")
        if _clipped_by_ancestors(window, button):
            problems.append(f"button {name}: outside its parent or the window")
        if isinstance(button, ElideButton):
            if button.is_elided() and button.full_text() not in button.toolTip().replace("&amp;", "&"):
                problems.append(f"button {name}: elided without a tooltip")
            if button.is_elided() and type(button).__name__ != "NameButton":  # an operator's name is data
                # Only a version id between the kept words may be shortened; the words themselves never.
                full, shown = button.full_text(), button.text().replace("&&", "&")
                head, tail = full[: button._keep], full[len(full) - button._keep_end :] if button._keep_end else ""
                if not (head or tail) or not shown.startswith(head) or not shown.endswith(tail):
                    problems.append(f"button {name}: its words are elided: '{shown}' for '{full}'")
        elif isinstance(button, HoldButton):
            if button.sizeHint().width() > button.width():
                problems.append(f"button {name}: caption does not fit")
        elif button.text() and (
            button.fontMetrics().horizontalAdvance(button.text()) > button.width() - 8
            or button.fontMetrics().horizontalAdvance(button.text()) > _contents_width(button) + 2
        ):  # the second: inside the style's padding and frame (a squeezed "DE" once lost half its D)
            problems.append(f"button {name}: text '{button.text()}' does not fit in {button.width()} px")
    return problems


def _contents_width(button: QAbstractButton) -> int:
    """The width a push button's style leaves for its text (padding and frame taken off, stylesheets included)."""
    if not isinstance(button, QPushButton):
        return button.width()
    option = QStyleOptionButton()
    button.initStyleOption(option)
    return button.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, button).width()


def overlap_problems(window: QWidget, widgets: list[QWidget]) -> list[str]:
    problems = []
    rects = [(w.objectName(), rect_in(window, w)) for w in widgets]
    for i, (a, ra) in enumerate(rects):
        if not window.rect().contains(ra):
            problems.append(f"{a} is outside the window: {ra} not in {window.rect()}")
        for b, rb in rects[i + 1 :]:
            if ra.intersects(rb):
                problems.append(f"{a} {ra} overlaps {b} {rb}")
    return problems


def check_main(window) -> list[str]:
    """The main screen (no overlay open)."""
    problems = []
    w, h = window.width(), window.height()
    keys = [window.findChild(QWidget, n) for n in MAIN_KEYS]
    keys = [k for k in keys if k is not None and _shown(k, window)]
    if not window.wide:
        keys = [k for k in keys if k.objectName() != "updateNotes"] + [window.notes_pane.tabs]
    else:
        keys.append(window.notes_pane.timeline)
    problems += overlap_problems(window, keys)
    side = [window.version_panel.current_version, window.version_panel.available_version]
    for name in ("approveButton", "progressBar", "progressText", "noticeText"):
        widget = window.findChild(QWidget, name)
        if widget is not None and _shown(widget, window):
            side.append(widget)
    problems += overlap_problems(window, side)
    problems += text_problems(window.centralWidget(), window)
    button = window.version_panel.approve_button
    if button.isVisible() and button.height() < 72:
        problems.append(f"approveButton is {button.height()} px tall < 72")
    return [f"{w}x{h}: {p}" for p in problems]


def check_sheet(window) -> list[str]:
    sheet = window.sheet
    problems = []
    if not sheet.isVisible():
        return ["sheet not open"]
    card = sheet.card
    must = [sheet.title, sheet.version_label, sheet.change, sheet.cancel_button, sheet.confirm_button]
    for widget in must:
        if not _shown(widget, sheet):
            problems.append(f"sheet: {widget.objectName() or type(widget).__name__} not visible")
    problems += overlap_problems(window, [sheet.version_label, sheet.change, sheet.cancel_button, sheet.confirm_button])
    if sheet.preview.height() < 2 * sheet.preview.fontMetrics().lineSpacing():
        problems.append(f"sheet: the notes preview has only {sheet.preview.height()} px")
    if not window.rect().contains(rect_in(window, card)):
        problems.append("sheet card outside the window")
    version = sheet.version_label
    if version.is_elided():
        problems.append("sheet version id is elided")
    if version.text_height() > version.height():
        problems.append(f"sheet version id cut: needs {version.text_height()} px, has {version.height()}")
    for b in (sheet.cancel_button, sheet.confirm_button):
        if b.height() < 72:
            problems.append(f"sheet button {b.objectName()} is {b.height()} px tall < 72")
    problems += text_problems(card, window)
    return [f"{window.width()}x{window.height()} sheet: {p}" for p in problems]


def build(size, state_kind: str, long: bool = True):
    """A console window at `size` showing a prepared state (states from tests.ui.states)."""
    from hmi.app import _prepare_app
    from hmi.ui.window import ConsoleWindow

    from .states import LONG_ID, LONG_NOTES, FakeClock, client_state, info

    app = QApplication.instance()
    _prepare_app(app)
    clock = FakeClock(1000.0)
    # "available": inside a maintenance window, so the line under Install also says until when (Monday 12:00).
    monday_noon = 1_796_641_200.0 if state_kind == "available" else None
    walls = {"wall": lambda: monday_noon} if monday_noon is not None else {}
    window = ConsoleWindow(target="192.168.100.200:50051", clock=clock, demo=True, **walls)
    cur = LONG_ID.replace("2025", "2024") if long else "1.4.2"
    new = LONG_ID if long else "1.5.0"
    notes = LONG_NOTES if long else "## 1.5.0\n\n- Faster."
    if state_kind in ("available", "shelved"):
        state = client_state(info("available", current=cur, available=new, notes=notes))
    elif state_kind in ("running", "running-approved"):
        description = "Running post-install actions on every node of the workcell " * 3
        state = client_state(info("running", current=cur, available=new, step=3, total=7, description=description))
    elif state_kind == "up-to-date":  # nothing offered: the Install button shows its longest plain caption
        state = client_state(info("up-to-date", current=cur, available=None))
    elif state_kind == "fault":
        state = client_state(info("fault", current=cur, available=new, notes=notes))
    elif state_kind == "stale":
        state = client_state(info("available", current=cur, available=new, notes=notes), age=754.0, failed=True,
                             error="DEADLINE_EXCEEDED")  # fmt: skip
    else:
        raise ValueError(state_kind)
    window.resize(*size)
    window.show()
    window.enable_shelving(("06:00", "14:00", "22:00"), "Europe/Berlin")  # the chooser offers the end of shift
    if monday_noon is not None:
        from hmi.core.windows import WindowRules

        window.set_window_rules(WindowRules.from_config(["Mon-Fri 06:00-22:00"], "Europe/Berlin"))
    window.set_state(state)
    if state_kind == "available":
        assert "22:00" in window.version_panel.notice_text.text()  # the window's end is on screen
    if state_kind == "shelved":  # "Remind me later" until the end of the shift: the calm offer
        from hmi.core.shelve import Choice

        assert window.shelving.choose(Choice.END_OF_SHIFT, new)
    if state_kind == "running-approved":  # just approved here: the result beside the progress
        from hmi.core.client import ApprovalOutcome, ApprovalResult

        window.show_approval_result(ApprovalResult.local(new, "", state, ApprovalOutcome.APPROVED))
    if state_kind == "stale":
        window.show_approval_result(type("R", (), {"outcome": "unknown", "version_id": new,
                                                   "message": "The IPC did not answer in time."})())  # fmt: skip
    app.processEvents()
    return window, clock


def main() -> int:
    """Child process: checks every size at the current scale factor; prints JSON {problems, dpr}."""
    import os

    app = QApplication.instance() or QApplication([])
    problems: list[str] = []
    dprs = []
    lang = os.environ.get("LAYOUT_LANG")  # tests/ui/test_i18n_layout.py: the same checks in German and en-XA
    for size in ((800, 480), (1280, 800)):
        for kind in ("available", "running", "stale", "shelved"):
            window, _clock = build(size, kind)
            if lang:
                from hmi.ui import language

                language.switch(window, lang, rerender=window._render)
                app.processEvents()  # the new texts' sizes laid out, as the event loop does before painting
            problems += check_main(window)
            if kind == "available":
                window.open_confirmation()
                app.processEvents()
                problems += check_sheet(window)
                pixmap = window.grab()
                dprs.append(pixmap.devicePixelRatio())
            window.force_close()
            window.deleteLater()
    print(json.dumps({"problems": problems, "dpr": dprs, "screen_dpr": app.primaryScreen().devicePixelRatio()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
