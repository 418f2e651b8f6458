"""Every relative link and #anchor in README.md and docs/*.md resolves (GitHub-style heading slugs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def anchors(path: Path) -> set[str]:
    """The anchors a page offers, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in prose(path.read_text(encoding="utf-8")):
        m = re.match(r"#{1,6} (.+)", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        result.add(base if n == 0 else f"{base}-{n}")
    return result


def links(path: Path) -> list[str]:
    found: list[str] = []
    for line in prose(path.read_text(encoding="utf-8")):
        found += [m.group(1) for m in LINK.finditer(re.sub(r"`[^`]*`", "", line))]
    return found


def test_the_readme_links_every_docs_page() -> None:
    linked = {target.split("#")[0] for target in links(ROOT / "README.md")}
    assert {f"docs/{p.name}" for p in PAGES[1:]} <= linked


def test_the_readme_is_a_short_front_door() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken: list[str] = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto: are not checked offline
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest}")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            broken.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Command line: `ipc-hmi report` and `ipc-hmi approve`", "command-line-ipc-hmi-report-and-ipc-hmi-approve"),
        ("Start-up time and memory (benchmark)", "start-up-time-and-memory-benchmark"),
        ("Benchmark: the engine's cost", "benchmark-the-engines-cost"),
        ("mock-ctl: driving a running mock", "mock-ctl-driving-a-running-mock"),
    ],
)
def test_slug_follows_github(heading: str, expected: str) -> None:
    assert slug(heading) == expected


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "Zs"]), max_size=40))
def test_slug_is_url_safe(heading: str) -> None:
    assert re.fullmatch(r"[\w-]*", slug(heading), re.ASCII)
