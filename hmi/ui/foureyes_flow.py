"""The four-eyes step of the confirmation sheet (`[approval] require_two = true`): after the first operator's
hold, a second, different operator signs in on the same sheet and holds to confirm the same version id.

The rule is hmi.core.foureyes (`second_refusal`); this object only runs the steps: it remembers the first
confirmation, sends the second PIN to the port's `check_second_pin` (off the GUI thread; the first operator
stays signed in), and says each refusal in its own sentence. Refusals are reported through `refused` for the
audit trail (the controller records them); a wrong PIN or a lockout is recorded by the sign-in itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from hmi.core.foureyes import (
    FirstConfirmation,
    FourEyesIntent,
    Refusal,
    offer_unchanged,
    refusal_text,
    same_person,
    second_refusal,
)
from hmi.core.i18n import N_, _
from hmi.core.model import CONFIRMATION_TTL, ApprovalIntent, ClientState, clean_line
from hmi.ui.presenter import NAME_MAX
from hmi.ui.sheet import ConfirmSheet, SheetStep
from hmi.ui.signin_flow import SignInResultLike


class FourEyesPort(Protocol):
    """What the flow needs (hmi.ui.controller.ConsoleController)."""

    @property
    def operator_names(self) -> Sequence[str]: ...
    def check_second_pin(self, name: str, pin: str) -> asyncio.Future[Any] | None: ...  # a SignInResultLike
    def locked_seconds(self, name: str) -> int: ...


_SECOND_STEPS = (SheetStep.SECOND_SIGNIN, SheetStep.SECOND_CONFIRM)
ANOTHER_OPERATOR = N_("Another operator, please.")


def _name(name: str) -> str:
    return clean_line(name, NAME_MAX)


class FourEyesFlow(QObject):
    """Owns the sheet's second-operator step.

    Signals:
        refused(version_id, first, second, refusal): a four-eyes approval that is not sent, for the audit trail
            (Python str each; second may be None; refusal a hmi.core.foureyes.Refusal value).
        closed(text): the sheet closed because of a refusal; the sentence for the screen and the timeline.
        noted(text): a sentence for the timeline ("Anna confirmed 1.5.0 first; a second operator must confirm.").
    """

    refused = Signal(object, object, object, str)
    closed = Signal(str)
    noted = Signal(str)

    def __init__(
        self,
        sheet: ConfirmSheet,
        port: FourEyesPort,
        *,
        first_operator: Callable[[], Any],
        state: Callable[[], ClientState | None],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        ttl: float = CONFIRMATION_TTL,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._sheet = sheet
        self._port = port
        self._first_operator = first_operator  # who is signed in (the first operator)
        self._state = state
        self._clock, self._wall, self._ttl = clock, wall, ttl
        self.first: FirstConfirmation | None = None
        self._second: str | None = None  # the second operator, once their PIN was right
        self._second_wall: float | None = None
        self._checking: asyncio.Future[SignInResultLike] | None = None
        self._refused_same = False  # the same-person refusal is recorded once per first confirmation
        sheet.enable_four_eyes()
        sheet.firstConfirmed.connect(self._on_first)
        sheet.secondHeld.connect(self._on_second_held)
        sheet.pinSubmitted.connect(self._on_pin)
        sheet.operatorChosen.connect(self._on_chosen)
        sheet.switchRequested.connect(self._on_switch)
        sheet.visibilityChanged.connect(self._on_visibility)

    @property
    def active(self) -> bool:
        """The first operator confirmed; the second step is on screen."""
        return self.first is not None and self._sheet.isVisible()

    @property
    def checking(self) -> bool:
        return self._checking is not None

    def remaining(self, now: float) -> float:
        return self.first.remaining(now, self._ttl) if self.first is not None else 0.0

    # -- the first confirmation ------------------------------------------------------------------------
    def _on_first(self, intent: ApprovalIntent) -> None:
        operator = self._first_operator()
        if operator is None or not operator.may_approve:  # signed out meanwhile: the sign-in step takes over
            return
        now = self._clock()
        self.first = FirstConfirmation(intent.version_id, operator.name, now, self._wall(), bool(intent.is_retry))
        self._second, self._second_wall, self._refused_same = None, None, False
        self.noted.emit(
            _("{name} confirmed {v} first; a second operator must confirm it.").format(
                name=_name(operator.name), v=self._shown()
            )
        )
        self._show_second_signin()

    def _shown(self) -> str:
        version = self._sheet.version
        return version.display_id if version is not None else ""

    def _show_second_signin(self) -> None:
        first = self.first
        assert first is not None
        self._sheet.show_second_signin(
            list(self._port.operator_names),
            title=_("Second operator: sign in to confirm {v}").format(v=self._shown()),
            caption=self._caption(),
            counts_from=first.at,
            first=first.operator,
        )
        self._sheet.set_remaining(self.remaining(self._clock()))

    # -- the second operator ---------------------------------------------------------------------------
    def _on_chosen(self, name: str) -> None:
        first = self.first
        if first is None or self._sheet.step != SheetStep.SECOND_SIGNIN:
            return
        pad = self._sheet.pad
        assert pad is not None
        if same_person(first.operator, name):
            pad.setEnabled(False)
            pad.set_message(_(ANOTHER_OPERATOR))
            self._sheet.signin_caption.setText(
                _("{name} confirmed first. A different operator must confirm.").format(name=_name(first.operator))
            )
            if not self._refused_same:
                self._refused_same = True
                self.refused.emit(first.version_id, first.operator, first.operator, Refusal.SAME_OPERATOR)
            return
        self._sheet.signin_caption.setText(self._caption())
        self.refresh_lock()

    def _caption(self) -> str:
        first = self.first
        name = _name(first.operator) if first is not None else ""
        return _("{name} confirmed first. Tap another name.").format(name=name)

    def _on_switch(self) -> None:
        if self.first is not None and self._sheet.step == SheetStep.SECOND_CONFIRM:
            self._second = None
            self._show_second_signin()

    def _on_pin(self, name: str, pin: str) -> None:
        first = self.first
        if first is None or self._sheet.step != SheetStep.SECOND_SIGNIN or self._checking is not None:
            return
        if same_person(first.operator, name):  # the keypad is off for them; a robot pressing OK is refused too
            return
        check = self._port.check_second_pin(name, pin)
        del pin
        if check is None:
            return
        self._checking = check
        generation = self._sheet.generation
        self._sheet.set_checking(True)
        check.add_done_callback(lambda done: self._pin_checked(done, generation, first, name))

    def _pin_checked(
        self, done: asyncio.Future[SignInResultLike], generation: int, first: FirstConfirmation, name: str
    ) -> None:
        self._checking = None
        if done.cancelled() or done.exception() is not None:
            self._sheet.set_checking(False)
            return
        if self._sheet.generation != generation or self.first is not first:
            return  # the sheet closed or moved on: not for what is on screen now
        self._sheet.set_checking(False)
        result = done.result()
        pad = self._sheet.pad
        assert pad is not None
        if not result.ok:  # the pad says why in the sign-in's words; the caption says what it means here
            if self._port.locked_seconds(name) > 0:
                self._sheet.set_locked(result.message)
                caption = _("{name} is locked out. Another operator can confirm.")
            else:
                pad.set_message(result.message)
                caption = _("{name} is not confirmed as the second operator.")
            self._sheet.signin_caption.setText(caption.format(name=_name(name)))
            return
        operator = result.operator
        assert operator is not None
        if not operator.may_approve:
            pad.set_message(_(ANOTHER_OPERATOR))
            self._sheet.signin_caption.setText(
                _("{name} is a viewer and cannot confirm.").format(name=_name(operator.name))
            )
            self.refused.emit(first.version_id, first.operator, operator.name, Refusal.VIEWER)
            return
        self._second, self._second_wall = operator.name, None
        self._sheet.show_second_confirm(
            _("Second operator: {second}. {first} confirmed first.").format(
                second=_name(operator.name), first=_name(first.operator)
            )
        )
        self._sheet.set_remaining(self.remaining(self._clock()))

    def _on_second_held(self) -> None:
        first, second = self.first, self._second
        if first is None or second is None:
            return
        now = self._clock()
        state = self._state()
        refusal = second_refusal(first, second=second, second_role="operator", state=state, now=now, ttl=self._ttl)
        if refusal is not None:
            self._refuse_and_close(refusal, second)
            return
        self.first = None
        intent = FourEyesIntent(
            first.version_id,
            first.at,
            first.is_retry,
            first_operator=first.operator,
            second_operator=second,
            first_wall=first.wall,
            second_wall=self._wall(),
        )
        self._sheet.finish(intent)

    # -- time limit, offer, closing ---------------------------------------------------------------------
    def check(self, state: ClientState | None, now: float) -> str | None:
        """Every second and on each new state while the second step shows: the time limit from the first
        confirmation and the offer. Closes the sheet with the refusal's sentence and returns it, else None."""
        first = self.first
        if first is None or not self._sheet.isVisible():
            return None
        if self._sheet.step not in _SECOND_STEPS:  # the first operator was signed out: their sign-in again
            self.first = None
            self.refused.emit(first.version_id, first.operator, self._second, Refusal.CANCELLED)
            return None
        if first.remaining(now, self._ttl) <= 0.0:
            return self._refuse_and_close(Refusal.EXPIRED, self._second)
        if not offer_unchanged(first, state):
            return self._refuse_and_close(Refusal.OFFER_CHANGED, self._second)
        self._sheet.set_remaining(first.remaining(now, self._ttl))
        self.refresh_lock()
        return None

    def _refuse_and_close(self, refusal: Refusal, second: str | None) -> str:
        first = self.first
        assert first is not None
        text = self._text(refusal, second or "")
        self.first = None  # before the sheet hides: this closing is not a cancel
        self.refused.emit(first.version_id, first.operator, second, refusal)
        self._sheet.dismiss()
        self.closed.emit(text)
        return text

    def _on_visibility(self, visible: bool) -> None:
        first = self.first
        if visible or first is None:
            return
        self.first = None  # cancelled, Esc, or closed by the sheet's own checks (data not live)
        self._second = None
        self.refused.emit(first.version_id, first.operator, None, Refusal.CANCELLED)

    def refresh_lock(self) -> None:
        """On the second sign-in step: the lockout countdown of the chosen name."""
        if self._sheet.step != SheetStep.SECOND_SIGNIN:
            return
        name = self._sheet.selected_name
        first = self.first
        if name is None or (first is not None and same_person(first.operator, name)):
            return
        seconds = self._port.locked_seconds(name)
        self._sheet.set_locked(_("Locked for {n} s").format(n=seconds) if seconds > 0 else None)

    def _text(self, refusal: Refusal, name: str) -> str:
        version_id = self.first.version_id if self.first is not None else ""
        return refusal_text(refusal, version_id=version_id, name=_name(name), ttl=self._ttl)
