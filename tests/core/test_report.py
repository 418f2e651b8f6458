"""Terminal text: the report block in the console's words, and JSON exactly as grpcurl prints it."""

from __future__ import annotations

from hmi.core.model import ClientState, Connection, snapshot_from_proto
from hmi.core.report import change_key, format_failure, format_line, format_report, info_json
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb
from tests.core.fake_ipc import available, fault, running, up_to_date

NOW = 100.0


def state_of(info: pb.UpdateInfo, *, ok: bool = True, code: str | None = None) -> ClientState:
    snap = snapshot_from_proto(info, received_at=NOW, received_wall=0.0)
    conn = Connection(
        target="127.0.0.1:50051",
        last_ok_at=NOW if ok else NOW - 60,
        last_attempt_failed=not ok,
        error_code=code,
        error_detail=None if ok else "No connection (UNAVAILABLE)",
        stale_after=3.0,
    )
    return ClientState(snapshot=snap, connection=conn)


def test_json_is_grpcurl_format() -> None:
    info = running("1.5.0", "1.4.2", step=2, total=7)
    assert info_json(info) == (
        "{\n"
        '  "state": "STATE_UPDATE_RUNNING",\n'
        '  "current": {\n'
        '    "versionId": "1.4.2"\n'
        "  },\n"
        '  "available": {\n'
        '    "versionId": "1.5.0"\n'
        "  },\n"
        '  "progress": {\n'
        '    "currentStep": 2,\n'
        '    "totalSteps": 7,\n'
        '    "description": "Migrating database"\n'
        "  }\n"
        "}"
    )


def test_json_omits_unset_and_keeps_set_defaults() -> None:
    assert info_json(pb.UpdateInfo()) == "{}"
    info = pb.UpdateInfo(state=pb.UpdateInfo.STATE_UP_TO_DATE, current=pb.IntrinsicVersion())
    info.progress.current_step = 0  # optional: present, so printed even though 0
    assert (
        info_json(info, compact=True) == '{"state": "STATE_UP_TO_DATE", "current": {}, "progress": {"currentStep": 0}}'
    )


def test_json_unknown_state_is_a_number_and_text_is_utf8() -> None:
    info = pb.UpdateInfo(state=9, current=pb.IntrinsicVersion(version_id="1.4.2", update_notes="Grüße ✓"))
    assert info_json(info, compact=True) == (
        '{"state": 9, "current": {"versionId": "1.4.2", "updateNotes": "Grüße ✓"}}'
    )


def test_report_available() -> None:
    text = format_report(state_of(available("1.5.0", "1.4.2", notes="## 1.5.0\n\n- Faster.")), NOW)
    assert text.splitlines() == [
        "State:      Update available: waiting for approval",
        "            Version 1.5.0 can replace 1.4.2.",
        "Current:    1.4.2",
        "Available:  1.5.0",
        "Notes:      ## 1.5.0",
        "",
        "            - Faster.",
        "Connection: Live (127.0.0.1:50051)",
    ]


def test_report_running_shows_progress_in_the_console_words() -> None:
    text = format_report(state_of(running("1.5.0", "1.4.2", step=2, total=7)), NOW)
    assert "State:      Updating: do not switch off" in text
    assert "Progress:   Step 3 of 7 · Migrating database" in text


def test_report_fault_is_explained() -> None:
    text = format_report(state_of(fault("1.5.0", "1.4.2")), NOW)
    assert "Update failed" in text
    assert "The last update failed and the IPC went back to version 1.4.2. Approve 1.5.0 again to retry." in text


def test_report_up_to_date_and_unknown() -> None:
    assert "Up to date" in format_report(state_of(up_to_date("1.4.2")), NOW)
    text = format_report(state_of(pb.UpdateInfo(state=42)), NOW)
    assert "Unknown state" in text and "unknown state 42" in text and "Current:    not reported" in text


def test_report_stale_data_is_marked() -> None:
    text = format_report(state_of(available(), ok=False, code="UNAVAILABLE"), NOW)
    assert "Connection trouble: data is not live" in text
    assert "Last update 1 min 0 s ago" in text


def test_control_characters_never_reach_the_terminal() -> None:
    info = available("1.5.0\x1b[2J", "1.4.2\x07", notes="ok\x1b]0;pwned\x07 notes")
    text = format_report(state_of(info), NOW)
    assert "\x1b" not in text and "\x07" not in text


def test_watch_line_and_change_key() -> None:
    a = state_of(available())
    line = format_line(a, NOW, 0.0)
    assert "Update available: waiting for approval · Version 1.5.0 can replace 1.4.2." in line
    later = state_of(available())
    assert change_key(a, NOW) == change_key(later, NOW + 1)
    assert change_key(a, NOW) != change_key(state_of(running()), NOW)
    assert change_key(a, NOW) != change_key(state_of(available(), ok=False, code="UNAVAILABLE"), NOW)


def test_failure_text_and_exit_code() -> None:
    operator, technician, code = format_failure(state_of(available(), ok=False, code="UNAUTHENTICATED"))
    assert code == 5 and "signed in" in operator
    assert format_failure(state_of(available(), ok=False, code="UNAVAILABLE"))[2] == 4
    assert technician
