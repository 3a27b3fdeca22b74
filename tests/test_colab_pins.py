"""backpropnb installs into Google Colab without changing any package Colab ships.

tests/envs/colab.txt lists Colab's versions (see its header for the source); `make test-colab`
builds .venv-colab from it and runs the explorers' and renderers' tests and every notebook there.
These tests check the pins themselves: every dependency of backpropnb accepts Colab's version, and
in the Colab-like environment pip, asked to install backpropnb, would change nothing that is there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
COLAB_PINS = REPO / "tests" / "envs" / "colab.txt"


def colab_versions():
    """{package: version} of the == pins in tests/envs/colab.txt."""
    pins = {}
    for line in COLAB_PINS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_every_dependency_accepts_colabs_version():
    pins = colab_versions()
    assert {"ipywidgets", "numpy", "matplotlib", "graphviz"} <= set(pins)
    for requirement in dependencies():
        name = canonicalize_name(requirement.name)
        if name in pins:
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"pyproject.toml asks for {requirement}, Colab has {name} {pins[name]}: pip would change it"
            )


def test_ipywidgets_7_and_8_are_both_allowed():
    (widgets,) = [r for r in dependencies() if r.name == "ipywidgets"]
    assert widgets.specifier.contains("7.7.1") and widgets.specifier.contains("8.1.9")
    assert not widgets.specifier.contains("7.5.0")  # 7.6 is the oldest with the API the explorers use


def test_the_graphviz_wheel_is_asked_for_only_where_it_exists():
    (wheel,) = [r for r in dependencies() if r.name == "graphviz-pure"]
    platforms = {
        ("linux", "x86_64"): True,
        ("darwin", "arm64"): True,
        ("win32", "AMD64"): True,
        ("linux", "aarch64"): False,
        ("darwin", "x86_64"): False,
    }
    for (system, machine), expected in platforms.items():
        assert wheel.marker.evaluate({"sys_platform": system, "platform_machine": machine}) is expected


colab_only = pytest.mark.skipif(
    metadata.version("ipywidgets") != colab_versions()["ipywidgets"], reason="runs in the Colab-like environment"
)


@colab_only
def test_this_environment_has_colabs_versions():
    for name, version in colab_versions().items():
        assert metadata.version(name) == version, name


@colab_only
def test_pip_install_would_change_nothing_colab_has():
    """pip's own resolver, asked to install backpropnb here, installs only backpropnb (and the dot wheel)."""
    answer = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    changed = sorted(canonicalize_name(item["metadata"]["name"]) for item in report["install"])
    assert changed == ["backpropnb"], f"pip would also install or change {changed}"
