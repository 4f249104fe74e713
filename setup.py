"""Only the package list lives here; everything else is in pyproject.toml.

`hktwin.resources` is mapped to the top-level resources/ folder (see `package-dir`), which
`packages.find` in pyproject.toml cannot add beside the packages it finds under app/. Each folder
of resources/ is listed as a data package so that setuptools ships it without warnings.
"""

from setuptools import find_namespace_packages, find_packages, setup

RESOURCES = ["hktwin.resources", *(f"hktwin.resources.{name}" for name in
                                   find_namespace_packages("resources", exclude=["*__pycache__*"]))]

setup(packages=[*find_packages("app", include=["hktwin", "hktwin.*"]), *RESOURCES])
