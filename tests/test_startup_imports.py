"""What the console's start-up imports (issue 13, docs/benchmarks.md "Start-up on the panel's path").

A subprocess runs `ipc-hmi gui --target … --screenshot` (the panel's path, drawn once) and reports sys.modules:
- nothing the first screen does not need is loaded: sign-in (hmi.core.auth, with sign-in off), uuid and
  platform (only for the first audit record), the html package (its entity table), importlib.resources
  (the icons folder is found through the import system);
- grpc, protobuf and the snapshot model are loaded before PySide6, whose feature switch reads the source of
  every module imported after it (sys.modules keeps insertion order).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, sys
from hmi.cli import main
code = main(["gui", "--target", "127.0.0.1:9", "--deadline", "0.2", "--screenshot", sys.argv[1], "--after", "0"])
print(json.dumps({"code": code, "modules": list(sys.modules)}))
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
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0 and (tmp_path / "shot.png").is_file()
    modules: list[str] = report["modules"]
    assert "hmi.ui.window" in modules and "hmi.core.audit" in modules  # it did build the console and its trail
    for name in ("hmi.core.auth", "uuid", "platform", "html", "html.entities", "hmi.mock", "importlib.resources"):
        assert name not in modules, name
    first_qt = modules.index("PySide6")
    for name in ("grpc", "google.protobuf", "hmi.core.client", "hmi.core.model", "hmi.ui.presenter", "sqlite3"):
        assert modules.index(name) < first_qt, name
