"""The sign-in step of the confirmation sheet: one object owns it, and talks to the sign-in state through a
Protocol (the controller implements it; the window never sees the controller).

It decides which step the sheet shows (pick a name and type the PIN, or hold to install), refuses a viewer,
shows the lockout countdown, and turns "who is signed in" changes into sentences for the timeline.

A PIN is checked off the GUI thread (the port's `check_pin` returns a task; scrypt takes about 60 ms). While
it runs the sheet shows "Checking the PIN…" and further presses are ignored; an answer that arrives after the
sheet closed, switched step or showed another version is dropped (the sign-in itself still counts: a right
PIN signs that operator in, a wrong one counts towards the lockout).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from hmi.core.i18n import _
from hmi.ui.presenter import (
    VIEWERS_CANNOT_APPROVE,
    OperatorLike,
    SignInChange,
    approving_as_text,
    idle_text,
    operator_name,
    role_text,
    viewer_signed_in_text,
)
from hmi.ui.sheet import ConfirmSheet, SheetStep

_SECOND = (SheetStep.SECOND_SIGNIN, SheetStep.SECOND_CONFIRM)


class SignInResultLike(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def operator(self) -> OperatorLike | None: ...


class SignInPort(Protocol):
    """What the flow needs of the sign-in state (hmi.ui.controller.ConsoleController)."""

    @property
    def operator_names(self) -> Sequence[str]: ...
    @property
    def idle_timeout(self) -> float: ...
    def current_operator(self) -> OperatorLike | None: ...
    def check_pin(self, name: str, pin: str) -> asyncio.Future[Any] | None: ...  # its result: a SignInResultLike
    def locked_seconds(self, name: str) -> int: ...


class SignInFlow(QObject):
    """Owns the sheet's sign-in step.

    Attributes:
        operator: who the screen shows as signed in, as last reported (`set_operator`).

    Signals:
        viewerRefused(version_id, name): a signed-in viewer tried to approve (Python str both, never QString).
        noted(text): a sentence for the timeline ("Anna signed in (operator).").
        operatorChanged(operator): the operator shown changed; the window re-renders.
    """

    viewerRefused = Signal(object, object)
    noted = Signal(str)
    operatorChanged = Signal(object)

    def __init__(self, sheet: ConfirmSheet, port: SignInPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sheet = sheet
        self._port = port
        sheet.enable_signin()
        sheet.pinSubmitted.connect(self._on_pin)
        sheet.operatorChosen.connect(lambda _name: self.refresh_lock())
        sheet.switchRequested.connect(lambda: None if self._second_step() else self.enter_signin())
        self.operator: OperatorLike | None = port.current_operator()
        self._checking: asyncio.Future[SignInResultLike] | None = None

    @property
    def may_approve(self) -> bool:
        return self.operator is not None and self.operator.may_approve

    def set_operator(self, operator: OperatorLike | None, why: str = "") -> None:
        """Who is signed in now, and why it changed (SignInChange)."""
        before = self.operator
        self.operator = operator
        if why == SignInChange.SIGNED_IN and operator is not None:
            self.noted.emit(
                _("{name} signed in ({role}).").format(name=operator_name(operator), role=role_text(operator.role))
            )
        elif why in (SignInChange.SIGNED_OUT, SignInChange.IDLE) and before is not None:
            name = operator_name(before)
            if why == SignInChange.IDLE:
                text = _("Signed out after {t} idle ({name}).").format(t=idle_text(self._port.idle_timeout), name=name)
            else:
                text = _("{name} signed out.").format(name=name)
            self.noted.emit(text)
            if self._sheet.step in (SheetStep.CONFIRM, *_SECOND):  # the hold belongs to whoever signed in
                self.enter_signin(text + " " + _("Sign in again to install."))
        self.operatorChanged.emit(operator)

    def begin(self) -> None:
        """The sheet just opened: straight to the hold for a signed-in operator, else the sign-in step."""
        self._port.current_operator()  # applies idle sign-out (reported through set_operator) first
        if self.operator is not None and self.operator.may_approve:  # signed in and not idle: no PIN
            self._sheet.show_confirm(approving_as_text(self.operator))
        else:
            self.enter_signin()

    def enter_signin(self, message: str = "") -> None:
        """The sheet's first step: pick a name, type the PIN. A signed-in viewer is refused (and recorded)."""
        version = self._sheet.version
        if version is None:
            return
        names = list(self._port.operator_names)
        operator = self.operator
        if operator is not None and not operator.may_approve and not message:
            message = viewer_signed_in_text(operator)
            self.viewerRefused.emit(version.version_id, operator.name)
        self._sheet.show_signin(names, message=message, selected=names[0] if len(names) == 1 else None)
        self.refresh_lock()

    @property
    def checking(self) -> bool:
        """A PIN check is under way."""
        return self._checking is not None

    def _second_step(self) -> bool:
        """The four-eyes second operator's step (hmi.ui.foureyes_flow owns it)."""
        return self._sheet.step in _SECOND

    def _on_pin(self, name: str, pin: str) -> None:
        version = self._sheet.version
        if version is None or self._checking is not None or self._second_step():  # one check at a time
            return
        check = self._port.check_pin(name, pin)
        del pin  # not kept anywhere
        if check is None:
            return
        self._checking = check
        generation = self._sheet.generation
        self._sheet.set_checking(True)
        check.add_done_callback(lambda done: self._pin_checked(done, generation, version.version_id, name))

    def _pin_checked(self, done: asyncio.Future[SignInResultLike], generation: int, version_id: str, name: str) -> None:
        self._checking = None
        if done.cancelled() or done.exception() is not None:  # shutting down, or a bug (the controller logs it)
            self._sheet.set_checking(False)
            return
        version = self._sheet.version
        if self._sheet.generation != generation or version is None or version.version_id != version_id:
            return  # the sheet closed or changed meanwhile: this answer is not for what is on screen now
        self._sheet.set_checking(False)
        result = done.result()
        pad = self._sheet.pad
        assert pad is not None  # built by enable_signin
        if not result.ok:
            if self._port.locked_seconds(name) > 0:
                self._sheet.set_locked(result.message)  # "Wrong PIN. Locked for 60 s": the keypad goes off with it
            else:
                pad.set_message(result.message)
            return
        operator = result.operator
        assert operator is not None
        if not operator.may_approve:
            pad.set_message(_(VIEWERS_CANNOT_APPROVE))
            self.viewerRefused.emit(version.version_id, operator.name)
            return
        self._sheet.show_confirm(approving_as_text(operator))

    def refresh_lock(self) -> None:
        """On the sign-in step: the lockout countdown of the chosen name, from the sign-in state, every second."""
        if self._sheet.step != SheetStep.SIGNIN:
            return
        name = self._sheet.selected_name
        seconds = self._port.locked_seconds(name) if name else 0
        self._sheet.set_locked(_("Locked for {n} s").format(n=seconds) if seconds > 0 else None)
