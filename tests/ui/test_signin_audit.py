"""The console and its audit trail: approvals are recorded or not possible at all.

An audit trail that cannot be opened turns approvals off with the reason on screen; `--no-audit`
(no trail, approvals unrecorded) is accepted only with sign-in off; `--demo` uses a temporary trail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hmi.app import open_console_audit
from hmi.cli import main
from hmi.core.config import AppConfig, ClientConfig, SignInConfig

from .conftest import run, until
from .live import approve_on_screen, live_console, tap

ROOT = Path(__file__).resolve().parents[2]
ENDING = "Approvals are off until this is fixed."


def config_at(path: Path, *, signin: bool = False) -> AppConfig:
    return AppConfig(
        client=ClientConfig(target="127.0.0.1:1"),
        config_file=None,
        audit_path=path,
        signin=SignInConfig(enabled=signin),
    )


def unopenable(tmp_path: Path, kind: str) -> Path:
    if kind == "not-sqlite":
        path = tmp_path / "audit.sqlite3"
        path.write_bytes(b"this is not a database\n" * 10)
        return path
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    return blocker / "audit.sqlite3"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("not-sqlite", "it is not a readable audit trail"), ("no-folder", "blocker is a file where a folder is needed")],
)
def test_an_unopenable_trail_gives_one_plain_reason(tmp_path, kind, reason):
    path = unopenable(tmp_path, kind)
    before = path.read_bytes() if path.exists() else None
    trail = open_console_audit(config_at(path))
    assert trail.store is None
    assert trail.problem.startswith(f"The audit trail cannot be written: {path}: ")
    assert reason in trail.problem and trail.problem.endswith(ENDING)
    assert trail.problem.count(str(path)) == 1
    if before is not None:
        assert path.read_bytes() == before  # left exactly as it was


@pytest.mark.slow
def test_approvals_are_off_with_the_reason_on_screen_while_the_trail_cannot_be_written(aloop, windows, tmp_path):
    trail = open_console_audit(config_at(unopenable(tmp_path, "not-sqlite")))

    async def body():
        async with live_console("approval", windows=windows, approvals_off=trail.problem) as live:
            w, controller = live.window, live.controller
            await until(lambda: live.snap() is not None, 5, "data")
            assert (
                w.approvals_off_banner.isVisible() and w.approvals_off_banner.approvals_off_text.text() == trail.problem
            )
            assert (
                not w.version_panel.notice_text.isVisible()
            )  # the banner says it; no second, shorter version under Install
            assert (
                w.version_panel.approve_button.full_text() == "Install 1.5.0"
                and not w.version_panel.approve_button.isEnabled()
            )
            assert not w.open_confirmation() and not w.sheet.isVisible()
            assert not controller.request_approval("1.5.0")  # a robot is refused too
            await controller.client.refresh()
            assert live.approvals == []
            assert w.approvals_off_banner.approvals_off_text.text() == trail.problem
            assert any(ENDING in t for t in w.timeline_texts())
            assert not w.status_bar.history_button.isVisible()

    run(aloop, body(), 30)


def test_no_audit_is_refused_while_sign_in_is_on(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[signin]\nenabled = true\n\n[[operators]]\nname = "anna"\nrole = "operator"\n')
    shot = tmp_path / "x.png"
    code = main(["gui", "--no-audit", "--config", str(config), "--screenshot", str(shot)])
    assert code == 2 and not shot.exists()
    err = capsys.readouterr().err
    assert "--no-audit cannot be used while sign-in is on" in err and str(config) in err


@pytest.mark.slow
def test_no_audit_with_sign_in_off_approves_without_a_record(aloop, windows, tmp_path):
    path = unopenable(tmp_path, "not-sqlite")
    trail = open_console_audit(config_at(path), no_audit=True)
    assert trail.store is None and trail.problem is None  # not even opened

    async def body():
        async with live_console("approval", windows=windows, no_audit=True) as live:
            w = live.window
            await until(w.version_panel.approve_button.isEnabled, 10, "Install")
            tap(w.version_panel.approve_button)
            assert w.sheet.warning_box.isVisible()
            assert "not recorded" in w.sheet.warning.text() and "--no-audit" in w.sheet.warning.text()
            tap(w.sheet.cancel_button)
            assert await approve_on_screen(live) == "1.5.0"
            await until(lambda: live.approvals == ["1.5.0"], 5, "the approval at the mock")
            assert not w.status_bar.history_button.isVisible()

    run(aloop, body(), 30)


def test_demo_keeps_its_records_in_a_temporary_trail(tmp_path):
    real = tmp_path / "real" / "audit.sqlite3"
    trail = open_console_audit(config_at(real), demo=True)
    try:
        assert trail.problem is None and trail.store is not None
        folder = trail.store.path.parent
        assert folder.is_dir() and not real.exists()
        trail.store.log_event(kind="signin-failed", outcome="wrong-pin", operator="demo")
    finally:
        trail.close()
    assert not folder.exists() and not real.exists()


@pytest.mark.slow
def test_the_console_process_starts_with_approvals_off_and_says_why(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", IPC_HMI_DATA_DIR=str(blocker))
    env.pop("IPC_HMI_CONFIG", None)
    shot = tmp_path / "off.png"
    args = ["gui", "--target", "127.0.0.1:9", "--deadline", "0.2", "--screenshot", str(shot), "--after", "0.3"]
    proc = subprocess.run(
        [sys.executable, "-m", "hmi", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: The audit trail cannot be written" in proc.stderr and ENDING in proc.stderr
    assert shot.exists()
