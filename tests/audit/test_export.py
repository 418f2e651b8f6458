"""`ipc-hmi history --csv` and the event hashes in `--json`: RFC 4180, and no formula or control reaches a reader."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.cli import audit as cli
from hmi.core.audit import AuditStore, export_fields
from hmi.core.text import CONTROL

from .helpers import WallClock

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
DANGER = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "=HYPERLINK(", "@SUM(", ""])
CELL = st.builds(lambda a, b: a + b, DANGER, TEXT)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ipc-hmi")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


@given(value=CELL)
def test_a_cell_never_starts_a_formula_nor_carries_a_control(value: str) -> None:
    cell = cli.csv_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not CONTROL.search(cell)
    if not CONTROL.search(value) and not value.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert cell == value  # anything harmless is exported exactly
    if value.startswith(("=", "+", "-", "@", "\t")) and not CONTROL.search(value):
        assert cell == "'" + value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=0, max_size=4))
def test_csv_round_trips_through_the_csv_reader(tmp_path_factory, rows: list[tuple[str, str, str]]) -> None:
    path = tmp_path_factory.mktemp("csv") / "audit.sqlite3"
    with AuditStore.open(path, clock=WallClock()) as store:
        for operator, version, message in rows:
            rid = store.begin(target="10.0.0.5:50051", version_id=version, current_version=None, operator=operator)
            store.complete(rid, outcome="refused", code="FAILED_PRECONDITION", message=message)
        records = store.records()
        hashes = store.event_hashes()
    text = cli.format_csv(records, hashes)
    assert text.endswith("\r\n") and "\r\n" in text
    assert not CONTROL.search(text.replace("\r\n", ""))  # only the line ends are raw CRs
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == list(export_fields())
    assert len(parsed) == len(records) + 1
    fields = parsed[0]
    for record, row in zip(records, parsed[1:], strict=True):
        got = dict(zip(fields, row, strict=True))
        assert got["operator"] == cli.csv_cell(record.operator)
        assert got["versionId"] == cli.csv_cell(record.version_id)
        assert got["message"] == cli.csv_cell(record.message)
        assert got["eventHash"] == hashes[record.id][1] and got["eventSeq"] == str(hashes[record.id][0])
        assert got["sentAt"] == ""  # null is an empty cell


def test_history_csv_and_json_carry_the_event_hash(tmp_path: Path, capsys) -> None:
    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path, clock=WallClock()) as store:
        rid = store.begin(target="t", version_id="=1+1", current_version=None, operator="alice")
        store.mark_sent(rid)
        store.complete(rid, outcome="approved", code="OK", message="")
        head = store.verify().head_hash
    assert run(["history", "--csv", "--audit-file", str(path)]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[1][rows[0].index("versionId")] == "'=1+1" and rows[1][rows[0].index("eventHash")] == head
    assert out.startswith('"id","kind",')  # every cell quoted
    assert run(["history", "--json", "--audit-file", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["eventHash"] == head and data[0]["eventSeq"] == 3 and data[0]["versionId"] == "=1+1"
    assert run(["history", "--verify", "--json", "--audit-file", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["headHash"] == head


def test_verify_refuses_filters_and_a_missing_trail_has_nothing_to_verify(tmp_path: Path, capsys) -> None:
    assert run(["history", "--verify", "--since", "7d", "--audit-file", str(tmp_path / "a")]) == 2
    assert run(["history", "--verify", "--audit-file", str(tmp_path / "none.sqlite3")]) == 0
    assert "nothing to verify" in capsys.readouterr().out
    assert run(["history", "--csv", "--audit-file", str(tmp_path / "none.sqlite3")]) == 0
    assert capsys.readouterr().out.startswith('"id"')
