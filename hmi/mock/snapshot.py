"""The mock state as a dict (engine.snapshot()) and as the MockState message, both ways.

The dict is the single shape: the message has the same field names, so the
conversion is the protobuf JSON mapping with proto field names, plus None for
optional fields that are absent. A client's `state()` equals `engine.snapshot()`.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from hmi.pb.ipc_hmi.mock.v1 import mock_control_pb2 as ctl

# Optional fields, per level, that the dict always carries (None when absent).
_OPTIONAL_TOP = ("offered", "progress")
_OPTIONAL_FEED = ("update_notes", "fail_at")
_OPTIONAL_STAGE = ("started_at", "finished_at")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def state_to_message(state: dict[str, Any]) -> ctl.MockState:
    message: ctl.MockState = json_format.ParseDict(_drop_none(state), ctl.MockState())
    return message


def message_to_state(message: ctl.MockState) -> dict[str, Any]:
    state: dict[str, Any] = json_format.MessageToDict(
        message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
    )
    for key in _OPTIONAL_TOP:
        state.setdefault(key, None)
    for entry in state["feed"]:
        for key in _OPTIONAL_FEED:
            entry.setdefault(key, None)
    for stage in state["stages"]:
        for key in _OPTIONAL_STAGE:
            stage.setdefault(key, None)
    return state
