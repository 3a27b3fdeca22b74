"""Start a throw-away JupyterLab (or Notebook 7, or classic Notebook 6.5), open notebooks in a real
Chromium and read what a student sees.

Three front ends (``FRONTENDS``): JupyterLab 4 and Notebook 7 with ipywidgets 8 from the test venv,
and classic Notebook 6.5 with ipywidgets 7.7.1 and widgetsnbextension 3.6 from the Colab-like venv
(.venv-colab, built by ``make test-colab``), the nearest front end to Colab's that runs here.
Notebook 7 is built from JupyterLab's parts, so the same page scripts serve both; the classic
Notebook has its own (``CLASSIC_*``).

The server runs on 127.0.0.1 with a random free port and token, on a temporary
copy of the notebooks (so nothing the browser does can touch the repository),
with autosave off and its settings, workspaces and runtime files in the same
temporary directory. ``LabServer.stop`` always ends it: SIGTERM, then SIGKILL.

The page helpers drive JupyterLab the way a person does (open a notebook, run
all cells, wait for the kernel) and read the DOM, never the kernel: a widget
that fails in the browser ("Error displaying widget") is only visible here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

try:
    from playwright.sync_api import expect  # re-exported for the tests
except ImportError:  # the browser fixture reports it: a skip locally, a failure under CI=true
    expect = None

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SCREENSHOTS = REPO / "build" / "screenshots"

# Settings written into the throw-away user settings directory, per plugin.
LAB_SETTINGS = {
    # Autosave off: the temporary copy is never rewritten behind the test's back.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell stays in the DOM (a windowed notebook drops off-screen cells).
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No news or update checks: no network, no toasts covering the page.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

NOTEBOOK7_SETTINGS = ("@jupyterlab/docmanager-extension/plugin", "@jupyterlab/notebook-extension/tracker")

# Chromium flags that keep a headless run quiet, offline and reproducible.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WIDGET_VIEW = "[data-test-output=widget]"  # tagged by tag_outputs()
SVG_OUTPUT = "[data-test-output=svg]"
GRAPH_SVG = "svg:has(g.graph)"  # what graphviz's dot draws, inline in an output or inside a widget
WIDGET_ERROR_TEXTS = (
    "Error displaying widget",
    "Model not found",
    "Click to show javascript error",
    "A Jupyter widget could not be displayed",  # classic Notebook's words for a missing model
    "Error rendering Jupyter widget",
)
REPR_TEXT = re.compile(r"^\s*\w+\(children=\(", re.M)  # a widget shown as its Python repr, not drawn

FRONTENDS = ("lab", "notebook7", "classic")
COLAB_PYTHON = REPO / ".venv-colab" / "bin" / "python"


def frontend_python(frontend):
    """The interpreter that serves a front end (its venv's python3 kernel runs the notebooks)."""
    return COLAB_PYTHON if frontend == "classic" else Path(sys.executable)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def strip_outputs(path):
    """Remove stored outputs and execution counts, so every output on the page comes from this run."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)  # stored widget state would render stale views
    nbformat.write(notebook, path)


def write_notebook(path, sources):
    """A notebook with one code cell per source string (the venv's python3 kernel)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


class LabServer:
    """A Jupyter server for the tests: ``start()`` waits until it answers, ``stop()`` always ends it.

    ``frontend`` is "lab" (JupyterLab 4), "notebook7" or "classic" (Notebook 6.5, from .venv-colab).
    """

    def __init__(self, notebooks, workdir, frontend="lab"):
        if frontend not in FRONTENDS:
            raise ValueError(f"unknown front end {frontend!r}; pick one of {FRONTENDS}")
        self.frontend = frontend
        self.workdir = Path(workdir)
        self.root = self.workdir / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = self.workdir / "jupyterlab.log"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))

    def _write_settings(self):
        settings = self.workdir / "settings"
        for plugin, values in LAB_SETTINGS.items():
            if self.frontend != "lab" and plugin not in NOTEBOOK7_SETTINGS:
                continue  # Notebook 7 lacks some of Lab's plugins, and a setting for a missing one breaks its page
            package, name = plugin.rsplit("/", 1)
            target = settings / package / f"{name}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        return settings

    def command(self):
        if self.frontend == "classic":
            return self._classic_command()
        settings = self._write_settings()
        app = "LabApp" if self.frontend == "lab" else "JupyterNotebookApp"
        return (
            [
                sys.executable,  # the venv's python, so the python3 kernel is the venv's too
                "-m",
                "jupyter",
                "lab" if self.frontend == "lab" else "notebook",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.open_browser=False",
                "--ServerApp.terminals_enabled=False",
                f"--{app}.user_settings_dir={settings}",
                f"--{app}.workspaces_dir={self.workdir / 'workspaces'}",
                f"--{app}.expose_app_in_browser=True",  # window.jupyterapp, to run commands and read cell models
            ]
            + (["--LabApp.extension_manager=readonly"] if self.frontend == "lab" else [])
            + (  # no PyPI queries
                ["--allow-root"] if os.geteuid() == 0 else []  # containers and CI machines often run as root
            )
        )

    def _classic_command(self):
        return [
            str(COLAB_PYTHON),  # Notebook 6.5 and its python3 kernel come from the Colab-like venv
            "-m",
            "notebook",
            "--NotebookApp.ip=127.0.0.1",
            f"--NotebookApp.port={self.port}",
            "--NotebookApp.port_retries=0",
            f"--NotebookApp.token={self.token}",
            f"--NotebookApp.notebook_dir={self.root}",
            "--NotebookApp.open_browser=False",
            "--NotebookApp.terminals_enabled=False",
            "--NotebookApp.nbserver_extensions={}",
        ] + (["--allow-root"] if os.geteuid() == 0 else [])

    def environment(self):
        env = dict(os.environ)
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(self.workdir / sub)  # nothing from the user's own Jupyter setup leaks in
        env.pop("JUPYTER_TOKEN", None)
        return env

    def start(self, timeout=90):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.root,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, so stop() can end it with its children
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer /api/status within {timeout} s:\n{self.log_tail()}")

    def api(self, path, method="GET"):
        """Call the server's REST API with the token; the decoded JSON (or None for an empty answer)."""
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """End every session and kernel (frees the CPU between notebooks)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", method="DELETE")

    def stop(self):
        """End the server whatever state it is in: kernels, then SIGTERM, then SIGKILL for the group."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(Exception):  # the server may already be unusable; the signals below still end it
            self.shutdown_kernels()
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def notebook_url(self, relative_path):
        if self.frontend == "lab":
            return f"{self.url}/lab/tree/{relative_path}?token={self.token}&reset"
        return f"{self.url}/notebooks/{relative_path}?token={self.token}"


# --- the page: open, run all, wait, read -------------------------------------------------

# True when the current notebook's kernel is connected and idle.
KERNEL_IDLE_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return !!(panel && panel.context.isReady && kernel && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle');
}"""

# True when run-all has finished: kernel idle, no cell waiting ([*]), every code cell numbered
# (or an error output stopped the run, which the caller then reports).
RUN_FINISHED_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  // Notebook 7 draws only the cells near the viewport: an undrawn cell has no prompt node yet (its
  // execution count, below, still tells whether it has run)
  const prompts = cells.map(cell => (cell.node.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent);
  if (prompts.some(text => text.includes('*'))) return false;
  const outputs = cell => Array.from({length: cell.model.outputs.length}, (_, i) => cell.model.outputs.get(i));
  if (cells.some(cell => outputs(cell).some(output => output.type === 'error'))) return true;
  return cells.every(cell => cell.model.executionCount !== null);
}"""

# Start Run All Cells without waiting for it (RUN_FINISHED_JS does the waiting, with a timeout).
RUN_ALL_JS = """() => {
  const commands = window.jupyterapp.commands;
  if (!commands.hasCommand('notebook:run-all-cells')) return false;
  commands.execute('notebook:run-all-cells');
  return true;
}"""

# Every error output in the notebook model: (cell index, ename: evalue).
ERROR_OUTPUTS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const found = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    for (let i = 0; i < cell.model.outputs.length; i++) {
      const output = cell.model.outputs.get(i).toJSON();
      if (output.output_type === 'error') found.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
    }
  });
  return found;
}"""

# Tag the DOM node of every widget view and every SVG image output (the model says which is which,
# since a widget view's node carries no MIME type) and count them: {widgets, svgs, untagged}.
TAG_OUTPUTS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const counts = {widgets: 0, svgs: 0, unrendered: 0};
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (let i = 0; i < cell.model.outputs.length; i++) {
      const data = cell.model.outputs.get(i).data || {};
      const kind = 'application/vnd.jupyter.widget-view+json' in data ? 'widget'
        : 'image/svg+xml' in data ? 'svg' : null;
      if (!kind) continue;
      counts[kind + 's'] += 1;
      const child = cell.outputArea.widgets[i];
      const node = child && child.node.querySelector('.jp-OutputArea-output');
      if (node) node.setAttribute('data-test-output', kind);
      else counts.unrendered += 1;
    }
  }
  return counts;
}"""


# --- the same for classic Notebook 6.5 (its page object is window.Jupyter.notebook) ---

CLASSIC_WIDGETS_SETTLED = 'Failed to fetch ipywidgets through the "jupyter.widget.control" comm channel'
CLASSIC_KERNEL_IDLE_JS = """() => {
  const nb = window.Jupyter && window.Jupyter.notebook;
  const kernel = nb && nb.kernel;
  return !!(nb && nb._fully_loaded && kernel && kernel.is_connected()
    && document.querySelector('#kernel_indicator_icon.kernel_idle_icon')
    && kernel.widget_manager
    && window.require && window.require.defined('nbextensions/jupyter-js-widgets/extension'));
}"""

CLASSIC_RUN_ALL_JS = """() => { window.Jupyter.notebook.execute_all_cells(); return true; }"""

CLASSIC_RUN_FINISHED_JS = """() => {
  const nb = window.Jupyter.notebook;
  if (!document.querySelector('#kernel_indicator_icon.kernel_idle_icon')) return false;
  const cells = nb.get_cells().filter(cell => cell.cell_type === 'code');
  if (cells.some(cell => cell.input_prompt_number === '*')) return false;
  if (cells.some(cell => cell.output_area.outputs.some(o => o.output_type === 'error'))) return true;
  return cells.every(cell => typeof cell.input_prompt_number === 'number');
}"""

CLASSIC_ERROR_OUTPUTS_JS = """() => {
  const found = [];
  window.Jupyter.notebook.get_cells().forEach((cell, index) => {
    if (cell.cell_type !== 'code') return;
    for (const output of cell.output_area.outputs)
      if (output.output_type === 'error') found.push(`cell ${index}: ${output.ename}: ${output.evalue}`);
  });
  return found;
}"""

CLASSIC_TAG_OUTPUTS_JS = """() => {
  const counts = {widgets: 0, svgs: 0, unrendered: 0};
  for (const cell of window.Jupyter.notebook.get_cells()) {
    if (cell.cell_type !== 'code') continue;
    const nodes = cell.output_area.element[0].querySelectorAll(':scope > .output_area');
    cell.output_area.outputs.forEach((output, i) => {
      const data = output.data || {};
      const kind = 'application/vnd.jupyter.widget-view+json' in data ? 'widget'
        : 'image/svg+xml' in data ? 'svg' : null;
      if (!kind) return;
      counts[kind + 's'] += 1;
      const node = nodes[i] && nodes[i].querySelector('.output_subarea');
      if (node) node.setAttribute('data-test-output', kind);
      else counts.unrendered += 1;
    });
  }
  return counts;
}"""

OUTPUT_NODE = {"lab": ".jp-OutputArea-output", "notebook7": ".jp-OutputArea-output", "classic": ".output_subarea"}
STDERR_NODE = {
    "lab": ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
    "notebook7": ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
    "classic": ".output_stderr",
}


def frontend_of(page):
    """The front end the page shows (set by the ``page`` fixture); JupyterLab when unset."""
    return getattr(page, "frontend", "lab")


def _script(page, lab_js, classic_js):
    return classic_js if frontend_of(page) == "classic" else lab_js


def open_notebook(page, server, relative_path, timeout=60_000):
    """Open a notebook in a fresh workspace and wait until its kernel is idle."""
    if server.frontend == "classic":
        # A fresh kernel has not imported ipywidgets, so classic's widget manager finds no control comm and
        # falls back to listing the kernel's widget comms one by one. Running cells before that listing
        # is answered lets it fetch the new widgets a second time, and their outputs stay blank
        # (display: none) in about one run in three. Wait for that warning (a kernel that has imported
        # ipywidgets answers on the control comm and gives none), then a second for the listing.
        warnings = []
        listen = lambda message: warnings.append(message.text) if CLASSIC_WIDGETS_SETTLED in message.text else None  # noqa: E731
        page.on("console", listen)
        try:
            page.goto(server.notebook_url(relative_path))
            page.wait_for_selector("#notebook-container .cell", timeout=timeout)
            page.wait_for_function(CLASSIC_KERNEL_IDLE_JS, timeout=timeout, polling=200)
            for _ in range(40):
                if warnings:
                    break
                page.wait_for_timeout(250)
            page.wait_for_timeout(1000)
        finally:
            page.remove_listener("console", listen)
        return
    page.goto(server.notebook_url(relative_path))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout, polling=200)


def run_all(page, timeout=180_000):
    """Run every cell (Run ▸ Run All Cells) and wait until the kernel has finished them.

    On a timeout the error lists every code cell's prompt, so a hanging cell is named.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    started = page.evaluate(_script(page, RUN_ALL_JS, CLASSIC_RUN_ALL_JS))
    assert started, "the front end has no notebook:run-all-cells command"
    try:
        page.wait_for_function(_script(page, RUN_FINISHED_JS, CLASSIC_RUN_FINISHED_JS), timeout=timeout, polling=250)
    except PlaywrightTimeoutError:
        prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt, .input_prompt").all_inner_texts()
        raise AssertionError(f"run all did not finish in {timeout / 1000:.0f} s; cell prompts: {prompts}") from None


def run_widget_notebook(page, server, relative_path, drawn=".widget-vbox"):
    """Open and run a notebook whose one widget output is the view under test; return that view, once drawn.

    Classic Notebook 6.5 now and then leaves a widget output blank when the kernel's first comm
    messages beat its widgets extension (seen in about one run in five, never in Lab or Notebook 7).
    There the page is reopened and run again, as a student would; a second blank output fails.
    """
    open_notebook(page, server, relative_path)
    run_all(page)
    assert tag_outputs(page)["widgets"] == 1
    view = page.locator(WIDGET_VIEW)
    if frontend_of(page) == "classic":
        try:
            expect(view.locator(drawn).first).to_be_visible(timeout=15_000)
        except AssertionError:
            open_notebook(page, server, relative_path)
            run_all(page)
            assert tag_outputs(page)["widgets"] == 1
    expect(view.locator(drawn).first).to_be_visible()
    return view


def error_outputs(page):
    """Error outputs in the notebook, plus stderr outputs in the DOM that hold a traceback."""
    found = page.evaluate(_script(page, ERROR_OUTPUTS_JS, CLASSIC_ERROR_OUTPUTS_JS))
    stderr = page.locator(STDERR_NODE[frontend_of(page)])
    for text in stderr.all_inner_texts():
        if "Traceback" in text or re.search(r"^\w*Error\b", text, re.MULTILINE):
            found.append(f"stderr: {text[:500]}")
    return found


def widget_errors(page):
    """Texts of widget views that failed in the browser (or show as a repr line), or whose explorer shows a Python error."""
    found = []
    for text in page.locator(OUTPUT_NODE[frontend_of(page)]).all_inner_texts():
        found += [f"{marker}: {text[:300]}" for marker in WIDGET_ERROR_TEXTS if marker in text]
        if REPR_TEXT.search(text):
            found.append(f"a widget shown as text: {text[:300]}")
    if page.locator(".jupyter-widgets-error-widget").count():
        found.append(f"{page.locator('.jupyter-widgets-error-widget').count()} .jupyter-widgets-error-widget")
    for text in page.locator(f"{WIDGET_VIEW} .widget-html").all_inner_texts():
        if "Traceback (most recent call last)" in text:  # an explorer's error area
            found.append(f"explorer error: {text[:500]}")
    return found


def svg_texts(locator):
    """Every text line drawn in the SVGs under ``locator`` (node and edge labels), in document order."""
    return [text.strip() for text in locator.locator("svg text").all_text_contents()]


def tag_outputs(page):
    """Mark widget-view and SVG outputs in the DOM (see WIDGET_VIEW, SVG_OUTPUT); their counts in the model."""
    return page.evaluate(_script(page, TAG_OUTPUTS_JS, CLASSIC_TAG_OUTPUTS_JS))
