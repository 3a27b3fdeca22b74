"""The package builds (sdist and wheel) without a warning that the project causes.

`make lab` and `make test` install the package, and a learner reads what they print: a
deprecation warning from our own pyproject.toml (the old `license = { text = … }` table) looks
like something is broken. The build runs with Python's warnings turned into errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sdist_and_wheel_build_with_warnings_as_errors(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    assert "Warning" not in output.split("Successfully built")[0], output[-3000:]
    (wheel,) = tmp_path.glob("backpropnb-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode()
        assert "License-Expression: MIT" in text
        assert any(n.endswith("licenses/LICENSE") for n in archive.namelist())


def test_sdist_builds_with_warnings_as_errors_and_carries_the_license(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    build = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    assert "Warning" not in output.split("Successfully built")[0], output[-3000:]
    (sdist,) = (tmp_path / "dist").glob("backpropnb-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        (pkg_info,) = [n for n in names if n.count("/") == 1 and n.endswith("/PKG-INFO")]
        text = archive.extractfile(pkg_info).read().decode()
    assert "License-Expression: MIT" in text and "License-File: LICENSE" in text
    assert any(n.endswith("/LICENSE") for n in names) and any(n.endswith("/backpropnb/engine.py") for n in names)
