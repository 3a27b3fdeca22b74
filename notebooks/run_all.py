"""Re-execute the notebooks in place, deterministically, so that their stored outputs are fresh.

Usage (from the repository root)::

    .venv/bin/python notebooks/run_all.py                 # every tutorial and solution notebook
    .venv/bin/python notebooks/run_all.py notebooks/01_scalar_gates.ipynb

Each notebook runs top to bottom in a fresh "python3" kernel (the venv's ipykernel) with its own
folder as working directory and is saved with its outputs (nbval compares them). The student
notebooks in ``notebooks/exercises/`` are not executed here: they are made from the solutions by
``notebooks/make_exercises.py``, which this script runs at the end (``make exercises`` does the same).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
KERNEL = "python3"
TIMEOUT = 120  # seconds per cell; every cell here takes well under one


def all_notebooks():
    """Tutorials first, then the solution notebooks, in name order."""
    return sorted(HERE.glob("[0-9]*.ipynb")) + sorted((HERE / "solutions").glob("[0-9]*.ipynb"))


def execute(notebook, directory):
    """Run ``notebook`` (a NotebookNode, changed in place) in a fresh kernel; return it."""
    os.environ["PYTHONHASHSEED"] = "0"  # inherited by the kernel: set iteration orders stay put
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(directory)}},
        record_timing=False,  # no timestamps in cell metadata: diffs show only real changes
    )
    client.execute()
    # No saved widget state: it is ipywidgets-version specific (ipywidgets 7 front ends such as Colab
    # and classic Notebook show a state saved by 8 as repr text), and where it is missing, viewers
    # without widgets (GitHub, nbviewer, nbconvert --to html) show each explorer's static picture.
    # (It is dropped after the run, not switched off: nbclient's Output-widget capture needs it.)
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
    return notebook


def run(path):
    path = Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    if path.parent.name == "exercises":
        raise SystemExit(f"{path.name}: student notebooks are made, not run: edit notebooks/solutions/{path.name}")
    execute(notebook, path.parent)
    nbformat.write(notebook, path)
    print(f"{path.relative_to(HERE.parent)}: ok ({time.perf_counter() - start:.1f} s)")


def main(arguments):
    for path in arguments or all_notebooks():
        run(path)
    import make_exercises  # beside this file, so on sys.path when run as a script

    make_exercises.main([])


if __name__ == "__main__":
    main(sys.argv[1:])
