"""Only the package list lives here; everything else is in pyproject.toml.

`hktwin.resources` and `hktwin.docs` are mapped to the top-level resources/ and docs/ folders
(see `package-dir`), which `packages.find` in pyproject.toml cannot add beside the packages it
finds under app/. Each of their folders is listed as a data package so that setuptools ships it
without warnings.
"""

from setuptools import find_namespace_packages, find_packages, setup


def data_packages(package: str, folder: str) -> list[str]:
    found = find_namespace_packages(folder, exclude=["*__pycache__*"])
    return [package, *(f"{package}.{name}" for name in found)]


setup(packages=[*find_packages("app", include=["hktwin", "hktwin.*"]),
                *data_packages("hktwin.resources", "resources"),
                *data_packages("hktwin.docs", "docs")])
