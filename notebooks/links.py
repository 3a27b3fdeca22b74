"""Stamp the repository's GitHub path into the README badges, the "Open in Colab" links and every
notebook's first cell (the one that installs backpropnb where it is missing), in both editions:
README.md for notebooks/, README.ko.md for the Korean notebooks in notebooks/ko/.

The path is one setting in one place: ``[project.urls] Repository`` in pyproject.toml. Until the
project is published it is the placeholder ``OWNER/REPO``; change it there, then run::

    .venv/bin/python notebooks/links.py          # rewrite README.md and the notebooks
    .venv/bin/python notebooks/links.py --check  # exit 1 if anything is out of date (tests/test_links.py)

The install cell does nothing when backpropnb can be imported (``make lab``, nbval, Binder, a
classroom venv), so it leaves no output; on Colab it pip-installs backpropnb from GitHub.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
README_KO = ROOT / "README.ko.md"
KOREAN = NOTEBOOKS / "ko"
BRANCH = "main"
INSTALL_TAG = "backpropnb-install"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_LINE = re.compile(r"^\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\(.*\)$", re.M)
TABLE_START, TABLE_END = "<!-- colab-links: start -->", "<!-- colab-links: end -->"


def repository(pyproject=ROOT / "pyproject.toml"):
    """The GitHub path ``owner/name`` from ``[project.urls] Repository`` in pyproject.toml."""
    url = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([^/\s]+/[^/\s]+?)/?", url)
    if not match:
        raise ValueError(f"links.py: [project.urls] Repository must be https://github.com/OWNER/NAME, got {url!r}")
    return match.group(1)


def editions():
    """Each README with the notebook folder its table links: English first, then Korean."""
    return [(README, NOTEBOOKS), (README_KO, KOREAN)]


def _folders(edition):
    """The notebook folders of one edition (``NOTEBOOKS`` or ``KOREAN``), or of both when it is None."""
    return [edition] if edition else [folder for _, folder in editions()]


def tutorials(edition=None):
    """The tutorials of one edition's folder (``NOTEBOOKS`` or ``KOREAN``), or of both."""
    return [path for folder in _folders(edition) for path in sorted(folder.glob("[0-9]*.ipynb"))]


def exercises(edition=None):
    """Exercise notebooks: the solutions (their generator copies the install cell) and the students'."""
    return [
        path
        for folder in _folders(edition)
        for sub in ("solutions", "exercises")
        for path in sorted((folder / sub).glob("[0-9]*.ipynb"))
    ]


def handed_out(edition=None):
    """The notebooks a student opens: tutorials and student exercise notebooks (not solutions)."""
    return [
        path
        for folder in _folders(edition)
        for path in tutorials(folder) + sorted((folder / "exercises").glob("[0-9]*.ipynb"))
    ]


def install_source(repo):
    return (
        "# Installs backpropnb only where it is missing (Google Colab); elsewhere this cell does nothing.\n"
        "import importlib.util, subprocess, sys\n"
        'if importlib.util.find_spec("backpropnb") is None:\n'
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/{repo}"], check=True)'
    )


def colab_url(repo, path):
    return f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{path.relative_to(ROOT).as_posix()}"


def binder_line(repo, edition=NOTEBOOKS):
    """The Binder badge that opens JupyterLab on the edition's folder."""
    labpath = edition.relative_to(ROOT).as_posix()
    return f"[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{repo}/HEAD?labpath={labpath})"


def title(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#\s+(.*)$", cell.source, re.M)
            if heading:
                return heading.group(1).strip()
    return path.stem


HEADERS = {NOTEBOOKS: "| notebook | open it in Colab |", KOREAN: "| 노트북 | Colab에서 열기 |"}


def links_table(repo, edition=NOTEBOOKS):
    rows = [HEADERS[edition], "| --- | --- |"]
    for path in handed_out(edition):
        link = f"[![Open In Colab]({COLAB_BADGE})]({colab_url(repo, path)})"
        rows.append(f"| [{title(path)}]({path.relative_to(ROOT).as_posix()}) | {link} |")
    return "\n".join([TABLE_START, *rows, TABLE_END])


def stamped_readme(text, repo, edition=NOTEBOOKS):
    text = BINDER_LINE.sub(lambda _: binder_line(repo, edition), text, count=1)
    block = re.compile(re.escape(TABLE_START) + r".*?" + re.escape(TABLE_END), re.S)
    if not block.search(text):
        readme = dict((folder, path) for path, folder in editions())[edition].name
        raise ValueError(f"links.py: {readme} has no {TABLE_START} … {TABLE_END} block for the Colab links")
    return block.sub(lambda _: links_table(repo, edition), text, count=1)


def stamp_notebook(notebook, repo):
    """Put the install cell first (replacing an older one); True if the notebook changed.

    A new cell has no execution count: re-run the notebook (notebooks/run_all.py) afterwards.
    """
    source = install_source(repo)
    cells = notebook.cells
    existing = [i for i, c in enumerate(cells) if INSTALL_TAG in c.get("metadata", {}).get("tags", [])]
    if existing == [0] and cells[0].source == source:
        return False
    old = cells.pop(existing[0]) if existing else None
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [INSTALL_TAG]
    if old is not None:
        cell.outputs, cell.execution_count = old.get("outputs", []), old.get("execution_count")
        cell.id = old.get("id", cell.get("id"))
    cells.insert(0, cell)
    return True


def main(arguments):
    check = "--check" in arguments
    repo = repository()
    stale = []
    for path, edition in editions():
        readme = path.read_text(encoding="utf-8")
        new_readme = stamped_readme(readme, repo, edition)
        if new_readme != readme:
            stale.append(path)
            if not check:
                path.write_text(new_readme, encoding="utf-8")
    for path in tutorials() + exercises():
        notebook = nbformat.read(path, as_version=4)
        if stamp_notebook(notebook, repo):
            stale.append(path)
            if not check:
                nbformat.write(notebook, path)
    for path in stale:
        print(f"{'out of date' if check else 'stamped'}: {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
