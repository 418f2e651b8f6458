"""Runs every benchmarks/bench_*.py module in turn and writes benchmarks/results/*.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    modules = names or sorted(p.stem for p in HERE.glob("bench_*.py"))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in modules:
        print(f"\n## {name}\n", flush=True)
        figures = importlib.import_module(f"benchmarks.{name}").main()
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
