"""The repository path is one setting (pyproject's [project.urls] Repository), and everything agrees with it:
the README's Binder badge and Colab links, and every notebook's first cell, which installs backpropnb
only where it is missing."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("links", ROOT / "notebooks" / "links.py")
links = importlib.util.module_from_spec(spec)
spec.loader.exec_module(links)
REPO = links.repository()
ALL = links.tutorials() + links.exercises()


def test_everything_is_stamped_with_the_one_setting(capsys):
    assert links.main(["--check"]) == 0, capsys.readouterr().out


def test_every_link_in_the_readme_and_notebooks_uses_the_setting():
    texts = {readme: readme.read_text(encoding="utf-8") for readme, _ in links.editions()}
    texts.update({path: path.read_text(encoding="utf-8") for path in ALL})
    patterns = [
        r"mybinder\.org/v2/gh/([^/\s)]+/[^/\s)]+)/",
        r"colab\.research\.google\.com/github/([^/\s)]+/[^/\s)]+)/",
        r"git\+https://github\.com/([^/\s\"]+/[^/\s\"\\]+)",
    ]
    seen = 0
    for path, text in texts.items():
        for pattern in patterns:
            for found in re.findall(pattern, text):
                seen += 1
                assert found == REPO, f"{path.name} links {found}, pyproject says {REPO}"
    assert seen >= 1 + 2 * len(links.handed_out())


@pytest.mark.parametrize("readme, edition", links.editions(), ids=["en", "ko"])
def test_readme_links_every_handed_out_notebook_to_colab(readme, edition):
    text = readme.read_text(encoding="utf-8")
    handed_out = links.handed_out(edition)
    assert len(links.tutorials(edition)) == 7
    assert len(handed_out) > 7  # the student exercise notebooks too
    for path in handed_out:
        assert path.is_relative_to(edition)
        assert links.colab_url(REPO, path) in text, path.name
    assert "solution" not in text[text.index(links.TABLE_START) : text.index(links.TABLE_END)]
    assert links.binder_line(REPO, edition) in text


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_the_first_cell_installs_only_when_missing(path):
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "code" and links.INSTALL_TAG in first.metadata.get("tags", [])
    assert first.source == links.install_source(REPO)
    assert first.get("outputs", []) == []  # a no-op wherever backpropnb is installed


def run_install_cell(find_spec_result):
    """Execute the install cell with importlib's find_spec answering as given; return the pip commands run."""
    calls = []
    namespace = {}
    source = links.install_source(REPO)
    real_run, real_find_spec = subprocess.run, importlib.util.find_spec
    subprocess.run = lambda command, **kwargs: calls.append(command)
    importlib.util.find_spec = lambda name, *a: find_spec_result if name == "backpropnb" else real_find_spec(name, *a)
    try:
        exec(compile(source, "install-cell", "exec"), namespace)
    finally:
        subprocess.run, importlib.util.find_spec = real_run, real_find_spec
    return calls


def test_the_install_cell_does_nothing_where_backpropnb_is_installed():
    assert importlib.util.find_spec("backpropnb") is not None
    assert run_install_cell(importlib.util.find_spec("backpropnb")) == []


def test_the_install_cell_pip_installs_from_the_repository_where_it_is_missing():
    calls = run_install_cell(None)
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", f"git+https://github.com/{REPO}"]]


def test_a_bad_setting_is_refused(tmp_path):
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project.urls]\nRepository = "https://gitlab.com/a/b"\n')
    with pytest.raises(ValueError, match="Repository must be https://github.com/OWNER/NAME"):
        links.repository(bad)
