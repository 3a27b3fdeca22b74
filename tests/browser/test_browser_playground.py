"""The network playground in a real front end: play trains and the boundary changes, the mode switch,
one weight's derivation and its example's backward pass, in JupyterLab, Notebook 7 and classic Notebook.

The screenshots go to build/screenshots/playground*.png; JupyterLab's are the README's pictures
(docs/img/playground.png, docs/img/playground_backward.png).
"""

from __future__ import annotations

import re
import shutil

from jupyterlab_driver import REPO, SCREENSHOTS, expect, run_widget_notebook, widget_errors, write_notebook

CELL = (
    "import backpropnb as bp\n"
    'pg = bp.widgets.NetworkPlayground(dataset="circle", features=("x1", "x2", "x1²", "x2²"), learning_rate=0.1, seed=0)\n'
    "pg"
)


def boundary_picture(view):
    """The heat map of the decision boundary (the data URI of the image under the points)."""
    return view.locator("svg:has(circle) image").first.get_attribute("href")


def shown_step(view):
    match = re.search(r"step (\d+)", view.locator(".widget-html").first.inner_text())
    return int(match.group(1)) if match else -1


def screenshot(page, view, name):
    frontend = page.frontend
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole playground, under no toolbar
    view.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (f"{name}.png" if frontend == "lab" else f"{name}-{frontend}.png")
    view.screenshot(path=path)
    if frontend == "lab":
        (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, REPO / "docs" / "img" / f"{name}.png")


def test_playground_plays_switches_mode_and_explains_a_weight(page, server):
    write_notebook(server.root / "explorers/playground.ipynb", [CELL])
    view = run_widget_notebook(page, server, "explorers/playground.ipynb")
    expect(view.locator("svg:has(circle)")).to_have_count(1)
    assert shown_step(view) == 0
    before = boundary_picture(view)

    view.locator(".widget-play button").first.click()  # play: one training step per frame
    expect(view.locator(".widget-html").first).to_contain_text(re.compile(r"step ([3-9]\d|\d{3,})"), timeout=30_000)
    view.locator(".widget-play button").nth(1).click()  # pause
    page.wait_for_timeout(500)
    steps = shown_step(view)
    assert steps >= 30
    assert boundary_picture(view) != before  # the boundary moved while it trained
    screenshot(page, view, "playground")

    view.get_by_role("button", name="gradients (backward)").click()
    expect(view.locator("svg text", has_text="the last step’s gradients")).to_have_count(1)
    weight = view.locator(".widget-dropdown").filter(has=page.locator(".widget-label", has_text="explain weight"))
    weight.locator("select").select_option(label="W0[1, 2]: x2 → h1,2")
    expect(view.locator("pre", has_text="dL/dW0[1, 2]")).to_have_count(1)
    derivation = view.locator("pre", has_text="dL/dW0[1, 2]").inner_text()
    assert "upstream dL/dz × local dz/dw" in derivation and "total" in derivation
    assert len(re.findall(r"^ +example +\d+:", derivation, re.M)) == 10  # one product per example of the batch

    view.get_by_role("button", name="step through this example’s backward pass").click()
    expect(view.locator("svg:has(g.graph)")).to_have_count(1)  # the example's path, drawn by the stepper
    view.get_by_role("button", name="next step").click()
    expect(view.locator("pre", has_text="step 1 of")).to_have_count(1)
    screenshot(page, view, "playground_backward")
    assert widget_errors(page) == []
    assert page.js_errors == []
