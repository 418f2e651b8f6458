"""The status bar: is the data live (during an update: when the IPC last answered), which IPC, who is signed
in, History and the demo badge."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from hmi.core import i18n
from hmi.core.i18n import _
from hmi.core.model import ClientState, Health
from hmi.core.view import connection_text
from hmi.ui import theme
from hmi.ui.presenter import DEMO_TITLE, OperatorLike, signed_in_text
from hmi.ui.widgets import ElideButton, ElideLabel, IconLabel, WrapLabel, plain_tooltip

_HEALTH_ICON = {Health.ONLINE: "live", Health.STALE: "stale", Health.OFFLINE: "offline"}


class StatusBar(QFrame):
    """One line across the top; the window hands it the state (`render`) and who is signed in.

    Signals:
        historyRequested: the History button was pressed.
        signOutRequested: the Sign out button was pressed.
        demoToggled: the demo badge was pressed (demo mode only).
    """

    historyRequested = Signal()
    signOutRequested = Signal()
    demoToggled = Signal()
    languageRequested = Signal(str)  # the language to switch to ("de", "en")

    def __init__(self, *, target: str, demo: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self._target = target
        self._demo = demo
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 4, 12, 4)
        lay.setSpacing(10)
        self.connection_icon = IconLabel(theme.SMALL_ICON_PX)
        self.connection_label = WrapLabel("", max_lines=2)
        self.connection_label.setObjectName("connectionStatus")
        self.target_label = ElideLabel(_("IPC {t}").format(t=target) if target else "")
        self.target_label.setObjectName("targetLabel")
        self.target_label.setProperty("muted", True)
        self.connection_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.connection_icon, 0, Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.connection_label, 1)
        lay.addWidget(self.target_label, 0)
        self.history_button = QPushButton(_("History"))
        self.history_button.setObjectName("historyButton")
        self.history_button.setAccessibleName(_("Approval history"))
        self.history_button.setToolTip(plain_tooltip(_("Show the approval history (Ctrl+H)")))
        self.history_button.setMinimumHeight(theme.TOUCH_PX)
        self.history_button.clicked.connect(self.historyRequested)
        self.history_button.hide()
        lay.addWidget(self.history_button, 0)
        self.signin_box = QWidget()
        self.signin_box.setObjectName("signInBox")
        sl = QHBoxLayout(self.signin_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(8)
        self.operator_label = WrapLabel("", max_lines=2)  # two lines on a small panel, so the name stays whole
        self.operator_label.setObjectName("signedInOperator")
        self.operator_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.operator_label.setStyleSheet("font-weight: bold;")
        self.sign_out_button = QPushButton(_("Sign out"))
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setMinimumHeight(theme.TOUCH_PX)
        self.sign_out_button.clicked.connect(self.signOutRequested)
        self.sign_out_button.hide()
        sl.addWidget(self.operator_label, 1, Qt.AlignmentFlag.AlignVCenter)
        sl.addWidget(self.sign_out_button, 0)
        self.signin_box.hide()
        lay.addWidget(self.signin_box, 0)
        # The language button: shows the language on screen now; a tap switches to the other one at once.
        self.language_button = QPushButton("")
        self.language_button.setObjectName("languageButton")
        self.language_button.setMinimumSize(theme.TOUCH_PX, theme.TOUCH_PX)
        self.language_button.clicked.connect(self._next_language)
        lay.addWidget(self.language_button, 0)
        self.show_language()
        self.demo_toggle: QPushButton | None = None
        if demo:
            self.demo_toggle = ElideButton(_(DEMO_TITLE))  # a longer language shortens it (whole in the tooltip)
            self.demo_toggle.setObjectName("demoToggle")
            self.demo_toggle.setToolTip(plain_tooltip(_("Open the controls of the simulated IPC")))
            self.demo_toggle.clicked.connect(self.demoToggled)
            lay.addWidget(self.demo_toggle, 0)

    def show_language(self) -> None:
        current = _on_screen()
        self.language_button.setText(current.upper())  # a language code, the same in every language
        # Never narrower than its code: squeezed to 48 px by a full status bar (sign-in on, 800×480, German),
        # the style's padding clipped "DE" to half a D. The code, its padding and the focus frame, 4 px to spare.
        code = self.language_button.fontMetrics().horizontalAdvance(self.language_button.text())
        needed = code + 2 * (theme.LANGUAGE_PAD_PX + theme.BUTTON_FOCUS_PX) + 4
        self.language_button.setMinimumWidth(max(theme.TOUCH_PX, needed))
        self.language_button.setAccessibleName(_("Language: English. Tap for German.") if current == "en"
                                               else _("Language: German. Tap for English."))  # fmt: skip
        self.language_button.setToolTip(plain_tooltip(self.language_button.accessibleName()))

    def _next_language(self) -> None:
        self.languageRequested.emit("de" if _on_screen() == "en" else "en")

    def draw(self, state: ClientState | None, now: float, health: Health, liveness: str = "") -> None:
        """`liveness`: while an update runs, how recently the IPC answered ("IPC answered 1 s ago")."""
        if state is None:
            text = _("Connecting to {t}…").format(t=self._target or "?")
        elif liveness:
            text = liveness
        else:
            text = connection_text(state.connection, now)
            if health is Health.ONLINE:
                text = _("Live data")
        self.connection_icon.set_icon(_HEALTH_ICON.get(health, "connecting"))
        self.connection_label.setText(text)
        degraded = "degraded" if health is not Health.ONLINE else "live"
        if self.property("health") != degraded:
            self.setProperty("health", degraded)
            self.style().unpolish(self)
            self.style().polish(self)

    def set_target(self, target: str) -> None:
        self._target = target
        # In demo mode the badge next to it already says "simulated IPC".
        self.target_label.setText(target if self._demo else _("IPC {t}").format(t=target))

    def enable_signin(self) -> None:
        self.signin_box.show()

    def enable_history(self) -> None:
        self.history_button.show()

    def set_operator(self, operator: OperatorLike | None) -> None:
        self.operator_label.setText(signed_in_text(operator))
        self.sign_out_button.setVisible(operator is not None)

    def fit(self, width: int, wide: bool) -> None:
        """The connection text comes first; the address gets what is left (tooltip when cut).

        In the demo on a small panel the address goes: it is the embedded mock's loopback port, and the demo
        badge and the language button leave the connection text ("IPC answered 2 s ago") too little room."""
        self.target_label.setMaximumWidth(max(120, min(420, width // 4)))
        self.target_label.setVisible(not (self._demo and width < 1000))
        self.operator_label.setMaximumWidth(max(140, min(420, width // (3 if wide else 4))))


def _on_screen() -> str:
    """The language the screen shows: the chosen one, or English for a test-only pseudo-locale."""
    lang = i18n.language()
    return lang if lang in i18n.LANGUAGES else i18n.SOURCE
