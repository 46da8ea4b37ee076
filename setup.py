"""The package list, found automatically: every package under src/, and flows/ as tilmech.flows.

Everything else lives in pyproject.toml. Its `[tool.setuptools.packages.find]` only finds
packages inside its `where` folders, and flows/ stays a top-level folder of the project
(mapped to tilmech.flows by `package-dir` there), hence these few lines.

Folders of data (templates, static files, migrations) are namespace packages: they are found
too, and `package-data` in pyproject.toml says which of their files ship.
"""

from __future__ import annotations

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages("src", include=["tilmech", "tilmech.*"], exclude=["*__pycache__"]),
                "tilmech.flows"])
