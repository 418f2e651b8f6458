"""Operator sign-in: PIN hashes and the sign-in state machine. No Qt, no network.

Sign-in is optional and off by default. When it is on, operators are listed in
the config file by name, role ("operator" may approve, "viewer" may not) and a
PIN hash written by `ipc-hmi set-pin`.

PIN hashes use `hashlib.scrypt` with a random 16-byte salt per hash, encoded as
`scrypt$n$r$p$<salt hex>$<hash hex>`. The default cost (n=2**14, r=8, p=1,
16 MiB) is scrypt's interactive-login setting: about 60 ms on a 2-core PC.
A PIN has few digits, so no hash makes the config file safe to publish;
the hash keeps PINs out of plain sight and the file is written with mode 0600.

A PIN is never stored, logged or audited. Failed attempts are audited by name
and reason only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from hmi.core.i18n import N_, _, ngettext
from hmi.core.ports import RecordKind, SignInStatus

log = logging.getLogger(__name__)

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
# Upper bounds accepted when verifying, so an edited config file cannot make a check take minutes or gigabytes:
# what set-pin writes (n=2**14, r=8, p=1: 16 MiB, ~60 ms) with a little headroom (at most 64 MiB, ~4x the time).
_MAX_N, _MAX_R, _MAX_P = 2**15, 8, 2
_MAX_COST = 2 * SCRYPT_N * SCRYPT_R * SCRYPT_P * 2  # n*r*p: twice the default n, times p=2 at most

ROLE_OPERATOR = "operator"
ROLE_VIEWER = "viewer"
# What the audit trail says when a viewer (or nobody) tries to approve with sign-in on (console and CLI).
# Stored in the audit trail in English (N_: not translated here); History shows them in the language of the moment.
VIEWER_REFUSED = N_("viewer may not approve")
NOBODY_REFUSED = N_("nobody signed in")
ROLES = (ROLE_OPERATOR, ROLE_VIEWER)

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 12


def valid_pin(pin: str) -> bool:
    """A PIN is 4 to 12 ASCII digits."""
    return PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS and pin.isascii() and pin.isdigit()


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$<salt hex>$<hash hex>` for this PIN, with a fresh random salt unless one is given."""
    if n < 2 or n & (n - 1):
        raise ValueError("n must be a power of two, at least 2")
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = _scrypt(pin, salt, n, r, p)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * n * p + 128 * r * n + (1 << 24)  # what scrypt needs, plus slack
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_HASH_BYTES)


def parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    """(n, r, p, salt, digest), or None when the text is not a hash this module wrote."""
    parts = str(encoded).strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return None
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P and n * r * p <= _MAX_COST):
        return None
    if not salt or len(digest) < 16:
        return None
    return n, r, p, salt, digest


def hash_cost_problem(encoded: str) -> str | None:
    """A sentence when `encoded` is an scrypt hash whose cost is above the bound, else None."""
    parts = str(encoded).strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None
    if n <= _MAX_N and r <= _MAX_R and p <= _MAX_P and n * r * p <= _MAX_COST:
        return None
    return (
        f"scrypt cost n={n}, r={r}, p={p} is above what 'ipc-hmi set-pin' writes (n={SCRYPT_N}, r={SCRYPT_R}, "
        f"p={SCRYPT_P}; accepted up to n={_MAX_N}, r={_MAX_R}, p={_MAX_P}): one PIN check would take too long. "
        "Set the PIN again with 'ipc-hmi set-pin'"
    )


def is_valid_hash(encoded: str | None) -> bool:
    return encoded is not None and parse_hash(encoded) is not None


def verify_pin(pin: str, encoded: str) -> bool:
    """True when `pin` matches the hash. Constant-time compare; a malformed hash never matches."""
    parsed = parse_hash(encoded)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    try:
        candidate = hashlib.scrypt(
            pin.encode("utf-8"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            maxmem=128 * r * n * p + 128 * r * n + (1 << 24),
            dklen=len(digest),
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, digest)


class OperatorEntryLike(Protocol):
    """What the config gives per operator (hmi.core.config.OperatorEntry)."""

    name: str
    role: str
    pin_hash: str | None


class FailureSink(Protocol):
    """The part of hmi.core.audit.AuditStore that sign-in uses."""

    def record_signin_failure(
        self, *, operator: str | None, reason: str, message: str = "", target: str = ""
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class Operator:
    """Who is signed in."""

    name: str
    role: str

    @property
    def may_approve(self) -> bool:
        return self.role == ROLE_OPERATOR


@dataclass(frozen=True, slots=True)
class SignInResult:
    status: SignInStatus
    operator: Operator | None = None  # set when status is OK
    attempts_left: int | None = None  # set when status is WRONG_PIN
    seconds_left: int | None = None  # set when status is LOCKED_OUT (whole seconds, rounded up)
    message: str = ""  # for the PIN pad: "Wrong PIN, 3 tries left", "Locked for 42 s"
    # Set when the refusal could not be recorded in the audit trail (the refusal stands either way).
    audit_error: Exception | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status is SignInStatus.OK


@dataclass(slots=True)
class _Attempts:
    failures: int = 0
    locked_until: float | None = None


@dataclass(slots=True)
class _Session:
    operator: Operator
    last_activity: float


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    role: str
    pin_hash: str | None = field(repr=False)


class SignIn:
    """Who is signed in, with lockout after repeated wrong PINs and sign-out after idle time.

    `clock` is monotonic seconds (injectable for tests). `idle_timeout` of 0 or
    less turns idle sign-out off. Five wrong PINs in a row lock that operator
    (only that one) out for `lockout_seconds`; a right PIN resets the count.
    Every refused attempt goes to `audit` as a "signin-failed" record, by name and
    reason, never with the PIN. Unknown roles are treated as viewers.
    """

    def __init__(
        self,
        operators: Sequence[OperatorEntryLike],
        *,
        idle_timeout: float,
        clock: Callable[[], float] = time.monotonic,
        audit: FailureSink | None = None,
        lockout_after: int = 5,
        lockout_seconds: float = 60.0,
        target: str = "",
    ) -> None:
        if lockout_after < 1:
            raise ValueError("lockout_after must be at least 1")
        self._entries: dict[str, _Entry] = {}
        for entry in operators:
            name = str(entry.name).strip()
            if not name:
                raise ValueError("an operator needs a name")
            if name in self._entries:
                raise ValueError(f"operator {name!r} is listed twice")
            self._entries[name] = _Entry(name, str(getattr(entry, "role", ROLE_VIEWER)), entry.pin_hash)
        self._idle_timeout = float(idle_timeout)
        self._clock = clock
        self._audit = audit
        self._lockout_after = lockout_after
        self._lockout_seconds = float(lockout_seconds)
        self._target = target
        self._attempts: dict[str, _Attempts] = {}
        self._session: _Session | None = None

    @classmethod
    def from_config(cls, signin: Any, **kwargs: Any) -> SignIn:
        """From `AppConfig.signin` (duck-typed: `.operators`, `.idle_timeout`)."""
        return cls(tuple(signin.operators), idle_timeout=float(signin.idle_timeout), **kwargs)

    @property
    def operator_names(self) -> list[str]:
        """Listed operators in config order (for a name picker)."""
        return list(self._entries)

    @property
    def idle_timeout(self) -> float:
        return self._idle_timeout

    def sign_in(self, name: str, pin: str, *, session: bool = True) -> SignInResult:
        """Checks the PIN; on success this operator is signed in (replacing whoever was). With `session=False`
        (see `verify`) nobody is signed in or out.

        Blocks for the scrypt check (about 60 ms) and, for a refusal, the audit write: fine for the CLI.
        The console uses `sign_in_async`."""
        name = str(name).strip()
        checked = self._precheck(name)
        if isinstance(checked, SignInResult):
            return self._refuse(checked, operator=name if name in self._entries else None)
        result = self._conclude(checked, verify_pin(pin, checked.pin_hash or ""), session=session)
        return result if result.ok else self._refuse(result, operator=name)

    async def sign_in_async(self, name: str, pin: str, *, session: bool = True) -> SignInResult:
        """The same as `sign_in`, with its slow steps on a worker thread (`asyncio.to_thread`): the scrypt
        check (`hashlib.scrypt` releases the GIL, so the event loop keeps turning) and the audit record of a
        refusal (SQLite may wait for another writer). The sign-in state itself changes only on the caller's
        thread. The caller runs one check at a time (the console ignores presses while one is under way)."""
        name = str(name).strip()
        checked = self._precheck(name)
        if isinstance(checked, SignInResult):
            refused = checked
        else:
            matches = await asyncio.to_thread(verify_pin, pin, checked.pin_hash or "")
            refused = self._conclude(checked, matches, session=session)
            if refused.ok:
                return refused
        operator = name if name in self._entries else None
        return await asyncio.to_thread(self._refuse, refused, operator=operator)

    def verify(self, name: str, pin: str) -> SignInResult:
        """Checks `name`'s PIN like `sign_in` (the same lockout and failure records) without signing anyone in
        or out: the four-eyes second operator. On success `operator` says who; the session is untouched.
        Blocks for the scrypt check: fine for the CLI. The console uses `verify_async`."""
        return self.sign_in(name, pin, session=False)

    async def verify_async(self, name: str, pin: str) -> SignInResult:
        """`verify` with the scrypt check and the failure record on a worker thread (as `sign_in_async`)."""
        return await self.sign_in_async(name, pin, session=False)

    def _precheck(self, name: str) -> SignInResult | _Entry:
        """The entry whose PIN hash to check, or why not (unknown name, locked out, no valid hash)."""
        now = self._clock()
        entry = self._entries.get(name)
        if entry is None:
            # The typed name is not stored: it might be a PIN typed into the wrong field.
            return SignInResult(SignInStatus.UNKNOWN_OPERATOR, message=_("This name is not in the operator list."))
        attempts = self._attempts.setdefault(name, _Attempts())
        if attempts.locked_until is not None:
            if now < attempts.locked_until:
                return self._locked(attempts.locked_until - now)
            attempts.locked_until = None
            attempts.failures = 0
        if entry.pin_hash is None or not is_valid_hash(entry.pin_hash):
            text = (
                _("No PIN is set for {name}. Set one with 'ipc-hmi set-pin'.")
                if entry.pin_hash is None
                else _("The PIN hash for {name} is not valid. Set it again with 'ipc-hmi set-pin'.")
            )
            return SignInResult(SignInStatus.NO_PIN_SET, message=text.format(name=name))
        return entry

    def _conclude(self, entry: _Entry, matches: bool, *, session: bool = True) -> SignInResult:
        """Applies the outcome of the PIN check to the state: signed in (unless `session` is False: a check
        only), or one more failure (maybe a lockout)."""
        now = self._clock()
        attempts = self._attempts.setdefault(entry.name, _Attempts())
        if matches:
            attempts.failures = 0
            operator = Operator(entry.name, entry.role)
            if session:
                self._session = _Session(operator, now)
            return SignInResult(SignInStatus.OK, operator=operator)
        attempts.failures += 1
        if attempts.failures >= self._lockout_after:
            attempts.locked_until = now + self._lockout_seconds
            attempts.failures = 0
            return self._locked(self._lockout_seconds, wrong=True)
        left = self._lockout_after - attempts.failures
        return SignInResult(
            SignInStatus.WRONG_PIN,
            attempts_left=left,
            message=ngettext("Wrong PIN, {n} try left", "Wrong PIN, {n} tries left", left).format(n=left),
        )

    def _locked(self, seconds: float, *, wrong: bool = False) -> SignInResult:
        secs = max(1, math.ceil(seconds))
        text = _("Locked for {n} s").format(n=secs)
        return SignInResult(
            SignInStatus.LOCKED_OUT,
            seconds_left=secs,
            message=_("Wrong PIN. {locked}").format(locked=text) if wrong else text,
        )

    def _refuse(self, result: SignInResult, *, operator: str | None) -> SignInResult:
        if self._audit is not None:
            reason = result.status.value
            detail = {
                SignInStatus.WRONG_PIN: N_("tries left before the lockout: {n}").format(n=result.attempts_left),
                SignInStatus.LOCKED_OUT: N_("locked for {n} s more").format(n=result.seconds_left),
                SignInStatus.UNKNOWN_OPERATOR: "",
                SignInStatus.NO_PIN_SET: N_("no valid PIN hash in the config file"),
            }.get(result.status, "")
            try:
                self._audit.record_signin_failure(operator=operator, reason=reason, message=detail, target=self._target)
            except Exception as exc:
                # The refusal stands either way; the console shows the audit trouble (`audit_error`).
                log.exception("could not audit a failed sign-in for %s", operator or "an unknown name")
                return replace(result, audit_error=exc)
        return result

    def role(self, name: str) -> str | None:
        """The listed role of `name` ("operator", "viewer", or what the config says), None when not listed."""
        entry = self._entries.get(str(name).strip())
        return entry.role if entry is not None else None

    @property
    def lockout_after(self) -> int:
        return self._lockout_after

    def seed_failures(self, name: str, failures: int) -> None:
        """Counts `failures` earlier wrong PINs of `name` (from the audit trail, for a short-lived process such as
        the CLI), under the same rule as failures made here: at `lockout_after` the name is locked."""
        name = str(name).strip()
        if name not in self._entries or failures <= 0:
            return
        attempts = self._attempts.setdefault(name, _Attempts())
        attempts.failures = min(failures, self._lockout_after)
        if attempts.failures >= self._lockout_after:
            attempts.locked_until = self._clock() + self._lockout_seconds
            attempts.failures = 0

    def locked_seconds(self, name: str, now: float | None = None) -> int:
        """Seconds (rounded up) until `name` may try again; 0 when not locked."""
        attempts = self._attempts.get(name)
        if attempts is None or attempts.locked_until is None:
            return 0
        now = self._clock() if now is None else now
        return max(0, math.ceil(attempts.locked_until - now))

    def current(self, now: float | None = None) -> Operator | None:
        """Who is signed in, after applying idle sign-out."""
        if self._session is None:
            return None
        now = self._clock() if now is None else now
        if self._idle_timeout > 0 and now - self._session.last_activity >= self._idle_timeout:
            self._session = None
            return None
        return self._session.operator

    def touch(self) -> None:
        """Operator activity: restarts the idle time (does nothing once signed out)."""
        now = self._clock()
        if self.current(now) is not None and self._session is not None:
            self._session.last_activity = now

    def sign_out(self) -> None:
        self._session = None

    def may_approve(self) -> bool:
        """Only a signed-in operator with role "operator" may approve; viewers never."""
        operator = self.current()
        return operator is not None and operator.may_approve

    def idle_seconds_left(self, now: float | None = None) -> float | None:
        """Time until idle sign-out, or None when nobody is signed in or idle sign-out is off."""
        now = self._clock() if now is None else now
        if self.current(now) is None or self._idle_timeout <= 0 or self._session is None:
            return None
        return max(0.0, self._idle_timeout - (now - self._session.last_activity))


def recent_pin_failures(audit: Any, name: str, *, seconds: float = 60.0, now: Any = None) -> int:
    """Wrong or locked-out PIN attempts for `name` in the audit trail within the last `seconds`.

    A SignIn counts failures in memory, which a script could dodge by starting a new process for
    every guess; a short-lived process (the CLI) seeds its lockout from this count instead.
    """
    from datetime import UTC, datetime, timedelta

    now = now or datetime.now(UTC)
    failed = {SignInStatus.WRONG_PIN.value, SignInStatus.LOCKED_OUT.value}
    records = audit.records(since=now - timedelta(seconds=seconds), kind=RecordKind.SIGNIN_FAILED)
    return sum(1 for r in records if r.operator == name and r.outcome in failed)
