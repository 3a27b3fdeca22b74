"""The Binder environment: binder/ installs into a fresh venv and runs a notebook there.

repo2docker copies the repository into the image and runs
``pip install -r binder/requirements.txt`` from its root. This test does the
same in a temporary directory (a copy of the repository, so no build files land
in the working tree), then executes notebook 04 with that venv's own kernel and
compares its outputs with the stored ones. A broken requirements file, a
missing runtime dependency or a notebook that needs something only the
developer venv has makes it fail.

It downloads packages from PyPI on the first run (later runs use pip's cache).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/04_implicit_jacobians.ipynb"
IGNORED = shutil.ignore_patterns(
    ".venv", ".venv-colab", ".git", "build", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache"
)

RUNNER = """
import json, sys
import nbformat
from nbclient import NotebookClient

path, out = sys.argv[1], sys.argv[2]
notebook = nbformat.read(path, as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell("import sys, backpropnb; print(sys.prefix); print(backpropnb.__file__)"))
NotebookClient(notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": "notebooks"}}).execute()
nbformat.write(notebook, out)
"""


def run(command, cwd, env):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def compared_text(cell):
    """The text nbval compares for a cell: streams and text/plain results, in order."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output["data"].get("text/plain", ""))
        elif output["output_type"] == "error":
            parts.append(f"ERROR {output['ename']}: {output['evalue']}")
    return "".join(parts)


def test_binder_files_say_what_repo2docker_needs():
    requirements = [line.split("#")[0].strip() for line in (ROOT / "binder/requirements.txt").read_text().splitlines()]
    requirements = [line for line in requirements if line]
    assert "." in requirements  # the package itself, resolved from the repository root
    assert any(line.startswith("jupyterlab>=4") for line in requirements)
    assert (ROOT / "binder/apt.txt").read_text().split() == ["graphviz"]


def test_binder_requirements_install_and_run_a_notebook(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=IGNORED)
    venv = tmp_path / "venv"
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter-data")  # no user kernelspec may stand in for the venv's
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling ~100 packages is most of the install time and changes nothing here
    run([str(python), "-m", "pip", "install", "-q", "--no-compile", "-r", "binder/requirements.txt"], repo, env)

    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run([str(python), "-c", RUNNER, NOTEBOOK, str(tmp_path / "executed.ipynb")], repo, env)

    executed = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    stored = nbformat.read(ROOT / NOTEBOOK, as_version=4)
    *cells, probe = executed.cells
    prefix, module = compared_text(probe).split()
    assert Path(prefix).resolve() == venv.resolve(), "the notebook ran in another Python than the Binder venv"
    assert Path(module).resolve().is_relative_to(venv.resolve()), f"backpropnb came from {module}, not the venv"
    for index, (fresh, old) in enumerate(zip(cells, stored.cells)):
        assert fresh.source == old.source
        if fresh.cell_type != "code":
            continue
        assert "ERROR" not in compared_text(fresh), f"cell {index} raised: {compared_text(fresh)}"
        if "nbval-ignore-output" not in fresh.metadata.get("tags", []):
            assert compared_text(fresh) == compared_text(old), f"cell {index} printed something else under Binder"
    # the lecture's numbers, seen under Binder
    printed = "".join(compared_text(cell) for cell in cells)
    assert "Jacobian entries = 167,772,160,000 = 1.68e+11" in printed
    assert "engine vjp:     [5. 6. 0. 8.]" in printed
    widget_cell = next(cell for cell in cells if cell.source.strip() == "JacobianExplorer()")
    views = [o for o in widget_cell.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, f"JacobianExplorer showed no widget view: {json.dumps(widget_cell.outputs)[:500]}"
