"""How fast the network playground trains and redraws: in Python, and as a student sees it in Chromium.

Run by hand (it starts its own JupyterLab and headless Chromium, as the browser
tests do, and stops both at the end)::

    .venv/bin/python benchmarks/playground.py            # both parts
    .venv/bin/python benchmarks/playground.py --python   # the kernel side only

* **python**: the default playground (circle, 200 points, 2-4-2-1 tanh, batch 10):
  one training step plus the full redraw (the network with its neurons' maps, the
  boundary, the curves, the text), as one frame of play does; the step alone; the
  redraw alone; the PNG snapshot.
* **browser**: JupyterLab with the playground; Play pressed for ``--seconds``:
  frames a second (the readout's step counter, and how often the boundary picture
  really changed on the page); then a control change (the data set, which builds a
  new network) until the new points are on the page (the boundary of a new, untrained
  network is the same for every set: its weights come from the same seed).

Not a test: the figures depend on the machine and its load (printed first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))


def python_side(repeat=200):
    import backpropnb as bp

    pg = bp.widgets.NetworkPlayground()
    pg.step(5)

    def timed(action, n):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            action()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    frame = timed(lambda: setattr(pg.controls["play"], "value", pg.controls["play"].value + 1), repeat)
    step = timed(lambda: pg.trainer.step(1), repeat)
    redraw = timed(pg.refresh, repeat)
    snapshot = timed(pg.snapshot, 10)
    print(f"python: one frame of play (step + full redraw) {frame:.2f} ms (median of {repeat}); goal ≤ 30 ms")
    print(f"        step alone {step:.2f} ms, redraw alone {redraw:.2f} ms, PNG snapshot {snapshot:.0f} ms")
    return {"frame": frame, "step": step, "redraw": redraw, "snapshot": snapshot}


READ_STEP = """(view) => { const m = view.innerText.match(/step (\\d+) ·/); return m ? Number(m[1]) : -1; }"""
WATCH_BOUNDARY = """(view) => {
  window.__changes = [];
  const target = view.querySelector('svg:has(circle)').parentElement;
  new MutationObserver(() => window.__changes.push(performance.now())).observe(target, {childList: true, subtree: true});
}"""


def browser_side(seconds=10.0):
    from jupyterlab_driver import (
        CHROMIUM_ARGS,
        NOTEBOOKS,
        WIDGET_VIEW,
        LabServer,
        open_notebook,
        run_all,
        tag_outputs,
        write_notebook,
    )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        server = LabServer(NOTEBOOKS, Path(tmp), "lab")
        server.start()
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            path = "bench/playground.ipynb"
            write_notebook(server.root / path, ["import backpropnb as bp\npg = bp.widgets.NetworkPlayground()\npg"])
            open_notebook(page, server, path)
            run_all(page)
            tag_outputs(page)
            view = page.locator(WIDGET_VIEW).first
            view.locator("svg:has(circle)").wait_for()
            handle = view.element_handle()
            page.evaluate(WATCH_BOUNDARY, handle)
            start_step = page.evaluate(READ_STEP, handle)
            view.locator(".widget-play button").first.click()
            started = time.perf_counter()
            page.wait_for_timeout(seconds * 1000)
            end_step = page.evaluate(READ_STEP, handle)
            elapsed = time.perf_counter() - started
            changes = page.evaluate("window.__changes.length")
            view.locator(".widget-play button").nth(1).click()
            stopped = page.evaluate(READ_STEP, handle)
            page.wait_for_timeout(2000)
            backlog = page.evaluate(READ_STEP, handle) - stopped
            print(f"         steps still arriving in the 2 s after stop: {backlog} (0: the kernel kept up with Play)")
            steps_per_second = (end_step - start_step) / elapsed
            print(
                f"browser: play ran {end_step - start_step} steps in {elapsed:.1f} s = {steps_per_second:.1f} frames a second"
            )
            print(f"         the boundary picture changed {changes} times = {changes / elapsed:.1f} a second")
            latencies = []
            select = (
                view.locator(".widget-dropdown", has=page.locator(".widget-label", has_text="data"))
                .locator("select")
                .first
            )
            for name in ["xor", "gauss", "spiral", "moons", "sine", "circle"] * 3:
                points = view.locator("svg:has(circle) circle").first  # the new set's points: the picture is new
                before = points.get_attribute("cx") + points.get_attribute("cy")
                t0 = time.perf_counter()
                select.select_option(name)
                while (
                    points.get_attribute("cx") + points.get_attribute("cy") == before
                ):  # polled: a few ms of the figure are the polling's
                    if time.perf_counter() - t0 > 10:
                        raise RuntimeError(f"no new boundary 10 s after choosing {name}")
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                latencies.append((time.perf_counter() - t0) * 1e3)
            print(
                f"         data set changed → new picture: median {statistics.median(latencies):.0f} ms, "
                f"max {max(latencies):.0f} ms over {len(latencies)} changes; goal < 150 ms"
            )
            return {
                "fps": steps_per_second,
                "picture_changes": changes / elapsed,
                "control_ms": statistics.median(latencies),
            }
        finally:
            browser.close()
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="store_true", help="the kernel side only")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long Play runs in the browser")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    python_side()
    if not args.python:
        browser_side(args.seconds)


if __name__ == "__main__":
    main()
