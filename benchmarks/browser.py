"""What the student feels: time from a control change in the browser to the updated picture on the page.

Run by hand (it starts its own JupyterLab and headless Chromium, as the browser
tests do, and stops both at the end)::

    .venv/bin/python benchmarks/browser.py               # 10 changes per row
    .venv/bin/python benchmarks/browser.py --repeat 20 --only HVPExplorer

Each explorer gets a small notebook of its own, run in JupyterLab. The cell wraps
the explorer's ``refresh`` so that the kernel writes the wall-clock start and end
of every re-render to a file beside the notebook. In the page, a capture listener
notes the moment of the key press, click or selection (``t0``), and a
MutationObserver the moment the picture (the explorer's ``<img>`` or graphviz
``<svg>``) is replaced; the time ends after the new image has decoded and the next
frame has been painted. Browser and kernel run on one machine, so their clocks
agree, and every change splits into

* **to kernel**: t0 until the kernel starts re-rendering (browser event handling,
  widget message, websocket, the kernel's message loop);
* **kernel**: the re-render itself (engine, drawing, PNG or SVG);
* **to picture**: kernel done until the new picture is painted (messages back,
  widget views updating, image decoding, layout and paint).

This is not a test: timings depend on the machine and its load (printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

from jupyterlab_driver import (  # noqa: E402 - the driver lives beside the browser tests
    CHROMIUM_ARGS,
    NOTEBOOKS,
    WIDGET_VIEW,
    LabServer,
    open_notebook,
    run_all,
    tag_outputs,
    widget_errors,
    write_notebook,
)

CELL = """\
{source}import json, time
from backpropnb.widgets import {name}
explorer = {name}({arguments})
{setup}
_refresh = explorer.refresh
def _timed_refresh():
    start = time.time()
    _refresh()
    end = time.time()
    with open({log!r}, "a") as log:
        log.write(json.dumps([start, end]) + "\\n")
explorer.refresh = _timed_refresh
explorer
"""

# With --source: import backpropnb from another checkout (an older commit, to compare), not the installed one.
SOURCE = """\
import sys
sys.meta_path = [finder for finder in sys.meta_path if "editable" not in repr(finder).lower()]
sys.path.insert(0, {path!r})
"""

# Arm before the action: note t0 at the first input event in the view, resolve when the picture is replaced.
ARM_JS = """(view) => {
  const now = () => performance.timeOrigin + performance.now();
  const picture = () => view.querySelector('img') || view.querySelector('svg');
  const before = picture();
  const beforeSrc = before && before.getAttribute('src');
  window.__bench = new Promise((resolve) => {
    let t0 = null;
    setTimeout(() => resolve({timeout: true, t0, picture: String(picture() && picture().outerHTML).slice(0, 200)}), 20000);
    const mark = () => { if (t0 === null) t0 = now(); };
    for (const type of ['keydown', 'mousedown', 'change', 'input']) view.addEventListener(type, mark, {capture: true, once: true});
    const observer = new MutationObserver(() => {
      const current = picture();
      if (!current || (current === before && current.getAttribute('src') === beforeSrc)) return;
      observer.disconnect();
      const replaced = now();
      const decoded = current.tagName === 'IMG' ? current.decode().catch(() => null) : Promise.resolve();
      decoded.then(() => requestAnimationFrame(() => requestAnimationFrame(() =>
        resolve({t0, replaced, painted: now()}))));
    });
    observer.observe(view, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  });
}"""


def _control(view, kind, label):
    import re

    return view.locator(kind).filter(
        has=view.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def press(label, keys):
    """An action: focus the slider labelled ``label`` and press the i-th of ``keys`` (cycled)."""

    def act(view, i):
        handle = _control(view, ".widget-slider", label).locator(".noUi-handle")
        handle.focus()
        handle.press(keys[i % len(keys)])

    return act


def select(label, options=None):
    """An action: pick the i-th of ``options`` (cycled, by label) in the dropdown labelled ``label``.

    Without ``options``: every option in turn, starting after the one shown.
    """

    def act(view, i):
        dropdown = _control(view, ".widget-dropdown", label).locator("select")
        labels = options or dropdown.locator("option").all_inner_texts()
        if options is None:
            labels = labels[1:] + labels[:1]
        dropdown.select_option(label=labels[i % len(labels)])

    return act


def click(name):
    def act(view, i):
        view.get_by_role("button", name=name).click()

    return act


# (row label, explorer, its arguments, timed action, kind: graph or plot explorer)
ROWS = [
    (
        "GateExplorer mul: x slider, ← →",
        "GateExplorer",
        "gate='mul'",
        press("input x", ["ArrowRight", "ArrowLeft"]),
        "graph",
    ),
    ("GateExplorer sigmoid: x slider", "GateExplorer", "gate='sigmoid'", press("input x", ["ArrowRight"]), "graph"),
    (
        "BackwardStepper neuron (primitive gates): step slider",
        "BackwardStepper",
        "",
        press("step", ["ArrowRight", "ArrowLeft"]),
        "graph",
    ),
    ("JacobianExplorer relu: n slider, new n", "JacobianExplorer", "", press("width n", ["ArrowRight"]), "plot"),
    (
        "JacobianExplorer relu: n slider, n seen before",
        "JacobianExplorer",
        "",
        press("width n", ["ArrowLeft", "ArrowRight"]),
        "plot",
    ),
    (
        "JacobianExplorer: op dropdown",
        "JacobianExplorer",
        "",
        select("op", ["sigmoid", "softmax", "matmul W", "relu"]),
        "plot",
    ),
    ("HVPExplorer bowl: x slider", "HVPExplorer", "", press("x", ["ArrowRight", "ArrowLeft"]), "plot"),
    ("HVPExplorer bowl: v_y slider", "HVPExplorer", "", press("v_y", ["ArrowRight"]), "plot"),
    ("HVPExplorer Rosenbrock: x slider", "HVPExplorer", "function='rosenbrock'", press("x", ["ArrowLeft"]), "plot"),
    ("HVPExplorer: function dropdown", "HVPExplorer", "", select("function", None), "plot"),
]


# Statements run after the explorer is made, before timing starts.
SETUP = {"BackwardStepper": 'explorer.controls["example"].value = "sigmoid neuron (primitive gates)"'}


def kernel_times(log, count, timeout=30.0):
    """The (start, end) pairs the kernel wrote, once there are at least ``count``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise RuntimeError(f"{log.name}: expected {count} kernel re-renders, found {len(lines)}")


def measure_row(page, server, index, row, repeat, source=None):
    label, name, arguments, action, kind = row
    log = server.root / "bench" / f"timings-{index}.jsonl"
    path = f"bench/row{index}.ipynb"
    write_notebook(
        server.root / path,
        [
            CELL.format(
                name=name,
                arguments=arguments,
                setup=SETUP.get(name, ""),
                log=str(log),
                source=SOURCE.format(path=str(source)) if source else "",
            )
        ],
    )
    open_notebook(page, server, path)
    run_all(page)
    assert tag_outputs(page)["widgets"] == 1
    view = page.locator(WIDGET_VIEW)
    view.locator(".widget-vbox").first.wait_for()
    page.wait_for_timeout(500)  # let the first render settle
    rows = []
    element = view.element_handle()
    for i in range(repeat):
        page.evaluate(ARM_JS, element)
        action(view, i)
        browser = page.evaluate("() => window.__bench")
        if browser.get("timeout"):
            raise RuntimeError(f"{label}: no new picture within 20 s after change {i + 1}: {browser}")
        rows.append(browser)
        page.wait_for_timeout(150)  # a person does not press faster; lets late messages land
    kernel = kernel_times(log, repeat)
    errors = widget_errors(page)
    if errors:
        raise RuntimeError(f"{label}: {errors}")
    server.shutdown_kernels()
    return split(rows, kernel)


def split(browser, kernel):
    """Per change (ms): total, to kernel, kernel, to picture; matched in order."""
    if len(kernel) != len(browser):
        raise RuntimeError(f"{len(browser)} changes in the page but {len(kernel)} re-renders in the kernel")
    out = []
    for b, (start, end) in zip(browser, kernel):
        t0, painted = b["t0"] / 1e3, b["painted"] / 1e3
        out.append(
            {
                "total": (painted - t0) * 1e3,
                "to_kernel": (start - t0) * 1e3,
                "kernel": (end - start) * 1e3,
                "to_picture": (painted - end) * 1e3,
            }
        )
    return out


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="changes per row (default 10)")
    parser.add_argument("--only", default="", help="only rows whose label contains this text")
    parser.add_argument("--json", type=Path, help="also write every measured change to this file")
    parser.add_argument("--source", type=Path, help="time the explorers of this checkout (e.g. an older commit)")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so that the servers are stopped on a kill
    from playwright.sync_api import sync_playwright

    rows = [row for row in ROWS if args.only in row[0]]
    print(f"load average before: {load()}  ({os.cpu_count()} cores)")
    results = {}
    with tempfile.TemporaryDirectory() as workdir, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        server = LabServer(NOTEBOOKS, workdir)
        try:
            server.start()
            (server.root / "bench").mkdir()
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(60_000)
            header = (
                f"{'row':<50} {'kind':<6} {'median':>7} {'max':>7} {'to kernel':>9} {'kernel':>7} {'to picture':>10}"
            )
            print(header + "   (ms; parts are medians)")
            for index, row in enumerate(rows):
                changes = measure_row(page, server, index, row, args.repeat, args.source)
                results[row[0]] = changes
                med = {k: statistics.median(c[k] for c in changes) for k in changes[0]}
                worst = max(c["total"] for c in changes)
                print(
                    f"{row[0]:<50} {row[4]:<6} {med['total']:>7.0f} {worst:>7.0f} {med['to_kernel']:>9.0f} "
                    f"{med['kernel']:>7.0f} {med['to_picture']:>10.0f}",
                    flush=True,
                )
            context.close()
        finally:
            server.stop()
            browser.close()
    print(f"load average after: {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
