"""The console verifies its audit trail's hash chain at start, on a worker thread; a failure is a red line."""

from __future__ import annotations

import sqlite3

from hmi.core.audit import AuditStore
from hmi.core.config import ClientConfig

from .conftest import run, until


def test_a_tampered_trail_shows_a_red_line(aloop, windows, tmp_path):
    run(aloop, _tampered(windows, tmp_path), 30)


async def _tampered(windows, tmp_path):
    from hmi.app import build_console

    path = tmp_path / "audit.sqlite3"
    with AuditStore.open(path) as store:
        rid = store.begin(target="t", version_id="1.5.0", current_version=None, operator="alice")
        store.complete(rid, outcome="approved", code="OK", message="")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE records SET operator = 'mallory'")  # edited behind the store's back
    conn.close()
    with AuditStore.open(path) as store:
        window, controller = build_console(ClientConfig(target="127.0.0.1:1"), audit=store)
        windows.append(window)
        window.show()
        banner = window.audit_broken_banner
        assert not banner.isVisible()
        try:
            await controller.start()
            await until(banner.isVisible, 10, "the red line")
        finally:
            await controller.aclose()
        text = banner.approvals_off_text.text()
        assert text.startswith("The audit trail fails verification: Record ") and "edited" in text
        assert banner.objectName() == "auditBroken"


def test_an_intact_trail_shows_nothing(aloop, windows, tmp_path):
    run(aloop, _intact(windows, tmp_path), 30)


async def _intact(windows, tmp_path):
    from hmi.app import build_console

    with AuditStore.open(tmp_path / "audit.sqlite3") as store:
        store.log_event(kind="signin-failed", outcome="wrong-pin", operator="op")
        window, controller = build_console(ClientConfig(target="127.0.0.1:1"), audit=store)
        windows.append(window)
        window.show()
        results = []
        controller.trailBroken.connect(results.append)
        try:
            await controller.start()
            verified = await __import__("asyncio").to_thread(store.verify)  # the same walk, done here too
        finally:
            await controller.aclose()
        assert verified.intact and results == [] and not window.audit_broken_banner.isVisible()
