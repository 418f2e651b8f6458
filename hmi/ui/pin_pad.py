"""A large touch keypad for the sign-in PIN.

A pure view: it collects digits and emits `submitted(pin)`; it never checks a
PIN, stores one or talks to anything. The caller (the confirmation sheet) runs
`hmi.core.auth.SignIn.sign_in` and shows the answer with `set_message`.
The digits are dropped as soon as they are submitted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from hmi.core.auth import PIN_MAX_DIGITS, PIN_MIN_DIGITS
from hmi.core.i18n import _
from hmi.ui import theme

KEY_SIZE = 64  # px; touch keys for gloved hands, well above the console's 48 px minimum
KEY_MAX = 96
_MASK = "\u25cf"  # ● per digit typed


class PinPad(QWidget):
    """Digits 0-9, Delete, Clear and OK; the display shows one dot per digit."""

    submitted = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        min_digits: int = PIN_MIN_DIGITS,
        max_digits: int = PIN_MAX_DIGITS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pinPad")
        self.setAccessibleName(_("PIN keypad"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._digits: list[str] = []
        self._min = min_digits
        self._max = max_digits

        self._display = QLabel(self)
        self._display.setObjectName("pinDisplay")
        self._display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._display.setFixedHeight(60)
        self._display.setFont(_font(36))

        self._message = QLabel(self)
        self._message.setObjectName("pinMessage")
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setFont(_font(20))
        self._message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        # Four rows, like a phone keypad with OK as a tall column on the right: it fits beside the
        # operator list on an 800x480 panel with keys of at least KEY_SIZE.
        grid = QGridLayout()
        grid.setSpacing(8)
        self._keys: dict[str, QPushButton] = {}
        for index, digit in enumerate("123456789"):
            key = self._key(digit, digit, _("Digit {d}").format(d=digit), f"pinKey{digit}")
            grid.addWidget(key, index // 3, index % 3)
        self._clear_key = self._key(_("Clear"), "clear", _("Clear the PIN"), "pinKeyClear")
        self._clear_key.setFont(_font(22))
        grid.addWidget(self._clear_key, 3, 0)
        grid.addWidget(self._key("0", "0", _("Digit {d}").format(d="0"), "pinKey0"), 3, 1)
        self._delete_key = self._key("\u232b", "delete", _("Delete the last digit"), "pinKeyDelete")
        grid.addWidget(self._delete_key, 3, 2)
        self._ok_key = self._key(_("OK"), "ok", _("Confirm the PIN"), "pinKeyOk")
        self._ok_key.setMaximumHeight(16777215)
        grid.addWidget(self._ok_key, 0, 3, 4, 1)
        for column in range(4):
            grid.setColumnStretch(column, 1)

        # In the console the window's stylesheet sets every font; these win over it inside the pad.
        # A disabled key (locked out, or the PIN is full) looks disabled: grey and dashed, not only inert.
        self.setStyleSheet(
            f"""
            QPushButton {{ font-size: 28px; font-weight: bold; padding: 0px; min-height: {KEY_SIZE}px; }}
            QPushButton#pinKeyClear {{ font-size: 22px; }}
            QPushButton:disabled {{
                background: {theme.DISABLED_BG}; color: {theme.DISABLED_TEXT}; border: 2px dashed {theme.BORDER};
                font-weight: normal;
            }}
            QLabel#pinDisplay {{
                font-size: 36px; background: {theme.WHITE}; border: 2px solid {theme.TEXT_MUTED}; border-radius: 6px;
            }}
            QLabel#pinMessage {{ font-size: 20px; font-weight: bold; }}
            """
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self._display)
        layout.addWidget(self._message)
        layout.addLayout(grid, 1)
        layout.addStretch(0)  # on a tall screen the keys stop growing at KEY_MAX; the rest goes below them
        self._refresh()

    def _key(self, label: str, action: str, accessible: str, object_name: str) -> QPushButton:
        key = QPushButton(label, self) if label.isdigit() or len(label) == 1 else _WordKey(label, self)
        key.setObjectName(object_name)
        key.setAccessibleName(accessible)
        key.setMinimumSize(KEY_SIZE, KEY_SIZE)
        key.setMaximumHeight(KEY_MAX)  # grows with the screen, but stays a key
        key.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        key.setFont(_font(28))
        key.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # key presses go to the pad, not to a button
        key.setAutoRepeat(False)
        key.clicked.connect(lambda _checked=False, a=action: self._press(a))
        self._keys[action] = key
        return key

    # -- public ---------------------------------------------------------------

    def clear(self) -> None:
        """Drops the digits typed so far (the message stays)."""
        self._digits.clear()
        self._refresh()

    def set_message(self, text: str) -> None:
        """A line under the dots: "Wrong PIN, 3 tries left", "Locked for 42 s"."""
        if text != self._message.text():
            self._message.setText(text)
            self._message.setAccessibleName(text)

    def message(self) -> str:
        return self._message.text()

    @property
    def entered_length(self) -> int:
        return len(self._digits)

    def key(self, action: str) -> QPushButton:
        """The button for "0"-"9", "delete", "clear" or "ok" (for tests and layout)."""
        return self._keys[action]

    def submit(self) -> None:
        """Emits the PIN when it has enough digits, then forgets it."""
        if len(self._digits) < self._min:
            return
        pin = "".join(self._digits)
        self._digits.clear()
        self._refresh()
        self.submitted.emit(pin)

    # -- input ----------------------------------------------------------------

    def _press(self, action: str) -> None:
        if action == "ok":
            self.submit()
            return
        if action == "delete":
            if self._digits:
                self._digits.pop()
        elif action == "clear":
            self._digits.clear()
        elif action.isdigit() and len(self._digits) < self._max:
            self._digits.append(action)
        self._refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        if not self.isEnabled():
            return
        if text and len(text) == 1 and text.isascii() and text.isdigit():
            self._press(text)
        elif key == Qt.Key.Key_Backspace:
            self._press("delete")
        elif key == Qt.Key.Key_Delete:  # Escape is left to the sheet (cancel)
            self._press("clear")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._press("ok")
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _refresh(self) -> None:
        count = len(self._digits)
        self._display.setText(_MASK * count if count else "")
        self._display.setAccessibleName(_("{n} digits entered").format(n=count))
        self._ok_key.setEnabled(count >= self._min)
        self._delete_key.setEnabled(count > 0)
        self._clear_key.setEnabled(count > 0)
        full = count >= self._max
        for digit in "0123456789":
            self._keys[digit].setEnabled(not full)


class _WordKey(QPushButton):
    """A key with a word on it ("Clear", "OK"): the word shrinks (down to 14 px) rather than run past the edge
    in a longer language; the pad's stylesheet size is the largest it takes."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = self.width() - 10
        largest = 22 if self.objectName() == "pinKeyClear" else 28
        font = QFont(self.font())
        size = largest
        while size > 14:
            font.setPixelSize(size)
            if QFontMetrics(font).horizontalAdvance(self.text()) <= room:
                break
            size -= 1
        wanted = "" if size == largest else f"font-size: {size}px;"
        if self.styleSheet() != wanted:
            self.setStyleSheet(wanted)


def _font(pixels: int) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    return font
