"""Files the product needs at run time live inside the package, so a normal install has them."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_icon_name_has_an_svg_inside_the_package():
    from hmi.ui import icons

    folder = resources.files("hmi.resources") / "icons"
    for name in icons.NAMES:
        svg = folder / f"{name}.svg"
        assert svg.is_file(), name
        assert svg.read_text().lstrip().startswith(("<svg", "<?xml"))
        assert Path(str(icons.icon_path(name))) == Path(str(svg))


def test_package_data_ships_icons_and_scenarios():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "icons/*.svg" in data["hmi.resources"]
    assert "*.toml" in data["*"]
    scenarios = {f.name for f in resources.files("hmi.mock.builtin_scenarios").iterdir()}
    assert {"approval.toml", "automatic.toml", "fault.toml", "power-loss.toml", "race.toml", "demo.toml"} <= scenarios


def test_wheel_from_a_clean_checkout_carries_every_runtime_file(tmp_path: Path) -> None:
    """A wheel built from the committed tree (copied, so nothing is written into the source) has every file loaded."""
    import zipfile

    from tests.wheelbuild import build_wheel

    had_build = (ROOT / "build").exists()
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"hmi/resources/{p.relative_to(ROOT / 'resources')}" for p in (ROOT / "resources").rglob("*")}
    expected = {n for n in expected if "__pycache__" not in n and (ROOT / "resources" / n[14:]).is_file()}
    expected |= {f"hmi/mock/builtin_scenarios/{p.name}" for p in (ROOT / "hmi/mock/builtin_scenarios").glob("*.toml")}
    assert "hmi/resources/icons/fault.svg" in expected and "hmi/resources/kiosk/ipc-hmi-kiosk.service" in expected
    assert expected <= names, sorted(expected - names)
    assert (ROOT / "build").exists() == had_build  # nothing written into the source tree
