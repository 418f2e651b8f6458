"""Pure functions from client state to the words a person sees.

The console and the CLI's human output both use these, so a state is called
the same thing everywhere. Nothing here touches Qt or the network.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hmi.core.errors import describe
from hmi.core.i18n import N_, _
from hmi.core.model import ClientState, Connection, Health, Progress, Snapshot, UpdateState

INSTALLING = N_("The IPC is installing an update.")  # a run without a step the IPC described


class Severity(enum.StrEnum):
    NORMAL = "normal"  # nothing needs anyone: neutral grey
    ATTENTION = "attention"  # something waits for the operator (update offered)
    ACTIVE = "active"  # an update runs; watch, do not switch off
    ALARM = "alarm"  # the last update failed
    DEGRADED = "degraded"  # data is not live or the state is not understood


@dataclass(frozen=True, slots=True)
class Headline:
    kind: str  # stable key: icon name and test hook
    title: str
    detail: str
    severity: Severity


def format_age(seconds: float) -> str:
    s = int(max(0, seconds))
    if s < 60:
        return _("{n} s").format(n=s)
    if s < 3600:
        return _("{m} min {s} s").format(m=s // 60, s=s % 60) if s < 600 else _("{m} min").format(m=s // 60)
    return _("{h} h {m} min").format(h=s // 3600, m=(s % 3600) // 60)


def version_text(snapshot: Snapshot | None, which: str) -> str:
    version = getattr(snapshot, which, None) if snapshot else None
    if version is None:
        return _("none") if which == "available" else _("not reported")
    return version.display_id or _("(no version id)")


def progress_text(progress: Progress | None) -> str:
    """'Step 3 of 7 · Migrating database', degrading gracefully on odd counts."""
    if progress is None:
        return ""
    desc = progress.description
    if progress.determinate:
        head = _("Step {n} of {total}").format(n=progress.step_number, total=progress.total)
    elif progress.step is not None:
        head = _("Step {n}").format(n=progress.step_number)
    else:
        head = _("Working")
    return f"{head} · {desc}" if desc else head


def state_headline(snapshot: Snapshot) -> Headline:
    current = version_text(snapshot, "current")
    available = version_text(snapshot, "available")
    state = snapshot.state
    if state is UpdateState.UP_TO_DATE:
        return Headline("up-to-date", _("Up to date"), _("Running version {v}.").format(v=current), Severity.NORMAL)
    if state is UpdateState.UPDATE_AVAILABLE:
        if snapshot.offered is None:
            return Headline(
                "update-available",
                _("Update available"),
                _("An update is reported, but without a version id it cannot be approved."),
                Severity.ATTENTION,
            )
        return Headline(
            "update-available",
            _("Update available: waiting for approval"),
            _("Version {new} can replace {cur}.").format(new=available, cur=current),
            Severity.ATTENTION,
        )
    if state is UpdateState.RUNNING:
        detail = progress_text(snapshot.progress) or _(INSTALLING)
        if snapshot.available is not None:
            detail = _("Installing {v}. {p}").format(v=available, p=detail)
        return Headline("running", _("Updating: do not switch off"), detail, Severity.ACTIVE)
    if state is UpdateState.FAULT:
        return Headline("fault", _("Update failed"), fault_text(snapshot), Severity.ALARM)
    return Headline(
        "unknown",
        _("Unknown state"),
        _("The IPC reported a state this console does not know ({name}). No action is offered.").format(
            name=snapshot.state_name
        ),
        Severity.DEGRADED,
    )


def fault_text(snapshot: Snapshot) -> str:
    current = version_text(snapshot, "current")
    text = _("The last update failed and the IPC went back to version {v}.").format(v=current)
    if snapshot.offered is not None:
        text += " " + _("Approve {v} again to retry.").format(v=snapshot.offered.display_id)
    else:
        text += " " + _("Ask a technician to check the IPC.")
    return text


def connection_text(connection: Connection, now: float) -> str:
    health = connection.health(now)
    age = connection.age(now)
    reason = describe(connection.error_code).operator if connection.error_code else ""
    if health is Health.ONLINE:
        return _("Live") if not connection.last_attempt_failed else _("Live, reconnecting")
    if health is Health.CONNECTING:
        return _("Connecting to {t}…").format(t=connection.target)
    if age is None:
        return _("Offline: {reason}").format(reason=reason or _("no answer yet."))
    if health is Health.STALE:
        return _("Last update {age} ago, waiting for the IPC").format(age=format_age(age))
    return _("Last update {age} ago, reconnecting. {reason}").format(age=format_age(age), reason=reason).strip()


def headline(state: ClientState, now: float) -> Headline:
    """The one line that answers 'what is going on' at a glance, connection trouble first."""
    health = state.connection.health(now)
    snap = state.snapshot
    if snap is None:
        if health is Health.OFFLINE:
            return Headline(
                "offline",
                _("No connection to the IPC"),
                connection_text(state.connection, now),
                Severity.DEGRADED,
            )
        return Headline("connecting", _("Connecting…"), connection_text(state.connection, now), Severity.DEGRADED)
    if health is not Health.ONLINE:
        last = state_headline(snap)
        return Headline(
            "stale",
            _("Connection trouble: data is not live"),
            _("{conn}. Last known: {title}.").format(
                conn=connection_text(state.connection, now).rstrip("."), title=last.title
            ),
            Severity.DEGRADED,
        )
    return state_headline(snap)
