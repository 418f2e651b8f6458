"""In-window overlays: the approval confirmation sheet and the kiosk's exit confirmation.

They are children of the main window, not separate windows, so they stay on top of a
frameless full-screen kiosk window, appear in screenshots, and close with it.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from hmi.core.i18n import _
from hmi.core.model import Version, clean_line
from hmi.ui import theme
from hmi.ui.widgets import ElideLabel, HoldButton, IconLabel, NotesView, WrapLabel

SHEET_TIMEOUT = 60.0
HOLD_SECONDS = 1.5
# A version id longer than this is shown up to here, with a sentence saying so (a hostile IPC
# could send megabytes; laying that out would freeze the screen).
SHEET_ID_LIMIT = 500


def visible_id(version_id: str) -> str:
    """The exact id with every invisible or control character spelled out as ⟨U+XXXX⟩."""
    out = []
    for ch in version_id:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") or (ch.isspace() and ch != " "):
            out.append(f"⟨U+{ord(ch):04X}⟩")
        else:
            out.append(ch)
    return "".join(out)


class Overlay(QFrame):
    """Covers the whole parent window with a scrim and centres a card on it. `visibilityChanged`
    lets the window make it modal (the screen behind takes no focus, keys or taps while it shows)."""

    visibilityChanged = Signal(bool)

    def __init__(self, parent: QWidget, card_name: str, max_width: int = 1000, *, fill_height: bool = True) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.card = QFrame(self)
        self.card.setObjectName(card_name)
        self._max_width = max_width
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.addStretch(1)
        if fill_height:
            outer.addWidget(self.card, 100)
        else:  # a short question: centred, as tall as it needs
            column = QVBoxLayout()
            column.addStretch(1)
            column.addWidget(self.card)
            column.addStretch(1)
            outer.addLayout(column, 100)
        outer.addStretch(1)
        self.card.setMaximumWidth(max_width)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parent().rect())
        return False

    def open(self) -> None:
        self.setGeometry(self.parent().rect())
        self.show()
        self.raise_()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.visibilityChanged.emit(True)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.visibilityChanged.emit(False)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        scrim = QColor(theme.SCRIM)
        scrim.setAlphaF(0.55)
        painter.fillRect(self.rect(), scrim)

    def mousePressEvent(self, event) -> None:
        event.accept()  # taps on the scrim do not reach the screen underneath


class ConfirmSheet(Overlay):
    """Shows exactly what an approval will do; confirming takes a press-and-hold."""

    confirmed = Signal(str)  # the exact version id this sheet showed
    cancelled = Signal()

    def __init__(self, parent: QWidget, *, hold_seconds: float = HOLD_SECONDS) -> None:
        super().__init__(parent, "sheetCard")
        self.setObjectName("confirmSheet")
        self.setAccessibleName(_("Confirm the update"))
        self._version: Version | None = None
        self.opened_at = 0.0

        lay = QVBoxLayout(self.card)
        lay.setContentsMargins(24, 16, 24, 16)
        lay.setSpacing(8)

        head = QHBoxLayout()
        self.title = WrapLabel(_("Install this update?"))
        self.title.setObjectName("sheetTitle")
        self.countdown = ElideLabel("", mode=Qt.TextElideMode.ElideRight)
        self.countdown.setObjectName("sheetCountdown")
        self.countdown.setProperty("muted", True)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.title, 3)
        head.addWidget(self.countdown, 1)
        lay.addLayout(head)

        caption = ElideLabel(_("Version id, exactly as the IPC offers it:"), mode=Qt.TextElideMode.ElideRight)
        caption.setProperty("role", "caption")
        lay.addWidget(caption)
        self.version_label = WrapLabel("")
        self.version_label.setObjectName("sheetVersion")
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        lay.addWidget(self.version_label)

        warn_row = QHBoxLayout()
        self.warning_icon = IconLabel(theme.SMALL_ICON_PX)
        self.warning_icon.set_icon("warning")
        self.warning = WrapLabel("")
        self.warning.setObjectName("sheetWarning")
        warn_row.addWidget(self.warning_icon, 0, Qt.AlignmentFlag.AlignTop)
        warn_row.addWidget(self.warning, 1)
        self.warning_box = QWidget()
        self.warning_box.setLayout(warn_row)
        warn_row.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.warning_box)

        # "current → new", each side shortened on its own so the arrow always shows.
        change = QHBoxLayout()
        change.setSpacing(8)
        self.change_from = ElideLabel("")
        self.change_from.setObjectName("sheetCurrent")
        arrow = QLabel("→")
        arrow.setAccessibleName(_("replaced by"))
        self.change_to = ElideLabel("")
        self.change_to.setObjectName("sheetNew")
        self.change_to.setProperty("role", "value")
        change.addWidget(self.change_from, 0)
        change.addWidget(arrow, 0)
        change.addWidget(self.change_to, 0)
        change.addStretch(1)
        self.change = QWidget()
        self.change.setObjectName("sheetChange")
        self.change.setLayout(change)
        change.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.change)
        self.retry = WrapLabel(_("The last update of this version failed. Installing it again retries it."))
        self.retry.setObjectName("sheetRetry")
        lay.addWidget(self.retry)

        self.preview_caption = ElideLabel(_("Start of the update notes:"), mode=Qt.TextElideMode.ElideRight)
        self.preview_caption.setProperty("role", "caption")
        lay.addWidget(self.preview_caption)
        self.preview = NotesView()  # the same inert Markdown view as the main notes
        self.preview.setObjectName("sheetNotes")
        self.preview.setMinimumHeight(0)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay.addWidget(self.preview, 1)

        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setMinimumWidth(180)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self._cancel)
        self.confirm_button = HoldButton(_("Hold to install"), hold_seconds=hold_seconds)
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.setAccessibleDescription(
            _("Press and hold for {s} seconds to install. With a keyboard, hold Space or Enter.").format(
                s=f"{hold_seconds:g}"
            )
        )
        self.confirm_button.held.connect(self._held)
        # Cancel on the left, the dangerous action far right: one tap in the wrong place never installs.
        buttons.addWidget(self.cancel_button, 2)
        buttons.addStretch(1)
        buttons.addWidget(self.confirm_button, 4)
        lay.addLayout(buttons)
        self.hint = WrapLabel(
            _("Hold the button until it fills ({s} s); keyboard: hold Space on it. Esc cancels.").format(
                s=f"{hold_seconds:g}"
            )
        )
        self.hint.setObjectName("sheetHint")
        self.hint.setProperty("muted", True)
        lay.addWidget(self.hint)
        self.setTabOrder(self.cancel_button, self.confirm_button)

    # -- public ------------------------------------------------------------------------------------------
    @property
    def version_id(self) -> str | None:
        """The exact id on show, or None when the sheet is closed."""
        return self._version.version_id if (self._version is not None and self.isVisible()) else None

    @property
    def version(self) -> Version | None:
        return self._version if self.isVisible() else None

    def present(self, version: Version, current: str, *, is_retry: bool, opened_at: float) -> None:
        self._version = version
        self.opened_at = opened_at
        shown = version.version_id if not version.display_differs else visible_id(version.version_id)
        warnings = []
        if clean_line(version.version_id, len(version.version_id) + 1) != version.version_id:
            warnings.append(
                _("This version id contains hidden characters (invisible ones are spelled out as ⟨U+…⟩). "
                  "The IPC receives it exactly as it sent it. Ask a technician if this is unexpected.")
            )  # fmt: skip
        if len(shown) > SHEET_ID_LIMIT:
            warnings.append(
                _(
                    "This version id is {n} characters long; the first {k} are shown. Check it before installing."
                ).format(n=len(version.version_id), k=SHEET_ID_LIMIT)
            )
            shown = shown[:SHEET_ID_LIMIT] + "…"
        self.version_label.setText(shown)
        self.version_label.setAccessibleName(_("Version id: {v}").format(v=shown))
        self.warning.setText(" ".join(warnings))
        self.warning_box.setVisible(bool(warnings))
        self.change_from.setText(current)
        self.change_to.setText(version.display_id)
        self.change.setAccessibleName(
            _("Replaces {current} with {new}").format(current=current, new=version.display_id)
        )
        self.retry.setVisible(is_retry)
        self.preview.set_notes(version.notes_preview, _("This version has no update notes."))
        self.confirm_button.setText(_("Hold to install"))
        self.confirm_button.setAccessibleName(_("Hold to install {v}").format(v=version.display_id))
        self.confirm_button.rearm()
        self.open()
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)  # the safe choice has the focus

    def set_compact(self, compact: bool) -> None:
        """On a small panel the id is set a little smaller so the notes keep some room."""
        size = theme.SHEET_ID_PX - 4 if compact else theme.SHEET_ID_PX
        if self.version_label.property("px") != size:
            self.version_label.setProperty("px", size)
            self.version_label.setStyleSheet(f"font-size: {size}px;")

    def set_remaining(self, seconds: float) -> None:
        self.countdown.setText(_("Closes in {n} s").format(n=max(0, int(seconds + 0.999))))

    def dismiss(self) -> None:
        self.confirm_button.rearm()
        self.hide()

    # -- internals ---------------------------------------------------------------------------------------
    def _cancel(self) -> None:
        self.dismiss()
        self.cancelled.emit()

    def _held(self) -> None:
        version = self._version
        if version is None or not self.isVisible():
            return
        self.hide()
        self.confirmed.emit(version.version_id)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
            event.accept()
            return
        super().keyPressEvent(event)


class ExitSheet(Overlay):
    """Asks before the kiosk console closes."""

    accepted = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "exitCard", max_width=760, fill_height=False)
        self.setObjectName("exitSheet")
        lay = QVBoxLayout(self.card)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.setSpacing(12)
        title = WrapLabel(_("Close the console?"))
        title.setObjectName("exitTitle")
        lay.addWidget(title)
        text = WrapLabel(
            _("The IPC and any running update are not affected; only this screen closes. "
              "Someone must start the console again to approve updates.")
        )  # fmt: skip
        lay.addWidget(text)
        lay.addSpacing(12)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.stay = QPushButton(_("Keep the console open"))
        self.stay.setObjectName("exitStay")
        self.stay.clicked.connect(self.hide)
        self.leave = QPushButton(_("Close console"))
        self.leave.setObjectName("exitConfirm")
        self.leave.clicked.connect(self._accept)
        row.addWidget(self.stay, 3)
        row.addStretch(1)
        row.addWidget(self.leave, 2)
        lay.addLayout(row)

    def open(self) -> None:
        super().open()
        self.stay.setFocus(Qt.FocusReason.OtherFocusReason)

    def _accept(self) -> None:
        self.hide()
        self.accepted.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)
