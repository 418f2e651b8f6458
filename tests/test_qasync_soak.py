"""A bad PySide6 or qasync release fails the suite.

PySide6 6.12.0 aborts a plain `await asyncio.sleep(0)` loop under qasync with
"Fatal Python error: none_dealloc" after about 10,000 iterations. This runs
the same check as ../shared/tools/qasync_soak.py, in a child process, with
30,000 iterations (three times the point where 6.12.0 died).
"""

from __future__ import annotations

import os
import subprocess
import sys

ITERATIONS = 30_000

CHILD = r"""
import asyncio, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
import qasync

count = 0

async def spin(n):
    global count
    for _ in range(n):
        await asyncio.sleep(0)
        count += 1

app = QApplication([])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
with loop:
    loop.run_until_complete(spin(int(sys.argv[1])))
print(f"ok {count}")
"""


def test_qasync_survives_a_long_sleep0_loop():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(ITERATIONS)], capture_output=True, text=True, timeout=100, env=env
    )
    assert proc.returncode == 0, f"child crashed with exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.strip().splitlines()[-1] == f"ok {ITERATIONS}"


def test_pyside6_pin_excludes_6_12():
    from importlib.metadata import requires, version

    installed = tuple(int(x) for x in version("PySide6-Essentials").split(".")[:2])
    assert (6, 9) <= installed < (6, 12)
    spec = next(r for r in requires("ipc-hmi") if r.lower().startswith("pyside6-essentials"))
    assert "<6.12" in spec.replace(" ", "")
