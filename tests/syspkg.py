"""System tools and libraries a test needs: installed with apt when missing and running as root, else a clear failure.

Never a silent skip: a machine without the tool fails the test with the command that installs it.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess

import pytest


def _can_apt() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
        timeout=600,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"'apt-get install {' '.join(packages)}' failed: {done.stderr.strip()[-500:]}")


def need_tool(tool: str, package: str) -> str:
    """The path of `tool`; installs `package` first when it is missing and apt can run."""
    found = shutil.which(tool)
    if found is None and _can_apt():
        apt_install(package)
        found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} is missing: install it with 'apt-get install {package}' (as root), then run make test again"
        )
    return found


def need_libraries(libraries: dict[str, str]) -> None:
    """Shared libraries by their short name (as ctypes.util.find_library takes it) -> the Debian package."""

    def missing() -> list[str]:
        return sorted({pkg for lib, pkg in libraries.items() if ctypes.util.find_library(lib) is None})

    packages = missing()
    if packages and _can_apt():
        apt_install(*packages)
        packages = missing()
    if packages:
        pytest.fail(
            f"libraries are missing: install them with 'apt-get install {' '.join(packages)}' (as root), "
            "then run make test again"
        )
