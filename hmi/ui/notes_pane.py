"""The right side: the update notes and the timeline, side by side on a large screen, in tabs on a small one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from hmi.core.i18n import _
from hmi.core.model import ClientState
from hmi.core.view import Severity, version_text
from hmi.ui import icons
from hmi.ui.presenter import NO_NOTES, TimelineKind
from hmi.ui.timeline import TIMELINE_LIMIT, Entry, TimelineRecorder
from hmi.ui.tone import SEVERITY_ICON
from hmi.ui.widgets import ElideLabel, NotesView, grab_touch_scroll, plain_tooltip


def entry_icon(entry: Entry) -> str:
    """The icon of a timeline entry, from its kind and severity."""
    if entry.kind == TimelineKind.STATE:
        return SEVERITY_ICON[entry.severity] if entry.severity is not Severity.NORMAL else "up-to-date"
    if entry.kind == TimelineKind.CONNECTION:
        return "stale" if entry.severity is Severity.DEGRADED else "live"
    if entry.kind == TimelineKind.APPROVAL and entry.severity is Severity.NORMAL:
        return "success"
    if entry.kind == TimelineKind.SHELVE and entry.severity is Severity.NORMAL:
        return "update-shelved"
    if entry.kind == TimelineKind.STEP:
        return "stuck-step" if entry.severity is Severity.DEGRADED else "running"
    return SEVERITY_ICON[entry.severity]


def _day(wall: float) -> object:
    return time.localtime(wall)[:3]


def _icon(name: str) -> QIcon:
    return QIcon(icons.pixmap(name, 24, 2.0))


class NotesPane(QStackedWidget):
    """Update notes and timeline. `render_notes(state)` draws the notes; the timeline shows what `observe(state,
    now)` finds changed and what `note(...)` adds (both kept in `recorder`); `set_wide` lays out."""

    def __init__(
        self,
        *,
        kiosk: bool,
        max_entries: int = TIMELINE_LIMIT,
        wall: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._kiosk = kiosk
        self._max_entries = max_entries
        self._wall = wall
        self.recorder = TimelineRecorder(max_entries)
        self._stamped_day: object = None  # the local date the timeline's stamps were written against
        self._wide: bool | None = None
        self._touch_ready = False
        self.notes_page = QWidget()
        nl = QVBoxLayout(self.notes_page)
        nl.setContentsMargins(0, 0, 0, 0)
        nl.setSpacing(4)
        self.notes_caption = ElideLabel("", mode=Qt.TextElideMode.ElideMiddle)
        self.notes_caption.setObjectName("notesCaption")
        self.notes_caption.setProperty("role", "caption")
        self.notes = NotesView(drag_scroll=kiosk, touch_scroll=False)  # see enable_touch_scroll
        self.notes.setObjectName("updateNotes")
        self.notes.setAccessibleName(_("Update notes"))
        nl.addWidget(self.notes_caption)
        nl.addWidget(self.notes, 1)

        self.timeline_page = QWidget()
        tl = QVBoxLayout(self.timeline_page)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(4)
        self.timeline_caption = ElideLabel(_("Timeline: what this console observed, newest first"))
        self.timeline_caption.setProperty("role", "caption")
        self.timeline = QListWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setAccessibleName(_("Timeline"))
        self.timeline.setWordWrap(True)
        self.timeline.setUniformItemSizes(False)
        self.timeline.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.timeline.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.timeline.setIconSize(QSize(24, 24))  # the size _icon() renders at
        tl.addWidget(self.timeline_caption)
        tl.addWidget(self.timeline, 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("rightTabs")
        self.tabs.setDocumentMode(False)
        self.wide_box = QWidget()
        self._wide_layout = QVBoxLayout(self.wide_box)
        self._wide_layout.setContentsMargins(0, 0, 0, 0)
        self._wide_layout.setSpacing(10)
        self.addWidget(self.tabs)
        self.addWidget(self.wide_box)

    def set_wide(self, wide: bool) -> None:
        if wide == self._wide:
            return
        self._wide = wide
        for page in (self.notes_page, self.timeline_page):
            layout = page.layout()
            assert layout is not None
            layout.setContentsMargins(*((0, 0, 0, 0) if wide else (8, 8, 8, 8)))
        if wide:
            self.tabs.clear()
            self._wide_layout.addWidget(self.notes_page, 3)
            self._wide_layout.addWidget(self.timeline_page, 2)
            # The tab widget hid the pages it held; reparented, they stay hidden unless shown again.
            self.notes_page.show()
            self.timeline_page.show()
            self.timeline_caption.show()
            self.setCurrentWidget(self.wide_box)
        else:
            self._wide_layout.removeWidget(self.notes_page)
            self._wide_layout.removeWidget(self.timeline_page)
            self.tabs.addTab(self.notes_page, _("Update notes"))
            self.tabs.addTab(self.timeline_page, _("Timeline"))
            self.timeline_caption.hide()
            self.setCurrentWidget(self.tabs)

    def render_notes(self, state: ClientState | None) -> None:
        snap = state.snapshot if state else None
        if snap is not None and snap.available is not None:
            self.notes_caption.setText(_("Update notes for {v}").format(v=version_text(snap, "available")))
            self.notes.set_notes(snap.available.notes, _(NO_NOTES))
        elif snap is not None and snap.current is not None and snap.current.notes:
            self.notes_caption.setText(_("Notes of the running version {v}").format(v=version_text(snap, "current")))
            self.notes.set_notes(snap.current.notes, "")
        else:
            self.notes_caption.setText(_("Update notes"))
            self.notes.set_notes(None, _("The notes of an available update appear here."))

    def observe(self, state: ClientState, now: float) -> None:
        """Adds to the timeline what changed since the last state seen."""
        wall = self._wall()
        if self._stamped_day is not None and _day(wall) != self._stamped_day:
            self.restamp()  # midnight passed: yesterday's entries now show their date
        for entry in self.recorder.observe(state, now, wall):
            self.add_entry(entry)

    def note(self, kind: TimelineKind, text: str, severity: Severity) -> None:
        """Adds an event of this console (an approval, a sign-in, a demo action) to the timeline; empty: nothing."""
        if text:
            self.add_entry(self.recorder.note(kind, text, severity, self._wall()))

    def _item_text(self, entry: Entry, today: float) -> str:
        return f"{entry.stamp(today)}   {entry.text}"

    def restamp(self) -> None:
        """Writes every timeline row again from the recorder: the date on entries not from today, in the
        language now on screen. Items and entries are both newest first, one item per entry."""
        today = self._wall()
        self._stamped_day = _day(today)
        for row, entry in enumerate(list(self.recorder.entries)[: self.timeline.count()]):
            item = self.timeline.item(row)
            item.setText(self._item_text(entry, today))
            item.setToolTip(plain_tooltip(entry.text))

    def retranslate_items(self, convert: Callable[[str], str]) -> None:
        """After a language switch (hmi.ui.language): the entries' texts in the new language, then the rows."""
        entries = self.recorder.entries
        for i, entry in enumerate(list(entries)):
            entries[i] = replace(entry, text=convert(entry.text))
        self.restamp()

    def add_entry(self, entry: Entry) -> None:
        today = self._wall()
        if self._stamped_day is None:
            self._stamped_day = _day(today)
        item = QListWidgetItem(self._item_text(entry, today))
        item.setIcon(_icon(entry_icon(entry)))
        item.setToolTip(plain_tooltip(entry.text))
        item.setData(Qt.ItemDataRole.UserRole, entry.kind.value)  # Qt keeps the plain string
        self.timeline.insertItem(0, item)
        while self.timeline.count() > self._max_entries:
            self.timeline.takeItem(self.timeline.count() - 1)

    def enable_touch_scroll(self) -> None:
        """Touch scrolling of the notes and the timeline, switched on 1 s after the window is built (its own
        timer there): grabbing the gestures costs about 15 ms and 1 MB at the first call (see
        widgets.grab_touch_scroll), which would otherwise delay the first data on screen; in the first second
        both lists are (nearly) empty. Idempotent."""
        if self._touch_ready:
            return
        self._touch_ready = True
        self.notes.enable_touch_scroll()
        grab_touch_scroll(self.timeline, drag=self._kiosk)
