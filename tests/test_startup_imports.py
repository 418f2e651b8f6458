"""What the console's start-up imports (issue 13, docs/benchmarks.md "Start-up on the panel's path").

A subprocess runs `ipc-hmi gui --target … --screenshot` (the panel's path, drawn once) and reports sys.modules:
- nothing the first screen does not need is loaded: sign-in (hmi.core.auth, with sign-in off), uuid and
  platform (only for the first audit record), the html package (its entity table), importlib.resources
  (the icons folder is found through the import system);
- grpc, protobuf and the snapshot model are loaded before PySide6, whose feature switch reads the source of
  every module imported after it (sys.modules keeps insertion order);
- the sheets (confirmation, sign-in, PIN pad, history) are not imported: they are built at their first open.

And the regular expressions shiboken's support package compiles while PySide6 loads are compiled at their first
use (`hmi.app._regexes_compiled_on_first_use`): a lazy pattern behaves as the compiled one (property test), PySide
still explains a wrong call with its signatures, and nothing else is made lazy. PySide's feature switch looks for
"PySide6" in each module's source without leaving the file in linecache (`hmi.app._scan_without_caching`): the
same answer as its own scan (property test over file contents), and no console source kept after start-up.
"""

from __future__ import annotations

import importlib.util
import json
import linecache
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hmi import app
from hmi.app import _LazyPattern, _regexes_compiled_on_first_use

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, linecache, sys
from hmi.cli import main
code = main(["gui", "--target", "127.0.0.1:9", "--deadline", "0.2", "--screenshot", sys.argv[1], "--after", "0"])
print(json.dumps({"code": code, "modules": list(sys.modules), "linecache": list(linecache.cache)}))
"""


def test_the_panel_path_loads_only_what_the_first_screen_needs(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "shot.png")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert "does not support" not in done.stderr  # offscreen: no raise() or activateWindow() to complain about
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0 and (tmp_path / "shot.png").is_file()
    modules: list[str] = report["modules"]
    assert "hmi.ui.window" in modules and "hmi.core.audit" in modules  # it did build the console and its trail
    never = ("hmi.core.auth", "uuid", "platform", "html", "html.entities", "hmi.mock", "importlib.resources")
    sheets = ("hmi.ui.sheet", "hmi.ui.signin_flow", "hmi.ui.pin_pad", "hmi.ui.history_view", "hmi.ui.foureyes_flow")
    sheets += ("hmi.ui.demo",)  # the demo drawer: only with --demo
    for name in never + sheets:
        assert name not in modules, name
    first_qt = modules.index("PySide6")
    for name in ("grpc", "google.protobuf", "hmi.core.client", "hmi.core.model", "hmi.ui.presenter", "sqlite3"):
        assert modules.index(name) < first_qt, name
    # The feature switch read the widgets' sources without keeping them: before, 27 files (about 1 MB of
    # strings) stayed in linecache; now only what it reads while PySide6 itself loads (shiboken6, enum).
    kept = report["linecache"]
    assert not [path for path in kept if "/hmi/" in path or "/qasync/" in path], kept
    assert len(kept) <= 4, kept


def _feature_switch():  # PySide's feature switch, its scan made cache-free as the console makes it
    import PySide6  # noqa: F401

    app._scan_without_caching()
    return sys.modules["PySide6.support.feature"]


SOURCE = st.lists(st.sampled_from(["PySide6", "PySide", "6", "import ", "x = 1", "\n", "# ", "é", "Ä"]), max_size=12)


@settings(max_examples=60, deadline=None)
@given(SOURCE, st.booleans())
def test_the_cache_free_scan_answers_as_pysides_own(parts: list[str], latin1: bool) -> None:
    feature = _feature_switch()
    scan = feature._mod_uses_pyside
    assert scan._reads_without_caching
    text = "".join(parts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "some_module.py"
        if latin1:  # a declared encoding other than UTF-8, as inspect.getsource honours it
            path.write_bytes(("# -*- coding: latin-1 -*-\n" + text).encode("latin-1"))
        else:
            path.write_text(text, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("some_module", path)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)  # not executed: the scan only reads the file
        linecache.checkcache()
        answer = scan(module)
        assert str(path) not in linecache.cache  # read, not kept
        assert answer == bool(scan.original(module)) == ("PySide6" in text)  # PySide's own scan, which keeps it
        linecache.checkcache(str(path))


def test_modules_without_a_source_file_are_asked_the_original_way() -> None:
    scan = _feature_switch()._mod_uses_pyside
    import _json

    for module in (sys, _json):  # built in; an extension module
        assert scan(module) is False and scan.original(module) is False
    assert scan(sys.modules["PySide6.QtCore"]) is False  # no .py file: inspect cannot read it either


PATTERNS = [r"\d+", r"(a|b)+c?", r"\s*,\s*", r"(?P<k>\w+)=(?P<v>[^;]*)", r"^\[.*\]$", r"x*", r"(?i)ab"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PATTERNS), st.sampled_from([0, re.MULTILINE, re.VERBOSE]), st.text("ab1, =;[]xX\n", max_size=30))
def test_a_lazy_pattern_answers_as_the_compiled_one(pattern: str, flags: int, text: str) -> None:
    lazy, real = _LazyPattern(pattern, flags), re.compile(pattern, flags)
    split, finditer = lazy.split, lazy.finditer  # looked up and kept before the first use, as shiboken does
    assert lazy._compiled is None
    assert split(text) == real.split(text)
    assert [m.span() for m in finditer(text)] == [m.span() for m in real.finditer(text)]
    assert lazy.sub("-", text) == real.sub("-", text) and lazy.findall(text) == real.findall(text)
    assert (lazy.pattern, lazy.flags, lazy.groups) == (real.pattern, real.flags, real.groups)
    assert lazy._compiled is real  # compiled once, and by re's own cache the same object
    assert not hasattr(lazy, "__isabstractmethod__")  # what a class body's ABCMeta asks, without compiling


def test_only_the_named_package_gets_lazy_patterns() -> None:
    with _regexes_compiled_on_first_use("shibokensupport."):
        mine = re.compile(r"\d+")
        theirs = eval('re.compile(r"\\d+")', {"__name__": "shibokensupport.signature.parser", "re": re})
    assert isinstance(mine, re.Pattern) and isinstance(theirs, _LazyPattern)
    assert re.compile(r"\d").match("1")  # put back afterwards


QT_SCRIPT = """
import sys
import hmi.app
hmi.app._import_qt()
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
parser = sys.modules["shibokensupport.signature.parser"].arglistParser._finditer
stub = sys.modules["shibokensupport.signature.lib.pyi_generator"].Formatter.__dict__["brace_searcher"]
lazy_before = type(stub).__name__ == "_LazyPattern" and stub._compiled is None and "_LazyPattern" in repr(parser)
try:
    QLabel().setText(5)
except TypeError as exc:
    print(lazy_before, "Supported signatures" in str(exc) and "setText(arg__1: str" in str(exc))
"""


def test_pyside_loads_with_lazy_patterns_and_still_explains_a_wrong_call() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", QT_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split() == ["True", "True"]


THREADS_SCRIPT = """
import json, os, sys, threading
import hmi.app as app

seen = {}
shoot = app._screenshot


async def count_then_shoot(window, controller, path, after):
    seen["python"] = [t.name for t in threading.enumerate()]
    seen["os_threads"] = len(os.listdir("/proc/self/task"))  # also grpc's own and any QThread
    return await shoot(window, controller, path, after)


app._screenshot = count_then_shoot
from hmi.cli import main

code = main(["gui", "--target", sys.argv[1], "--poll-interval", "0.1", "--screenshot", sys.argv[2], "--after", "1"])
print(json.dumps({"code": code, **seen}))
"""


def test_the_console_runs_few_threads(tmp_path: Path) -> None:
    """After ten reads of a live IPC (each settles unknown approvals on a worker thread), the console runs its own
    few Python threads: not the ten QThreads qasync's default executor starts at its first use."""
    from tests.core.fake_ipc import FakeIpc, available, start_fake

    fake = start_fake(FakeIpc(info=available()))
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "IPC_HMI_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(
            [sys.executable, "-c", THREADS_SCRIPT, fake.address, str(tmp_path / "shot.png")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        fake.stop()
    assert done.returncode == 0, done.stderr[-1500:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    workers = [name for name in report["python"] if name.startswith("ipc-hmi-io")]
    assert 1 <= len(workers) <= app.WORKER_THREADS, report["python"]  # the settling ran on the console's own pool
    assert len(report["python"]) <= 8, report["python"]
    assert report["os_threads"] <= 14, report  # 10 here: main, the steps and io workers, grpc's poller and 6 of its own
