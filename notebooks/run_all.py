"""Re-execute the notebooks in place, deterministically, so that their stored outputs are fresh.

Usage (from the repository root)::

    .venv/bin/python notebooks/run_all.py                 # every tutorial and exercise notebook
    .venv/bin/python notebooks/run_all.py notebooks/01_scalar_gates.ipynb

Each notebook runs top to bottom in a fresh "python3" kernel (the venv's ipykernel) with its own
folder as working directory. Tutorials and solution notebooks are saved with their outputs (nbval
compares them); student notebooks are executed too, to prove they run without an error, but are
saved with their outputs cleared, ready to hand out.
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
    """Tutorials first, then the exercise notebooks, in name order."""
    return sorted(HERE.glob("[0-9]*.ipynb")) + sorted((HERE / "exercises").glob("[0-9]*.ipynb"))


def execute(notebook, directory):
    """Run ``notebook`` (a NotebookNode, changed in place) in a fresh kernel; return it."""
    os.environ["PYTHONHASHSEED"] = "0"  # inherited by the kernel: set iteration orders stay put
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(directory)}},
        record_timing=False,  # no timestamps in cell metadata: diffs show only real changes
        # No saved widget state: it is ipywidgets-version specific (ipywidgets 7 front ends such as Colab
        # and classic Notebook show a state saved by 8 as repr text), and where it is missing, viewers
        # without widgets (GitHub, nbviewer, nbconvert --to html) show each explorer's static picture.
        store_widget_state=False,
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
    return notebook


def is_student(path):
    return path.name.endswith("_student.ipynb")


def clear_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("widgets", None)
    return notebook


def run(path):
    path = Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute(notebook, path.parent)
    if is_student(path):
        clear_outputs(notebook)
    nbformat.write(notebook, path)
    print(f"{path.relative_to(HERE.parent)}: ok ({time.perf_counter() - start:.1f} s)")


def main(arguments):
    for path in arguments or all_notebooks():
        run(path)


if __name__ == "__main__":
    main(sys.argv[1:])
