"""In-window overlays: the approval confirmation sheet, the approval history and the kiosk's exit question.

They are children of the main window, not separate windows, so they stay on top of a
frameless full-screen kiosk window, appear in screenshots, and close with it.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hmi.core.foureyes import same_person
from hmi.core.i18n import N_, _, ngettext
from hmi.core.model import (
    DISPLAY_ID_MAX,
    ApprovalIntent,
    ClientState,
    Version,
    clean_line,
    spelled_out,
)
from hmi.ui import theme
from hmi.ui.overlay import HOLD_SECONDS, Overlay
from hmi.ui.presenter import NO_NOTES, sheet_verdict
from hmi.ui.widgets import ElideButton, ElideLabel, HoldButton, IconLabel, NotesView, WrapLabel

if TYPE_CHECKING:
    from hmi.core.audit import AuditRecord
    from hmi.ui.pin_pad import PinPad

# A version id longer than this is shown up to here, with a sentence saying so (a hostile IPC
# could send megabytes; laying that out would freeze the screen).
SHEET_ID_LIMIT = 500
CHECKING_PIN = N_("Checking the PIN…")
WHO_IS_APPROVING = N_("Who is approving? Tap your name, then type your PIN.")


def visible_id(version_id: str) -> str:
    """The exact id with every invisible or control character spelled out as ⟨U+XXXX⟩: the core's
    `spelled_out`, the same form the terminal shows, here over the whole id (the sheet bounds it itself)."""
    return spelled_out(version_id, limit=len(version_id))


class NameButton(ElideButton):
    """An operator's name on the sign-in step: shortened in the middle when long (whole in the tooltip)."""

    HEIGHT = 60

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self.HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.HEIGHT)


class SheetStep(enum.StrEnum):
    """Which step the confirmation sheet shows."""

    CLOSED = ""
    SIGNIN = "signin"
    CONFIRM = "confirm"
    SECOND_SIGNIN = "second-signin"  # four-eyes: the second operator signs in
    SECOND_CONFIRM = "second-confirm"  # four-eyes: the second operator holds to confirm


class ConfirmSheet(Overlay):
    """Shows exactly what an approval will do; confirming takes a press-and-hold.

    With sign-in on (`enable_signin`), the sheet has a first step: the operator picks their
    name and types the PIN on the keypad (`pinSubmitted`); the window checks it and then
    shows the confirmation step (`show_confirm`). The PIN is never kept: the keypad drops
    the digits when they are submitted and whenever the sheet closes.
    """

    confirmed = Signal(object)  # ApprovalIntent: the exact version id this sheet showed, its opening time
    cancelled = Signal()
    pinSubmitted = Signal(str, str)  # (operator name, PIN): handed straight to the sign-in check
    operatorChosen = Signal(str)
    switchRequested = Signal()  # "Change operator" on the confirmation step
    # Four-eyes (`enable_four_eyes`): the first hold (ApprovalIntent) and the second hold; the flow decides.
    firstConfirmed = Signal(object)
    secondHeld = Signal()

    def __init__(self, parent: QWidget, *, hold_seconds: float = HOLD_SECONDS) -> None:
        super().__init__(parent, "sheetCard")
        self.setObjectName("confirmSheet")
        self.setAccessibleName(_("Confirm the update"))
        self._version: Version | None = None
        self.opened_at = 0.0
        self._is_retry = False
        self._unrecorded = False
        self._compact = False
        self.signin_page: QWidget | None = None
        self.pad: PinPad | None = None
        self._picker: dict[str, NameButton] = {}
        self._selected: str | None = None
        self._generation = 0  # counts what the sheet has shown (see `generation`)
        self._checking = False
        self._four_eyes = False  # the first hold hands over to a second operator (hmi.ui.foureyes_flow)
        self._second_stage = False

        card = QVBoxLayout(self.card)
        card.setContentsMargins(24, 16, 24, 16)
        card.setSpacing(0)
        self._card_layout = card
        self.confirm_page = QWidget()
        self.confirm_page.setObjectName("confirmPage")
        card.addWidget(self.confirm_page, 1)
        lay = QVBoxLayout(self.confirm_page)
        lay.setContentsMargins(0, 0, 0, 0)
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
        self.preview = NotesView()  # the start of the notes: the same inert Markdown view as the main notes
        self.preview.setObjectName("sheetNotes")
        self.preview.setMinimumHeight(0)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay.addWidget(self.preview, 1)

        # With sign-in: who confirms, and a way to hand over to someone else.
        self.operator_row = QWidget()
        self.operator_row.setObjectName("sheetOperatorRow")
        op_row = QHBoxLayout(self.operator_row)
        op_row.setContentsMargins(0, 0, 0, 0)
        op_row.setSpacing(12)
        self.operator_label = WrapLabel("", max_lines=2)
        self.operator_label.setObjectName("sheetOperator")
        self.operator_label.setStyleSheet("font-weight: bold;")
        self.switch_button = QPushButton(_("Change operator"))
        self.switch_button.setObjectName("switchOperatorButton")
        self.switch_button.setAutoDefault(False)
        self.switch_button.setMinimumHeight(theme.TOUCH_PX)
        self.switch_button.clicked.connect(self.switchRequested)
        op_row.addWidget(self.operator_label, 1, Qt.AlignmentFlag.AlignVCenter)
        op_row.addWidget(self.switch_button, 0)
        self.operator_row.hide()
        lay.addWidget(self.operator_row)

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
        self._generation += 1
        self._version = version
        self.opened_at = opened_at
        self._is_retry = is_retry
        # Always spelled out, not only when the display form differs: U+00AD, U+2060, NBSP, tag characters
        # and noncharacters pass clean_line unchanged but are invisible or look like something else.
        shown = visible_id(version.version_id)
        warnings = []
        if (
            shown != version.version_id
            or clean_line(version.version_id, len(version.version_id) + 1) != version.version_id
        ):
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
        if self._unrecorded:
            warnings.append(_("This approval is not recorded: the console runs with --no-audit."))
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
        self.preview.set_notes(version.notes_preview, _(NO_NOTES))
        self.confirm_button.setText(_("Hold to install"))
        self.confirm_button.setAccessibleName(_("Hold to install {v}").format(v=version.display_id))
        self.confirm_button.rearm()
        self._second_stage = False
        self.switch_button.show()
        self._show_page(self.confirm_page)
        self.operator_row.hide()
        self._sync_hint()
        self.open()
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)  # the safe choice has the focus

    def set_unrecorded(self, unrecorded: bool) -> None:
        """Say on the sheet that approvals go out without an audit record (--no-audit)."""
        self._unrecorded = unrecorded

    # -- sign-in step ------------------------------------------------------------------------------------
    @property
    def step(self) -> SheetStep:
        """SIGNIN while the operator signs in, CONFIRM while the hold-to-install shows, CLOSED when closed."""
        if not self.isVisible():
            return SheetStep.CLOSED
        signin = self.signin_page is not None and self.signin_page.isVisibleTo(self)
        if self._second_stage:
            return SheetStep.SECOND_SIGNIN if signin else SheetStep.SECOND_CONFIRM
        return SheetStep.SIGNIN if signin else SheetStep.CONFIRM

    @property
    def selected_name(self) -> str | None:
        return self._selected

    @property
    def generation(self) -> int:
        """Changes whenever the sheet presents a version, switches step or closes: an answer to a PIN check
        made under one generation is dropped when it arrives under another."""
        return self._generation

    @property
    def checking(self) -> bool:
        return self._checking

    def set_checking(self, checking: bool) -> None:
        """While a PIN is checked (off the GUI thread): the keypad and the names are off and say so; Cancel
        still works. Turning it off gives the keypad back to the chosen name (the lockout is applied after)."""
        if self.pad is None or checking == self._checking:
            return
        self._checking = checking
        for button in self._picker.values():
            button.setEnabled(not checking)
        if checking:
            self.pad.clear()
            self.pad.setEnabled(False)
            self.pad.set_message(_(CHECKING_PIN))
        else:
            if self.pad.message() == _(CHECKING_PIN):
                self.pad.set_message("")
            self.pad.setEnabled(self._selected is not None)

    def enable_signin(self) -> None:
        """Builds the sign-in step (once). Without it the sheet is the plain confirmation."""
        if self.signin_page is not None:
            return
        page = QWidget()
        page.setObjectName("signInPage")
        page.setStyleSheet(
            f"""
            #signInTitle {{ font-size: {theme.SHEET_TITLE_PX}px; font-weight: bold; }}
            QPushButton#operatorButton {{
                font-size: {theme.VALUE_PX}px; text-align: left; padding-left: 16px;
                min-height: {NameButton.HEIGHT - 12}px;
            }}
            QPushButton#operatorButton[picked="true"] {{
                background: {theme.ACCENT}; color: {theme.WHITE}; border: 3px solid {theme.TEXT}; font-weight: bold;
            }}
            QScrollArea#operatorPicker, #operatorList {{ background: transparent; border: none; }}
            """
        )
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(20)
        left = QVBoxLayout()
        left.setSpacing(8)
        self.signin_title = WrapLabel("", max_lines=3)
        self.signin_title.setObjectName("signInTitle")
        self.signin_countdown = ElideLabel("", mode=Qt.TextElideMode.ElideRight)
        self.signin_countdown.setProperty("muted", True)
        caption = WrapLabel(_(WHO_IS_APPROVING))
        caption.setProperty("role", "caption")
        self.signin_caption = caption
        self.picker_area = QScrollArea()
        self.picker_area.setObjectName("operatorPicker")
        self.picker_area.setWidgetResizable(True)
        self.picker_area.setFrameShape(QFrame.Shape.NoFrame)
        self.picker_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QScroller.grabGesture(self.picker_area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self._picker_box = QWidget()
        self._picker_box.setObjectName("operatorList")
        self._picker_grid = QGridLayout(self._picker_box)
        self._picker_grid.setContentsMargins(0, 0, 0, 0)
        self._picker_grid.setSpacing(8)
        self.picker_area.setWidget(self._picker_box)
        self.signin_cancel = QPushButton(_("Cancel"))
        self.signin_cancel.setObjectName("signInCancelButton")
        self.signin_cancel.setAutoDefault(False)
        self.signin_cancel.setMinimumHeight(theme.PRIMARY_PX)
        self.signin_cancel.setStyleSheet(
            f"font-size: {theme.VALUE_PX}px; font-weight: bold; min-height: {theme.PRIMARY_PX - 12}px;"
        )
        self.signin_cancel.clicked.connect(self._cancel)
        left.addWidget(self.signin_title)
        left.addWidget(self.signin_countdown)
        left.addWidget(caption)
        left.addWidget(self.picker_area, 1)
        left.addWidget(self.signin_cancel)
        from hmi.ui.pin_pad import PinPad  # with its hmi.core.auth import: only with sign-in on

        self.pad = PinPad()
        self.pad.setMaximumWidth(560)
        self.pad.submitted.connect(self._pin_typed)
        row.addLayout(left, 1)
        row.addWidget(self.pad, 1)
        page.hide()
        self.signin_page = page
        self._card_layout.addWidget(page, 1)

    def show_signin(self, names: list[str], *, message: str = "", selected: str | None = None) -> None:
        """The sign-in step: the name buttons and the keypad. The hold-to-install is not on screen."""
        if self.signin_page is None or self.pad is None or self._version is None:
            return
        self._generation += 1
        self.set_checking(False)
        self.confirm_button.rearm()
        self._second_stage = False
        self.signin_title.setText(_("Sign in to install {v}").format(v=self._version.display_id))
        self.signin_caption.setText(_(WHO_IS_APPROVING))
        self._enter_signin(names, message, selected)

    def show_second_signin(
        self, names: list[str], *, title: str, caption: str, counts_from: float, first: str | None = None
    ) -> None:
        """Four-eyes: the sign-in step again, for the second operator (`title` names the version). The sheet's
        time limit now counts from `counts_from`, the first confirmation. The keyboard focus starts on the
        first name that is not `first`, the operator who confirmed already (Enter on their name is refused)."""
        if self.signin_page is None or self.pad is None or self._version is None:
            return
        self._generation += 1
        self.set_checking(False)
        self.confirm_button.rearm()
        self._second_stage = True
        self.opened_at = counts_from
        self.signin_title.setText(title)
        self.signin_caption.setText(caption)
        self._enter_signin(names, "", None)
        others = [b for n, b in self._picker.items() if first is None or not same_person(first, n)]
        if others:
            others[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def show_second_confirm(self, operator_text: str) -> None:
        """Four-eyes: the second operator's hold (no "Change operator": Cancel starts over)."""
        self.show_confirm(operator_text)
        self._second_stage = True
        self.switch_button.hide()
        self.confirm_button.setText(_("Hold to confirm"))

    def finish(self, intent: ApprovalIntent) -> None:
        """Four-eyes: both confirmed; the sheet closes and hands on the intent (the window checks it again)."""
        if not self.isVisible():
            return
        self.hide()
        self.confirmed.emit(intent)

    def enable_four_eyes(self) -> None:
        self._four_eyes = True

    @property
    def four_eyes(self) -> bool:
        return self._four_eyes

    def _enter_signin(self, names: list[str], message: str, selected: str | None) -> None:
        assert self.pad is not None and self.signin_page is not None  # the callers checked
        if list(self._picker) != names:
            self._build_picker(names)
        self._show_page(self.signin_page)
        self.operator_row.hide()
        self.select(selected if selected in self._picker else None, announce=False)
        if message:
            self.pad.set_message(message)
        if self._selected is not None:
            self.pad.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self._picker:
            next(iter(self._picker.values())).setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.signin_cancel.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_confirm(self, operator_text: str | None) -> None:
        """The confirmation step; `operator_text` ("Approving as Anna (operator)") with sign-in on."""
        self._generation += 1
        self.set_checking(False)
        if self.pad is not None:
            self.pad.clear()
            self.pad.set_message("")
        self.confirm_button.rearm()
        self._second_stage = False
        self.switch_button.show()
        self.confirm_button.setText(_("Hold to install"))
        self._show_page(self.confirm_page)
        self.operator_label.setText(operator_text or "")
        self.operator_row.setVisible(operator_text is not None)
        self._sync_hint()
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def operator_button(self, name: str) -> NameButton:
        return self._picker[name]

    def select(self, name: str | None, *, announce: bool = True) -> None:
        """Marks `name` as the one signing in (a tick and a filled button, not colour alone)."""
        self._selected = name
        for other, button in self._picker.items():
            picked = other == name
            shown = clean_line(other, DISPLAY_ID_MAX)
            button.set_full_text(("\u2713 " if picked else "") + shown, keep=2 if picked else 0)
            button.setAccessibleName(
                _("Sign in as {name}, chosen").format(name=shown)
                if picked
                else _("Sign in as {name}").format(name=shown)
            )
            if button.property("picked") != picked:
                button.setProperty("picked", picked)
                button.style().unpolish(button)
                button.style().polish(button)
        if self.pad is not None:
            self.pad.clear()
            self.pad.set_message("" if name else _("Tap your name first."))
            self.pad.setEnabled(name is not None)
            if name is not None:
                self.pad.setFocus(Qt.FocusReason.OtherFocusReason)
        if announce and name is not None:
            self.operatorChosen.emit(name)

    def set_locked(self, message: str | None) -> None:
        """While the chosen operator is locked out the keypad is off and says for how long."""
        if self.pad is None or self._checking:  # a check under way keeps the keypad off; its answer decides
            return
        if message:
            self.pad.clear()
            self.pad.setEnabled(False)
            self.pad.set_message(message)
        elif self._selected is not None and not self.pad.isEnabled():
            self.pad.setEnabled(True)
            self.pad.set_message(_("You can try again now."))

    def _build_picker(self, names: list[str]) -> None:
        for button in self._picker.values():
            self._picker_grid.removeWidget(button)
            button.deleteLater()
        self._picker = {}
        columns = 1 if len(names) <= 3 else 2
        for index, name in enumerate(names):
            button = NameButton(clean_line(name, DISPLAY_ID_MAX))
            button.setObjectName("operatorButton")
            button.setProperty("operator", name)
            button.setAutoDefault(False)
            button.setMinimumHeight(NameButton.HEIGHT)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _checked=False, n=name: self.select(n))
            self._picker_grid.addWidget(button, index // columns, index % columns)
            self._picker[name] = button
        self._picker_grid.setRowStretch(len(names) // columns + 1, 1)
        if not names:
            empty = WrapLabel(_("No operators are listed in the config file, so nobody can approve here."))
            empty.setObjectName("operatorListEmpty")
            self._picker_grid.addWidget(empty, 0, 0)

    def _pin_typed(self, pin: str) -> None:
        name = self._selected
        if name is None or self._version is None or not self.isVisible() or self._checking:
            return
        self.pinSubmitted.emit(name, pin)

    def _sync_hint(self) -> None:
        self.hint.setVisible(not (self._compact and self.operator_row.isVisibleTo(self.confirm_page)))

    def _show_page(self, page: QWidget) -> None:
        for other in (self.confirm_page, self.signin_page):
            if other is not None:
                other.setVisible(other is page)

    def set_compact(self, compact: bool) -> None:
        """On a small panel the id is set a little smaller so the notes keep some room; with sign-in the
        "who confirms" row takes the place of the hint line (the button itself says to hold it)."""
        self._compact = compact
        self._sync_hint()
        size = theme.SHEET_ID_COMPACT_PX if compact else theme.SHEET_ID_PX
        if self.version_label.property("px") != size:
            self.version_label.setProperty("px", size)
            self.version_label.setStyleSheet(f"font-size: {size}px;")

    def check(self, state: ClientState | None, now: float, timeout: float) -> str | None:
        """While open: closes when the presenter's verdict says so and returns why; else the countdown moves on."""
        shown = self.version
        if shown is None:
            return None
        verdict = sheet_verdict(state, shown, self.opened_at, now, timeout)
        if verdict.close_reason is None:
            self.set_remaining(verdict.remaining)
        else:
            self.dismiss()
        return verdict.close_reason

    def set_remaining(self, seconds: float) -> None:
        text = _("Closes in {n} s").format(n=max(0, int(seconds + 0.999)))
        self.countdown.setText(text)
        if self.signin_page is not None:
            self.signin_countdown.setText(text)

    def dismiss(self) -> None:
        self.confirm_button.rearm()
        self.hide()

    def hideEvent(self, event: QHideEvent) -> None:
        # Whatever closed the sheet, no digit of a PIN stays behind and the next one starts afresh.
        pad = getattr(self, "pad", None)  # also called from Overlay.__init__, before the pad exists
        if pad is not None:
            self._generation += 1
            self.set_checking(False)
            pad.clear()
            pad.set_message("")
            self._selected = None
        self._second_stage = False
        super().hideEvent(event)

    # -- internals ---------------------------------------------------------------------------------------
    def _cancel(self) -> None:
        self.dismiss()
        self.cancelled.emit()

    def _held(self) -> None:
        version = self._version
        if version is None or not self.isVisible():
            return
        if self._four_eyes:  # the flow shows the second step, or closes the sheet with the intent (`finish`)
            if self._second_stage:
                self.secondHeld.emit()
            else:
                self.firstConfirmed.emit(ApprovalIntent(version.version_id, self.opened_at, self._is_retry))
            return
        self.hide()
        self.confirmed.emit(ApprovalIntent(version.version_id, self.opened_at, self._is_retry))

    def escape(self) -> None:
        self._cancel()


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


class HistorySheet(Overlay):
    """The approval history over the whole window: the newest records of the audit trail, and Close."""

    def __init__(self, parent: QWidget, *, source: str = "") -> None:
        from hmi.ui.history_view import HistoryView  # loads the audit module only when there is a trail

        super().__init__(parent, "historyCard", max_width=1800)
        self.setObjectName("historySheet")
        self.setAccessibleName(_("Approval history"))
        self.card.setStyleSheet(
            f"""
            QFrame#historyCard {{
                background: {theme.PAPER}; border: 2px solid {theme.TEXT_MUTED}; border-radius: 6px;
            }}
            #historyTitle {{ font-size: {theme.SHEET_TITLE_PX}px; font-weight: bold; }}
            """
        )
        lay = QVBoxLayout(self.card)
        lay.setContentsMargins(16, 10, 16, 12)
        lay.setSpacing(6)
        head = QHBoxLayout()
        head.setSpacing(16)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = WrapLabel(_("Approval history"), max_lines=1)
        self.title.setObjectName("historyTitle")
        self.caption = WrapLabel("", max_lines=2)
        self.caption.setObjectName("historyCaption")
        self.caption.setProperty("muted", True)
        self._source = source
        text.addWidget(self.title)
        text.addWidget(self.caption)
        self.close_button = QPushButton(_("Close"))
        self.close_button.setObjectName("historyClose")
        self.close_button.setAutoDefault(False)
        self.close_button.setMinimumSize(160, theme.PRIMARY_PX)
        self.close_button.setStyleSheet(
            f"font-size: {theme.VALUE_PX}px; font-weight: bold; min-height: {theme.PRIMARY_PX - 12}px;"
        )
        self.close_button.clicked.connect(self.hide)
        head.addLayout(text, 1)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        self.view = HistoryView()
        lay.addWidget(self.view, 1)

    def open(self) -> None:
        super().open()
        self.caption.setText(_("Reading the audit trail…"))  # the read runs on a worker thread
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_records(self, records: list[AuditRecord], error: str = "") -> None:
        self.view.set_records(records)
        if error:
            self.caption.setText(error)
        else:
            path, n = self._source or _("the audit trail"), len(records)
            if n == 0:  # the table says there is nothing yet; the caption only says where from
                caption = _("From {path}. All records: ipc-hmi history").format(path=path)
            else:
                caption = ngettext(
                    "Newest first: {n} record of {path}. All of them: ipc-hmi history",
                    "Newest first: the last {n} records of {path}. All of them: ipc-hmi history",
                    n,
                ).format(n=n, path=path)
            self.caption.setText(caption)
