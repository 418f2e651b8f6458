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

_LABEL_WIDTH = 12


def info_json(info: Any, *, compact: bool = False) -> str:
    """UpdateInfo (any message) as grpcurl prints it."""
    from google.protobuf import json_format

    from hmi.core.text import json_for_terminal

    text: str = json_format.MessageToJson(
        info,
        preserving_proto_field_name=False,
        indent=None if compact else 2,
        ensure_ascii=False,
    )
    return json_for_terminal(text)


def _block(label: str, text: str) -> list[str]:
    """'Label:     first line' with continuation lines aligned under the text."""
    pad = " " * _LABEL_WIDTH
    lines = text.split("\n") if text else [""]
    out = [f"{(label + ':').ljust(_LABEL_WIDTH)}{lines[0]}".rstrip()]
    out.extend(f"{pad}{line}".rstrip() for line in lines[1:])
    return out


def format_report(state: ClientState, now: float) -> str:
    """The `ipc-hmi report` block: state (FAULT explained), versions, progress, notes, connection."""
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


def format_failure(state: ClientState) -> tuple[str, str, int]:
    """Operator sentence, technician line and exit code for a failed read."""
    from hmi.core.errors import explain
    from hmi.core.model import clean_line

    conn = state.connection
    text = explain(conn.error_code or "UNKNOWN", conn.error_detail)
    # The detail carries the server's own words: cleaned of control characters before a terminal sees it.
    return text.operator, clean_line(conn.error_detail or text.technician, 1000), text.exit_code or 1
