"""Each normalisation rule of hmi.core.model and the approval gate, one example at a time.

(The property-based sweep over random UpdateInfo messages is in tests/core.)
"""

from __future__ import annotations

import grpc
import pytest

from hmi.core import errors
from hmi.core.model import (
    ClientState,
    Connection,
    GateReason,
    Health,
    UpdateState,
    approval_gate,
    snapshot_from_proto,
)
from hmi.core.view import format_age, headline, progress_text
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

NOW = 1000.0


def snap(**fields):
    return snapshot_from_proto(pb.UpdateInfo(**fields), received_at=NOW, received_wall=0.0)


def v(version_id, notes=None):
    return (
        pb.IntrinsicVersion(version_id=version_id, update_notes=notes)
        if notes is not None
        else (pb.IntrinsicVersion(version_id=version_id))
    )


def conn(last_ok_at=NOW, failed=False, code=None):
    return Connection("127.0.0.1:50051", last_ok_at, failed, code, None, stale_after=3.0)


def test_unknown_and_unspecified_states_keep_the_raw_number():
    for raw in (0, 5, 99):
        s = snap(state=raw)
        assert s.state is UpdateState.UNKNOWN and s.raw_state == raw
    assert snap(state=0).state_name == "STATE_UNSPECIFIED"
    assert snap(state=99).state_name == "unknown state 99"
    assert headline(ClientState(snap(state=99), conn()), NOW).kind == "unknown"


def test_missing_current_and_available_are_none_not_errors():
    s = snap(state=1)
    assert s.current is None and s.available is None and s.offered is None
    assert approval_gate(ClientState(s, conn()), NOW).reason is GateReason.NOTHING_OFFERED


def test_empty_or_invisible_version_id_is_never_approvable():
    for vid in ("", "\x00\x1b", "   "):
        s = snap(state=1, current=v("1.0"), available=v(vid))
        gate = approval_gate(ClientState(s, conn()), NOW)
        assert not gate.allowed and gate.reason is GateReason.EMPTY_ID


@pytest.mark.parametrize(
    ("step", "total", "determinate", "text"),
    [
        (2, 7, True, "Step 3 of 7 · Migrating"),
        (9, 7, False, "Step 10 · Migrating"),
        (0, 0, False, "Step 1 · Migrating"),
        (None, None, False, "Working · Migrating"),
        (6, 7, True, "Step 7 of 7 · Migrating"),
    ],
)
def test_odd_progress_counts_become_indeterminate(step, total, determinate, text):
    p = pb.Progress(description="Migrating")
    if step is not None:
        p.current_step = step
    if total is not None:
        p.total_steps = total
    s = snap(state=2, progress=p)
    assert s.progress.determinate is determinate
    assert (s.progress.fraction is None) is (not determinate)
    assert progress_text(s.progress) == text


def test_huge_notes_are_kept_in_full_with_a_bounded_preview():
    notes = "line of notes\n" * 200_000  # 2.8 MB
    s = snap(state=1, available=v("2.0", notes))
    assert s.available.notes == notes
    assert len(s.available.notes_preview) <= 601 and s.available.notes_preview.endswith("…")


def test_control_characters_are_stripped_for_display_but_the_exact_id_is_kept():
    s = snap(state=1, current=v("1.0"), available=v("2.0\x1b[31m\u202e", "a\x00b\nc"))
    assert s.available.version_id == "2.0\x1b[31m\u202e"
    assert s.available.display_id == "2.0[31m" and s.available.display_differs
    assert s.available.notes == "ab\nc"
    gate = approval_gate(ClientState(s, conn()), NOW)
    assert gate.permits("2.0\x1b[31m\u202e") and not gate.permits("2.0[31m")


def test_gate_allows_only_the_exact_offered_version_on_fresh_data():
    s = snap(state=1, current=v("1.4.2"), available=v("1.5.0"))
    gate = approval_gate(ClientState(s, conn()), NOW)
    assert gate.allowed and gate.permits("1.5.0")
    for other in ("1.5.1", "1.5.0 ", "1.5", ""):
        assert not gate.permits(other)


def test_gate_refuses_stale_data_in_flight_and_running():
    s = snap(state=1, current=v("1.4.2"), available=v("1.5.0"))
    assert approval_gate(ClientState(s, conn()), NOW + 3.5).reason is GateReason.NOT_FRESH
    assert approval_gate(ClientState(s, conn(), approval_in_flight=True), NOW).reason is GateReason.IN_FLIGHT
    running = snap(state=2, current=v("1.4.2"), available=v("1.5.0"))
    assert approval_gate(ClientState(running, conn()), NOW).reason is GateReason.NOTHING_OFFERED
    assert approval_gate(ClientState(None, conn(None)), NOW).reason is GateReason.NO_DATA


def test_fault_with_an_offered_version_is_a_retry():
    s = snap(state=4, current=v("1.4.2"), available=v("1.5.0"))
    gate = approval_gate(ClientState(s, conn()), NOW)
    assert gate.allowed and gate.is_retry
    text = headline(ClientState(s, conn()), NOW).detail
    assert "went back to version 1.4.2" in text and "Approve 1.5.0 again to retry" in text


def test_health_online_stale_offline():
    assert conn().health(NOW + 1) is Health.ONLINE
    assert conn().health(NOW + 10) is Health.STALE
    assert conn(failed=True, code="UNAVAILABLE").health(NOW + 10) is Health.OFFLINE
    assert conn(None, failed=True).health(NOW) is Health.OFFLINE
    assert conn(None).health(NOW) is Health.CONNECTING
    h = headline(ClientState(snap(state=3, current=v("1.4.2")), conn(failed=True, code="UNAVAILABLE")), NOW + 14)
    assert h.kind == "stale" and "14 s ago" in h.detail and "cannot be reached" in h.detail
    assert ".." not in h.detail


def test_every_grpc_status_code_has_plain_words_and_an_exit_code():
    assert set(errors.all_codes()) == {c.name for c in grpc.StatusCode}
    for code in grpc.StatusCode:
        text = errors.describe(code)
        assert text.operator.endswith(".") and text.technician and text.code == code.name
    assert errors.describe(grpc.StatusCode.UNAVAILABLE).exit_code == errors.EXIT_UNREACHABLE
    assert errors.describe(grpc.StatusCode.FAILED_PRECONDITION).exit_code == errors.EXIT_REFUSED
    assert errors.describe(grpc.StatusCode.UNAUTHENTICATED).exit_code == errors.EXIT_AUTH
    assert errors.describe("NO_SUCH_CODE").code == "UNKNOWN"


def test_format_age():
    assert [format_age(x) for x in (0, 14, 75, 900, 3725)] == ["0 s", "14 s", "1 min 15 s", "15 min", "1 h 2 min"]


def test_unchanged_versions_are_reused_from_the_previous_snapshot():
    notes = "# Notes\n" + "x" * 1_000_000
    first = snap(state=1, current=v("1.4.2"), available=v("1.5.0", notes))
    again = snapshot_from_proto(
        pb.UpdateInfo(state=1, current=v("1.4.2"), available=v("1.5.0", notes)),
        received_at=NOW + 1,
        received_wall=1.0,
        previous=first,
    )
    assert again.available is first.available and again.current is first.current
    changed = snapshot_from_proto(
        pb.UpdateInfo(state=1, current=v("1.4.2"), available=v("1.5.0", notes + "\x00!")),
        received_at=NOW + 2,
        received_wall=2.0,
        previous=again,
    )
    assert changed.available is not first.available and changed.available.notes.endswith("x!")
    # FAULT after RUNNING: the version that was `available` may come back as `current`.
    swapped = snapshot_from_proto(
        pb.UpdateInfo(state=4, current=v("1.5.0", notes), available=v("1.4.2")),
        received_at=NOW + 3,
        received_wall=3.0,
        previous=first,
    )
    assert swapped.current is first.available and swapped.available.notes is None
