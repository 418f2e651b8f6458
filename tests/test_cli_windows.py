"""`ipc-hmi approve` and the maintenance windows (issue 15): outside a window it refuses with the console's
sentence, exits 3, sends nothing and records the refusal; inside one it approves; a bad entry exits 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.core.fake_ipc import RunningFake, available
from tests.test_cli_client import audit_records, cli, env, fake  # noqa: F401  (fixtures)


def window(start: dt.datetime, hours: int) -> str:
    """An entry in UTC starting at `start` (whole minutes) and lasting `hours`."""
    end = start + dt.timedelta(hours=hours)
    return f"{start:%a} {start:%H:%M}-{end:%H:%M}"


def config(tmp_path: Path, entry: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[approval]\nwindows = ["{entry}"]\ntimezone = "UTC"\n', encoding="utf-8")
    return str(path)


def test_outside_a_window_approve_refuses_exits_3_and_records(
    fake: RunningFake,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake.ipc.set(available("1.5.0", "1.4.2"))
    later = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, "--config", config(tmp_path, window(later, 1)),
               env=env)  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert fake.ipc.approvals == []
    line = done.stderr.strip()
    assert line.startswith(f"error: Approvals are allowed from {later:%a %H:%M}; next in 2 h 5") or line.startswith(
        f"error: Approvals are allowed from {later:%a %H:%M}; next in 3 h"
    ), line
    assert line.endswith("Nothing was sent.") and "\n" not in line
    (record,) = audit_records(env)
    assert record.outcome == "refused-locally" and record.version_id == "1.5.0"
    assert record.message.startswith("outside the maintenance windows (") and "UTC" in record.message


def test_inside_a_window_approve_approves(fake: RunningFake, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    fake.ipc.set(available("1.5.0", "1.4.2"))
    earlier = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    done = cli("approve", "1.5.0", "--yes", "--target", fake.address, "--config", config(tmp_path, window(earlier, 3)),
               env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert fake.ipc.approvals == ["1.5.0"]
    assert [r.outcome for r in audit_records(env)] == ["approved"]


def test_a_malformed_window_exits_2_naming_the_entry(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    path = config(tmp_path, "Mon-Fri 22:00-6")
    for command in (["approve", "1.5.0", "--yes"], ["report"]):
        done = cli(*command, "--target", "127.0.0.1:1", "--config", path, env=env)
        assert done.returncode == 2, done.stderr
        assert "approval.windows" in done.stderr and "'Mon-Fri 22:00-6' is not a maintenance window" in done.stderr
