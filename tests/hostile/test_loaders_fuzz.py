"""Classes 2 and 3: every loader, fed anything, gives a valid object or its own error type.

Config files, scenario files, state files and PIN hashes (window specs do not exist yet). Any other
exception, or an accepted object with a number outside its range, fails. `make soak` runs many more
examples (HYPOTHESIS_PROFILE=soak).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmi.core import limits
from hmi.core.config import ConfigError, load_config
from hmi.mock.clock import FakeClock
from hmi.mock.engine import Engine
from hmi.mock.scenarios import ScenarioError, load_scenario, parse_scenario
from hmi.mock.stages import STAGE_NAMES

settings.register_profile("hostile", max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("soak", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))

EDGE_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, -1, 0, 0.0, -0.0, 1e-300, 1e300, 2**63, 2**64 + 1, -(2**63) - 1, True, 10**30]
)
SCALAR = st.one_of(EDGE_NUMBERS, st.integers(), st.floats(), st.text(max_size=8), st.booleans())


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


CONFIG_KEYS = ["target", "poll_interval", "deadline", "stale_after"]
SECTION_KEYS = {"tls": ["enabled", "ca_file", "server_name"], "signin": ["enabled", "idle_timeout"], "audit": ["path"]}


@st.composite
def config_text(draw: Any) -> str:
    lines = [f"{k} = {toml_value(draw(SCALAR))}" for k in draw(st.lists(st.sampled_from(CONFIG_KEYS), unique=True))]
    for section, keys in SECTION_KEYS.items():
        if draw(st.booleans()):
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(draw(SCALAR))}" for k in draw(st.lists(st.sampled_from(keys), unique=True))]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):  # raw bytes mangled: BOM, truncation, garbage
        text = draw(st.sampled_from(["\ufeff", "", "\x00", "[[", "="])) + text[: draw(st.integers(0, len(text)))]
    return text


@given(config_text())
def test_config_file_gives_a_config_or_a_config_error(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        app = load_config(None, environ={"IPC_HMI_CONFIG": str(path)})
    except ConfigError as exc:
        assert str(exc)
        return
    c = app.client
    assert limits.POLL_SECONDS[0] <= c.poll_interval <= limits.POLL_SECONDS[1]
    assert limits.DEADLINE_SECONDS[0] <= c.deadline <= limits.DEADLINE_SECONDS[1]
    assert math.isfinite(c.stale_after) and c.stale_after >= 0
    assert limits.IDLE_SECONDS[0] <= app.signin.idle_timeout <= limits.IDLE_SECONDS[1]


@st.composite
def scenario_data(draw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"installed": {"version_id": draw(st.sampled_from(["1.0", "", " "]))}}
    for key in ("auto_start_delay", "restart_delay", "loop_after"):
        if draw(st.booleans()):
            data[key] = draw(SCALAR)
    if draw(st.booleans()):
        data["stages"] = {draw(st.sampled_from([*STAGE_NAMES, "nope"])): draw(SCALAR)}
    data["releases"] = [{"version_id": f"2.{i}", "delay": draw(SCALAR)} for i in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        data["supersede"] = {"version_id": "3.{n}", "every": draw(SCALAR), "builds": draw(SCALAR)}
    return data


@given(scenario_data())
def test_scenario_gives_a_scenario_or_a_scenario_error(data: dict[str, Any]) -> None:
    try:
        scenario = parse_scenario(data, "fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml: ")
        return
    lo, hi = limits.SCENARIO_SECONDS
    numbers = [scenario.auto_start_delay, scenario.restart_delay, *scenario.durations.values()]
    numbers += [r.delay for r in scenario.releases]
    if scenario.loop_after is not None:
        numbers.append(scenario.loop_after)
    assert all(math.isfinite(x) and lo <= x <= hi for x in numbers)
    assert all(d > 0 for d in scenario.durations.values())


def _good_record() -> dict[str, Any]:
    engine = Engine(load_scenario("approval"), FakeClock(1_700_000_000.0))
    engine.approve(engine.offered().version_id)  # type: ignore[union-attr]
    return engine.to_record()


GOOD = _good_record()
FIELDS = [k for k in GOOD if k not in ("format", "scenario")]
JSONISH = st.one_of(SCALAR, st.none(), st.lists(SCALAR, max_size=2), st.dictionaries(st.text(max_size=3), SCALAR))


@given(st.lists(st.tuples(st.sampled_from(FIELDS), JSONISH), max_size=3), st.integers(0, 6), JSONISH)
def test_state_file_gives_an_engine_or_a_value_error(changes: list[tuple[str, Any]], stage: int, value: Any) -> None:
    record = json.loads(json.dumps(GOOD))
    record["stages"][stage % len(record["stages"])]["started_at"] = value
    for key, new in changes:
        record[key] = new
    try:
        engine = Engine(load_scenario("approval"), FakeClock(1_700_000_000.0), record=record)
    except ValueError as exc:  # start_mock turns it into StateFileError naming the file
        assert str(exc)
        return
    engine.update_info()  # a restored engine can always answer
    json.dumps(engine.snapshot(), allow_nan=False)  # and its state is plain JSON (mock-ctl state)
    engine.close()


def test_the_reported_crash_stage_index_999_is_refused() -> None:
    record = json.loads(json.dumps(GOOD))
    record.update(running=True, stage_index=999)
    with pytest.raises(ValueError, match="stage_index"):
        Engine(load_scenario("approval"), FakeClock(1_700_000_000.0), record=record)


@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda n, r, p, salt, digest: f"scrypt${n}${r}${p}${salt}${digest}",
            st.one_of(EDGE_NUMBERS, st.integers()),
            st.one_of(EDGE_NUMBERS, st.integers()),
            st.one_of(EDGE_NUMBERS, st.integers()),
            st.from_regex(r"[0-9a-fz]{0,34}", fullmatch=True),
            st.from_regex(r"[0-9a-fz]{0,70}", fullmatch=True),
        ),
    )
)
def test_pin_hash_parses_into_bounded_parameters_or_none(encoded: str) -> None:
    from hmi.core import auth

    parsed = auth.parse_hash(encoded)  # the loader: None means "not a hash", never an exception
    if parsed is not None:
        n, r, p, salt, digest = parsed
        assert 2 <= n <= auth._MAX_N and 1 <= r <= auth._MAX_R and 1 <= p <= auth._MAX_P
        assert salt and len(digest) >= 16


def test_nan_download_is_refused_in_a_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "nan.toml"
    path.write_text('[installed]\nversion_id = "1"\n[stages]\ndownload = nan\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="download"):
        load_scenario(path)
