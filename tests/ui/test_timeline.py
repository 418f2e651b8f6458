"""The timeline records what the console observed, newest first, bounded. Pure, no Qt."""

from __future__ import annotations

from hmi.core.view import Severity
from hmi.ui.presenter import TimelineKind
from hmi.ui.timeline import TimelineRecorder

from .states import client_state, info


def kinds(entries):
    return [e.kind for e in entries]


def test_first_data_records_connection_and_state():
    rec = TimelineRecorder()
    added = rec.observe(client_state(info("up-to-date", available=None)), 1000.0, 1.0)
    assert kinds(added) == ["connection", "state"]
    assert "Up to date" in added[1].text
    assert rec.entries[0] is added[1]  # newest first


def test_stage_changes_offer_changes_and_new_version_are_recorded():
    rec = TimelineRecorder()
    rec.observe(client_state(info("available")), 1000.0, 1.0)
    offer = rec.observe(client_state(info("available", available="1.5.1")), 1000.0, 2.0)
    assert kinds(offer) == ["offer"] and "1.5.1" in offer[0].text
    run1 = rec.observe(
        client_state(info("running", available="1.5.1", step=0, total=7, description="Download")), 1000.0, 3
    )
    assert kinds(run1) == ["state", "stage"]
    run2 = rec.observe(
        client_state(info("running", available="1.5.1", step=1, total=7, description="Migrate")), 1000.0, 4
    )
    assert kinds(run2) == ["stage"] and "Step 2 of 7" in run2[0].text
    same = rec.observe(
        client_state(info("running", available="1.5.1", step=1, total=7, description="Migrate")), 1000.0, 5
    )
    assert same == []
    done = rec.observe(client_state(info("up-to-date", current="1.5.1", available=None)), 1000.0, 6)
    assert kinds(done) == ["state"] and "1.5.1" in done[0].text


def test_connection_lost_stale_and_restored():
    rec = TimelineRecorder()
    msg = info("available")
    rec.observe(client_state(msg), 1000.0, 1.0)
    stale = rec.observe(client_state(msg, age=5.0), 1000.0, 2.0)
    assert kinds(stale) == ["connection"] and stale[0].severity is Severity.DEGRADED
    lost = rec.observe(client_state(msg, age=9.0, failed=True, error="UNAVAILABLE"), 1000.0, 3.0)
    assert kinds(lost) == ["connection"] and "cannot be reached" in lost[0].text
    back = rec.observe(client_state(msg), 1000.0, 4.0)
    assert kinds(back) == ["connection"] and "restored" in back[0].text


def test_timeline_is_bounded():
    rec = TimelineRecorder(limit=10)
    for i in range(50):
        rec.note(TimelineKind.APPROVAL, f"entry {i}")
    assert len(rec.entries) == 10
    assert rec.entries[0].text == "entry 49"
