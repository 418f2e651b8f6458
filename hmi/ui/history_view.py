"""The approval history: a read-only list of audit records, newest first.

A pure view: the caller reads the store (`AuditStore.records()`) and passes the
records to `set_records`. Each row shows when, who, which version on which IPC,
and the outcome as a text marker plus words, so nothing depends on colour.

Below NARROW_BELOW px (an 800x480 panel) the six columns would need sideways
scrolling to reach the outcome, so the same texts go in three columns of stacked
lines instead: date, time and IPC; operator and version; result and outcome.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScroller,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hmi.core.audit import APPROVE_UPDATE, SIGNIN_OUTCOMES, AuditRecord, outcome_marker, outcome_text
from hmi.core.foureyes import operators_text
from hmi.core.i18n import _, format_datetime
from hmi.core.model import DISPLAY_ID_MAX, clean_line
from hmi.core.ports import AuditOutcome
from hmi.core.retext import from_source

FONT_PX = 18
COLUMNS = ("time", "operator", "version", "target", "result", "outcome")
NARROW_BELOW = 1000  # px of the view's width
# Outcomes whose stored message says why in a few words worth showing in the row.
_WITH_MESSAGE = (AuditOutcome.REFUSED_LOCALLY, *SIGNIN_OUTCOMES)


class HistoryView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setAccessibleName(_("Approval history"))
        font = QFont()
        font.setPixelSize(FONT_PX)
        self.setFont(font)

        self._empty = QLabel(_("No approvals recorded yet."), self)
        self._empty.setObjectName("historyEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)

        self._table = QTableWidget(0, len(COLUMNS), self)
        self._table.setObjectName("historyTable")
        self._table.setAccessibleName(_("Approval history, newest first"))
        self._table.setFont(font)
        self._table.setHorizontalHeaderLabels(_headers(narrow=False))
        self._table.horizontalHeader().setFont(font)
        self._table.setStyleSheet("QTableWidget::item { padding: 2px 8px; }")
        self._narrow = False
        self._line = QFontMetrics(font).lineSpacing()
        self._table.verticalHeader().setVisible(False)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._table.setWordWrap(True)
        self._table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Fixed rows of two text lines: predictable with thousands of records, tall enough to touch.
        rows = self._table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(48, 2 * self._line + 12))
        self._apply_columns()
        # Drag to scroll with a finger (touch arrives as a left-button drag), with kinetic flick.
        QScroller.grabGesture(self._table.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._empty)
        layout.addWidget(self._table)
        self._records: list[AuditRecord] = []
        self._refresh_empty()

    @property
    def table(self) -> QTableWidget:
        return self._table

    def records(self) -> list[AuditRecord]:
        """The records shown, in display order."""
        return list(self._records)

    @property
    def narrow(self) -> bool:
        return self._narrow

    def set_records(self, records: Iterable[AuditRecord]) -> None:
        """Shows these records, newest first (by creation time; ties keep the given order)."""
        self._records = sorted(records, key=lambda r: r.created_at, reverse=True)
        self._fill()
        self._refresh_empty()

    def _fill(self) -> None:
        table = self._table
        table.setUpdatesEnabled(False)
        try:
            table.setRowCount(len(self._records))
            for row, record in enumerate(self._records):
                texts = row_texts(record)
                if self._narrow:
                    when, operator, version, target, marker, words = texts
                    day, _sep, clock = when.partition(" ")
                    texts = (f"{day}\n{clock}\n{target}", f"{operator}\n{version}", f"{marker}\n{words}")
                for column, text in enumerate(texts):
                    item = QTableWidgetItem(text)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                    item.setToolTip(text)  # the whole text where a cell cuts it
                    table.setItem(row, column, item)
        finally:
            table.setUpdatesEnabled(True)
        self._fit_columns()

    def _apply_columns(self) -> None:
        table = self._table
        count = 3 if self._narrow else len(COLUMNS)
        table.setColumnCount(count)
        table.setHorizontalHeaderLabels(_headers(narrow=self._narrow))
        header = table.horizontalHeader()
        for column in range(count - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(count - 1, QHeaderView.ResizeMode.Stretch)
        if self._narrow:  # operator and version take what they need, up to 30 %; the result gets the rest
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        # Narrow rows hold up to three lines: the outcome words wrap under the marker.
        table.verticalHeader().setDefaultSectionSize(max(48, (3 if self._narrow else 2) * self._line + 12))
        table.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if self._narrow else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )

    def _fit_columns(self) -> None:
        if not self._narrow:
            return
        table = self._table
        table.resizeColumnToContents(1)
        cap = max(160, table.viewport().width() * 3 // 10)
        if table.columnWidth(1) > cap:
            table.setColumnWidth(1, cap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = self.width() < NARROW_BELOW
        if narrow != self._narrow:
            self._narrow = narrow
            self._apply_columns()
            self._fill()
        else:
            self._fit_columns()

    def row_text(self, row: int) -> list[str]:
        items = (self._table.item(row, c) for c in range(self._table.columnCount()))
        return [item.text() if item is not None else "" for item in items]

    def _refresh_empty(self) -> None:
        has_rows = bool(self._records)
        self._table.setVisible(has_rows)
        self._empty.setVisible(not has_rows)


def row_texts(record: AuditRecord) -> tuple[str, ...]:
    """The cells of one row: time (local), operator, version, IPC, marker, outcome words."""
    when = format_datetime(record.created_at)
    operator = operators_text(record.operator, record.second_operator, empty="\u2014")
    if record.kind == APPROVE_UPDATE:
        version = clean_line(record.version_id, DISPLAY_ID_MAX) or _("(no version id)")
        if record.current_version:
            version = _("{new} (was {cur})").format(new=version, cur=clean_line(record.current_version, 60))
    else:
        version = _("Sign-in")
    words = outcome_text(record)
    if record.code and record.outcome not in ("approved", None):
        words += f" ({record.code})"
    if record.outcome in _WITH_MESSAGE and record.message:
        words += f" ({clean_line(from_source(record.message), 80)})"
    return (when, operator, version, clean_line(record.target, 60) or "\u2014", outcome_marker(record), words)


def _headers(*, narrow: bool) -> list[str]:
    if narrow:
        return [_("Time and IPC"), _("Operator and version"), _("Result")]
    return [_("Time"), _("Operator"), _("Version"), _("IPC"), _("Result"), _("Outcome")]
