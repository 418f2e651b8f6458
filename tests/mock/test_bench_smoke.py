"""The benchmark still runs end to end (tiny load; its figures are not asserted)."""

from __future__ import annotations

import pytest

from benchmarks import bench_mock


@pytest.mark.slow
def test_bench_mock_runs_and_reports_every_row(capsys):
    figures = bench_mock.main(duration=0.2, pollers=(1, 4), rounds=1)
    assert [row["pollers"] for row in figures["rows"]] == [1, 4]
    for row in figures["rows"]:
        assert row["bare"]["calls"] > 0 and row["engine"]["calls"] > 0 and row["ratio"] > 0
    assert "| pollers |" in capsys.readouterr().out
