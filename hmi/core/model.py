"""Immutable snapshots of what the IPC reported, normalised so odd input never raises.

Data flows one way: the client turns each `UpdateInfo` into a `Snapshot`, the
client adds `Connection` health, and pure functions (`approval_gate`, and the
texts in `hmi.core.view`) derive everything a screen or the CLI shows.

Normalisation rules (the IPC is a real device; assume only the public contract):
- an unknown enum value or STATE_UNSPECIFIED becomes UNKNOWN, keeping the raw number;
- a missing `current` or `available` is None; an empty version id is never approvable;
- `current_step > total_steps`, `total_steps == 0` or missing counts make progress indeterminate;
- notes are kept in full (megabytes are fine) with a bounded preview;
- control characters are stripped from display text. The exact `version_id` is kept
  untouched next to its display form: approval must carry exactly what the IPC sent.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from hmi.core.i18n import N_, _
from hmi.core.text import CONTROL as _CONTROL  # C0/C1 controls, bidi overrides: never shown raw

# Bounds that keep a screen and a terminal usable whatever the IPC sends.
DISPLAY_ID_MAX = 120
DESCRIPTION_MAX = 300
NOTES_PREVIEW_CHARS = 600
NOTES_PREVIEW_LINES = 12
# How long a confirmation (the console's sheet, the CLI's [y/N] prompt) stays valid, in seconds. The
# opening time travels with the intent, and the window, the controller and the client each refuse an
# intent older than this at the moment they act on it.
CONFIRMATION_TTL = 60.0


_LINE_BREAKS = re.compile(r"[\t\n\r\f\v\u2028\u2029]+")


class UpdateState(enum.StrEnum):
    UP_TO_DATE = "up-to-date"
    UPDATE_AVAILABLE = "update-available"
    RUNNING = "running"
    FAULT = "fault"
    UNKNOWN = "unknown"


# Wire numbers of UpdateInfo.State (see proto/); anything else is UNKNOWN.
_STATE_BY_NUMBER = {
    1: UpdateState.UPDATE_AVAILABLE,
    2: UpdateState.RUNNING,
    3: UpdateState.UP_TO_DATE,
    4: UpdateState.FAULT,
}
STATE_NAMES = {
    0: "STATE_UNSPECIFIED",
    1: "STATE_UPDATE_AVAILABLE",
    2: "STATE_UPDATE_RUNNING",
    3: "STATE_UP_TO_DATE",
    4: "STATE_FAULT",
}


def display_id(version_id: str) -> str:
    """A version id as screens and terminals show it: one clean line of at most DISPLAY_ID_MAX characters."""
    return clean_line(version_id, DISPLAY_ID_MAX)


def clean_line(text: str, limit: int) -> str:
    """One display line: controls out, whitespace folded, bounded with an ellipsis."""
    text = _LINE_BREAKS.sub(" ", text)
    text = _CONTROL.sub("", text).strip()
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def spelled_out(text: str, limit: int = 500) -> str:
    """The exact id with every invisible or control character spelled out as ⟨U+XXXX⟩ (the console's form),
    for terminals too: what it shows is what the bytes are. Bounded to `limit` characters of input."""
    out = []
    for ch in text[:limit]:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") or (ch.isspace() and ch != " "):
            out.append(f"⟨U+{ord(ch):04X}⟩")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(text) > limit else "")


def terminal_id(version_id: str) -> str:
    """A version id for a terminal line: the clean form, or the spelled-out form when that hides something."""
    shown = clean_line(version_id, DISPLAY_ID_MAX)
    return shown if shown == version_id else spelled_out(version_id, DISPLAY_ID_MAX)


def clean_notes(text: str) -> str:
    """Notes keep their lines (Markdown) but lose control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def notes_preview(notes: str) -> str:
    """The start of the notes: at most NOTES_PREVIEW_LINES lines and NOTES_PREVIEW_CHARS characters."""
    lines = notes.strip().split("\n", NOTES_PREVIEW_LINES)
    truncated = len(lines) > NOTES_PREVIEW_LINES
    preview = "\n".join(lines[:NOTES_PREVIEW_LINES])
    if len(preview) > NOTES_PREVIEW_CHARS:
        preview, truncated = preview[: NOTES_PREVIEW_CHARS - 1].rstrip(), True
    return preview + "…" if truncated else preview


@dataclass(frozen=True, slots=True)
class Version:
    version_id: str  # exactly as received: what an approval must carry
    display_id: str  # for screens and terminals
    notes: str | None  # full notes, control characters removed; None when absent
    notes_preview: str
    # The notes as received, so the next poll can reuse this Version without cleaning megabytes again.
    raw_notes: str | None = field(default=None, repr=False, compare=False)

    @property
    def approvable(self) -> bool:
        # An id that is empty, or only controls/whitespace, cannot be shown truthfully.
        return bool(self.version_id) and bool(self.display_id)

    @property
    def display_differs(self) -> bool:
        """True when the display form is not the exact id (controls removed or cut)."""
        return self.display_id != self.version_id


@dataclass(frozen=True, slots=True)
class Progress:
    step: int | None  # 0-based, as on the wire; None when absent
    total: int | None
    description: str

    @property
    def determinate(self) -> bool:
        return self.step is not None and self.total is not None and self.total > 0 and self.step < self.total

    @property
    def fraction(self) -> float | None:
        """Share of steps finished (the running step counts as not yet done)."""
        if not self.determinate:
            return None
        assert self.step is not None and self.total is not None
        return self.step / self.total

    @property
    def step_number(self) -> int | None:
        """1-based number of the running step, for people ("step 3 of 7")."""
        return None if self.step is None else self.step + 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    state: UpdateState
    raw_state: int
    current: Version | None
    available: Version | None
    progress: Progress | None
    received_at: float  # monotonic clock seconds, for age and freshness
    received_wall: float  # time.time(), for showing and logging

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.raw_state, f"unknown state {self.raw_state}")

    @property
    def offered(self) -> Version | None:
        """The version an operator may approve in this snapshot, or None."""
        if self.state in (UpdateState.UPDATE_AVAILABLE, UpdateState.FAULT) and self.available:
            return self.available if self.available.approvable else None
        return None

    def same_data(self, other: Snapshot | None) -> bool:
        """Equal apart from when it was received (used to report only changes)."""
        return other is not None and (
            self.raw_state,
            self.current,
            self.available,
            self.progress,
        ) == (other.raw_state, other.current, other.available, other.progress)


def _version(msg: Any, previous: Version | None) -> Version:
    raw_id = str(getattr(msg, "version_id", "") or "")
    raw_notes = str(msg.update_notes) if _has(msg, "update_notes") else None
    if previous is not None and previous.version_id == raw_id and previous.raw_notes == raw_notes:
        return previous  # unchanged since the last poll: skip the cleaning
    notes = clean_notes(raw_notes) if raw_notes is not None else None
    return Version(
        version_id=raw_id,
        display_id=display_id(raw_id),
        notes=notes,
        notes_preview=notes_preview(notes) if notes else "",
        raw_notes=raw_notes,
    )


def _has(msg: Any, field: str) -> bool:
    try:
        return bool(msg.HasField(field))
    except (ValueError, AttributeError):
        return False


def snapshot_from_proto(
    info: Any, *, received_at: float, received_wall: float, previous: Snapshot | None = None
) -> Snapshot:
    """Normalises one UpdateInfo. Never raises on odd content.

    `previous` (the last snapshot) lets unchanged versions be reused: a poll every second
    must not re-clean megabytes of notes on the GUI thread.
    """
    raw_state = int(getattr(info, "state", 0) or 0)
    state = _STATE_BY_NUMBER.get(raw_state, UpdateState.UNKNOWN)
    seen = [v for v in (previous.current, previous.available) if v is not None] if previous else []

    def version(name: str) -> Version | None:
        if not _has(info, name):
            return None
        msg = getattr(info, name)
        raw_id = str(getattr(msg, "version_id", "") or "")
        return _version(msg, next((v for v in seen if v.version_id == raw_id), None))

    current = version("current")
    available = version("available")
    progress = None
    if _has(info, "progress"):
        p = info.progress
        progress = Progress(
            step=int(p.current_step) if _has(p, "current_step") else None,
            total=int(p.total_steps) if _has(p, "total_steps") else None,
            description=clean_line(str(p.description), DESCRIPTION_MAX) if _has(p, "description") else "",
        )
    return Snapshot(
        state=state,
        raw_state=raw_state,
        current=current,
        available=available,
        progress=progress,
        received_at=received_at,
        received_wall=received_wall,
    )


class Health(enum.StrEnum):
    CONNECTING = "connecting"  # no answer yet, first call under way
    ONLINE = "online"  # a fresh answer
    STALE = "stale"  # no fresh answer for longer than stale_after, but no error either (slow IPC)
    OFFLINE = "offline"  # calls fail; the last data (if any) is old


@dataclass(frozen=True, slots=True)
class Connection:
    target: str
    last_ok_at: float | None  # monotonic time of the last successful answer
    last_attempt_failed: bool
    error_code: str | None  # grpc StatusCode name of the last failure
    error_detail: str | None  # technician detail of the last failure
    stale_after: float  # seconds; about three poll intervals

    def age(self, now: float) -> float | None:
        return None if self.last_ok_at is None else max(0.0, now - self.last_ok_at)

    def health(self, now: float) -> Health:
        age = self.age(now)
        if age is not None and age <= self.stale_after:
            return Health.ONLINE
        if self.last_attempt_failed:
            return Health.OFFLINE
        return Health.CONNECTING if age is None else Health.STALE


@dataclass(frozen=True, slots=True)
class ClientState:
    """Everything the client knows at one moment; screens derive what they show from it."""

    snapshot: Snapshot | None
    connection: Connection
    approval_in_flight: bool = False


@dataclass(frozen=True, slots=True)
class ApprovalIntent:
    """ "Approve exactly this", as a widget emits it: a Python object, so the id never passes through a Qt string.

    (PySide6 6.11's Signal(str) drops a leading U+FEFF and a leading U+FFFE byte-swaps the whole string.)
    `opened_at` is when the confirmation opened (the console's clock); `is_retry` what the operator was asked.
    """

    version_id: str
    opened_at: float | None = None
    is_retry: bool | None = None

    def expired(self, now: float, ttl: float = CONFIRMATION_TTL) -> bool:
        return self.opened_at is not None and not (0.0 <= now - self.opened_at <= ttl)


class GateReason(enum.StrEnum):
    OK = "ok"
    NO_DATA = "no-data"
    NOT_FRESH = "not-fresh"
    IN_FLIGHT = "in-flight"
    NOTHING_OFFERED = "nothing-offered"
    EMPTY_ID = "empty-id"


_GATE_TEXT = {
    GateReason.OK: N_("Ready to approve."),
    GateReason.NO_DATA: N_("No data from the IPC yet."),
    GateReason.NOT_FRESH: N_("The data is not live. Wait until the IPC answers again."),
    GateReason.IN_FLIGHT: N_("An approval is being sent."),
    GateReason.NOTHING_OFFERED: N_("There is no update to approve."),
    GateReason.EMPTY_ID: N_("The IPC offers an update without a version id; it cannot be approved."),
}


@dataclass(frozen=True, slots=True)
class ApprovalGate:
    allowed: bool
    reason: GateReason
    version: Version | None  # the exact version an approval would name
    is_retry: bool  # approving again after a FAULT

    @property
    def text(self) -> str:
        return _(_GATE_TEXT[self.reason])

    def permits(self, version_id: str) -> bool:
        """True only for exactly the offered version id, byte for byte."""
        return self.allowed and self.version is not None and self.version.version_id == version_id


def approval_gate(state: ClientState, now: float) -> ApprovalGate:
    """May the operator approve now? One pure function of (snapshot, health, in-flight, clock)."""
    snap = state.snapshot
    if snap is None:
        return ApprovalGate(False, GateReason.NO_DATA, None, False)
    is_retry = snap.state is UpdateState.FAULT
    if state.approval_in_flight:
        return ApprovalGate(False, GateReason.IN_FLIGHT, snap.offered, is_retry)
    if snap.state not in (UpdateState.UPDATE_AVAILABLE, UpdateState.FAULT) or snap.available is None:
        return ApprovalGate(False, GateReason.NOTHING_OFFERED, None, False)
    if not snap.available.approvable:
        return ApprovalGate(False, GateReason.EMPTY_ID, None, is_retry)
    fresh = (
        state.connection.health(now) is Health.ONLINE and 0.0 <= now - snap.received_at <= state.connection.stale_after
    )
    if not fresh:
        return ApprovalGate(False, GateReason.NOT_FRESH, snap.available, is_retry)
    return ApprovalGate(True, GateReason.OK, snap.available, is_retry)
