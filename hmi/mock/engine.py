"""The stage engine: a mock IPC's update state, driven by a scenario and a clock.

Versions follow node-config-status: the active version (what runs), the
assigned version (the target of the latest update) and the last known good
version (what a failure rolls back to). Stages follow the staged upgrade API.
The engine is plain synchronous code: every change happens in a method call or
a timer callback, then `_commit` re-arms the scenario's timers and tells the
listeners (the state file). Nothing here blocks or sleeps.

What `ReportUpdateInfo` reports (`update_info()`), by state:
  UP_TO_DATE        current = active; no available, no progress.
  UPDATE_AVAILABLE  current = active; available = the offered version (the newest published); no progress.
  RUNNING           current = active (the old version until "write new configs" completes, then the new one);
                    available = the version being installed (the assigned version);
                    progress = 0-based index of the running stage, stage count, stage description.
  FAULT             current = the last known good version it rolled back to; available = the version
                    that can be retried (the newest published, normally the one that failed); no progress.

`approve(version_id)` rules, in both modes:
  empty id -> INVALID_ARGUMENT; no power -> UNAVAILABLE;
  RUNNING and the id is the version being installed -> OK, nothing changes (a client may safely retry);
  RUNNING and any other id -> FAILED_PRECONDITION naming both ids;
  nothing offered -> FAILED_PRECONDITION ("nothing to approve");
  not the offered id -> FAILED_PRECONDITION naming both ids;
  the offered id -> the update starts (from FAULT this is the retry).
In automatic mode an offered version starts by itself after `auto_start_delay`; approving it
earlier starts it at once. A FAULT waits for an operator in both modes.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import grpc

from hmi.core import limits
from hmi.mock.clock import Clock, Scheduler, Timer
from hmi.mock.scenarios import Mode, Scenario, load_scenario
from hmi.mock.stages import ACTIVATING_STAGE, STAGE_NAMES, STAGES, Level, StageStatus
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

# Bounded so a demo that loops for days keeps a small state file.
EVENT_LIMIT = 500
RECORD_FORMAT = 1


class State(StrEnum):
    """The IpcUpdater state, by its wire enum name."""

    UP_TO_DATE = "STATE_UP_TO_DATE"
    UPDATE_AVAILABLE = "STATE_UPDATE_AVAILABLE"
    RUNNING = "STATE_UPDATE_RUNNING"
    FAULT = "STATE_FAULT"

    @property
    def wire(self) -> int:
        return int(pb.UpdateInfo.State.Value(self.value))


class EngineError(Exception):
    """A refused request; `code` is the gRPC status the servicer answers with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class LogEntry:
    time: float
    level: Level
    message: str


@dataclass
class FeedEntry:
    """A published version; `fail_at` and `power_loss_at` are spent by the first attempt that hits them."""

    version_id: str
    update_notes: str | None
    published_at: float
    fail_at: str | None = None
    power_loss_at: str | None = None


@dataclass
class StageRun:
    name: str
    status: StageStatus = StageStatus.UNSTARTED
    started_at: float | None = None
    finished_at: float | None = None
    logs: list[LogEntry] = field(default_factory=list)


def iso(t: float | None) -> str | None:
    """Epoch seconds as an RFC 3339 UTC timestamp with milliseconds."""
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fresh_stages() -> list[StageRun]:
    return [StageRun(name) for name in STAGE_NAMES]


class Engine:
    """A mock IPC's update state. Public methods raise EngineError for refused requests."""

    def __init__(
        self,
        scenario: Scenario | str | Path,
        clock: Clock,
        scheduler: Scheduler | None = None,
        *,
        record: dict[str, Any] | None = None,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self._clock = clock
        self._scheduler: Scheduler = scheduler if scheduler is not None else clock  # type: ignore[assignment]
        self._timers: dict[str, Timer] = {}
        self._listeners: list[Callable[[Engine], None]] = []
        self._events: collections.deque[LogEntry] = collections.deque(maxlen=EVENT_LIMIT)
        self._info: pb.UpdateInfo | None = None
        self._closed = False
        # The jitter's random numbers: seeded by the scenario, drawn in stage order, so a scenario
        # on a FakeClock gives the same durations every run.
        self._rng = random.Random(self.scenario.seed)
        self._planned: dict[int, float] = {}
        self._init_story()
        if record is None:
            self._event(Level.INFO, f'Mock IPC started: scenario "{self.scenario.name}", "{self._active}" installed.')
        else:
            self._restore(record)
        self._commit()

    # ---- what clients see ------------------------------------------------------------------

    @property
    def state(self) -> State:
        if self._running:
            return State.RUNNING
        if self._fault:
            return State.FAULT
        return State.UPDATE_AVAILABLE if self.offered() else State.UP_TO_DATE

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def powered(self) -> bool:
        return self._powered

    @property
    def active(self) -> str:
        return self._active

    @property
    def assigned(self) -> str:
        return self._assigned

    @property
    def last_known_good(self) -> str:
        return self._lkg

    def offered(self) -> FeedEntry | None:
        """The newest published version, unless it is the one running."""
        newest = self._feed[-1]
        return newest if newest.version_id != self._active else None

    def update_info(self) -> pb.UpdateInfo:
        """What ReportUpdateInfo returns; always consistent for its state (see the module docstring)."""
        if not self._powered:
            raise EngineError(grpc.StatusCode.UNAVAILABLE, "the IPC is restarting after a power loss")
        if self._info is None:
            self._info = self._build_info()
        info = pb.UpdateInfo()
        info.CopyFrom(self._info)
        return info

    def _build_info(self) -> pb.UpdateInfo:
        state = self.state
        info = pb.UpdateInfo(
            state=pb.UpdateInfo.State.Value(state.value), current=pb.IntrinsicVersion(version_id=self._active)
        )
        if state is State.RUNNING:
            info.available.CopyFrom(self._version(self._entry(self._assigned)))
            i = self._stage_index or 0
            info.progress.current_step = i
            info.progress.total_steps = len(STAGES)
            info.progress.description = STAGES[i].description.format(version=self._assigned)
        elif state in (State.UPDATE_AVAILABLE, State.FAULT) and (offered := self.offered()):
            info.available.CopyFrom(self._version(offered))
        return info

    @staticmethod
    def _version(entry: FeedEntry) -> pb.IntrinsicVersion:
        version = pb.IntrinsicVersion(version_id=entry.version_id)
        if entry.update_notes is not None:
            version.update_notes = entry.update_notes
        return version

    # ---- requests --------------------------------------------------------------------------

    def approve(self, version_id: str) -> None:
        """ApproveUpdate: starts the offered version; see the module docstring for every rule."""
        if not version_id:
            raise EngineError(
                grpc.StatusCode.INVALID_ARGUMENT,
                "approved.version_id is empty; copy it from the available version that ReportUpdateInfo reports",
            )
        self._require_power()
        if self._running:
            if version_id == self._assigned:
                return  # the same approval again: a safe retry, nothing changes
            raise EngineError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'version "{version_id}" is not the offered version "{self._assigned}", '
                f"whose update is already running",
            )
        offered = self.offered()
        if offered is None:
            raise EngineError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'nothing to approve: the IPC is up to date on "{self._active}" (asked for "{version_id}")',
            )
        if version_id != offered.version_id:
            raise EngineError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'version "{version_id}" is not the offered version "{offered.version_id}"',
            )
        self._start_update(offered, "approved by the operator")
        self._commit()

    def publish(self, version_id: str, update_notes: str | None = None, fail_at: str | None = None) -> None:
        """Adds a version to the release feed; the newest published version is the one offered."""
        if not version_id:
            raise EngineError(grpc.StatusCode.INVALID_ARGUMENT, "version_id is empty")
        if fail_at is not None and fail_at not in STAGE_NAMES:
            raise EngineError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f'fail_at "{fail_at}" is not a stage; expected one of: {", ".join(STAGE_NAMES)}',
            )
        if any(e.version_id == version_id for e in self._feed):
            raise EngineError(
                grpc.StatusCode.ALREADY_EXISTS,
                f'version "{version_id}" is already in the release feed; version ids are unique',
            )
        self._publish(FeedEntry(version_id, update_notes, self._clock.time(), fail_at=fail_at), "by mock control")
        self._commit()

    def set_mode(self, mode: Mode | str) -> None:
        try:
            new = Mode(mode)
        except ValueError:
            raise EngineError(
                grpc.StatusCode.INVALID_ARGUMENT, f'mode must be "approval" or "automatic", got "{mode}"'
            ) from None
        self._mode = new
        self._event(Level.INFO, f"Mode set to {new.value}.")
        self._commit()

    def fail(self) -> None:
        """The running update fails now, in its current stage, and rolls back."""
        self._require_power_for_control()
        if not self._running:
            raise EngineError(grpc.StatusCode.FAILED_PRECONDITION, f"no update is running (state {self.state.value})")
        self._fail_update("Failure injected from mock control.")
        self._commit()

    def power_loss(self) -> None:
        """Power goes off now; after `restart_delay` the IPC comes back (FAULT if an update was running)."""
        self._require_power_for_control()
        self._lose_power()
        self._commit()

    def reset(self) -> None:
        """Back to the start of the scenario; the event log is kept."""
        self._cancel_all()
        self._init_story()
        self._event(Level.INFO, f'Reset to the start of scenario "{self.scenario.name}".')
        self._commit()

    def add_listener(self, listener: Callable[[Engine], None]) -> None:
        """`listener(engine)` runs after every transition (the state file saves there)."""
        self._listeners.append(listener)

    def close(self) -> None:
        """Cancels every timer; the engine stops moving."""
        self._closed = True
        self._cancel_all()
        self._listeners.clear()

    def _require_power(self) -> None:
        if not self._powered:
            raise EngineError(grpc.StatusCode.UNAVAILABLE, "the IPC is restarting after a power loss")

    def _require_power_for_control(self) -> None:
        # Mock control stays reachable while the IPC is off, so this is a precondition, not UNAVAILABLE.
        if not self._powered:
            raise EngineError(
                grpc.StatusCode.FAILED_PRECONDITION, "the IPC has no power; it is restarting after a power loss"
            )

    # ---- transitions -----------------------------------------------------------------------

    def _init_story(self) -> None:
        s = self.scenario
        self._mode = s.mode
        self._feed = [FeedEntry(s.installed, s.installed_notes, self._clock.time())]
        self._active = self._assigned = self._lkg = s.installed
        self._running = self._fault = False
        self._powered = True
        self._stage_index: int | None = None
        self._stages = _fresh_stages()
        self._planned = {}
        self._next_release = 0
        self._builds = 0

    def _publish(self, entry: FeedEntry, how: str) -> None:
        self._feed.append(entry)
        self._event(Level.INFO, f'Version "{entry.version_id}" published to the release feed ({how}).')

    def _start_update(self, entry: FeedEntry, cause: str) -> None:
        self._cancel("auto")
        self._running, self._fault = True, False
        self._assigned = entry.version_id
        self._stages = _fresh_stages()
        self._planned = {}
        self._event(Level.INFO, f'Update to "{entry.version_id}" started ({cause}), replacing "{self._active}".')
        self._begin_stage(0)

    def _begin_stage(self, i: int) -> None:
        spec, run, version = STAGES[i], self._stages[i], self._assigned
        now, duration = self._clock.time(), self._stage_duration(spec.name, version)
        self._planned[i] = duration
        self._stage_index = i
        run.status, run.started_at = StageStatus.UNDERWAY, now
        for k, (fraction, level, message) in enumerate(spec.logs):
            text = message.format(version=version)
            if fraction <= 0:
                run.logs.append(LogEntry(now, level, text))
            else:
                self._arm(f"log{k}", duration * fraction, partial(self._stage_log, i, level, text))
        self._arm("stage", duration, partial(self._complete_stage, i))
        entry = self._entry(version)
        if entry.fail_at == spec.name:
            self._arm("inject", duration / 2, partial(self._inject_failure, entry))
        elif entry.power_loss_at == spec.name:
            self._arm("inject", duration / 2, partial(self._inject_power_loss, entry))

    def _stage_duration(self, stage: str, version: str) -> float:
        """The scenario's duration for this stage, times the jitter, times the release's slow factor."""
        s = self.scenario
        duration = s.duration(stage)
        if s.jitter > 0:
            duration *= self._rng.uniform(1.0 - s.jitter, 1.0 + s.jitter)
        release = next((r for r in s.releases if r.version_id == version), None)
        if release is not None and release.slow_at == stage:
            duration *= release.slow_factor
        return duration

    def _stage_log(self, i: int, level: Level, message: str) -> None:
        self._stages[i].logs.append(LogEntry(self._clock.time(), level, message))

    def _complete_stage(self, i: int) -> None:
        spec, run, version = STAGES[i], self._stages[i], self._assigned
        run.status, run.finished_at = StageStatus.COMPLETED, self._clock.time()
        run.logs.append(LogEntry(run.finished_at, Level.SUCCESS, spec.done.format(version=version)))
        if spec.name == ACTIVATING_STAGE:
            self._active = version
            self._event(Level.INFO, f'"{version}" is now the active version; its health check follows.')
        if i + 1 < len(STAGES):
            self._begin_stage(i + 1)
        else:
            self._succeed()

    def _succeed(self) -> None:
        version = self._assigned
        self._active = self._lkg = version
        self._running, self._stage_index = False, None
        self._event(Level.SUCCESS, f'Update to "{version}" succeeded; "{version}" is now the last known good version.')

    def _inject_failure(self, entry: FeedEntry) -> None:
        entry.fail_at = None  # the first attempt fails; a retry succeeds
        self._fail_update(STAGES[self._stage_index or 0].fault)

    def _inject_power_loss(self, entry: FeedEntry) -> None:
        entry.power_loss_at = None
        self._lose_power()

    def _fail_update(self, reason: str) -> None:
        """The running stage fails; already-run stages are rolled back; the last known good runs again."""
        self._cancel_update_timers()
        i, now, version = self._stage_index or 0, self._clock.time(), self._assigned
        run = self._stages[i]
        run.status, run.finished_at = StageStatus.FAILED, now
        run.logs.append(LogEntry(now, Level.ERROR, reason))
        for earlier in reversed(self._stages[:i]):
            if earlier.status is StageStatus.COMPLETED:
                earlier.status = StageStatus.ROLLED_BACK
                earlier.logs.append(LogEntry(now, Level.WARNING, "Rolled back."))
        self._active = self._lkg
        self._running, self._fault, self._stage_index = False, True, None
        self._event(
            Level.ERROR,
            f'Update to "{version}" failed in stage "{run.name}": {reason} '
            f'Rolled back to the last known good version "{self._lkg}".',
        )

    def _lose_power(self) -> None:
        self._cancel_update_timers()
        self._cancel("auto")
        self._powered = False
        self._event(Level.WARNING, "Power lost.")
        if self._running and self._stage_index is not None:
            self._stage_log(self._stage_index, Level.ERROR, "Power lost during this stage.")
        if self.scenario.restart_delay <= 0:
            self._restore_power("Power restored.")
        else:
            self._arm("restart", self.scenario.restart_delay, partial(self._restore_power, "Power restored."))

    def _restore_power(self, note: str) -> None:
        """Back from a power loss (simulated, or a mock process that stopped mid-update)."""
        self._powered = True
        self._event(Level.INFO, note)
        if self._running:
            self._fail_update("Interrupted by a power loss.")

    # ---- the scenario's story: timers armed after each transition ----------------------------

    def _commit(self) -> None:
        if self._closed:
            return
        # A zero delay runs now, not on the next tick, so "available at start" holds at once.
        for _ in range(len(self.scenario.releases) + 8):
            self._info = None
            due = self._arm_story()
            if due is None:
                break
            due()
        self._info = None
        for listener in list(self._listeners):
            listener(self)

    def _arm_story(self) -> Callable[[], None] | None:
        """Arms the timers the current state calls for; returns a step that is due right now, if any."""
        if not self._powered:
            return None
        s, state = self.scenario, self.state
        idle = state in (State.UP_TO_DATE, State.FAULT)
        if self._mode is Mode.AUTOMATIC and state is State.UPDATE_AVAILABLE:
            if "auto" not in self._timers and (due := self._arm("auto", s.auto_start_delay, self._auto_start)):
                return due
        else:
            self._cancel("auto")
        sup = s.supersede
        if sup and self._builds < sup.builds and "build" not in self._timers:
            delay = sup.delay if self._builds == 0 else sup.every if state is State.UPDATE_AVAILABLE else None
            if delay is not None and (due := self._arm("build", delay, self._publish_build)):
                return due
        releases = s.releases
        release_due = self._next_release < len(releases) and (self._next_release == 0 or idle)
        release_timer = release_due and "release" not in self._timers
        if release_timer and (due := self._arm("release", releases[self._next_release].delay, self._publish_release)):
            return due
        story_over = self._next_release >= len(releases) and (sup is None or self._builds >= sup.builds)
        if s.loop_after is not None and story_over and idle and "loop" not in self._timers:
            return self._arm("loop", s.loop_after, self._loop)
        return None

    def _auto_start(self) -> None:
        if self._mode is Mode.AUTOMATIC and self.state is State.UPDATE_AVAILABLE and (offered := self.offered()):
            self._start_update(offered, "automatic mode, no approval needed")

    def _publish_release(self) -> None:
        release = self.scenario.releases[self._next_release]
        self._next_release += 1
        entry = FeedEntry(
            release.version_id,
            release.update_notes,
            self._clock.time(),
            fail_at=release.fail_at,
            power_loss_at=release.power_loss_at,
        )
        if any(e.version_id == entry.version_id for e in self._feed):
            self._event(Level.WARNING, f'Scenario release "{entry.version_id}" skipped: already published.')
        else:
            self._publish(entry, "scenario")

    def _publish_build(self) -> None:
        sup = self.scenario.supersede
        assert sup is not None
        if self._builds and self.state is not State.UPDATE_AVAILABLE:
            return  # supersede only while approval is pending
        self._builds += 1
        version_id, notes = sup.build(self._builds)
        if any(e.version_id == version_id for e in self._feed):
            return
        self._publish(FeedEntry(version_id, notes, self._clock.time()), f"build {self._builds} of {sup.builds}")

    def _loop(self) -> None:
        if self.state in (State.UP_TO_DATE, State.FAULT):
            self._cancel_all()
            self._init_story()
            self._event(Level.INFO, f'The story of scenario "{self.scenario.name}" starts over.')

    # ---- timers ---------------------------------------------------------------------------

    def _arm(self, name: str, delay: float, step: Callable[[], None]) -> Callable[[], None] | None:
        """Arms timer `name`; a delay of 0 returns `step` for the caller to run now instead."""
        self._cancel(name)
        if delay <= 0 and name in ("auto", "build", "release", "loop"):
            return step
        self._timers[name] = self._scheduler.call_later(delay, partial(self._fire, name, step))
        return None

    def _fire(self, name: str, step: Callable[[], None]) -> None:
        self._timers.pop(name, None)
        if self._closed:
            return
        step()
        self._commit()

    def _cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _cancel_update_timers(self) -> None:
        for name in [n for n in self._timers if n in ("stage", "inject") or n.startswith("log")]:
            self._cancel(name)

    def _cancel_all(self) -> None:
        for name in list(self._timers):
            self._cancel(name)

    # ---- records -------------------------------------------------------------------------

    def _entry(self, version_id: str) -> FeedEntry:
        for entry in reversed(self._feed):
            if entry.version_id == version_id:
                return entry
        return FeedEntry(version_id, None, self._clock.time())  # not in the feed: a restored record's installed id

    def _event(self, level: Level, message: str) -> None:
        self._events.append(LogEntry(self._clock.time(), level, message))

    def snapshot(self) -> dict[str, Any]:
        """The whole mock state, JSON-able, for mock control (`state`) and the demo drawer."""
        progress = None
        if self._running and self._stage_index is not None:
            info = self._build_info()
            progress = {
                "current_step": info.progress.current_step,
                "total_steps": info.progress.total_steps,
                "description": info.progress.description,
            }
        offered = self.offered()
        return {
            "scenario": self.scenario.name,
            "state": self.state.value,
            "mode": self._mode.value,
            "powered": self._powered,
            "active": self._active,
            "assigned": self._assigned,
            "last_known_good": self._lkg,
            "offered": offered.version_id if offered and not self._running else None,
            "progress": progress,
            "feed": [
                {
                    "version_id": e.version_id,
                    "update_notes": e.update_notes,
                    "published_at": iso(e.published_at),
                    "fail_at": e.fail_at,
                }
                for e in self._feed
            ],
            "stages": [
                {
                    "name": run.name,
                    "status": run.status.value,
                    "duration": self._planned.get(k, self.scenario.duration(run.name)),
                    "started_at": iso(run.started_at),
                    "finished_at": iso(run.finished_at),
                    "logs": [_log_dict(x) for x in run.logs],
                }
                for k, run in enumerate(self._stages)
            ],
            "events": [_log_dict(x) for x in self._events],
        }

    def to_record(self) -> dict[str, Any]:
        """Everything needed to restore the engine, for the state file."""
        return {
            "format": RECORD_FORMAT,
            "scenario": self.scenario.name,
            "mode": self._mode.value,
            "active": self._active,
            "assigned": self._assigned,
            "last_known_good": self._lkg,
            "running": self._running,
            "fault": self._fault,
            "powered": self._powered,
            "stage_index": self._stage_index,
            "next_release": self._next_release,
            "builds": self._builds,
            "feed": [
                {
                    "version_id": e.version_id,
                    "update_notes": e.update_notes,
                    "published_at": e.published_at,
                    "fail_at": e.fail_at,
                    "power_loss_at": e.power_loss_at,
                }
                for e in self._feed
            ],
            "stages": [
                {
                    "name": r.name,
                    "status": r.status.value,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "logs": [_log_record(x) for x in r.logs],
                }
                for r in self._stages
            ],
            "events": [_log_record(x) for x in self._events],
        }

    def _restore(self, record: dict[str, Any]) -> None:
        """Loads a record (ValueError naming the key when it does not fit); an update that was running
        when the record was written was interrupted, exactly like a power loss."""
        r = _RecordReader(record)
        if r.get("format", int) != RECORD_FORMAT:
            raise ValueError(f"format: expected {RECORD_FORMAT}, got {record.get('format')!r}")
        if r.get("scenario", str) != self.scenario.name:
            raise ValueError(
                f'scenario: the file belongs to scenario "{record["scenario"]}", not "{self.scenario.name}"'
            )
        self._mode = r._enum(Mode, r.get("mode", str), "mode")
        self._active = r.get("active", str)
        self._assigned = r.get("assigned", str)
        self._lkg = r.get("last_known_good", str)
        self._running = r.get("running", bool)
        self._fault = r.get("fault", bool)
        self._powered = r.get("powered", bool)
        stage_index = r.get("stage_index", int, optional=True)
        sup = self.scenario.supersede
        self._stage_index = None if stage_index is None else r.whole(stage_index, "stage_index", (0, len(STAGES) - 1))
        self._next_release = r.whole(r.get("next_release", int), "next_release", (0, len(self.scenario.releases)))
        self._builds = r.whole(r.get("builds", int), "builds", (0, sup.builds if sup else 0))
        self._feed = [r.feed_entry(x, f"feed[{i}]") for i, x in enumerate(r.get("feed", list))]
        if not self._feed:
            raise ValueError("feed: expected at least the installed version")
        ids = [e.version_id for e in self._feed]
        if len(set(ids)) != len(ids):
            raise ValueError("feed: expected each version id once")
        stages = [r.stage(x, f"stages[{i}]") for i, x in enumerate(r.get("stages", list))]
        if [s.name for s in stages] != list(STAGE_NAMES):
            raise ValueError(f"stages: expected the stages {', '.join(STAGE_NAMES)} in order")
        self._stages = stages
        # Rules across fields: a record these do not hold for was not written by this engine.
        if self._running and self._fault:
            raise ValueError("fault: expected false while running is true (an update cannot run and have failed)")
        if self._running and self._stage_index is None:
            raise ValueError("stage_index: expected the running stage's index while running is true")
        if not self._running and self._stage_index is not None:
            raise ValueError("stage_index: expected null while running is false")
        if self._running and self._assigned not in ids:
            raise ValueError("assigned: expected a version in the feed while running is true")
        self._events.clear()
        self._events.extend(r.log(x, f"events[{i}]") for i, x in enumerate(r.get("events", list)))
        if self._running or not self._powered:
            self._restore_power("Power restored: the mock IPC was stopped and has started again.")
        else:
            self._event(Level.INFO, "Mock IPC started again from its state file.")


def _log_dict(entry: LogEntry) -> dict[str, Any]:
    return {"time": iso(entry.time), "level": entry.level.value, "message": entry.message}


def _log_record(entry: LogEntry) -> dict[str, Any]:
    return {"time": entry.time, "level": entry.level.value, "message": entry.message}


class _RecordReader:
    """Typed reads from a state record; each failure names the key."""

    def __init__(self, record: dict[str, Any]) -> None:
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object at the top level, got {type(record).__name__}")
        self.record = record

    @staticmethod
    def _check(data: Any, key: str, kind: type, where: str, optional: bool = False) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        if key not in data:
            raise ValueError(f"{where}{key}: missing")
        value = data[key]
        if value is None and optional:
            return None
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ValueError(f"{where}{key}: expected {kind.__name__}, got {type(value).__name__}")
        if kind is float:  # every number of this kind in a record is a moment, in epoch seconds
            try:
                return limits.number(value, f"{where}{key}", limits.EPOCH_SECONDS, unit="epoch seconds")
            except limits.RangeError as exc:
                raise ValueError(str(exc)) from None
        return value

    @staticmethod
    def whole(value: int, where: str, bounds: tuple[int, int]) -> int:
        try:
            return limits.whole(value, where, bounds)
        except limits.RangeError as exc:
            raise ValueError(str(exc)) from None

    @staticmethod
    def stage_name(value: str | None, where: str) -> str | None:
        if value is not None and value not in STAGE_NAMES:
            raise ValueError(f"{where}: expected a stage name or null, got {value!r}")
        return value

    def get(self, key: str, kind: type, optional: bool = False) -> Any:
        return self._check(self.record, key, kind, "", optional)

    def feed_entry(self, data: Any, where: str) -> FeedEntry:
        w = f"{where}."
        return FeedEntry(
            version_id=self._check(data, "version_id", str, w),
            update_notes=self._check(data, "update_notes", str, w, True),
            published_at=self._check(data, "published_at", float, w),
            fail_at=self.stage_name(self._check(data, "fail_at", str, w, True), f"{w}fail_at"),
            power_loss_at=self.stage_name(self._check(data, "power_loss_at", str, w, True), f"{w}power_loss_at"),
        )

    def stage(self, data: Any, where: str) -> StageRun:
        w = f"{where}."
        return StageRun(
            name=self._check(data, "name", str, w),
            status=self._enum(StageStatus, self._check(data, "status", str, w), f"{w}status"),
            started_at=self._check(data, "started_at", float, w, True),
            finished_at=self._check(data, "finished_at", float, w, True),
            logs=[self.log(x, f"{w}logs[{i}]") for i, x in enumerate(self._check(data, "logs", list, w))],
        )

    def log(self, data: Any, where: str) -> LogEntry:
        w = f"{where}."
        level = self._enum(Level, self._check(data, "level", str, w), f"{w}level")
        return LogEntry(self._check(data, "time", float, w), level, self._check(data, "message", str, w))

    @staticmethod
    def _enum(kind: type[StrEnum], value: str, where: str) -> Any:
        allowed = [x.value for x in kind]
        if value not in allowed:
            raise ValueError(f"{where}: expected one of {', '.join(allowed)}, got {value!r}")
        return kind(value)
