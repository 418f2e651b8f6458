"""How far, how long, is it stuck: pure rules for a long update (issue 14). Qt-free, no I/O.

Two pure pieces, both fed from the snapshots the client already makes:

- `observe(tracker, snapshot)` folds one poll into a `RunTracker`: which step runs, since when
  (as first seen by a poll), whether a gap in the data hides part of it, whether the IPC's
  counts are consistent, and which steps ended on this poll (`tracker.finished`, for the
  step history to store).
- `estimate(tracker, history, now, previous, settings)` turns the tracker and the earlier
  durations of this target's steps into an `Estimate`: the usual duration of the running
  step, a whole-update range in whole minutes, and the stuck-step flag, with its texts.

Rules (docs/progress.md describes them for people):
- A step is keyed by (index, total, description); a version id in the description is
  replaced by "{version}" so "Downloading version 1.5.0." matches on the next update.
- Only trusted earlier durations count: a step seen from its start to its end with no gap
  longer than `gap_limit` between two answers.
- The remaining range comes from earlier complete updates with the same step count: for
  each, the time its later steps took plus what is left of its current step. Lower bound
  rounded down, upper bound rounded up to whole minutes, at least one minute apart. It is
  never a single number.
- No jumps: while the same step runs, each bound moves at most one minute per poll.
- Bad input (counts going backwards, total changing, description changing within a step,
  missing counts while running) makes the run inconsistent: no estimate for the rest of
  that run, and never an exception.
- Stuck: running for more than `stuck_factor` times the longest earlier duration and at
  least `stuck_minimum` seconds; with no earlier duration, `stuck_without_history` seconds.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from hmi.core.i18n import N_, _, ngettext
from hmi.core.model import Connection, Health, Snapshot, UpdateState

DEFAULT_GAP_LIMIT = 10.0  # seconds between two answers beyond which a step's duration is not trusted


@dataclass(frozen=True, slots=True)
class ProgressSettings:
    stuck_factor: float = 3.0
    stuck_minimum: float = 300.0  # seconds
    stuck_without_history: float = 1200.0  # seconds

    def __post_init__(self) -> None:
        for name in ("stuck_factor", "stuck_minimum", "stuck_without_history"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number, 0 or more")
        if self.stuck_factor < 1:
            raise ValueError("stuck_factor must be at least 1")

    def scaled(self, speed: float) -> ProgressSettings:
        """The thresholds for a mock running `speed` times faster (the demo): seconds divided by speed."""
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError("speed must be a number greater than 0")
        return ProgressSettings(self.stuck_factor, self.stuck_minimum / speed, self.stuck_without_history / speed)


@dataclass(frozen=True, slots=True)
class StepKey:
    index: int  # 0-based, as on the wire
    total: int
    description: str  # the version id replaced by "{version}"


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of one earlier update, as observed from the polls."""

    run_id: str
    key: StepKey
    duration: float  # seconds
    trusted: bool  # seen from start to end with no gap in the data


def step_key(snapshot: Snapshot) -> StepKey | None:
    """The running step of a snapshot, or None when it has no usable counts."""
    p = snapshot.progress
    if snapshot.state is not UpdateState.RUNNING or p is None or not p.determinate:
        return None
    assert p.step is not None and p.total is not None
    description = p.description
    version = snapshot.available.display_id if snapshot.available is not None else ""
    if len(version) >= 3:  # a one- or two-character id would replace ordinary digits and words
        description = description.replace(version, "{version}")
    return StepKey(p.step, p.total, description)


@dataclass(frozen=True, slots=True)
class RunTracker:
    """What the polls have shown of the running update. Build with `RunTracker()`, feed with `observe`."""

    gap_limit: float = DEFAULT_GAP_LIMIT
    last_at: float | None = None  # received_at of the newest snapshot seen
    run_id: str | None = None  # set while an update runs
    step: StepKey | None = None  # the running step (the last one seen, if inconsistent)
    step_started_at: float | None = None  # when a poll first showed it
    step_start_seen: bool = False  # the poll before showed the step before (no gap)
    step_gap: bool = False  # a gap in the data while it ran
    consistent: bool = True
    version: str | None = None  # the version id being installed (the offer when the run started)
    finished: tuple[StepRecord, ...] = ()  # steps that ended with the last observed snapshot

    @property
    def running(self) -> bool:
        return self.run_id is not None


def _ended(t: RunTracker, at: float, gap: bool) -> StepRecord | None:
    if t.run_id is None or t.step is None or t.step_started_at is None or not t.consistent:
        return None
    duration = max(0.0, at - t.step_started_at)
    return StepRecord(t.run_id, t.step, duration, t.step_start_seen and not t.step_gap and not gap)


def _succeeded(t: RunTracker, snapshot: Snapshot) -> bool:
    """The run ended well: UP_TO_DATE, or already the next offer while running the version just installed
    (a poll can miss the short UP_TO_DATE between two releases). FAULT and anything else: not."""
    if snapshot.state is UpdateState.UP_TO_DATE:
        return True
    current = snapshot.current.version_id if snapshot.current is not None else None
    return snapshot.state is UpdateState.UPDATE_AVAILABLE and t.version is not None and current == t.version


def observe(tracker: RunTracker, snapshot: Snapshot | None) -> RunTracker:
    """Folds one poll in. A snapshot already seen (same received_at) or None changes nothing."""
    t = replace(tracker, finished=()) if tracker.finished else tracker
    if snapshot is None:
        return t
    at = snapshot.received_at
    if not math.isfinite(at) or (t.last_at is not None and at <= t.last_at):
        return t
    gap = t.last_at is not None and at - t.last_at > t.gap_limit
    key = step_key(snapshot)
    if snapshot.state is not UpdateState.RUNNING:
        done = _ended(t, at, gap) if t.running and _succeeded(t, snapshot) else None
        return RunTracker(gap_limit=t.gap_limit, last_at=at, finished=(done,) if done else ())
    if t.run_id is None:
        run_id = f"{snapshot.received_wall:.6f}"
        return RunTracker(
            gap_limit=t.gap_limit,
            last_at=at,
            version=snapshot.available.version_id if snapshot.available is not None else None,
            run_id=run_id,
            step=key,
            step_started_at=at,
            step_start_seen=t.last_at is not None and not gap and key is not None,
            consistent=key is not None,
        )
    if key is None or t.step is None:
        # Running without counts: nothing to compare with for the rest of this run.
        return replace(t, last_at=at, consistent=False, step_gap=t.step_gap or gap)
    same_index = key.index == t.step.index
    bad = key.total != t.step.total or key.index < t.step.index or (same_index and key != t.step)
    if bad or not t.consistent:
        moved = key != t.step
        return replace(
            t,
            last_at=at,
            consistent=False,
            step=key,
            step_started_at=at if moved else t.step_started_at,
            step_gap=False if moved else t.step_gap or gap,
        )
    if same_index:
        return replace(t, last_at=at, step_gap=t.step_gap or gap)
    done = _ended(t, at, gap)
    return replace(
        t,
        last_at=at,
        step=key,
        step_started_at=at,
        step_start_seen=not gap,
        step_gap=False,
        finished=(done,) if done else (),
    )


class Status(enum.StrEnum):
    IDLE = "idle"  # no update running
    NO_HISTORY = "no-history"  # running, nothing trusted to compare with
    INCONSISTENT = "inconsistent"  # running, but the IPC's counts do not add up
    ESTIMATE = "estimate"


@dataclass(frozen=True, slots=True)
class Estimate:
    status: Status
    step: StepKey | None = None
    running_for: float | None = None  # seconds since a poll first showed this step
    usual: float | None = None  # median of the trusted earlier durations of this step
    longest: float | None = None
    earlier: int = 0  # how many earlier updates the usual duration comes from
    remaining: tuple[int, int] | None = None  # whole minutes, low < high
    stuck: bool = False
    settings: ProgressSettings = field(default_factory=ProgressSettings, compare=False, repr=False)

    @property
    def step_text(self) -> str:
        """The line beside "Step 3 of 7 · …"; "" when no update runs."""
        if self.status is Status.IDLE:
            return ""
        if self.status is Status.INCONSISTENT:
            return _("No estimate: not enough consistent data from the IPC.")
        if self.running_for is None:  # one read (`ipc-hmi report`): how long it has run is not known
            if self.status is Status.NO_HISTORY or self.usual is None:
                return _("No earlier update to compare with.")
            return ngettext(
                "usually about {usual} here ({n} earlier update)",
                "usually about {usual} here ({n} earlier updates)",
                self.earlier,
            ).format(usual=format_rough(self.usual), n=self.earlier)
        running = format_duration(self.running_for)
        if self.status is Status.NO_HISTORY or self.usual is None:
            return _("No earlier update to compare with; running for {running}.").format(running=running)
        return ngettext(
            "usually about {usual} here ({n} earlier update), running for {running}",
            "usually about {usual} here ({n} earlier updates), running for {running}",
            self.earlier,
        ).format(usual=format_rough(self.usual), n=self.earlier, running=running)

    @property
    def remaining_text(self) -> str:
        """ "About 6 to 9 min left", or "" when there is no range."""
        if self.remaining is None:
            return ""
        low, high = self.remaining
        if low == 0:
            return ngettext("Less than {high} min left", "Less than {high} min left", high).format(high=high)
        return ngettext("About {low} to {high} min left", "About {low} to {high} min left", high).format(
            low=low, high=high
        )

    @property
    def stuck_text(self) -> str:
        """The attention text of a stuck step, or ""."""
        if not self.stuck:
            return ""
        tail = _("Do not switch off. If the IPC still answers, it is working.")
        now = format_rough(self.running_for or 0.0)
        if self.usual is None:
            head = _("This step has been running for {now}, with no earlier update to compare with.").format(now=now)
        else:
            head = _("This step is taking much longer than on earlier updates (usually {usual}, now {now}).").format(
                usual=format_rough(self.usual), now=now
            )
        return f"{head} {tail}"


def format_duration(seconds: float) -> str:
    """Exact enough for "running for": "40 s", "1 min 40 s", "1 h 5 min"."""
    s = int(max(0.0, seconds)) if math.isfinite(seconds) else 0
    if s < 60:
        return _("{s} s").format(s=s)
    if s < 3600:
        m, rest = divmod(s, 60)
        return _("{m} min {s} s").format(m=m, s=rest) if rest else _("{m} min").format(m=m)
    h, rest = divmod(s // 60, 60)
    return _("{h} h {m} min").format(h=h, m=rest) if rest else _("{h} h").format(h=h)


def format_rough(seconds: float) -> str:
    """Rounded for "usually about …": "40 s" (to 10 s) under 90 s, whole minutes, then hours and minutes."""
    s = max(0.0, seconds) if math.isfinite(seconds) else 0.0
    if s < 90:
        return _("{s} s").format(s=math.floor(s / 10.0 + 0.5) * 10 if s >= 10 else max(1, math.floor(s + 0.5)))
    m = math.floor(s / 60.0 + 0.5)  # half up: 2.5 min is "3 min"
    if m < 60:
        return _("{m} min").format(m=m)
    return format_duration(m * 60)


def is_stuck(running_for: float, longest: float | None, settings: ProgressSettings) -> bool:
    """The stuck-step rule, on its own so the UI and the CLI cannot disagree."""
    if not math.isfinite(running_for):
        return False
    if longest is None:
        return running_for >= settings.stuck_without_history
    return running_for > settings.stuck_factor * longest and running_for >= settings.stuck_minimum


def _usable(records: Iterable[StepRecord]) -> list[StepRecord]:
    return [r for r in records if r.trusted and math.isfinite(r.duration) and r.duration >= 0]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _raw_range(step: StepKey, running_for: float, history: Sequence[StepRecord]) -> tuple[int, int] | None:
    """Minutes left per earlier complete update with this step count; None if none qualifies."""
    runs: dict[str, dict[int, StepRecord]] = {}
    for r in history:
        if r.key.total == step.total:
            runs.setdefault(r.run_id, {})[r.key.index] = r
    totals: list[float] = []
    for steps in runs.values():
        here, last = steps.get(step.index), steps.get(step.total - 1)
        if here is None or here.key != step or last is None:
            continue  # not this step, or the update did not finish
        later = [steps[i] for i in steps if i > step.index]
        if not here.trusted or not all(x.trusted for x in later):
            continue
        # Steps that ran between two polls have no record; they took less than one poll interval.
        totals.append(max(0.0, here.duration - running_for) + sum(x.duration for x in later))
    if not totals or not all(math.isfinite(x) for x in totals):
        return None
    low, high = math.floor(min(totals) / 60.0), math.ceil(max(totals) / 60.0)
    return low, max(high, low + 1)


def _no_jump(raw: tuple[int, int], prev: tuple[int, int]) -> tuple[int, int]:
    """Each bound moves at most one minute from `prev`, and the bounds stay at least one minute apart."""
    pl, ph = prev
    low = min(max(raw[0], pl - 1), pl + 1)
    high = min(max(raw[1], ph - 1), ph + 1)
    low = max(low, 0)
    if high < low + 1:
        low = max(0, high - 1)
        high = max(high, low + 1)
    return low, high


def estimate(
    tracker: RunTracker,
    history: Sequence[StepRecord],
    now: float,
    previous: Estimate | None = None,
    settings: ProgressSettings | None = None,
) -> Estimate:
    """What to show for the running update at monotonic time `now`. Never raises for odd data.

    `history` is this target's earlier steps (the store's `records(target)`); `previous` is the
    estimate shown after the last poll, for the no-jump rule.
    """
    settings = settings or ProgressSettings()
    if not tracker.running:
        return Estimate(Status.IDLE, settings=settings)
    started = tracker.step_started_at
    running_for = max(0.0, now - started) if started is not None and math.isfinite(now) else 0.0
    if not tracker.consistent or tracker.step is None:
        stuck = is_stuck(running_for, None, settings)
        return Estimate(Status.INCONSISTENT, tracker.step, running_for, stuck=stuck, settings=settings)
    step = tracker.step
    usable = [r for r in _usable(history) if r.run_id != tracker.run_id]
    same = [r for r in usable if r.key == step]
    if not same:
        stuck = is_stuck(running_for, None, settings)
        return Estimate(Status.NO_HISTORY, step, running_for, stuck=stuck, settings=settings)
    durations = [r.duration for r in same]
    usual, longest = _median(durations), max(durations)
    earlier = len({r.run_id for r in same})
    remaining = None
    if running_for <= longest:  # once past every earlier run of this step, a range would be invented
        remaining = _raw_range(step, running_for, usable)
        prev = previous.remaining if previous is not None and previous.step == step else None
        if remaining is not None and prev is not None:
            remaining = _no_jump(remaining, prev)
    return Estimate(
        Status.ESTIMATE,
        step,
        running_for,
        usual=usual,
        longest=longest,
        earlier=earlier,
        remaining=remaining,
        stuck=is_stuck(running_for, longest, settings),
        settings=settings,
    )


def estimate_once(
    snapshot: Snapshot | None, history: Sequence[StepRecord], settings: ProgressSettings | None = None
) -> Estimate:
    """For a single read (`ipc-hmi report` without --watch): what is usual for the running step.

    One answer cannot say how long the step has run, so there is no "running for" (`running_for` is
    None) and no stuck flag; the range spans "the step just ended" (its later steps only) to "it just
    began" (this step and the later ones), lower bound rounded down, upper up. Never raises.
    """
    settings = settings or ProgressSettings()
    if snapshot is None or snapshot.state is not UpdateState.RUNNING:
        return Estimate(Status.IDLE, settings=settings)
    step = step_key(snapshot)
    if step is None:
        return Estimate(Status.INCONSISTENT, settings=settings)
    usable = _usable(history)
    same = [r for r in usable if r.key == step]
    if not same:
        return Estimate(Status.NO_HISTORY, step, settings=settings)
    durations = [r.duration for r in same]
    remaining = None
    late, early = _raw_range(step, math.inf, usable), _raw_range(step, 0.0, usable)
    if late is not None and early is not None:
        remaining = (late[0], max(early[1], late[0] + 1))
    return Estimate(
        Status.ESTIMATE,
        step,
        None,
        usual=_median(durations),
        longest=max(durations),
        earlier=len({r.run_id for r in same}),
        remaining=remaining,
        settings=settings,
    )


# ---- liveness during a run -----------------------------------------------------------------

DEFAULT_RESTART_GRACE = 300.0  # seconds an IPC may stay unreachable mid-update before it is "connection trouble"


class Liveness(enum.StrEnum):
    NOT_RUNNING = "not-running"  # no update runs: the console's usual connection texts apply
    ANSWERING = "answering"  # an update runs and the IPC answers
    RESTARTING = "restarting"  # an update runs, the IPC is unreachable, within restart_grace
    TROUBLE = "trouble"  # unreachable for longer than restart_grace: the usual connection-trouble warning


@dataclass(frozen=True, slots=True)
class LivenessView:
    kind: Liveness
    answered_ago: float | None  # seconds since the last answer
    status_text: str  # for the status bar, refreshed each second: "IPC answered 1 s ago"
    headline: str  # replaces "connection trouble" while RESTARTING; "" otherwise


def liveness(
    connection: Connection, now: float, update_running: bool, restart_grace: float = DEFAULT_RESTART_GRACE
) -> LivenessView:
    """How alive the IPC is during an update. `update_running` is `RunTracker.running` (the last data said RUNNING)."""
    age = connection.age(now)
    ago = format_duration(age) if age is not None else ""
    if not update_running:
        return LivenessView(Liveness.NOT_RUNNING, age, "", "")
    if connection.health(now) is Health.ONLINE:
        return LivenessView(Liveness.ANSWERING, age, _("IPC answered {ago} ago").format(ago=ago), "")
    status = _("IPC last answered {ago} ago").format(ago=ago) if age is not None else _("No answer from the IPC yet")
    if age is not None and age < restart_grace:
        headline = _("The IPC is restarting as part of the update; do not switch off.")
        return LivenessView(Liveness.RESTARTING, age, status, headline)
    return LivenessView(Liveness.TROUBLE, age, status, "")


# ---- for the timeline and for `report --json` ----------------------------------------------


STUCK_ENDED = N_("The step that took much longer than on earlier updates has ended.")  # timeline, report --watch


def stuck_change(previous: Estimate | None, current: Estimate) -> str | None:
    """ "started" or "ended" when the stuck state changed between two estimates (for the timeline), else None."""
    was = previous is not None and previous.stuck
    if current.stuck and not was:
        return "started"
    if was and not current.stuck:
        return "ended"
    return None


def hmi_json(e: Estimate) -> dict[str, object]:
    """The `hmi` object of `ipc-hmi report --json`: `expected` (None when no update runs) and `stuck`.

    Plain JSON values only (no NaN or infinity), so the IPC's own fields keep their protobuf JSON mapping.
    """

    def seconds(value: float | None) -> float | None:
        return round(value, 1) if value is not None and math.isfinite(value) else None

    expected: dict[str, object] | None = None
    if e.status is not Status.IDLE:
        expected = {
            "status": e.status.value,
            "step": None
            if e.step is None
            else {"index": e.step.index, "total": e.step.total, "description": e.step.description},
            "running_for_s": seconds(e.running_for),
            "usual_s": seconds(e.usual),
            "longest_s": seconds(e.longest),
            "earlier_updates": e.earlier,
            "remaining_min": list(e.remaining) if e.remaining is not None else None,
            "text": e.step_text,
            "remaining_text": e.remaining_text,
            "warning": e.stuck_text,
        }
    return {"expected": expected, "stuck": e.stuck}
