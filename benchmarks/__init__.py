"""Ratio benchmarks: each measures our code against a baseline measured in the same run.

Run all with `make bench` (python -m benchmarks) or one with `python -m benchmarks.bench_NAME`.
Each module has `main() -> dict` that prints a Markdown table and returns the figures;
the results are written to benchmarks/results/NAME.json (not committed) and the
figures are copied into the README by hand. Nothing here is a pass/fail test.
"""
