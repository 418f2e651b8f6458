"""Operator sign-in: PIN hashes, right and wrong PINs, lockout, roles, idle sign-out, audit of failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmi.core.audit import SIGNIN_FAILED, AuditStore
from hmi.core.auth import (
    SCRYPT_N,
    SignIn,
    SignInStatus,
    hash_pin,
    is_valid_hash,
    parse_hash,
    valid_pin,
    verify_pin,
)

from .helpers import Entry, MonoClock, SignInConf, WallClock

CHEAP = {"n": 16, "r": 1, "p": 1}  # fast hashes for tests; the default cost is tested once below
ALICE_PIN = "918273"
BOB_PIN = "4711"
WRONG = "555555"


@pytest.fixture(scope="module")
def entries() -> tuple[Entry, ...]:
    return (
        Entry("alice", "operator", hash_pin(ALICE_PIN, **CHEAP)),
        Entry("bob", "operator", hash_pin(BOB_PIN, **CHEAP)),
        Entry("vera", "viewer", hash_pin("2468", **CHEAP)),
        Entry("nopin", "operator", None),
        Entry("broken", "operator", "scrypt$not$a$hash"),
        Entry("odd", "admin", hash_pin("1357", **CHEAP)),
    )


@pytest.fixture
def clock() -> MonoClock:
    return MonoClock()


@pytest.fixture
def store(tmp_path: Path):
    with AuditStore.open(tmp_path / "audit.sqlite3", clock=WallClock()) as s:
        yield s


def make(entries, clock, store=None, **kwargs) -> SignIn:
    kwargs.setdefault("idle_timeout", 300.0)
    return SignIn(entries, clock=clock, audit=store, **kwargs)


# -- hashes ------------------------------------------------------------------------------------------


def test_hash_format_and_verify() -> None:
    encoded = hash_pin("123456", **CHEAP)
    parts = encoded.split("$")
    assert parts[:4] == ["scrypt", "16", "1", "1"] and len(parts) == 6
    assert len(bytes.fromhex(parts[4])) == 16 and len(bytes.fromhex(parts[5])) == 32
    assert "123456" not in encoded
    assert verify_pin("123456", encoded)
    assert not verify_pin("123457", encoded)
    assert not verify_pin("", encoded)


def test_each_hash_has_its_own_salt() -> None:
    a, b = hash_pin("1234", **CHEAP), hash_pin("1234", **CHEAP)
    assert a != b and verify_pin("1234", a) and verify_pin("1234", b)
    assert hash_pin("1234", salt=b"0123456789abcdef", **CHEAP) == hash_pin("1234", salt=b"0123456789abcdef", **CHEAP)


def test_default_cost_is_not_trivial_and_verifies() -> None:
    encoded = hash_pin("2580")
    n, r, p, salt, _digest = parse_hash(encoded)  # type: ignore[misc]
    assert (n, r, p) == (SCRYPT_N, 8, 1) and n >= 2**14 and len(salt) == 16
    assert verify_pin("2580", encoded)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "scrypt$16$1$1$zz$00",
        "bcrypt$16$1$1$00$00",
        "scrypt$15$1$1$00ff$" + "00" * 32,
        "scrypt$16$1$1$$" + "00" * 32,
        "scrypt$1048576000$8$1$00ff$" + "00" * 32,
    ],
)
def test_malformed_or_abusive_hashes_never_match(bad: str) -> None:
    assert not is_valid_hash(bad)
    assert not verify_pin("1234", bad)


def test_pin_rules() -> None:
    assert valid_pin("1234") and valid_pin("123456789012")
    assert not valid_pin("123") and not valid_pin("1234567890123")
    assert not valid_pin("12a4") and not valid_pin("١٢٣٤")  # ASCII digits only


# -- sign-in -----------------------------------------------------------------------------------------


def test_right_pin_signs_in(entries, clock) -> None:
    signin = make(entries, clock)
    assert signin.current() is None and not signin.may_approve()
    result = signin.sign_in("alice", ALICE_PIN)
    assert result.ok and result.status is SignInStatus.OK
    assert result.operator is not None and result.operator.name == "alice"
    assert signin.current() == result.operator
    assert signin.may_approve()
    signin.sign_out()
    assert signin.current() is None and not signin.may_approve()


def test_wrong_pin_counts_down(entries, clock) -> None:
    signin = make(entries, clock)
    result = signin.sign_in("alice", WRONG)
    assert result.status is SignInStatus.WRONG_PIN and not result.ok
    assert result.attempts_left == 4 and result.message == "Wrong PIN, 4 tries left"
    assert signin.current() is None
    assert signin.sign_in("alice", WRONG).attempts_left == 3
    # A right PIN resets the count.
    assert signin.sign_in("alice", ALICE_PIN).ok
    assert signin.sign_in("alice", WRONG).attempts_left == 4


def test_five_wrong_pins_lock_that_operator_for_60_s(entries, clock) -> None:
    signin = make(entries, clock)
    for left in (4, 3, 2, 1):
        assert signin.sign_in("alice", WRONG).attempts_left == left
        clock.t += 1
    fifth = signin.sign_in("alice", WRONG)
    assert fifth.status is SignInStatus.LOCKED_OUT and fifth.seconds_left == 60
    assert "Locked for 60 s" in fifth.message
    # Even the right PIN is refused while locked.
    clock.t += 18
    locked = signin.sign_in("alice", ALICE_PIN)
    assert locked.status is SignInStatus.LOCKED_OUT and locked.seconds_left == 42
    assert locked.message == "Locked for 42 s"
    assert signin.current() is None
    assert signin.locked_seconds("alice") == 42
    # Only alice is locked.
    assert signin.sign_in("bob", BOB_PIN).ok
    assert signin.locked_seconds("bob") == 0
    clock.t += 41.5
    assert signin.sign_in("alice", ALICE_PIN).status is SignInStatus.LOCKED_OUT
    clock.t += 0.5  # 60 s after the fifth wrong PIN
    assert signin.locked_seconds("alice") == 0
    result = signin.sign_in("alice", ALICE_PIN)
    assert result.ok and signin.current().name == "alice"  # type: ignore[union-attr]


def test_after_a_lockout_the_count_starts_again(entries, clock) -> None:
    signin = make(entries, clock, lockout_after=2, lockout_seconds=10)
    signin.sign_in("bob", WRONG)
    assert signin.sign_in("bob", WRONG).status is SignInStatus.LOCKED_OUT
    clock.t += 10
    assert signin.sign_in("bob", WRONG).attempts_left == 1


def test_viewer_signs_in_but_may_not_approve(entries, clock) -> None:
    signin = make(entries, clock)
    result = signin.sign_in("vera", "2468")
    assert result.ok and result.operator is not None and result.operator.role == "viewer"
    assert not result.operator.may_approve
    assert signin.current() is not None
    assert not signin.may_approve()


def test_unknown_role_is_treated_as_a_viewer(entries, clock) -> None:
    signin = make(entries, clock)
    assert signin.sign_in("odd", "1357").ok
    assert not signin.may_approve()


def test_unknown_operator_and_missing_pins(entries, clock) -> None:
    signin = make(entries, clock)
    assert signin.sign_in("mallory", "1234").status is SignInStatus.UNKNOWN_OPERATOR
    result = signin.sign_in("nopin", "1234")
    assert result.status is SignInStatus.NO_PIN_SET and "set-pin" in result.message
    assert signin.sign_in("broken", "1234").status is SignInStatus.NO_PIN_SET
    assert signin.current() is None


def test_idle_sign_out(entries, clock) -> None:
    signin = make(entries, clock, idle_timeout=30)
    assert signin.sign_in("alice", ALICE_PIN).ok
    clock.t += 29
    assert signin.current() is not None and signin.idle_seconds_left() == pytest.approx(1)
    signin.touch()  # activity restarts the idle time
    clock.t += 29
    assert signin.may_approve()
    clock.t += 1
    assert signin.current() is None
    assert not signin.may_approve()
    signin.touch()  # does not sign anyone back in
    assert signin.current() is None
    assert signin.current(now=clock.t - 100) is None  # signed out stays signed out


def test_idle_timeout_zero_never_signs_out(entries, clock) -> None:
    signin = make(entries, clock, idle_timeout=0)
    assert signin.sign_in("alice", ALICE_PIN).ok
    clock.t += 10**6
    assert signin.may_approve()


def test_signing_in_replaces_the_previous_operator(entries, clock) -> None:
    signin = make(entries, clock)
    signin.sign_in("alice", ALICE_PIN)
    signin.sign_in("vera", "2468")
    assert signin.current().name == "vera"  # type: ignore[union-attr]
    assert not signin.may_approve()
    signin.sign_in("alice", WRONG)  # a failed attempt does not change who is signed in
    assert signin.current().name == "vera"  # type: ignore[union-attr]


def test_every_failed_attempt_is_audited_without_the_pin(entries, clock, store: AuditStore) -> None:
    signin = make(entries, clock, store, target="10.0.0.5:50051")
    assert signin.sign_in("alice", ALICE_PIN).ok  # success: no failure record
    for _ in range(5):
        signin.sign_in("alice", WRONG)
    signin.sign_in("alice", ALICE_PIN)  # locked: refused, audited
    signin.sign_in(WRONG, WRONG)  # a PIN typed as the name is not stored either
    signin.sign_in("nopin", WRONG)
    records = store.records()
    assert len(records) == 8
    assert all(r.kind == SIGNIN_FAILED and r.target == "10.0.0.5:50051" for r in records)
    assert [r.outcome for r in records][::-1] == ["wrong-pin"] * 4 + ["locked-out"] * 2 + [
        "unknown-operator",
        "no-pin-set",
    ]
    assert [r.operator for r in records][::-1] == ["alice"] * 6 + [None, "nopin"]
    for record in records:
        for value in (record.operator, record.message, record.target, record.version_id, record.code):
            assert WRONG not in str(value) and ALICE_PIN not in str(value)
    raw = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.is_file())
    assert WRONG.encode() not in raw and ALICE_PIN.encode() not in raw


def test_audit_trouble_does_not_change_the_refusal(entries, clock) -> None:
    class Broken:
        def record_signin_failure(self, **kwargs):
            raise OSError("disk full")

    signin = make(entries, clock, Broken())
    assert signin.sign_in("alice", WRONG).status is SignInStatus.WRONG_PIN


def test_an_approval_record_names_the_signed_in_operator(entries, clock, store: AuditStore) -> None:
    signin = make(entries, clock, store)
    assert signin.sign_in("bob", BOB_PIN).ok
    assert signin.may_approve()
    operator = signin.current()
    assert operator is not None
    rid = store.begin(target="ipc:50051", version_id="1.5.0", current_version="1.4.2", operator=operator.name)
    store.mark_sent(rid)
    store.complete(rid, outcome="approved", code="OK", message="")
    (record,) = store.records(kind="approve-update")
    assert record.operator == "bob" and record.id == rid


def test_from_config_duck_types_the_app_config(entries, clock) -> None:
    conf = SignInConf(enabled=True, idle_timeout=45.0, operators=entries)
    signin = SignIn.from_config(conf, clock=clock)
    assert signin.idle_timeout == 45.0
    assert signin.operator_names == ["alice", "bob", "vera", "nopin", "broken", "odd"]
    assert signin.sign_in("alice", ALICE_PIN).ok


def test_duplicate_names_are_refused(clock) -> None:
    with pytest.raises(ValueError, match="twice"):
        SignIn([Entry("a", "operator", None), Entry("a", "viewer", None)], idle_timeout=10, clock=clock)


def test_scrypt_cost_is_bounded_to_what_set_pin_writes_with_a_little_headroom(tmp_path) -> None:
    """Issue 9: the parser accepted n=2**20, r=32, p=16 (minutes and gigabytes for one PIN check on the GUI thread)."""
    from hmi.core import auth
    from hmi.core.config import ConfigError, load_config

    assert auth.hash_cost_problem(auth.hash_pin("1234")) is None  # what set-pin writes is accepted
    assert auth.parse_hash(auth.hash_pin("1234", n=2**15)) is not None  # the headroom
    heavy = "scrypt$1048576$32$16$00ff$" + "00" * 32
    assert auth.parse_hash(heavy) is None and not auth.verify_pin("1234", heavy)
    problem = auth.hash_cost_problem(heavy)
    assert problem is not None and "set-pin" in problem
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[signin]\nenabled = true\n[[operators]]\nname = "anna"\nrole = "operator"\npin_hash = "{heavy}"\n')
    import argparse

    with pytest.raises(ConfigError, match="above what 'ipc-hmi set-pin' writes"):
        load_config(argparse.Namespace(config=str(cfg)), environ={})


@given(seeded=st.integers(0, 12))
@settings(max_examples=20, deadline=None)
def test_seeded_failures_follow_the_same_lockout_rule(seeded: int) -> None:
    """The CLI seeds earlier failures from the audit trail; the lock then falls at the same total as in one process."""
    entries = (Entry("alice", "operator", _ALICE_HASH),)
    clock = MonoClock()
    signin = make(entries, clock)
    signin.seed_failures("alice", seeded)
    wrong = 0
    while signin.locked_seconds("alice") == 0 and wrong < 10:
        signin.sign_in("alice", WRONG)
        wrong += 1
    assert signin.locked_seconds("alice") == 60
    assert seeded + wrong == max(seeded, 5) if seeded < 5 else wrong == 0
    clock.t += 61
    assert signin.sign_in("alice", ALICE_PIN).ok


_ALICE_HASH = hash_pin(ALICE_PIN, **CHEAP)


# -- the console's path: the slow steps on a worker thread ---------------------------------------------------


class _ThreadSink:
    """A FailureSink that notes the thread each record is written on, and can fail like a busy trail."""

    def __init__(self, error: Exception | None = None) -> None:
        self.threads: list[int] = []
        self.reasons: list[str] = []
        self.error = error

    def record_signin_failure(self, *, operator: str | None, reason: str, message: str = "", target: str = "") -> str:
        import threading

        self.threads.append(threading.get_ident())
        self.reasons.append(reason)
        if self.error is not None:
            raise self.error
        return "id"


def test_sign_in_async_answers_as_sign_in_does_with_the_slow_steps_off_the_calling_thread(
    entries, clock, monkeypatch
) -> None:
    import asyncio
    import threading

    import hmi.core.auth as auth

    checked_on: list[int] = []
    real_verify = auth.verify_pin

    def verify(pin: str, encoded: str) -> bool:
        checked_on.append(threading.get_ident())
        return real_verify(pin, encoded)

    monkeypatch.setattr(auth, "verify_pin", verify)
    sink = _ThreadSink()
    signin = make(entries, clock, sink, lockout_after=2)
    caller = threading.get_ident()

    async def steps() -> list:
        return [
            await signin.sign_in_async("alice", WRONG),
            await signin.sign_in_async(" alice ", WRONG),  # the second wrong PIN locks
            await signin.sign_in_async("alice", ALICE_PIN),  # locked: refused before any hash is checked
            await signin.sign_in_async("mallory", "1234"),
            await signin.sign_in_async("bob", BOB_PIN),
        ]

    results = asyncio.run(steps())
    assert [r.status for r in results] == [
        SignInStatus.WRONG_PIN,
        SignInStatus.LOCKED_OUT,
        SignInStatus.LOCKED_OUT,
        SignInStatus.UNKNOWN_OPERATOR,
        SignInStatus.OK,
    ]
    assert results[1].message == "Wrong PIN. Locked for 60 s" and signin.locked_seconds("alice") == 60
    assert signin.current() is not None and signin.current().name == "bob"  # type: ignore[union-attr]
    assert sink.reasons == ["wrong-pin", "locked-out", "locked-out", "unknown-operator"]
    assert len(checked_on) == 3 and caller not in checked_on  # every scrypt check ran on a worker thread
    assert sink.threads and caller not in sink.threads  # and every audit write


def test_sign_in_async_keeps_the_refusal_when_the_audit_write_fails(entries, clock) -> None:
    import asyncio

    from hmi.core.audit import AuditBusy

    busy = AuditBusy("The audit trail x is busy (another program is writing to it).")
    signin = make(entries, clock, _ThreadSink(busy))
    result = asyncio.run(signin.sign_in_async("alice", WRONG))
    assert result.status is SignInStatus.WRONG_PIN and result.audit_error is busy
    assert signin.sign_in("alice", WRONG).audit_error is busy  # the blocking path says it the same way
