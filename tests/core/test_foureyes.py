"""The four-eyes rule (hmi.core.foureyes), the PIN check that signs nobody in (SignIn.verify), and the audit
record that carries both names and both confirmation times."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmi.core.audit import AuditStore, record_to_json
from hmi.core.auth import SignIn, hash_pin
from hmi.core.config import OperatorEntry
from hmi.core.foureyes import (
    FirstConfirmation,
    FourEyesIntent,
    Refusal,
    audit_message,
    offer_unchanged,
    operators_text,
    refusal_text,
    second_refusal,
)
from hmi.core.model import CONFIRMATION_TTL, ClientState, Connection, snapshot_from_proto
from hmi.core.ports import SignInStatus
from hmi.pb.intrinsic_proto.inversion.v1 import inversion_pb2 as pb

CHEAP = {"n": 16, "r": 1, "p": 1}
STATES = {
    "available": pb.UpdateInfo.STATE_UPDATE_AVAILABLE,
    "fault": pb.UpdateInfo.STATE_FAULT,
    "running": pb.UpdateInfo.STATE_UPDATE_RUNNING,
    "up-to-date": pb.UpdateInfo.STATE_UP_TO_DATE,
}


def state(kind: str = "available", available: str | None = "1.5.0") -> ClientState:
    info = pb.UpdateInfo(state=STATES[kind], current=pb.IntrinsicVersion(version_id="1.4.2"))
    if available is not None:
        info.available.CopyFrom(pb.IntrinsicVersion(version_id=available))
    conn = Connection("t", 100.0, False, None, None, 3.0)
    return ClientState(snapshot_from_proto(info, received_at=100.0, received_wall=0.0), conn)


FIRST = FirstConfirmation("1.5.0", "anna", at=100.0, wall=1_700_000_000.0, is_retry=False)


def test_two_different_operators_within_the_limit_may_approve():
    assert second_refusal(FIRST, second="bert", second_role="operator", state=state(), now=159.0) is None


@pytest.mark.parametrize(
    ("second", "role", "st_", "now", "why"),
    [
        ("anna", "operator", state(), 110.0, Refusal.SAME_OPERATOR),
        (" anna ", "operator", state(), 110.0, Refusal.SAME_OPERATOR),  # spaces do not make another person
        ("vera", "viewer", state(), 110.0, Refusal.VIEWER),
        ("olga", "admin", state(), 110.0, Refusal.VIEWER),  # an unknown role is a viewer
        ("bert", None, state(), 110.0, Refusal.NOT_SIGNED_IN),
        ("", "operator", state(), 110.0, Refusal.NO_SECOND),
        (None, None, state(), 110.0, Refusal.NO_SECOND),
        ("bert", "operator", state(), 100.0 + CONFIRMATION_TTL + 0.001, Refusal.EXPIRED),
        ("bert", "operator", state(), 99.0, Refusal.EXPIRED),  # a clock that went backwards proves nothing
        ("bert", "operator", state(available="1.6.0"), 110.0, Refusal.OFFER_CHANGED),
        ("bert", "operator", state("fault"), 110.0, Refusal.OFFER_CHANGED),  # an install became a retry
        ("bert", "operator", state("running"), 110.0, Refusal.OFFER_CHANGED),
        ("bert", "operator", state("up-to-date", available=None), 110.0, Refusal.OFFER_CHANGED),
        ("bert", "operator", None, 110.0, Refusal.OFFER_CHANGED),
    ],
)
def test_every_refusal(second, role, st_, now, why):
    assert second_refusal(FIRST, second=second, second_role=role, state=st_, now=now) is why


def test_a_retry_stays_a_retry():
    retry = FirstConfirmation("1.5.0", "anna", 100.0, 0.0, is_retry=True)
    assert offer_unchanged(retry, state("fault")) and not offer_unchanged(retry, state("available"))


names = st.sampled_from(["anna", "bert", "vera", "olga", ""])
roles = st.sampled_from(["operator", "viewer", "admin", None])
kinds = st.sampled_from(list(STATES))
ids = st.sampled_from(["1.5.0", "1.6.0", None])


@given(second=names, role=roles, kind=kinds, offered=ids, elapsed=st.floats(-10, 200), retry=st.booleans())
def test_it_goes_out_only_when_every_condition_holds(second, role, kind, offered, elapsed, retry):
    first = FirstConfirmation("1.5.0", "anna", 1000.0, 0.0, is_retry=retry)
    got = second_refusal(first, second=second, second_role=role, state=state(kind, offered), now=1000.0 + elapsed)
    wanted_kind = "fault" if retry else "available"
    allowed = (
        0.0 <= elapsed <= CONFIRMATION_TTL
        and kind == wanted_kind
        and offered == "1.5.0"
        and second not in ("", "anna")
        and role == "operator"
    )
    assert (got is None) == allowed
    if got is not None:  # every refusal has its own stored message and its own sentence
        assert audit_message(got).startswith("four-eyes: ")
        assert "Nothing was sent" in refusal_text(got, version_id="1.5.0", name=second)


def test_each_refusal_has_its_own_words():
    assert len({audit_message(r) for r in Refusal}) == len(Refusal)
    assert len({refusal_text(r, version_id="1.5.0", name="x") for r in Refusal}) == len(Refusal)


def test_the_intent_counts_from_the_first_confirmation():
    intent = FourEyesIntent("1.5.0", 100.0, False, first_operator="anna", second_operator="bert")
    assert not intent.expired(100.0 + CONFIRMATION_TTL) and intent.expired(100.0 + CONFIRMATION_TTL + 1)
    assert FIRST.remaining(130.0) == pytest.approx(CONFIRMATION_TTL - 30.0) and FIRST.remaining(500.0) == 0.0


def test_operators_text():
    assert operators_text("anna", None) == "anna"
    assert operators_text("anna", "bert") == "anna and bert"
    assert operators_text(None, None) == "-"


# -- the second PIN check ------------------------------------------------------------------------------------


def signin(store=None) -> SignIn:
    ops = [
        OperatorEntry("anna", "operator", hash_pin("2468", **CHEAP)),
        OperatorEntry("bert", "operator", hash_pin("1357", **CHEAP)),
        OperatorEntry("vera", "viewer", hash_pin("9999", **CHEAP)),
    ]
    return SignIn(ops, idle_timeout=120.0, audit=store, clock=lambda: 10.0)


def test_verify_checks_the_pin_without_changing_who_is_signed_in(tmp_path):
    with AuditStore.open(tmp_path / "a.sqlite3") as store:
        s = signin(store)
        assert s.sign_in("anna", "2468").ok
        ok = s.verify("bert", "1357")
        assert ok.ok and ok.operator.name == "bert" and s.current().name == "anna"
        assert s.verify("vera", "9999").operator.role == "viewer" and s.current().name == "anna"
        wrong = asyncio.run(s.verify_async("bert", "0000"))
        assert wrong.status is SignInStatus.WRONG_PIN and s.current().name == "anna"
        for _ in range(4):
            s.verify("bert", "0000")
        assert s.locked_seconds("bert") > 0
        assert asyncio.run(s.verify_async("bert", "1357")).status is SignInStatus.LOCKED_OUT  # the lockout applies
        [latest, *_rest] = store.records(kind="signin-failed")
        assert latest.operator == "bert" and latest.outcome == "locked-out"
        assert s.role("bert") == "operator" and s.role("nobody") is None


def test_the_record_carries_both_names_and_times(tmp_path):
    first = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    second = first + timedelta(seconds=12)
    with AuditStore.open(tmp_path / "a.sqlite3") as store:
        rid = store.begin(
            target="ipc:1",
            version_id="1.5.0",
            current_version="1.4.2",
            operator="anna",
            second_operator="bert",
            confirmed_at=first,
            second_confirmed_at=second,
        )
        store.complete(rid, outcome="approved", code=None, message="ok")
        one = store.begin(target="ipc:1", version_id="1.5.0", current_version=None, operator="anna")
        record, single = store.get(rid), store.get(one)
    assert (record.second_operator, record.confirmed_at, record.second_confirmed_at) == ("bert", first, second)
    assert single.second_operator is None and single.confirmed_at is None
    as_json = record_to_json(record)
    assert as_json["secondOperator"] == "bert"
    assert as_json["confirmedAt"] == "2026-12-03T06:00:00Z" and as_json["secondConfirmedAt"] == "2026-12-03T06:00:12Z"
    with AuditStore.open_readonly(tmp_path / "a.sqlite3") as ro:
        assert ro.get(rid).second_operator == "bert"


def test_an_older_trail_gains_the_columns_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with AuditStore.open(path) as store:
        rid = store.begin(target="t", version_id="1", current_version=None, operator="anna")
    conn = sqlite3.connect(path)
    for column in ("second_operator", "confirmed_us", "second_confirmed_us"):
        conn.execute(f"ALTER TABLE records DROP COLUMN {column}")
    conn.commit()
    conn.close()
    with AuditStore.open_readonly(path) as ro:  # read-only: the missing columns read as empty
        assert ro.get(rid).second_operator is None
    with AuditStore.open(path) as store:  # writable: added in place, old rows kept
        assert store.get(rid).operator == "anna"
        new = store.begin(target="t", version_id="2", current_version=None, operator="anna", second_operator="bert")
        assert store.get(new).second_operator == "bert"
