"""Property tests: whatever UpdateInfo an IPC sends, nothing raises, and the approval gate follows its rules."""

from __future__ import annotations

import json
import math

from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core import view
from hmi.core.model import (
    DESCRIPTION_MAX,
    DISPLAY_ID_MAX,
    NOTES_PREVIEW_CHARS,
    NOTES_PREVIEW_LINES,
    ClientState,
    Connection,
    GateReason,
    Health,
    Snapshot,
    UpdateState,
    Version,
    approval_gate,
    clean_line,
    snapshot_from_proto,
)
from hmi.core.report import change_key, format_failure, format_line, format_report, info_json
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

# Valid UTF-8 only (protobuf refuses surrogates on the wire), otherwise anything: controls, bidi, emoji.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
huge = st.sampled_from(
    [
        "x" * 100_000,
        "line\n" * 10_000,
        "\u202e" * 1000 + "1.0",
        "\x00\x1b[31m" * 500,
        "é" * 5000 + "\r\n" * 5000,
        "🚀" * 10_000,
    ]
)
odd_text = st.one_of(any_text, any_text, any_text, huge, st.sampled_from(["", " ", "\n", "\t\t", "\u200b"]))
uint32 = st.one_of(st.integers(0, 10), st.integers(0, 2**32 - 1))
state_numbers = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(-(2**31), 2**31 - 1))


@st.composite
def update_infos(draw: st.DrawFn) -> pb.UpdateInfo:
    info = pb.UpdateInfo(state=draw(state_numbers))
    for name in ("current", "available"):
        if draw(st.booleans()):
            version = getattr(info, name)
            version.SetInParent()  # present, maybe empty
            if draw(st.booleans()):
                version.version_id = draw(odd_text)
            if draw(st.booleans()):
                version.update_notes = draw(odd_text)
    if draw(st.booleans()):
        info.progress.SetInParent()
        if draw(st.booleans()):
            info.progress.current_step = draw(uint32)
        if draw(st.booleans()):
            info.progress.total_steps = draw(uint32)
        if draw(st.booleans()):
            info.progress.description = draw(odd_text)
    # Through the wire format, as a real answer arrives.
    return pb.UpdateInfo.FromString(info.SerializeToString())


connections = st.builds(
    Connection,
    target=st.just("127.0.0.1:50051"),
    last_ok_at=st.one_of(st.none(), st.floats(0, 2000)),
    last_attempt_failed=st.booleans(),
    error_code=st.one_of(st.none(), st.sampled_from(["UNAVAILABLE", "DEADLINE_EXCEEDED", "UNAUTHENTICATED", "BOGUS"])),
    error_detail=st.one_of(st.none(), any_text),
    stale_after=st.floats(0.1, 100),
)


def _no_controls(text: str) -> bool:
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(info=update_infos(), conn=connections, in_flight=st.booleans(), now=st.floats(0, 5000), wall=st.floats(0, 4e9))
def test_any_update_info_goes_through_everything_without_raising(
    info: pb.UpdateInfo, conn: Connection, in_flight: bool, now: float, wall: float
) -> None:
    snap = snapshot_from_proto(info, received_at=min(now, 1000.0), received_wall=wall)

    # Normalisation
    assert snap.raw_state == info.state
    assert (snap.state is UpdateState.UNKNOWN) == (info.state not in (1, 2, 3, 4))
    for name in ("current", "available"):
        version = getattr(snap, name)
        assert (version is None) == (not info.HasField(name))
        if version is not None:
            assert version.version_id == getattr(info, name).version_id  # exact, untouched
            assert len(version.display_id) <= DISPLAY_ID_MAX and _no_controls(version.display_id)
            assert len(version.notes_preview) <= NOTES_PREVIEW_CHARS + 1
            assert version.notes_preview.count("\n") < NOTES_PREVIEW_LINES
            raw_notes = getattr(info, name).update_notes
            assert (version.notes is None) == (not getattr(info, name).HasField("update_notes"))
            if version.notes is not None and _no_controls(raw_notes.replace("\n", "")) and "\u2028" not in raw_notes:
                assert version.notes == raw_notes or any(0x200B <= ord(c) <= 0x206F or c == "\ufeff" for c in raw_notes)
    if snap.progress is not None:
        assert len(snap.progress.description) <= DESCRIPTION_MAX
        fraction = snap.progress.fraction
        assert fraction is None or 0.0 <= fraction < 1.0
    if snap.offered is not None:
        assert snap.offered.approvable and snap.state in (UpdateState.UPDATE_AVAILABLE, UpdateState.FAULT)

    # Gate and every view function
    state = ClientState(snapshot=snap, connection=conn, approval_in_flight=in_flight)
    gate = approval_gate(state, now)
    assert isinstance(gate.text, str)
    if gate.allowed:
        assert gate.version is snap.offered and gate.permits(snap.offered.version_id)
    for s in (state, ClientState(snapshot=None, connection=conn)):
        head = view.headline(s, now)
        assert head.title and isinstance(head.detail, str)
        format_report(s, now)
        format_line(s, now, wall)
        change_key(s, now)
        format_failure(s)
    view.state_headline(snap)
    view.fault_text(snap)
    view.progress_text(snap.progress)
    view.version_text(snap, "current")
    view.version_text(snap, "available")
    view.connection_text(conn, now)
    age = conn.age(now)
    if age is not None and math.isfinite(age):
        view.format_age(age)

    # JSON as grpcurl prints it: valid JSON that parses back to the same message; compact is one line.
    compact = info_json(info, compact=True)
    assert "\n" not in compact
    assert json_format.Parse(compact, pb.UpdateInfo()) == info
    assert json.loads(info_json(info)) == json.loads(compact)


# --- the approval gate, rule by rule -------------------------------------------------------------------------

IDS = ["1.5.0", "1.5.1", "", "\u202e", "1.5.0\u202e"]


def _version(version_id: str) -> Version:
    return Version(
        version_id=version_id, display_id=clean_line(version_id, DISPLAY_ID_MAX), notes=None, notes_preview=""
    )


@st.composite
def client_states(draw: st.DrawFn) -> tuple[ClientState, float]:
    now = draw(st.floats(0, 200))
    snap = None
    if draw(st.integers(0, 9)):
        state = draw(st.sampled_from(list(UpdateState)))
        raw = {
            UpdateState.UPDATE_AVAILABLE: 1,
            UpdateState.RUNNING: 2,
            UpdateState.UP_TO_DATE: 3,
            UpdateState.FAULT: 4,
        }.get(state, draw(st.sampled_from([0, 5, 99, -1])))
        snap = Snapshot(
            state=state,
            raw_state=raw,
            current=draw(st.one_of(st.none(), st.sampled_from(IDS).map(_version))),
            available=draw(st.one_of(st.none(), st.sampled_from(IDS).map(_version))),
            progress=None,
            received_at=draw(st.floats(0, 200)),
            received_wall=0.0,
        )
    conn = Connection(
        target="t",
        last_ok_at=draw(st.one_of(st.none(), st.floats(0, 200))),
        last_attempt_failed=draw(st.booleans()),
        error_code=None,
        error_detail=None,
        stale_after=draw(st.sampled_from([0.5, 3.0, 30.0])),
    )
    return ClientState(snapshot=snap, connection=conn, approval_in_flight=draw(st.booleans())), now


def _expected_gate(state: ClientState, now: float, asked: str) -> tuple[bool, GateReason]:
    """The rules of issue 4, written out independently of hmi.core.model."""
    snap, conn = state.snapshot, state.connection
    if snap is None:
        return False, GateReason.NO_DATA
    if state.approval_in_flight:
        return False, GateReason.IN_FLIGHT
    if snap.state not in (UpdateState.UPDATE_AVAILABLE, UpdateState.FAULT) or snap.available is None:
        return False, GateReason.NOTHING_OFFERED
    if snap.available.version_id == "" or snap.available.display_id == "":
        return False, GateReason.EMPTY_ID
    if not (conn.health(now) is Health.ONLINE and 0.0 <= now - snap.received_at <= conn.stale_after):
        return False, GateReason.NOT_FRESH
    return asked == snap.available.version_id, GateReason.OK


def _check_gate(state: ClientState, now: float, asked: str) -> None:
    gate = approval_gate(state, now)
    permitted, reason = _expected_gate(state, now, asked)
    assert gate.permits(asked) is permitted
    assert gate.reason is reason
    assert gate.allowed is (reason is GateReason.OK)
    snap = state.snapshot
    if reason is GateReason.OK:
        assert gate.version == snap.available
    if reason in (GateReason.NO_DATA, GateReason.NOTHING_OFFERED):
        assert gate.version is None and not gate.is_retry
    else:
        assert gate.is_retry is (snap.state is UpdateState.FAULT)


_RAW = {UpdateState.UPDATE_AVAILABLE: 1, UpdateState.RUNNING: 2, UpdateState.UP_TO_DATE: 3, UpdateState.FAULT: 4}


def _snapshot(state: UpdateState, available: str | None, received_at: float) -> Snapshot:
    return Snapshot(
        state=state,
        raw_state=_RAW.get(state, 7),
        current=_version("1.4.2"),
        available=None if available is None else _version(available),
        progress=None,
        received_at=received_at,
        received_wall=0.0,
    )


def test_gate_exhaustively_over_a_grid() -> None:
    """Every combination of state, offer, in-flight, connection and age; each checked against the rules."""
    count = 0
    now = 100.0
    for state in UpdateState:
        for available in [None, *IDS]:
            for received_at in (now, now - 2.0, now - 10.0, now + 1.0):  # fresh, aging, old, from the future
                snap = _snapshot(state, available, received_at)
                for last_ok in (None, received_at, now - 50.0):
                    for failed in (False, True):
                        for stale_after in (3.0, 30.0):
                            conn = Connection("t", last_ok, failed, None, None, stale_after)
                            for in_flight in (False, True):
                                cs = ClientState(snapshot=snap, connection=conn, approval_in_flight=in_flight)
                                for asked in [*IDS, "2.0.0"]:
                                    _check_gate(cs, now, asked)
                                    count += 1
    for asked in IDS:
        _check_gate(ClientState(None, Connection("t", None, False, None, None, 3.0)), now, asked)
    assert count > 10_000


@settings(max_examples=500, deadline=None)
@given(data=client_states(), asked=st.sampled_from([*IDS, "2.0.0"]))
def test_gate_rules_with_random_times(data: tuple[ClientState, float], asked: str) -> None:
    state, now = data
    _check_gate(state, now, asked)
