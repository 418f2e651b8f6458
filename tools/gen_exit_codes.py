"""Rewrites every exit-code table in README.md and docs/*.md from hmi/core/errors.py.

A table lives between `<!-- exit-codes:begin -->` and `<!-- exit-codes:end -->`; the markers stay,
so a section can move between files. `--check` only reports files that differ (exit 1).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hmi.core.errors import exit_codes_markdown  # noqa: E402

BLOCK = re.compile(r"(<!-- exit-codes:begin -->).*?(<!-- exit-codes:end -->)", re.S)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def render(text: str) -> str:
    return BLOCK.sub(lambda m: f"{m.group(1)}\n{exit_codes_markdown()}\n{m.group(2)}", text)


def main(argv: list[str]) -> int:
    stale = []
    for path in documents():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{'differs' if '--check' in argv else 'rewrote'}: {path.relative_to(ROOT)}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
