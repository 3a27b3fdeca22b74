"""Each explorer in a real JupyterLab: a student picks, clicks and keys sliders; the drawing follows.

Every explorer gets its own small notebook, written by the test into the
server's temporary root, so these tests do not depend on the tutorials'
layout. The expected numbers are the lecture's (backpropnb.lecture, sections 1, 4 and 5) and
are read back from the page: the SVG text of the graphviz drawing or the
explorer's text lines. A screenshot of each explorer after the interaction goes
to build/screenshots/<explorer>.png.
"""

from __future__ import annotations

import re

import pytest
from jupyterlab_driver import (
    SCREENSHOTS,
    expect,
    run_widget_notebook,
    svg_texts,
    widget_errors,
    write_notebook,
)


def open_explorer(page, server, name):
    """A notebook with one cell showing ``name()``, run; the explorer's widget view, once drawn."""
    path = f"explorers/{name}.ipynb"
    write_notebook(server.root / path, [f"from backpropnb.widgets import {name}\n{name}()"])
    return run_widget_notebook(page, server, path)


def control(view, kind, label):
    """The ipywidgets control of a kind (.widget-slider, .widget-dropdown, …) whose label reads ``label``."""
    return view.locator(kind).filter(
        has=view.page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    )


def key_slider(view, label, key, times=1):
    """Focus a slider's handle and press an arrow key, as a keyboard user moves it.

    ipywidgets 8 draws sliders with noUiSlider, ipywidgets 7 (classic Notebook, Colab) with jQuery UI.
    Notebook 7 binds the arrow keys to notebook commands in command mode (they never reach the
    slider, with or without backpropnb), so there the student types the value into the readout.
    """
    slider = control(view, ".widget-slider", label)
    if getattr(view.page, "frontend", "lab") == "notebook7":
        readout = slider.locator(".widget-readout")
        shown = readout.inner_text().strip()
        step = 0.1 if "." in shown else 1  # the explorers' float sliders step by 0.1, the int ones by 1
        target = float(shown) + (times if key == "ArrowRight" else -times) * step
        readout.click()
        view.page.keyboard.press("Control+A")
        view.page.keyboard.type(f"{target:.1f}" if step < 1 else f"{target:.0f}")
        view.page.keyboard.press("Enter")
        return
    handle = slider.locator(".noUi-handle, .ui-slider-handle")
    handle.focus()
    for _ in range(times):
        handle.press(key)


def text_lines(view):
    """The explorer's explanation lines (its <pre> blocks), one string per line."""
    return "\n".join(view.locator(".widget-html pre").all_inner_texts()).splitlines()


def expect_line(view, line, timeout=30_000):
    """Wait until the explorer shows exactly this line (it re-renders after a round trip to the kernel)."""
    expect(view.locator(".widget-html pre").filter(has_text=line)).to_have_count(1, timeout=timeout)
    assert line in text_lines(view)


def screenshot(view, name):
    """build/screenshots/<name>.png for JupyterLab (the README's pictures), <name>-<front end>.png otherwise."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frontend = getattr(view.page, "frontend", "lab")
    view.screenshot(path=SCREENSHOTS / (f"{name}.png" if frontend == "lab" else f"{name}-{frontend}.png"))


def assert_clean(page):
    assert widget_errors(page) == []


def test_gate_explorer_mul_gate_then_upstream_slider(page, server):
    view = open_explorer(page, server, "GateExplorer")
    control(view, ".widget-dropdown", "gate").locator("select").select_option("mul")
    # the lecture, section 1, the mul gate swaps: x = 2, y = 3, upstream 5 -> x gets 3·5 = 15, y gets 2·5 = 10
    expect_line(view, "x: downstream = local × upstream = 3 × 5 = 15")
    expect_line(view, "y: downstream = local × upstream = 2 × 5 = 10")
    graph = svg_texts(view)
    assert {"grad 15", "grad 10", "grad 5", "value 6", "×"} <= set(graph), graph
    key_slider(view, "upstream", "ArrowRight", times=10)  # step 0.1: upstream 5 -> 6
    expect_line(view, "x: downstream = local × upstream = 3 × 6 = 18")
    expect_line(view, "y: downstream = local × upstream = 2 × 6 = 12")
    expect(view.locator("svg text").filter(has_text=re.compile("^grad 18$"))).to_have_count(1)
    graph = svg_texts(view)
    assert {"grad 18", "grad 12", "grad 6"} <= set(graph) and "grad 15" not in graph, graph
    assert_clean(page)
    screenshot(view, "gate_explorer")


def test_backward_stepper_next_step_and_play(page, server):
    view = open_explorer(page, server, "BackwardStepper")
    expect_line(view, "step 0 of 2: forward pass done, f = -12; next: the backward pass starts at f with df/df = 1")
    view.get_by_role("button", name="next step").click()
    expect_line(view, "step 1 of 2: f = q × z")
    expect_line(view, "  downstream  df/dq = -4 × 1 = -4, df/dz = 3 × 1 = 3   (downstream = local × upstream)")
    view.get_by_role("button", name="reset").click()
    expect_line(view, "step 0 of 2: forward pass done, f = -12; next: the backward pass starts at f with df/df = 1")
    view.locator(".widget-play button").first.click()  # Play: steps 1, 2 on its own, then stops
    # the lecture, section 1: at the q node of f = (x + y)z, upstream -4, local 1, downstream -4
    expect_line(view, "step 2 of 2: q = x + y")
    expect_line(view, "  upstream    df/dq = -4")
    expect_line(view, "  local       dq/dx = 1, dq/dy = 1")
    expect_line(view, "gradients so far: x = -4, y = -4, z = 3")
    graph = svg_texts(view)
    assert graph.count("local 1 × up -4") == 2 and graph.count("= -4") == 2 and "up -4" in graph, graph
    expect(view.locator(".widget-play button i.fa-play")).to_have_count(1)  # Play stopped at the last step
    assert_clean(page)
    screenshot(view, "backward_stepper")


def test_jacobian_explorer_width_and_op(page, server):
    view = open_explorer(page, server, "JacobianExplorer")
    expect_line(view, "Jacobian J = dy/dx: 8 × 8, 58 of 64 entries are zero (90.62%)")
    heat_map = view.locator("img").first
    before = heat_map.get_attribute("src")
    key_slider(view, "width n", "ArrowRight")  # n: 8 -> 9
    # relu's Jacobian is diagonal with a 0 for each negative input: 3 of the 9 seeded inputs are negative
    expect_line(view, "Jacobian J = dy/dx: 9 × 9, 75 of 81 entries are zero (92.59%)")
    expect_line(view, "memory at n = 9 (float64): explicit J 648 B (81 numbers), one VJP 144 B (two vectors of 9)")
    control(view, ".widget-dropdown", "op").locator("select").select_option("sigmoid")
    expect_line(view, "Jacobian J = dy/dx: 9 × 9, 72 of 81 entries are zero (88.89%)")  # diagonal, never 0 on it
    # the lecture, section 4: the 4096-wide layer with a batch of 100, computed, never allocated
    expect_line(view, "  explicit J: 671 GB in float32, 1.34 TB in float64")
    assert heat_map.get_attribute("src") != before  # the heat map was redrawn
    assert_clean(page)
    screenshot(view, "jacobian_explorer")


def test_hvp_explorer_saddle_and_direction(page, server):
    view = open_explorer(page, server, "HVPExplorer")
    expect_line(view, "eigenvalues of H: 2, 2 -> minimum-like (bowl)")
    plot = view.locator("img").first
    before = plot.get_attribute("src")
    control(view, ".widget-dropdown", "function").locator("select").select_option(label="saddle x² − y²")
    # the lecture, section 5: the saddle x² − y² has H = diag(2, −2), eigenvalues −2 and 2
    expect_line(view, "eigenvalues of H: -2, 2 -> saddle")
    expect_line(view, "Hessian H = [[2, 0], [0, -2]]")
    key_slider(view, "v_y", "ArrowRight", times=5)  # step 0.1: v = (1, 0) -> (1, 0.5), so H·v = (2, -1)
    expect_line(view, "H·v by double backprop, grad(grad f · v):  (2, -1)")
    expect_line(view, "H·v with the explicit Hessian, H @ v:  (2, -1)")
    expect_line(view, "H·v as a finite difference of grads:   (2, -1)")
    assert plot.get_attribute("src") != before  # the contour plot was redrawn
    screenshot(view, "hvp_explorer")
    # The neuron's loss is a function of (w, b) over ±4: the point's sliders say so and reach the plot's edge.
    control(view, ".widget-dropdown", "function").locator("select").select_option(
        label="neuron loss: MSE of σ(w·x + b), point = (w, b)"
    )
    expect(control(view, ".widget-slider", "w")).to_have_count(1)
    expect(control(view, ".widget-slider", "b")).to_have_count(1)
    key_slider(view, "w", "ArrowRight", times=35)  # step 0.1 from w = 1: stops at the slider's maximum, 4
    expect(view.locator(".widget-html pre").filter(has_text=re.compile(r"at \(w, b\) = \(4, "))).to_have_count(1)
    lines = text_lines(view)
    assert not [line for line in lines if line.startswith("plot")], lines  # the plot's numbers stay in snapshot()
    assert any(line.startswith("arrows: red ∇f, white v, orange H·v") for line in lines), lines
    assert_clean(page)


@pytest.fixture(autouse=True)
def _no_leftover_notebooks(server):
    yield
    for path in (server.root / "explorers").glob("*.ipynb"):
        path.unlink()
