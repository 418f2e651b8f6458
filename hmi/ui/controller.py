"""Owns the client (and, in demo mode, the embedded mock) and turns the window's intents into calls.

The client's subscribe callback becomes the `stateChanged` signal. An approval intent is checked
once more against `approval_gate(client.state, now)` before `client.approve` runs as a task on
the (qasync) event loop; a second intent while one approval is under way is dropped.

With sign-in on (`config.signin.enabled`), the controller owns the `hmi.core.auth.SignIn`:
the window reports activity (`touch`), its 1 s tick (`check_signin`, which applies idle
sign-out) and PINs typed on the sheet (`check_pin`); an approval goes out only for a signed-in
operator and names them in the audit record. A viewer's attempt is recorded as refused.

Each client state is fed to a `hmi.core.stephistory.StepRecorder` (pure computation on the GUI thread); the
estimate goes out as `progressChanged`, and ended steps are written by `flush` in the controller's own
worker thread, one flush at a time. The step history file is opened and read in a worker thread in `start`.

Nothing here waits on the network, on the disk or on crypto on the GUI thread: the PIN check (scrypt,
about 60 ms) and the audit trail's reads and writes (the history, a refused approval, a failed sign-in)
run on worker threads (`asyncio.to_thread`) as tasks this controller owns; the answers come back as
signals on the GUI thread. A busy audit trail is said on screen (`auditProblem`), never waited out here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from hmi.core.client import ApprovalOutcome, ApprovalResult
from hmi.core.config import AppConfig, ClientConfig, ProgressConfig
from hmi.core.errors import describe
from hmi.core.i18n import _
from hmi.core.model import CONFIRMATION_TTL, ApprovalIntent, ClientState, approval_gate, display_id
from hmi.core.ports import AuditOutcome
from hmi.ui.presenter import (
    CONFIRMATION_TOO_OLD,
    SIGN_IN_TO_APPROVE,
    VIEWERS_CANNOT_APPROVE,
    SignInChange,
    not_sent,
)

if TYPE_CHECKING:
    from hmi.core.audit import AuditStore
    from hmi.core.auth import Operator, SignIn, SignInResult
    from hmi.core.client import UpdaterClient
    from hmi.core.stephistory import StepHistory, StepRecorder
    from hmi.core.windows import WindowRules
    from hmi.mock.control import ControlClient
    from hmi.mock.server import RunningMock

log = logging.getLogger(__name__)

T = TypeVar("T")

DEMO_NOTES = """# Release {v}

A release published from the demo drawer of the console.

## What's new
- Shorter start-up of the workcell runtime.
- Clearer messages when a camera is disconnected.

## Before you approve
Plan **about 10 minutes** of downtime. Images and links in notes are never loaded here:
![diagram](https://example.com/diagram.png) [release page](https://example.com/releases/{v}).
"""


def next_release(version_ids: list[str]) -> str:
    """A new version id for the demo drawer: the highest 'X.Y.Z' given with Z+1 (a patch release, so it
    does not collide with the scenario's own X.Y.0 releases), never one of the ids given."""
    taken = set(version_ids)
    best: tuple[int, int, int] | None = None
    for vid in version_ids:
        m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", vid or "")
        if m:
            key = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
            best = key if best is None or key > best else best
    if best is None:
        n = len(version_ids) + 1
        while f"demo-{n}" in taken:
            n += 1
        return f"demo-{n}"
    major, minor, patch = best
    while True:
        patch += 1
        candidate = f"{major}.{minor}.{patch}"
        if candidate not in taken:
            return candidate


class ConsoleController(QObject):
    stateChanged = Signal(object)
    approvalStarted = Signal(object)  # the version id, as a Python str
    approvalFinished = Signal(object)
    demoFinished = Signal(str, bool, str)
    firstData = Signal()
    started = Signal(str)  # the target being polled (in demo mode, the embedded mock's address)
    # Who is signed in changed: (Operator or None, why: a SignInChange).
    signinChanged = Signal(object, str)
    historyLoaded = Signal(object, str)  # (records newest first, error text or "")
    auditProblem = Signal(str)  # a sentence: a refusal or a failed sign-in could not be recorded (busy trail, …)
    trailBroken = Signal(str)  # a sentence: the audit trail failed verification at start (hash chain, issue 15)
    progressChanged = Signal(object)  # hmi.core.progress.Estimate, once per client state

    def __init__(
        self,
        config: AppConfig | ClientConfig,
        *,
        demo: bool = False,
        scenario: str = "demo",
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        audit: AuditStore | None = None,
        operator: str | None = None,
        signin_clock: Callable[[], float] | None = None,
        approvals_off: str | None = None,
        steps_path: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`steps_path`: the step history file (None: estimates from this session's updates only)."""
        super().__init__(parent)
        self._client_config = config.client if isinstance(config, AppConfig) else config
        progress = config.progress if isinstance(config, AppConfig) else ProgressConfig()
        # The demo's mock runs `speed` times faster: so do its thresholds (docs/progress.md).
        self.progress_config = progress.scaled(speed) if demo and speed > 0 else progress
        self._steps_path = steps_path
        self._steps: StepHistory | None = None
        self.recorder: StepRecorder | None = None
        self.steps_problem: str | None = None  # why the step history cannot be used (then: in memory only)
        self._flush: asyncio.Task[Any] | None = None
        # One plain worker thread for the step history (not qasync's default executor, whose QThreads
        # crashed the test process once under load); one thread also keeps the writes in order.
        self._io: concurrent.futures.ThreadPoolExecutor | None = None
        self.demo = demo
        self.scenario = scenario
        self.speed = speed
        self.operator = operator  # named in audit records when sign-in is off
        self._clock = clock
        self._wall = wall  # the wall clock (epoch seconds): maintenance windows are checked against it
        self._audit = audit
        # Set when approvals must not go out at all (the audit trail cannot be written); shown on screen.
        self.approvals_off = approvals_off
        # Maintenance windows ([approval] windows, validated at load): None means approvals at any time.
        self.window_rules: WindowRules | None = None
        if isinstance(config, AppConfig) and config.approval.windows:
            from hmi.core.windows import WindowRules

            self.window_rules = WindowRules.from_config(config.approval.windows, config.approval.timezone)
        self._signin_config = config.signin if isinstance(config, AppConfig) and config.signin.enabled else None
        # Four-eyes approval (hmi.core.foureyes): needs sign-in, which the config already insists on.
        self.require_two = bool(
            self._signin_config is not None and isinstance(config, AppConfig) and config.approval.require_two
        )
        self._second_verified: str | None = None  # the last second operator whose PIN was right (check_second_pin)
        self._signin_clock = signin_clock or clock
        self.signin: SignIn | None = None
        self._signed_in: Operator | None = None  # who the window was last told about
        if self._signin_config is not None:
            self.signin = self._new_signin(self._client_config.target if not demo else "")
        self.client: UpdaterClient | None = None  # once started
        self.mock: RunningMock | None = None  # in demo mode
        self.control: ControlClient | None = None  # in demo mode
        self._unsubscribe: Callable[[], None] | None = None
        self._approval: asyncio.Task[None] | None = None
        self._pin_check: asyncio.Task[SignInResult] | None = None
        self._history_seq = 0  # only the newest history read is shown
        # Refusal records are written one after another, in the order they happened (worker threads run
        # side by side; the lock's waiters are served first come, first served).
        self._refusal_writes = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._had_data = False
        self._started = False
        self._closed = False

    @property
    def target(self) -> str:
        return self.client.config.target if self.client is not None else self._client_config.target

    @property
    def state(self) -> ClientState | None:
        return self.client.state if self.client is not None else None

    @property
    def approval_running(self) -> bool:
        return self._approval is not None and not self._approval.done()

    @property
    def audit(self) -> AuditStore | None:
        """The audit store, or None when approvals are not recorded."""
        return self._audit

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Starts the embedded mock (demo) and the client on the running loop. Idempotent."""
        if self._started:
            return
        self._started = True
        from hmi.core.client import UpdaterClient

        client_config = self._client_config
        if self.demo:
            from hmi.mock.control import ControlClient
            from hmi.mock.server import start_mock

            self.mock = await start_mock(scenario=self.scenario, listen="127.0.0.1:0", speed=self.speed)
            # The simulated IPC is local and plain: no TLS or token settings of a real IPC apply to it.
            client_config = ClientConfig(
                target=self.mock.address,
                poll_interval=client_config.poll_interval,
                deadline=client_config.deadline,
            )
            self.control = ControlClient(self.mock.address)
            if self._signin_config is not None:  # failed sign-ins name the simulated IPC's address
                self.signin = self._new_signin(self.mock.address)
        self.client = UpdaterClient(client_config, clock=self._clock, wall=self._wall, audit=self._audit)
        self._unsubscribe = self.client.subscribe(self._on_state)
        self.started.emit(client_config.target)
        self.stateChanged.emit(self.client.state)
        # The first poll goes out before the step history is opened in the worker thread, so the first answer does
        # not wait for the file (about 11 ms at start-up, docs/benchmarks.md). Until the history is open, states are
        # not fed to a recorder; the latest one is fed as soon as it is (a step's start is then seen a few
        # milliseconds late, far below the estimates' resolution).
        await self.client.start()
        self.recorder = await self._open_recorder(client_config.target)
        if self._closed:
            return
        self._feed_progress(self.client.state)
        if self._audit is not None:  # the walk reads the whole trail: on a worker thread, never here
            self._spawn(self._verify_trail(self._audit), "audit-verify")

    async def _verify_trail(self, audit: AuditStore) -> None:
        from hmi.core.audit import AuditError

        try:
            result = await asyncio.to_thread(audit.verify)
        except AuditError as exc:
            problem = str(exc)
        else:
            if result.intact:
                return
            problem = result.problem or _("it has no hash chain")
        if not self._closed:
            self.trailBroken.emit(_("The audit trail fails verification: {problem}").format(problem=problem))

    async def aclose(self) -> None:
        """Stops everything this controller started. Idempotent."""
        if self._closed:
            return
        self._closed = True
        flush = self._flush  # a write in a worker thread is not cancelled: it ends, then the last one runs
        tasks = [t for t in self._tasks if not t.done() and t is not flush]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._unsubscribe is not None:
            self._unsubscribe()
        if flush is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await flush
        await self._close_recorder()
        if self.client is not None:
            await self.client.aclose()
        if self.control is not None:
            with contextlib.suppress(Exception):
                await self.control.close()
        if self.mock is not None:
            await self.mock.stop(grace=None)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._io is None:
            self._io = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipc-hmi-steps")
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    async def _open_recorder(self, target: str) -> StepRecorder:
        from hmi.core.progress import ProgressSettings
        from hmi.core.stephistory import StepHistory, StepHistoryError, StepRecorder

        p = self.progress_config
        settings = ProgressSettings(p.stuck_factor, p.stuck_minimum, p.stuck_without_history)
        earlier: tuple[Any, ...] = ()
        if self._steps_path is not None:
            try:
                self._steps = await self._in_thread(StepHistory.open, self._steps_path)
                earlier = await self._in_thread(self._steps.records, target)
            except StepHistoryError as exc:
                self.steps_problem = str(exc)
                log.warning("%s; estimates come from this session's updates only", exc)
                if self._steps is not None:
                    await self._in_thread(self._steps.close)
                    self._steps = None
        return StepRecorder(target, self._steps, settings=settings, earlier=earlier)

    async def _close_recorder(self) -> None:
        recorder, steps = self.recorder, self._steps
        self._steps = None
        if recorder is not None:
            if steps is not None:
                with contextlib.suppress(Exception):
                    await self._in_thread(recorder.flush)  # the step that just ended, if any
            recorder.close()
        if steps is not None:
            await self._in_thread(steps.close)
        if self._io is not None:
            self._io.shutdown(wait=False)
            self._io = None

    def _feed_progress(self, state: ClientState) -> None:
        recorder = self.recorder
        if recorder is None or self._closed:
            return
        self.progressChanged.emit(recorder.feed(state.snapshot, self._clock()))
        # One write at a time, off the GUI thread; feed only appends to `pending`, which flush takes from the front.
        if recorder.pending and self._steps is not None and (self._flush is None or self._flush.done()):
            self._flush = self._spawn(self._in_thread(recorder.flush), "steps-flush")

    def _on_state(self, state: ClientState) -> None:
        self._feed_progress(state)
        self.stateChanged.emit(state)
        if not self._had_data and state.snapshot is not None:
            self._had_data = True
            self.firstData.emit()

    def _spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("console task %s failed", task.get_name(), exc_info=task.exception())

    # -- intents ---------------------------------------------------------------------------------------------
    def request_approval(self, intent: ApprovalIntent | str) -> bool:
        """Approve exactly the intent's version id, if the core allows it now. Returns True when a call was started.

        A plain str is an intent without a confirmation time (a test or a script)."""
        if isinstance(intent, str):
            intent = ApprovalIntent(intent)
        version_id = intent.version_id
        if self.client is None or self._closed:
            return False
        if self.approval_running:
            log.info("approval of %r dropped: another approval is under way", version_id)
            return False  # a double tap: the first approval is still under way
        if self.approvals_off:
            self.approvalFinished.emit(
                ApprovalResult.local(version_id, not_sent(self.approvals_off, version_id), self.client.state)
            )
            return False
        operator = self.operator
        if self.signin is not None:
            signed_in = self.current_operator()
            if signed_in is None or not signed_in.may_approve:
                why = _(VIEWERS_CANNOT_APPROVE if signed_in else SIGN_IN_TO_APPROVE)
                self.refuse_locally(version_id, signed_in.name if signed_in else None)
                self.approvalFinished.emit(
                    ApprovalResult.local(version_id, not_sent(why, version_id), self.client.state)
                )
                return False
            operator = signed_in.name
            if self.require_two:
                return self._request_four_eyes(intent, operator)
        if intent.expired(self._clock(), CONFIRMATION_TTL):
            self.approvalFinished.emit(
                ApprovalResult.local(version_id, not_sent(_(CONFIRMATION_TOO_OLD), version_id), self.client.state)
            )
            return False
        gate = approval_gate(self.client.state, self._clock())
        if not gate.permits(version_id):
            self.approvalFinished.emit(
                ApprovalResult.local(version_id, not_sent(gate.text, version_id), self.client.state)
            )
            return False
        # Checked at send as well as on screen: a hold that ends after the window closed sends nothing. (A running
        # update is never touched: the gate above permits no approval while one runs.)
        rules, instant = self.window_rules, dt.datetime.fromtimestamp(self._wall(), dt.UTC)
        closed = rules.refusal(instant) if rules is not None else None
        if rules is not None and closed is not None:
            self.refuse_locally(version_id, operator, message=rules.audit_message(instant))
            self.approvalFinished.emit(
                ApprovalResult.local(version_id, not_sent(closed, version_id), self.client.state)
            )
            return False
        self._approval = self._spawn(self._approve(intent, operator), "approve")
        return True

    def _request_four_eyes(self, intent: ApprovalIntent, operator: str) -> bool:
        """The second check of a four-eyes approval (the sheet's flow checked first): the same rule, the second
        operator the one whose PIN was just checked here, then the gate. A refusal is recorded and said."""
        from hmi.core.foureyes import FirstConfirmation, FourEyesIntent, Refusal, refusal_text, second_refusal

        client = self.client
        assert client is not None  # request_approval checked
        version_id = intent.version_id
        second = intent.second_operator if isinstance(intent, FourEyesIntent) else ""
        opened_at = intent.opened_at if intent.opened_at is not None else self._clock()
        first = FirstConfirmation(version_id, operator, opened_at, self._wall(), bool(intent.is_retry))
        role: str | None = None
        if second and second == self._second_verified and self.signin is not None:
            role = self.signin.role(second)
        refusal = second_refusal(first, second=second, second_role=role, state=client.state, now=self._clock())
        self._second_verified = None  # one approval per second sign-in
        if refusal is not None:
            self.refuse_four_eyes(version_id, operator, second or None, refusal)
            who = operator if refusal is Refusal.SAME_OPERATOR else second
            text = refusal_text(refusal, version_id=version_id, name=who)
            self.approvalFinished.emit(ApprovalResult.local(version_id, text, client.state))
            return False
        assert isinstance(intent, FourEyesIntent)  # a second operator was named
        gate = approval_gate(client.state, self._clock())
        if not gate.permits(version_id):
            self.approvalFinished.emit(ApprovalResult.local(version_id, not_sent(gate.text, version_id), client.state))
            return False
        self._approval = self._spawn(self._approve(intent, operator), "approve")
        return True

    async def _approve(self, intent: ApprovalIntent, operator: str | None) -> None:
        from hmi.core.foureyes import FourEyesIntent

        version_id, client = intent.version_id, self.client
        assert client is not None  # request_approval checked
        self.approvalStarted.emit(version_id)
        four_eyes: dict[str, Any] = {}
        if isinstance(intent, FourEyesIntent):
            four_eyes = {
                "second_operator": intent.second_operator,
                "confirmed_at": _utc(intent.first_wall),
                "second_confirmed_at": _utc(intent.second_wall),
            }
        try:
            result = await client.approve(
                version_id, operator=operator, opened_at=intent.opened_at, expect_retry=intent.is_retry, **four_eyes
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client promises not to raise on RPC errors; anything else is a bug
            log.exception("approve(%r) raised", version_id)
            result = ApprovalResult.local(
                version_id, _("The approval failed: {e}").format(e=exc), client.state, ApprovalOutcome.ERROR
            )
        self.approvalFinished.emit(result)

    def refuse_locally(
        self, version_id: str, operator: str | None, message: str | None = None
    ) -> asyncio.Task[str | None] | None:
        """Records an approval of `version_id` that sign-in refused (a viewer, or nobody signed in), or that
        `message` says why it was refused (English, for the audit trail: outside the maintenance windows).

        Nothing is sent. The record is written on a worker thread; returns that task (its result is the
        record id, None if it could not be written: `auditProblem` says so), or None without an audit store."""
        if self._audit is None or self._closed:
            return None

        from hmi.core.auth import NOBODY_REFUSED, VIEWER_REFUSED  # not needed for the first screen

        message = message or (VIEWER_REFUSED if operator is not None else NOBODY_REFUSED)
        return self._spawn(self._record_refusal(version_id, operator, message), "record-refusal")

    def refuse_four_eyes(
        self, version_id: str, first: str | None, second: str | None, refusal: str
    ) -> asyncio.Task[str | None] | None:
        """Records a four-eyes approval that was not sent (hmi.core.foureyes.Refusal), with both names as far as
        known. A wrong PIN or a lockout is not recorded here: the sign-in records it. Returns the write's task."""
        from hmi.core.foureyes import Refusal, audit_message

        if self._audit is None or self._closed or refusal == Refusal.NOT_SIGNED_IN:
            return None
        message = audit_message(Refusal(refusal))
        return self._spawn(self._record_refusal(version_id, first, message, second), "record-refusal")

    async def _record_refusal(
        self, version_id: str, operator: str | None, message: str, second: str | None = None
    ) -> str | None:
        audit = self._audit
        assert audit is not None  # record_refusal starts this only with a trail
        snap = self.client.state.snapshot if self.client is not None else None
        target = self.client.config.target if self.client is not None else self._client_config.target
        current = snap.current.version_id if snap and snap.current else None
        extra: dict[str, Any] = {"second_operator": second} if second else {}

        def write() -> str:
            record_id: str = audit.begin(
                target=target, version_id=version_id, current_version=current, operator=operator, **extra
            )
            audit.complete(record_id, outcome=AuditOutcome.REFUSED_LOCALLY, code=None, message=message)
            return record_id

        try:
            async with self._refusal_writes:
                return await asyncio.to_thread(write)
        except Exception as exc:  # the refusal stands either way
            log.warning("could not record a refused approval of %r: %s", version_id, exc)
            shown = display_id(version_id) or repr(version_id)
            who = operator or _("nobody signed in")
            if _busy(exc):
                text = _("Audit trail busy: the refused approval of {v} ({who}) is not recorded. Nothing was sent.")
            else:
                text = _("The refused approval of {v} ({who}) could not be recorded: {why} Nothing was sent.")
            self.auditProblem.emit(text.format(v=shown, who=who, why=exc))
            return None

    # -- sign-in ---------------------------------------------------------------------------------------------
    def _new_signin(self, target: str) -> SignIn:
        from hmi.core.auth import SignIn

        return SignIn.from_config(self._signin_config, audit=self._audit, target=target, clock=self._signin_clock)

    @property
    def signin_enabled(self) -> bool:
        return self.signin is not None

    @property
    def operator_names(self) -> list[str]:
        return self.signin.operator_names if self.signin is not None else []

    @property
    def idle_timeout(self) -> float:
        return self.signin.idle_timeout if self.signin is not None else 0.0

    def current_operator(self) -> Operator | None:
        """Who is signed in now (idle sign-out applied; the window hears of it through `signinChanged`)."""
        if self.signin is None:
            return None
        self.check_signin()
        return self._signed_in

    def check_pin(self, name: str, pin: str) -> asyncio.Task[SignInResult] | None:
        """Starts checking a PIN typed on the sheet (`sign_in` as a task this controller owns).

        Returns None, starting nothing, while another check is under way or after close. The PIN goes no
        further than hmi.core.auth."""
        if self.signin is None or self._closed:
            return None
        if self._pin_check is not None and not self._pin_check.done():
            return None
        self._pin_check = self._spawn(self.sign_in(name, pin), "pin-check")
        return self._pin_check

    def check_second_pin(self, name: str, pin: str) -> asyncio.Task[SignInResult] | None:
        """Starts checking the four-eyes second operator's PIN (`SignIn.verify_async`, off the GUI thread): the
        signed-in (first) operator stays signed in. None while another check runs or after close."""
        if self.signin is None or self._closed:
            return None
        if self._pin_check is not None and not self._pin_check.done():
            return None
        self._pin_check = self._spawn(self._verify_second(name, pin), "second-pin-check")
        return self._pin_check

    async def _verify_second(self, name: str, pin: str) -> SignInResult:
        assert self.signin is not None  # check_second_pin checked
        self._second_verified = None
        result = await self.signin.verify_async(name, pin)
        del pin
        if result.ok and result.operator is not None:
            self._second_verified = result.operator.name
        elif result.audit_error is not None:
            self._say_signin_audit_problem(name, result.audit_error)
        return result

    async def sign_in(self, name: str, pin: str) -> SignInResult:
        """Checks a PIN off the GUI thread (`SignIn.sign_in_async`) and reports who is signed in."""
        if self.signin is None:
            raise RuntimeError("sign-in is off")
        result = await self.signin.sign_in_async(name, pin)
        del pin
        if result.ok:
            self._signed_in = result.operator
            self.signinChanged.emit(result.operator, SignInChange.SIGNED_IN)
        else:
            self.check_signin()  # a failed attempt by someone else does not sign the current operator out
            if result.audit_error is not None:
                self._say_signin_audit_problem(name, result.audit_error)
        return result

    def _say_signin_audit_problem(self, name: str, exc: Exception) -> None:
        if _busy(exc):
            text = _("Audit trail busy: the failed sign-in of {name} is not recorded.")
        else:
            text = _("The failed sign-in of {name} could not be recorded: {why}")
        self.auditProblem.emit(text.format(name=name, why=exc))

    def sign_out(self) -> None:
        if self.signin is None:
            return
        self.signin.sign_out()
        if self._signed_in is not None:
            self._signed_in = None
            self.signinChanged.emit(None, SignInChange.SIGNED_OUT)

    def locked_seconds(self, name: str) -> int:
        return self.signin.locked_seconds(name) if self.signin is not None else 0

    def touch(self) -> None:
        """Operator activity (a tap or a key on the window): restarts the idle time."""
        if self.signin is not None:
            self.signin.touch()

    def check_signin(self) -> None:
        """Applies idle sign-out (the window calls this every second) and tells the window when it happened."""
        if self.signin is None:
            return
        now = self.signin.current()
        if now is None and self._signed_in is not None:
            self._signed_in = None
            self.signinChanged.emit(None, SignInChange.IDLE)
        elif now is not None and now != self._signed_in:
            self._signed_in = now
            self.signinChanged.emit(now, SignInChange.SIGNED_IN)

    # -- history ---------------------------------------------------------------------------------------------
    def request_history(self, limit: int = 200) -> None:
        """Reads the newest records of the audit trail on a worker thread and emits `historyLoaded`
        (only for the newest request, when several overlap)."""
        if self._audit is None:
            self.historyLoaded.emit([], _("No audit trail is open."))
            return
        if self._closed:
            return
        self._history_seq += 1
        self._spawn(self._read_history(limit, self._history_seq), "read-history")

    async def _read_history(self, limit: int, seq: int) -> None:
        audit = self._audit
        assert audit is not None  # load_history starts this only with a trail
        try:
            records = await asyncio.to_thread(audit.records, limit=limit)
        except Exception as exc:
            log.warning("could not read the audit trail: %s", exc)
            if seq != self._history_seq:
                return
            if _busy(exc):
                text = _("Audit trail busy: another program is using it. Close the history and open it again.")
            else:
                text = _("The audit trail cannot be read: {e}").format(e=exc)
            self.historyLoaded.emit([], text)
            return
        if seq == self._history_seq:
            self.historyLoaded.emit(records, "")

    def request_refresh(self) -> None:
        if self.client is not None and not self._closed:
            self._spawn(self.client.refresh(), "refresh")

    def request_demo(self, action: str) -> None:
        if self.control is None or self._closed:
            self.demoFinished.emit(action, False, _("Demo controls work only with --demo."))
            return
        self._spawn(self._demo(action), f"demo-{action}")

    async def _demo(self, action: str) -> None:
        control = self.control
        assert control is not None  # request_demo checked
        try:
            if action == "publish":
                state = await control.state()
                ids = [e.get("version_id", "") for e in state.get("feed", [])]
                ids += [state.get("active") or "", state.get("assigned") or ""]
                version = next_release([i for i in ids if i])
                await control.publish(version, notes=DEMO_NOTES.format(v=version))
                message = _("Published release {v}.").format(v=version)
            elif action == "fail":
                await control.fail()
                message = _("The running update was made to fail.")
            elif action == "power-loss":
                await control.power_loss()
                message = _("Power was cut; the simulated IPC restarts.")
            elif action == "reset":
                await control.reset()
                message = _("The simulation started over.")
            else:
                raise ValueError(f"unknown demo action {action!r}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            code = getattr(exc, "code", None)
            if callable(code):
                details = exc.details() if hasattr(exc, "details") else ""
                message = _("Not done: {why}").format(why=details or describe(code()).operator)
            else:
                message = _("Not done: {why}").format(why=exc)
            self.demoFinished.emit(action, False, message)
            return
        self.demoFinished.emit(action, True, message)
        if self.client is not None:
            await self.client.refresh()


def _utc(wall: float | None) -> datetime | None:
    return datetime.fromtimestamp(wall, UTC) if wall is not None else None


def _busy(exc: BaseException) -> bool:
    """True for "another program holds the audit trail's lock" (hmi.core.audit.AuditBusy)."""
    from hmi.core.audit import AuditBusy  # lazy: the audit module is loaded only with a trail

    return isinstance(exc, AuditBusy)
