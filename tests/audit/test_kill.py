"""Proof: SIGKILL at random moments never loses an acknowledged record nor leaves a store that will not open,
and the hash chain verifies after every kill with an event for every acknowledged step.

A fork server (a child Python that has imported only hmi.core.audit) forks one
writer at a time. The writer opens the store and records approvals in a loop;
after each store call has returned (its transaction committed) it appends an
acknowledgement line to its own file with a single write(2), which the kernel
keeps when the process dies. The test kills the writer with SIGKILL at a random
moment, 200 times, and after every kill opens the store, runs SQLite's
integrity check, and looks for every step acknowledged so far.

Forking from a process that has already imported the store takes a millisecond
or two, where starting a new interpreter takes tens, so 200 kills stay fast.
"""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hmi.core.audit import AuditStore

ROOT = Path(__file__).resolve().parents[2]
KILLS = 200
STEP_TIMEOUT_S = 20.0  # bound on any single wait (a reply from the fork server, a writer getting ready)
TOTAL_TIMEOUT_S = 180.0

# The fork server: one line "spawn PATH ACKS TAG" in, "pid N" out, then "reaped N STATUS" once the writer is gone.
FORK_SERVER = r"""
import os, sys
from pathlib import Path
from hmi.core.audit import AuditStore

def writer(path, acks, tag):
    fd = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    def ack(line):
        os.write(fd, (line + "\n").encode())
    store = AuditStore.open(Path(path))
    ack("ready")
    for i in range(1_000_000):
        rid = store.begin(target="10.0.0.5:50051", version_id=f"{tag}-{i}", current_version="1.4.2", operator="alice")
        ack(f"begun {rid} {tag}-{i}")
        store.mark_sent(rid)
        ack(f"sent {rid}")
        outcome = "approved" if i % 3 else "unknown"
        store.complete(rid, outcome=outcome, code="OK" if i % 3 else "UNAVAILABLE", message="")
        ack(f"done {rid} {outcome}")

out = sys.stdout
for line in sys.stdin:
    words = line.split()
    if not words or words[0] != "spawn":
        break
    pid = os.fork()
    if pid == 0:
        try:
            writer(*words[1:4])
        finally:
            os._exit(0)
    out.write(f"pid {pid}\n"); out.flush()
    _, status = os.waitpid(pid, 0)
    out.write(f"reaped {pid} {status}\n"); out.flush()
"""


class _Lines:
    """Reads lines from a pipe with a time bound on every wait."""

    def __init__(self, stream) -> None:
        self._fd = stream.fileno()
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._fd, selectors.EVENT_READ)
        self._buf = b""

    def next(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._sel.select(left):
                raise TimeoutError("no reply from the fork server")
            chunk = os.read(self._fd, 4096)
            if not chunk:
                raise EOFError("the fork server ended")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        self._sel.close()


def _acks(path: Path) -> list[str]:
    """Whole lines only: each was written after the store call returned."""
    try:
        text = path.read_bytes().decode()
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1]


def _event_steps(path: Path) -> dict[str, set[str]]:
    """Record id -> the types of its events in the chain."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        steps: dict[str, set[str]] = {}
        for rid, kind in conn.execute("SELECT record_id, type FROM events WHERE record_id IS NOT NULL"):
            steps.setdefault(rid, set()).add(kind)
        return steps
    finally:
        conn.close()


def _wait_ready(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().startswith(b"ready\n"):
            return True
        time.sleep(0.0005)
    return False


@pytest.mark.slow
@pytest.mark.timeout(TOTAL_TIMEOUT_S + 60)
def test_sigkill_at_random_moments_loses_no_acknowledged_approval(tmp_path: Path) -> None:
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    path = tmp_path / "audit.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    server = subprocess.Popen(
        [sys.executable, "-c", FORK_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        bufsize=0,
    )
    assert server.stdin is not None and server.stdout is not None
    lines = _Lines(server.stdout)
    begun: dict[str, str] = {}  # id -> version id
    sent: set[str] = set()
    done: dict[str, str] = {}  # id -> outcome
    killed_starting = killed_writing = 0
    deadline = time.monotonic() + TOTAL_TIMEOUT_S
    try:
        for n in range(KILLS):
            assert time.monotonic() < deadline, f"took too long (seed {seed})"
            acks = tmp_path / f"acks-{n}.txt"
            server.stdin.write(f"spawn {path} {acks} w{n}\n".encode())
            words = lines.next(STEP_TIMEOUT_S).split()
            assert words[0] == "pid", words
            pid = int(words[1])
            try:
                if rng.random() < 0.15:
                    # Some kills land while the writer opens (or first creates) the store.
                    time.sleep(rng.uniform(0.0, 0.004))
                else:
                    assert _wait_ready(acks, STEP_TIMEOUT_S), f"writer {n} never got ready (seed {seed})"
                    time.sleep(rng.uniform(0.002, 0.05))
            finally:
                os.kill(pid, signal.SIGKILL)  # still our fork server's unreaped child: the pid cannot be reused
            words = lines.next(STEP_TIMEOUT_S).split()
            assert words[:2] == ["reaped", str(pid)], words
            status = int(words[2])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (n, status)

            seen = _acks(acks)
            if seen[:1] == ["ready"]:
                killed_writing += 1
            else:
                killed_starting += 1
            for line in seen:
                parts = line.split()
                if parts[0] == "begun":
                    begun[parts[1]] = parts[2]
                elif parts[0] == "sent":
                    sent.add(parts[1])
                elif parts[0] == "done":
                    done[parts[1]] = parts[2]

            with AuditStore.open(path) as store:
                assert store.check() == "ok", f"integrity check failed after kill {n} (seed {seed})"
                stored = {r.id: r for r in store.records()}
                chain = store.verify()
                assert chain.intact, f"kill {n}: the chain fails verification: {chain.problem} (seed {seed})"
                steps = _event_steps(path)
            # Every acknowledged step is an event in the chain (it was appended in the same transaction).
            assert not [rid for rid in begun if "created" not in steps.get(rid, ())], (n, seed)
            assert not [rid for rid in sent if "sent" not in steps.get(rid, ())], (n, seed)
            assert not [rid for rid in done if "completed" not in steps.get(rid, ())], (n, seed)
            missing = [rid for rid in begun if rid not in stored]
            assert not missing, f"kill {n}: acknowledged records lost: {missing[:5]} (seed {seed})"
            for rid, version in begun.items():
                assert stored[rid].version_id == version and stored[rid].operator == "alice", (rid, seed)
            lost_sent = [rid for rid in sent if stored[rid].sent_at is None]
            assert not lost_sent, f"kill {n}: sent marks lost: {lost_sent[:5]} (seed {seed})"
            for rid, outcome in done.items():
                record = stored[rid]
                assert record.outcome == outcome and record.completed_at is not None, (n, rid, seed)
    finally:
        lines.close()
        server.stdin.close()  # the fork server leaves its loop at end of input
        try:
            server.wait(timeout=STEP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=STEP_TIMEOUT_S)
        server.stdout.close()

    assert server.returncode == 0, server.returncode
    # Both situations really happened, and a fair amount was recorded.
    assert killed_writing > KILLS // 2 and killed_starting > 0, (killed_writing, killed_starting)
    assert begun and done, (len(begun), len(done))
    print(
        f"seed {seed}: {killed_writing} kills while writing, {killed_starting} while starting; "
        f"{len(begun)} approvals begun, {len(done)} completed, all present"
    )
