"""Packaging facts that must not drift: the version is set in one place."""

import importlib.metadata
import pathlib

import pytest

import backpropnb

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_version_is_set_once_in_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("backpropnb") == backpropnb.__version__
