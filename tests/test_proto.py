"""The wire contract: hmi/pb matches proto/, and proto/ matches the published IpcUpdater."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf.descriptor import FieldDescriptor

from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

ROOT = Path(__file__).resolve().parent.parent


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_modules_match_a_fresh_generation(tmp_path):
    out = tmp_path / "pb"
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_proto.py"), "--out", str(out)], check=True)
    fresh, committed = _tree(out), _tree(ROOT / "hmi" / "pb")
    assert sorted(fresh) == sorted(committed), "file lists differ: run `make proto` and commit"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"out of date, run `make proto`: {stale}"


def test_service_and_methods_keep_their_public_names():
    service = pb.DESCRIPTOR.services_by_name["IpcUpdater"]
    assert service.full_name == "intrinsic_proto.inversion.v1.IpcUpdater"
    methods = {m.name: (m.input_type.full_name, m.output_type.full_name) for m in service.methods}
    p = "intrinsic_proto.inversion.v1."
    assert methods == {
        "ReportUpdateInfo": (p + "GetUpdateInfoRequest", p + "UpdateInfo"),
        "ApproveUpdate": (p + "ApproveUpdateRequest", p + "ApproveUpdateResponse"),
    }


def _fields(message) -> dict[str, tuple[int, int, bool]]:
    return {f.name: (f.number, f.type, f.has_presence) for f in message.DESCRIPTOR.fields}


def test_messages_keep_field_names_numbers_types_and_presence():
    T = FieldDescriptor
    assert _fields(pb.IntrinsicVersion) == {
        "version_id": (1, T.TYPE_STRING, False),
        "update_notes": (2, T.TYPE_STRING, True),
    }
    assert _fields(pb.Progress) == {
        "current_step": (1, T.TYPE_UINT32, True),
        "total_steps": (2, T.TYPE_UINT32, True),
        "description": (3, T.TYPE_STRING, True),
    }
    assert _fields(pb.UpdateInfo) == {
        "state": (1, T.TYPE_ENUM, False),
        "current": (2, T.TYPE_MESSAGE, True),
        "available": (3, T.TYPE_MESSAGE, True),
        "progress": (4, T.TYPE_MESSAGE, True),
    }
    assert _fields(pb.ApproveUpdateRequest) == {"approved": (1, T.TYPE_MESSAGE, True)}
    assert _fields(pb.GetUpdateInfoRequest) == {}
    assert _fields(pb.ApproveUpdateResponse) == {}


def test_state_enum_keeps_names_and_numbers():
    values = {v.name: v.number for v in pb.UpdateInfo.State.DESCRIPTOR.values}
    assert values == {
        "STATE_UNSPECIFIED": 0,
        "STATE_UPDATE_AVAILABLE": 1,
        "STATE_UPDATE_RUNNING": 2,
        "STATE_UP_TO_DATE": 3,
        "STATE_FAULT": 4,
    }
    assert pb.UpdateInfo.State.DESCRIPTOR.full_name == "intrinsic_proto.inversion.v1.UpdateInfo.State"


def test_known_bytes_decode_as_published():
    # Hand-encoded: state=2, current{version_id="1.4.2"}, progress{current_step=0, total_steps=7}.
    # current_step=0 is on the wire because proto3 optional keeps presence.
    wire = bytes.fromhex("0802") + b"\x12\x07\x0a\x051.4.2" + bytes.fromhex("2204080010 07".replace(" ", ""))
    info = pb.UpdateInfo.FromString(wire)
    assert info.state == pb.UpdateInfo.STATE_UPDATE_RUNNING
    assert info.current.version_id == "1.4.2"
    assert info.HasField("progress") and info.progress.HasField("current_step")
    assert (info.progress.current_step, info.progress.total_steps) == (0, 7)
    assert not info.HasField("available")
    assert info.SerializeToString() == wire
