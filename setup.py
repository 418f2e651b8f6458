"""Package list: every hmi* package found on disk, plus hmi.resources, which lives in resources/ (pyproject.toml)."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["hmi*"]), "hmi.resources"])
