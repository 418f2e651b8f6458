""" "Remind me later" for an offered update (issue 15, after ISA-18.2 shelving): the row under Install, the small
chooser (1 h, 4 h, until the end of the shift) and `Shelving`, which keeps the shelf between renders.

The rules are in hmi.core.shelve and the words in hmi.ui.presenter; this module draws them, remembers the one
shelf, notes it in the timeline (never in the audit trail: shelving sends nothing) and saves it in the
console's data folder on its own worker thread, so a restart keeps a reminder shelved.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from hmi.core.i18n import _
from hmi.core.model import ClientState, Version
from hmi.core.shelve import (
    SHELF_FILE,
    Choice,
    Return,
    Shelf,
    clock_text,
    ended,
    in_force,
    next_shift_end,
    read_shelf,
    shelvable,
    until_for,
    write_shelf,
    zone,
)
from hmi.core.view import Headline, Severity
from hmi.ui import presenter as present
from hmi.ui import theme
from hmi.ui.overlay import Overlay, showing
from hmi.ui.presenter import OperatorLike, TimelineKind
from hmi.ui.widgets import WrapLabel

log = logging.getLogger(__name__)

CHOOSER_TIMEOUT = 60.0  # seconds an unanswered chooser stays open (a kiosk must not stay covered)


class ShelveRow(QWidget):
    """The button "Remind me later" / "Remind me now" (the headline says until when and by whom).

    Signals:
        pressed: the button was pressed (the window opens the chooser or un-shelves).
    """

    pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shelveRow")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.button = QPushButton(_(present.REMIND_LATER))
        self.button.setObjectName("shelveButton")
        self.button.setAutoDefault(False)
        self.button.setMinimumHeight(theme.TOUCH_PX)
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.button.clicked.connect(self.pressed)
        lay.addWidget(self.button)
        self.hide()

    def draw(self, view: present.ShelveView) -> None:
        self.setVisible(view.visible)
        self.button.setText(view.button)
        self.button.setAccessibleDescription(view.text)
        self.setProperty("shelved", view.shelved)


class ShelveSheet(Overlay):
    """The chooser: how long the reminder of one offered version stays quiet. Keys 1, 4 and E choose, Esc closes.

    Signals:
        chosen(Choice, version id as a Python str).
    """

    chosen = Signal(object, object)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "shelveCard", max_width=820, fill_height=False)
        self.setObjectName("shelveSheet")
        self.setAccessibleName(_(present.REMIND_LATER))
        self.card.setStyleSheet(
            f"""
            QFrame#shelveCard {{
                background: {theme.PAPER}; border: 2px solid {theme.TEXT_MUTED}; border-radius: 6px;
            }}
            #shelveTitle {{ font-size: {theme.SHEET_TITLE_PX}px; font-weight: bold; }}
            """
        )
        self.version_id: str | None = None
        self.opened_wall = 0.0
        lay = QVBoxLayout(self.card)
        lay.setContentsMargins(20, 14, 20, 16)
        lay.setSpacing(10)
        self.title = WrapLabel(_(present.REMIND_LATER), max_lines=1)
        self.title.setObjectName("shelveTitle")
        self.text = WrapLabel("", max_lines=4)
        self.text.setObjectName("shelveExplain")
        lay.addWidget(self.title)
        lay.addWidget(self.text)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        self.buttons: dict[Choice, QPushButton] = {}
        for i, choice in enumerate(Choice):
            button = QPushButton(present.shelve_choice_text(choice, "00:00"))
            button.setObjectName(f"shelve-{choice.value}")
            button.setAutoDefault(False)
            button.setMinimumHeight(theme.TOUCH_PX + 12)
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[choice] = button
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setObjectName("shelveCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setMinimumHeight(theme.TOUCH_PX + 12)
        self.cancel_button.clicked.connect(self.hide)
        grid.addWidget(self.cancel_button, 1, 1)
        lay.addLayout(grid)

    def present(self, version: Version, shift_clock: str | None, wall: float) -> None:
        """Opens the chooser for `version`; `shift_clock` ("14:00") offers "Until end of shift", None hides it."""
        self.version_id = version.version_id
        self.opened_wall = wall
        self.text.setText(
            _("The offer of {v} stays on screen and Install stays usable; only the reminder goes quiet. It comes "
              "back when the time is up or when another version is offered.").format(v=present.sentence_id(
                version.version_id))
        )  # fmt: skip
        shift = self.buttons[Choice.END_OF_SHIFT]
        shift.setVisible(shift_clock is not None)
        shift.setText(present.shelve_choice_text(Choice.END_OF_SHIFT, shift_clock or ""))
        self.open()
        self.buttons[Choice.ONE_HOUR].setFocus(Qt.FocusReason.OtherFocusReason)

    def _choose(self, choice: Choice) -> None:
        version_id = self.version_id
        if version_id is None or not self.isVisible() or not self.buttons[choice].isVisible():
            return
        self.hide()
        self.chosen.emit(choice, version_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = {Qt.Key.Key_1: Choice.ONE_HOUR, Qt.Key.Key_4: Choice.FOUR_HOURS, Qt.Key.Key_E: Choice.END_OF_SHIFT}
        choice = keys.get(Qt.Key(event.key()))
        if choice is not None:
            self._choose(choice)
            event.accept()
            return
        super().keyPressEvent(event)


class Shelving(QObject):
    """Keeps the one shelf between renders: shelves and un-shelves, ends it when the rules say so (with a
    timeline entry saying why), calms the headline, and saves it (with `enable_saving`).

    Attributes:
        shelf: the shelf kept now, or None (it may be kept but not in force, e.g. while the data is not live).
        row, sheet: the row under Install and the chooser (built at its first open; `built_sheet` is None
            until then).

    Signals:
        changed: the shelf changed or the chooser closed: the window renders again.
        sheetBuilt(ShelveSheet): the chooser was just built (the window makes it modal).
    """

    changed = Signal()
    sheetBuilt = Signal(object)

    def __init__(
        self,
        window: QWidget,
        *,
        wall: Callable[[], float],
        note: Callable[[TimelineKind, str, Severity], object],
        operator: Callable[[], OperatorLike | None],
        target: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self._wall, self._note, self._operator, self._target = wall, note, operator, target
        self.shelf: Shelf | None = None
        self.row = ShelveRow()
        self.row.pressed.connect(self.toggle)
        self._window = window
        self.built_sheet: ShelveSheet | None = None
        self._state: ClientState | None = None
        self._live = False
        self._shift_ends: tuple[str, ...] = ()
        self._tz: dt.tzinfo | None = None
        self._path: Path | None = None
        self._io: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def sheet(self) -> ShelveSheet:
        """The chooser (`shelveSheet`), built on first use."""
        if self.built_sheet is None:
            self.built_sheet = ShelveSheet(self._window)
            self.built_sheet.chosen.connect(self.choose)
            self.sheetBuilt.emit(self.built_sheet)
        return self.built_sheet

    def hide_sheet(self) -> None:
        if self.built_sheet is not None:
            self.built_sheet.hide()

    # -- configuration ---------------------------------------------------------------------------------------
    def configure(self, shift_ends: Sequence[str], timezone: str | None) -> None:
        """The plant's shift ends ("14:00") in `timezone` (None: this machine's local time)."""
        self._shift_ends = tuple(shift_ends)
        self._tz = zone(timezone)

    def enable_saving(self, data_dir: Path) -> None:
        """Keeps the shelf in `data_dir`/shelf.json and reads the one saved for this target (off the GUI thread
        when a loop runs; before it, as the language choice is read, at start)."""
        self._path = data_dir / SHELF_FILE
        path, target = self._path, self._target()

        def loaded(shelf: Shelf | None) -> None:
            if shelf is not None and self.shelf is None and shelf.target == self._target():
                self.shelf = shelf
                self.changed.emit()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loaded(read_shelf(path, target, self._wall()))
            return
        future = loop.run_in_executor(self._worker(), read_shelf, path, target, self._wall())
        future.add_done_callback(lambda f: loaded(f.result()) if not f.cancelled() and not f.exception() else None)

    def close(self) -> None:
        if self._io is not None:
            self._io.shutdown(wait=False)  # a write under way finishes; nothing new starts
            self._io = None

    # -- reading ---------------------------------------------------------------------------------------------
    def clock(self, wall: float) -> str:
        """The time `wall` as the screen says it: "14:00", with the date when it is not today."""
        return clock_text(wall, self._tz, now=self._wall())

    def shift_end(self) -> float | None:
        return next_shift_end(self._shift_ends, self._wall(), self._tz)

    def in_force(self) -> bool:
        snap = self._state.snapshot if self._state else None
        return self._live and in_force(self.shelf, snap, self._wall())

    # -- the window's render ---------------------------------------------------------------------------------
    def render(self, state: ClientState | None, line: Headline, live: bool) -> Headline:
        """Ends a shelf whose time is up or whose offer went; draws the row; returns the headline to show."""
        self._state, self._live = state, live
        wall = self._wall()
        snap = state.snapshot if state else None
        why = ended(self.shelf, snap, wall)
        if why is not None:
            self._end(why)
        sheet = self.built_sheet
        if sheet is not None and sheet.isVisible():
            offered = snap.offered if snap is not None else None
            gone = not live or not shelvable(snap) or offered is None or offered.version_id != sheet.version_id
            if gone or wall - sheet.opened_wall >= CHOOSER_TIMEOUT or wall < sheet.opened_wall:
                sheet.hide()
        clock = self.clock(self.shelf.until) if self.shelf is not None else ""
        self.row.draw(present.shelve_view(self.shelf, snap, live, wall, clock))
        return present.shelved_headline(line, self.shelf, snap, wall, clock) if live else line

    # -- intents ---------------------------------------------------------------------------------------------
    def toggle(self) -> None:
        """The button or Ctrl+L: "Remind me now" while shelved, else the chooser."""
        if self.in_force():
            self.unshelve()
        else:
            self.open()

    def open(self) -> bool:
        snap = self._state.snapshot if self._state else None
        if not self._live or not shelvable(snap) or showing(self.built_sheet):
            return False
        assert snap is not None and snap.offered is not None
        shift = self.shift_end()
        self.sheet.present(snap.offered, self.clock(shift) if shift is not None else None, self._wall())
        return True

    def choose(self, choice: Choice, version_id: str) -> bool:
        """Shelves the reminder of `version_id`, checked again against the latest data (nothing happens when
        the offer changed or the data stopped being live while the chooser was open)."""
        snap = self._state.snapshot if self._state else None
        offered = snap.offered if snap is not None else None
        wall = self._wall()
        if not self._live or not shelvable(snap) or offered is None or offered.version_id != version_id:
            self.changed.emit()
            return False
        until = until_for(choice, wall, self._shift_ends, self._tz)
        if until is None or until <= wall:
            self.changed.emit()
            return False
        operator = self._operator()
        shelf = Shelf(self._target(), version_id, until, present.operator_name(operator) if operator else None, wall)
        self.shelf = shelf
        self._note(TimelineKind.SHELVE, present.shelved_note(shelf, self.clock(until), snap), Severity.NORMAL)
        self._save(shelf)
        self.changed.emit()
        return True

    def unshelve(self) -> None:
        if self.shelf is None:
            return
        self._end(Return.UNSHELVED)
        self.changed.emit()

    def _end(self, why: Return) -> None:
        shelf = self.shelf
        if shelf is None:
            return
        self.shelf = None
        snap = self._state.snapshot if self._state else None
        operator = self._operator() if why is Return.UNSHELVED else None
        by = present.operator_name(operator) if operator else None
        severity = Severity.NORMAL if why is Return.NOT_OFFERED else Severity.ATTENTION
        self._note(TimelineKind.SHELVE, present.back_note(shelf, why, snap, by), severity)
        self._save(None)

    # -- saving ----------------------------------------------------------------------------------------------
    def _worker(self) -> concurrent.futures.ThreadPoolExecutor:
        # One plain thread: the writes stay in order (a shelf and its end a moment later).
        if self._io is None:
            self._io = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipc-hmi-shelf")
        return self._io

    def _save(self, shelf: Shelf | None) -> None:
        path = self._path
        if path is None:
            return

        def write() -> None:
            try:
                write_shelf(path, shelf)
            except OSError as exc:
                log.warning("the shelved reminder was not saved in %s: %s", path, exc)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            write()
            return
        try:
            self._worker().submit(write)
        except RuntimeError:  # closing: the worker is gone; write here rather than lose the change
            write()
