"""Package list: every hmi* package found on disk, plus hmi.resources, which lives in resources/ (pyproject.toml).

The folders inside resources/ (icons, locale/de/LC_MESSAGES, …) are listed as packages too: they hold only
data, but setuptools counts any folder below a package as one and warns about each it is not told of."""

from setuptools import find_namespace_packages, find_packages, setup

data_folders = [f"hmi.resources.{name}" for name in find_namespace_packages(where="resources")]
setup(packages=[*find_packages(include=["hmi*"]), "hmi.resources", *data_folders])
