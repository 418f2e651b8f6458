"""The demo drawer: drives the simulated IPC (the embedded mock) through its control service.

Only built with --demo. It is marked "DEMO — simulated IPC" in its own colour and a dashed
border, so nobody mistakes it for a control of a real machine. It only emits intents;
the controller talks to the mock.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from hmi.core.i18n import N_, _
from hmi.ui import theme
from hmi.ui.presenter import DEMO_TITLE
from hmi.ui.widgets import IconLabel, WrapLabel

# Intent names the controller understands, with their button captions.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("publish", N_("Publish a new release")),
    ("fail", N_("Make the running update fail")),
    ("power-loss", N_("Cut power (power loss)")),
    ("reset", N_("Reset the simulation")),
)


class DemoDrawer(QFrame):
    actionRequested = Signal(str)

    def __init__(self, parent: QWidget, anchor: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("demoDrawer")
        self.setAccessibleName(_(DEMO_TITLE))
        self._anchor = anchor  # the drawer opens below this widget (the status bar)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.setSpacing(8)
        head = QHBoxLayout()
        icon = IconLabel(theme.SMALL_ICON_PX)
        icon.set_icon("demo")
        title = WrapLabel(_(DEMO_TITLE))
        title.setObjectName("demoTitle")
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, 1)
        lay.addLayout(head)
        # At most two lines (whole in the tooltip): a longer language must leave room for the buttons at 800×480.
        explain = WrapLabel(
            _("These buttons change the simulated IPC inside this program, never a real one."), max_lines=2
        )
        lay.addWidget(explain)
        self.buttons: dict[str, QPushButton] = {}
        for name, caption in ACTIONS:
            button = QPushButton(_(caption))
            button.setObjectName(f"demo-{name}")
            button.clicked.connect(lambda _checked=False, n=name: self.actionRequested.emit(n))
            lay.addWidget(button)
            self.buttons[name] = button
        self.result = WrapLabel("")
        self.result.setObjectName("demoResult")
        lay.addWidget(self.result)
        lay.addStretch(1)
        close = QPushButton(_("Close demo controls"))
        close.setObjectName("demoClose")
        close.clicked.connect(self.hide)
        lay.addWidget(close)
        self.hide()
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        assert parent is not None  # built as a child of the window
        top = self._anchor.geometry().bottom() + 1 if self._anchor.isVisible() else 0
        width = min(480, max(300, parent.width() * 3 // 5))  # German needs the room at 800 px (test_i18n_layout)
        self.setGeometry(parent.width() - width, top, width, parent.height() - top)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self._place()
            self.show()
            self.raise_()

    def set_result(self, text: str) -> None:
        self.result.setText(text)
