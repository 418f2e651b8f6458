"""Scenarios: what the mock IPC has installed, which releases appear when, and which of them fail.

A scenario is a TOML file (read with `tomllib`); the built-ins live in
`hmi/mock/builtin_scenarios/NAME.toml`. `load_scenario("demo")` loads a built-in
by name, `load_scenario("my.toml")` a file. Every problem raises `ScenarioError`,
whose message names the file, the line or key, and what was expected.
See docs/mock.md, "Scenario files", for the format with a commented example.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from hmi.core import limits
from hmi.mock.stages import STAGE_NAMES, STAGES

BUILTIN_PACKAGE = "hmi.mock.builtin_scenarios"
BUILTIN_NAMES: tuple[str, ...] = ("approval", "automatic", "fault", "power-loss", "race", "demo", "slow-step")


class Mode(StrEnum):
    APPROVAL = "approval"
    AUTOMATIC = "automatic"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded: `source` is the file, `where` the line or key."""

    def __init__(self, source: str, where: str, expected: str) -> None:
        super().__init__(f"{source}: {where}: {expected}")
        self.source = source
        self.where = where
        self.expected = expected


@dataclass(frozen=True)
class Release:
    version_id: str
    update_notes: str | None = None
    delay: float = 0.0  # after start (first release) or after the previous release's update ended
    fail_at: str | None = None  # the first attempt fails in this stage and rolls back
    power_loss_at: str | None = None  # the first attempt loses power in this stage
    slow_at: str | None = None  # every attempt runs this stage `slow_factor` times longer than usual
    slow_factor: float = 10.0


@dataclass(frozen=True)
class Supersede:
    """While approval is pending, a newer build replaces the offered one every `every` seconds."""

    version_id: str  # a pattern with `{n}`, the build number from 1
    every: float
    builds: int  # at most this many, so the feed never grows without limit
    delay: float = 0.0  # the first build appears this long after start
    update_notes: str | None = None  # may contain `{n}` too

    def build(self, n: int) -> tuple[str, str | None]:
        notes = self.update_notes.replace("{n}", str(n)) if self.update_notes else None
        return self.version_id.replace("{n}", str(n)), notes


@dataclass(frozen=True)
class Scenario:
    name: str
    installed: str  # version id of the version running at start, also last known good
    installed_notes: str | None = None
    description: str = ""
    mode: Mode = Mode.APPROVAL
    releases: tuple[Release, ...] = ()
    supersede: Supersede | None = None
    durations: dict[str, float] = field(default_factory=lambda: {s.name: s.duration for s in STAGES})
    auto_start_delay: float = 2.0  # automatic mode: an offered version starts after this long
    restart_delay: float = 3.0  # power loss: the IPC is unreachable this long
    loop_after: float | None = None  # the story starts over this long after its last release settles
    jitter: float = 0.0  # each stage runs its duration times a factor drawn from [1 - jitter, 1 + jitter]
    seed: int = 0  # of the engine's random numbers for the jitter: the same seed, the same durations
    source: str = "<built-in>"

    def duration(self, stage: str) -> float:
        return self.durations[stage]


_TOP_KEYS = {
    "name",
    "description",
    "mode",
    "auto_start_delay",
    "restart_delay",
    "loop_after",
    "installed",
    "stages",
    "releases",
    "supersede",
    "jitter",
    "seed",
}
_VERSION_KEYS = {"version_id", "update_notes"}
_RELEASE_KEYS = {"version_id", "update_notes", "delay", "fail_at", "power_loss_at", "slow_at", "slow_factor"}
_SUPERSEDE_KEYS = {"version_id", "every", "builds", "delay", "update_notes"}
_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_scenario(spec: str | Path) -> Scenario:
    """A built-in by name (e.g. "demo"), or a TOML file by path."""
    text, source = _read(spec)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        where = f"line {match.group(1)}, column {match.group(2)}" if match else "syntax"
        raise ScenarioError(source, where, f"valid TOML ({_LINE.sub('', str(exc)).strip()})") from None
    default_name = Path(source).stem if not source.startswith("<") else str(spec)
    return parse_scenario(data, source, default_name=default_name)


def _read(spec: str | Path) -> tuple[str, str]:
    name = str(spec)
    if isinstance(spec, str) and name in BUILTIN_NAMES:
        resource = resources.files(BUILTIN_PACKAGE) / f"{name}.toml"
        return resource.read_text(encoding="utf-8"), f"<built-in scenario {name}>"
    path = Path(spec)
    if path.suffix != ".toml" and not path.exists():
        raise ScenarioError(name, "scenario", f"a built-in name ({', '.join(BUILTIN_NAMES)}) or a path to a .toml file")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), "file", f"a readable UTF-8 TOML file ({exc})") from None


def parse_scenario(data: dict[str, Any], source: str, *, default_name: str = "scenario") -> Scenario:
    """Validates parsed TOML into a Scenario; every problem names its key."""
    r = _Reader(source)
    r.keys(data, "", _TOP_KEYS)
    installed = r.table(data, "installed", required=True)
    r.keys(installed, "installed.", _VERSION_KEYS)
    durations = {s.name: s.duration for s in STAGES}
    stages = r.table(data, "stages", required=False)
    for name in stages:
        if name not in STAGE_NAMES:
            raise ScenarioError(source, f"stages.{_q(name)}", f"a stage name, one of: {', '.join(STAGE_NAMES)}")
        durations[name] = r.seconds(stages, name, f"stages.{_q(name)}", positive=True)
    releases_raw = data.get("releases", [])
    if not isinstance(releases_raw, list) or not all(isinstance(x, dict) for x in releases_raw):
        raise ScenarioError(source, "releases", "an array of tables ([[releases]])")
    releases = tuple(r.release(item, f"releases[{i}]") for i, item in enumerate(releases_raw))
    ids = [installed_id := r.text(installed, "version_id", "installed.version_id")]
    for i, rel in enumerate(releases):
        if rel.version_id in ids:
            where, expected = f"releases[{i}].version_id", "a version id not used earlier in the file"
            raise ScenarioError(source, where, f"{expected}, got {rel.version_id!r}")
        ids.append(rel.version_id)
    supersede = None
    if "supersede" in data:
        supersede = r.supersede(r.table(data, "supersede", required=True))
    mode_text = r.text(data, "mode", "mode", default=Mode.APPROVAL.value)
    if mode_text not in {m.value for m in Mode}:
        raise ScenarioError(source, "mode", f'"approval" or "automatic", got {mode_text!r}')
    loop_after = data.get("loop_after")
    return Scenario(
        name=r.text(data, "name", "name", default=default_name),
        description=r.text(data, "description", "description", default=""),
        installed=installed_id,
        installed_notes=r.optional_text(installed, "update_notes", "installed.update_notes"),
        mode=Mode(mode_text),
        releases=releases,
        supersede=supersede,
        durations=durations,
        auto_start_delay=r.seconds(data, "auto_start_delay", "auto_start_delay", default=2.0),
        restart_delay=r.seconds(data, "restart_delay", "restart_delay", default=3.0),
        loop_after=None if loop_after is None else r.seconds(data, "loop_after", "loop_after", positive=True),
        jitter=r.factor(data, "jitter", "jitter", default=0.0, low=0.0, high=0.9),
        seed=r.whole(data, "seed", "seed", default=0, low=0, high=2**32 - 1),
        source=source,
    )


def _q(key: str) -> str:
    """A TOML key as written in a file: quoted when it has spaces."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


class _Reader:
    """Typed reads from parsed TOML; each failure names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, expected: str, value: Any = None) -> ScenarioError:
        got = f", got {type(value).__name__} {value!r}" if value is not None else ""
        return ScenarioError(self.source, where, f"{expected}{got}")

    def keys(self, table: dict[str, Any], prefix: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                raise ScenarioError(
                    self.source, f"{prefix}{_q(key)}", f"a known key, one of: {', '.join(sorted(allowed))}"
                )

    def table(self, data: dict[str, Any], key: str, *, required: bool) -> dict[str, Any]:
        if key not in data:
            if required:
                raise ScenarioError(self.source, key, f"a [{key}] table")
            return {}
        if not isinstance(data[key], dict):
            raise self.fail(key, f"a [{key}] table", data[key])
        table: dict[str, Any] = data[key]
        return table

    def text(self, data: dict[str, Any], key: str, where: str, *, default: str | None = None) -> str:
        if key not in data:
            if default is None:
                raise ScenarioError(self.source, where, "a string (required)")
            return default
        value = data[key]
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(where, "a non-empty string", value)
        return value

    def optional_text(self, data: dict[str, Any], key: str, where: str) -> str | None:
        if key not in data:
            return None
        return self.text(data, key, where, default="") or None

    def seconds(
        self, data: dict[str, Any], key: str, where: str, *, default: float = 0.0, positive: bool = False
    ) -> float:
        value = data.get(key, default)
        try:
            return limits.number(value, where, limits.SCENARIO_SECONDS, above=positive)
        except limits.RangeError as exc:
            raise ScenarioError(self.source, where, f"{exc.expected}, got {type(value).__name__} {value!r}") from None

    def stage(self, data: dict[str, Any], key: str, where: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if value not in STAGE_NAMES:
            raise self.fail(where, f"a stage name, one of: {', '.join(STAGE_NAMES)}", value)
        return str(value)

    def release(self, item: dict[str, Any], where: str) -> Release:
        self.keys(item, f"{where}.", _RELEASE_KEYS)
        return Release(
            version_id=self.text(item, "version_id", f"{where}.version_id"),
            update_notes=self.optional_text(item, "update_notes", f"{where}.update_notes"),
            delay=self.seconds(item, "delay", f"{where}.delay"),
            fail_at=self.stage(item, "fail_at", f"{where}.fail_at"),
            power_loss_at=self.stage(item, "power_loss_at", f"{where}.power_loss_at"),
            slow_at=self.stage(item, "slow_at", f"{where}.slow_at"),
            slow_factor=self.factor(item, "slow_factor", f"{where}.slow_factor", default=10.0, low=1.0, high=1000.0),
        )

    def supersede(self, item: dict[str, Any]) -> Supersede:
        self.keys(item, "supersede.", _SUPERSEDE_KEYS)
        pattern = self.text(item, "version_id", "supersede.version_id")
        if "{n}" not in pattern:
            raise self.fail("supersede.version_id", 'a pattern containing {n}, e.g. "2.0.0-rc.{n}"', pattern)
        builds = item.get("builds")
        try:
            builds = limits.whole(builds, "supersede.builds", limits.BUILDS)
        except limits.RangeError as exc:
            raise self.fail("supersede.builds", exc.expected, builds) from None
        if "every" not in item:
            raise ScenarioError(self.source, "supersede.every", "a number of seconds (required)")
        return Supersede(
            version_id=pattern,
            every=self.seconds(item, "every", "supersede.every", positive=True),
            builds=builds,
            delay=self.seconds(item, "delay", "supersede.delay"),
            update_notes=self.optional_text(item, "update_notes", "supersede.update_notes"),
        )

    # Readers for the keys of issue 14 (jitter, seed, slow_factor); the older keys keep their readers.

    def factor(self, data: dict[str, Any], key: str, where: str, *, default: float, low: float, high: float) -> float:
        """A plain number within [low, high] (not seconds): NaN, infinity, booleans and strings are refused."""
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(where, f"a number from {low:g} to {high:g}", value)
        return float(value)

    def whole(self, data: dict[str, Any], key: str, where: str, *, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"a whole number from {low} to {high}", value)
        return value
