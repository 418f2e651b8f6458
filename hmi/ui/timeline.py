"""What this console observed, as a bounded list of entries, newest first. Qt-free.

`TimelineRecorder.observe(state, now, wall)` compares each client state with the
previous one and returns the entries it adds: state changes, a changed offer,
stage changes while updating, a new running version, and connection lost,
stale and restored. The controller's approvals and demo actions are added with
`note`. The window shows the entries; nothing here decides anything.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

from hmi.core.errors import describe
from hmi.core.i18n import _, format_stamp
from hmi.core.model import ClientState, Health, Snapshot, UpdateState
from hmi.core.view import Severity, format_age, progress_text, state_headline, version_text
from hmi.ui.presenter import TimelineKind

TIMELINE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Entry:
    wall: float  # time.time() when observed
    kind: TimelineKind
    text: str
    severity: Severity

    @property
    def clock(self) -> str:
        """Local wall-clock time, HH:MM:SS."""
        return time.strftime("%H:%M:%S", time.localtime(self.wall))

    def stamp(self, today: float) -> str:
        """The time of day when the entry is from the same local day as `today` (a time.time()), else the date
        and the time in the language's format (hmi.core.i18n.format_stamp)."""
        return format_stamp(self.wall, today)


def _state_text(snap: Snapshot) -> str:
    line = state_headline(snap)
    return f"{line.title}. {line.detail}" if line.detail else line.title


class TimelineRecorder:
    def __init__(self, limit: int = TIMELINE_LIMIT) -> None:
        self.entries: collections.deque[Entry] = collections.deque(maxlen=limit)
        self._snap: Snapshot | None = None
        self._health: Health | None = None
        self._error: str | None = None
        self._ever_online = False

    def note(
        self, kind: TimelineKind, text: str, severity: Severity = Severity.NORMAL, wall: float | None = None
    ) -> Entry:
        entry = Entry(time.time() if wall is None else wall, kind, text, severity)
        self.entries.appendleft(entry)
        return entry

    def observe(self, state: ClientState, now: float, wall: float) -> list[Entry]:
        added: list[Entry] = []

        def add(kind: TimelineKind, text: str, severity: Severity) -> None:
            added.append(self.note(kind, text, severity, wall))

        conn = state.connection
        health = conn.health(now)
        if health is not self._health:
            if health is Health.ONLINE:
                if self._ever_online:
                    add(TimelineKind.CONNECTION, _("Connection restored; the data is live again."), Severity.NORMAL)
                else:
                    add(
                        TimelineKind.CONNECTION,
                        _("Connected to the IPC at {t}.").format(t=conn.target),
                        Severity.NORMAL,
                    )
                self._ever_online = True
            elif health is Health.STALE:
                age = conn.age(now)
                add(
                    TimelineKind.CONNECTION,
                    _("The data is not live: no answer for {age}.").format(age=format_age(age or 0.0)),
                    Severity.DEGRADED,
                )
            elif health is Health.OFFLINE:
                reason = describe(conn.error_code).operator if conn.error_code else _("no answer.")
                add(TimelineKind.CONNECTION, _("Connection lost: {reason}").format(reason=reason), Severity.DEGRADED)
                self._error = conn.error_code
            self._health = health
        elif health is Health.OFFLINE and conn.error_code and conn.error_code != self._error:
            add(TimelineKind.ERROR, describe(conn.error_code).operator, Severity.DEGRADED)
            self._error = conn.error_code

        snap = state.snapshot
        if snap is not None and not snap.same_data(self._snap):
            prev = self._snap
            severity = state_headline(snap).severity
            if prev is None or prev.raw_state != snap.raw_state:
                add(TimelineKind.STATE, _state_text(snap), severity)
            else:
                prev_offer = prev.available.version_id if prev.available else None
                offer = snap.available.version_id if snap.available else None
                if snap.state is UpdateState.RUNNING:
                    if snap.progress != prev.progress and snap.progress is not None:
                        add(TimelineKind.STAGE, progress_text(snap.progress), Severity.ACTIVE)
                elif offer != prev_offer:
                    add(
                        TimelineKind.OFFER,
                        _("The offered version changed to {new} (was {old}).").format(
                            new=version_text(snap, "available"), old=version_text(prev, "available")
                        ),
                        Severity.ATTENTION,
                    )
                if prev.current != snap.current and (
                    prev.current is None or snap.current is None or prev.current.version_id != snap.current.version_id
                ):
                    add(
                        TimelineKind.VERSION,
                        _("Now running {v}.").format(v=version_text(snap, "current")),
                        Severity.NORMAL,
                    )
            started = snap.state is UpdateState.RUNNING and (prev is None or prev.state is not UpdateState.RUNNING)
            if started and snap.progress is not None:
                add(TimelineKind.STAGE, progress_text(snap.progress), Severity.ACTIVE)
            self._snap = snap
        return added
