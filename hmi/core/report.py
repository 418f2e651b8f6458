"""Text for the technician's terminal: the `report` block, `--watch` lines, and grpcurl-style JSON.

Human text is built from hmi.core.view (imported when needed: `report --json` skips it), so a
state has the same words in the CLI and the console.
JSON is protobuf's JSON mapping as grpcurl prints it: lowerCamelCase names, enum values as names
(an unknown number stays a number), unset fields omitted, two-space indent; `compact=True` gives one
line per object for `--watch --json`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hmi.core.model import ClientState
    from hmi.core.progress import Estimate

_LABEL_WIDTH = 12


def info_json(info: Any, *, compact: bool = False, hmi: dict[str, object] | None = None) -> str:
    """UpdateInfo (any message) as grpcurl prints it; with `hmi`, that object is added last under "hmi".

    The IPC's own fields keep protobuf's JSON mapping exactly (MessageToJson is json.dumps of MessageToDict,
    so the same dict with one more key prints them the same)."""
    import json

    from google.protobuf import json_format

    from hmi.core.text import json_for_terminal

    indent = None if compact else 2
    if hmi is None:
        text: str = json_format.MessageToJson(
            info, preserving_proto_field_name=False, indent=indent, ensure_ascii=False
        )
    else:
        obj = json_format.MessageToDict(info, preserving_proto_field_name=False)
        obj["hmi"] = hmi
        text = json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
    return json_for_terminal(text)


NOT_RUNNING_HMI: dict[str, object] = {"expected": None, "stuck": False}  # = hmi_json of an idle estimate


def _block(label: str, text: str) -> list[str]:
    """'Label:     first line' with continuation lines aligned under the text."""
    pad = " " * _LABEL_WIDTH
    lines = text.split("\n") if text else [""]
    out = [f"{(label + ':').ljust(_LABEL_WIDTH)}{lines[0]}".rstrip()]
    out.extend(f"{pad}{line}".rstrip() for line in lines[1:])
    return out


def format_report(state: ClientState, now: float, estimate: Estimate | None = None) -> str:
    """The `ipc-hmi report` block: state (FAULT explained), versions, progress and what is usual for it,
    notes, connection."""
    from hmi.core.i18n import _
    from hmi.core.model import spelled_out
    from hmi.core.view import connection_text, headline, progress_text, version_text

    head = headline(state, now)
    snap = state.snapshot
    lines = _block(_("State"), f"{head.title}\n{head.detail}" if head.detail else head.title)
    if snap is not None:
        for which, label in (("current", _("Current")), ("available", _("Available"))):
            lines += _block(label, version_text(snap, which))
            version = getattr(snap, which)
            if version is not None and version.display_differs:  # the screen form hides something: say what
                lines += _block(_("Exact id"), spelled_out(version.version_id))
        if snap.progress is not None:
            lines += _block(_("Progress"), progress_text(snap.progress))
        if estimate is not None and estimate.step_text:
            expected = [estimate.step_text, estimate.remaining_text]
            lines += _block(_("Expected"), "\n".join(x for x in expected if x))
        if estimate is not None and estimate.stuck:
            lines += _block(_("Warning"), estimate.stuck_text)
        notes = snap.available.notes_preview if snap.available is not None else ""
        if notes:
            lines += _block(_("Notes"), notes)
    lines += _block(_("Connection"), f"{connection_text(state.connection, now)} ({state.connection.target})")
    return "\n".join(lines)


def change_key(state: ClientState, now: float) -> tuple[Any, ...]:
    """Equal for two states that a `--watch` reader would see as the same (ignores times and ages)."""
    from hmi.core.model import Health

    snap = state.snapshot
    data = None if snap is None else (snap.raw_state, snap.current, snap.available, snap.progress)
    health = state.connection.health(now)
    return (data, health, state.connection.error_code if health is not Health.ONLINE else None)


def format_line(state: ClientState, now: float, wall: float) -> str:
    """One `--watch` line: local time, headline and its detail."""
    from hmi.core.view import headline

    head = headline(state, now)
    import datetime as _dt

    stamp = _dt.datetime.fromtimestamp(wall).strftime("%H:%M:%S")
    text = f"{head.title} · {head.detail}" if head.detail else head.title
    return f"{stamp}  {text}"


def estimate_key(estimate: Estimate) -> tuple[Any, ...]:
    """Equal for two estimates a `--watch` reader would see as the same (ignores how long the step has run)."""
    return (estimate.status, estimate.step, estimate.earlier, estimate.remaining, estimate.stuck)


def format_estimate_lines(previous: Estimate | None, estimate: Estimate, wall: float) -> list[str]:
    """`--watch` lines when the estimate changed: what is usual and the range, the stuck-step warning when
    it starts, and a note when it ends."""
    import datetime as _dt
    from dataclasses import replace

    from hmi.core.i18n import _
    from hmi.core.progress import STUCK_ENDED, Status, stuck_change

    stamp = _dt.datetime.fromtimestamp(wall).strftime("%H:%M:%S")
    out: list[str] = []
    changed = previous is None or estimate_key(previous) != estimate_key(estimate)
    if changed and estimate.status is not Status.IDLE and not estimate.stuck:
        # Without "running for": the line's time says when, and it is printed as the step starts.
        parts = [replace(estimate, running_for=None).step_text, estimate.remaining_text]
        out.append(f"{stamp}  " + _("Expected: {text}").format(text=" · ".join(x for x in parts if x)))
    change = stuck_change(previous, estimate)
    if change == "started":
        out.append(f"{stamp}  " + _("Warning: {text}").format(text=estimate.stuck_text))
    elif change == "ended":
        out.append(f"{stamp}  {_(STUCK_ENDED)}")
    return out


def format_failure(state: ClientState) -> tuple[str, str, int]:
    """Operator sentence, technician line and exit code for a failed read."""
    from hmi.core.errors import explain
    from hmi.core.model import clean_line

    conn = state.connection
    text = explain(conn.error_code or "UNKNOWN", conn.error_detail)
    # The detail carries the server's own words: cleaned of control characters before a terminal sees it.
    return text.operator, clean_line(conn.error_detail or text.technician, 1000), text.exit_code or 1
