"""Every drawing fits its notebook column and stays legible; the stepper's current node is always in view.

Run at a 1280×800 viewport (a laptop), in JupyterLab, Notebook 7 and the classic Notebook. For each
drawing the test reads the page: the picture's box must lie inside its
output area (nothing cut at the right edge) and its smallest text must be at
least 11 px on screen. In the BackwardStepper, at every step of every
example, the highlighted node (orange) and its edge labels must lie inside
the explorer and on screen (inside the 1280×800 window; the test's clicks
never scroll the notebook). Screenshots of the sigmoid neuron at steps 0, 1, 4 and 5 go to
build/screenshots/stepper_sigmoid_step<k>.png (the README's picture set).
"""

from __future__ import annotations

import pytest
from jupyterlab_driver import (
    SCREENSHOTS,
    SVG_OUTPUT,
    error_outputs,
    expect,
    open_notebook,
    run_all,
    run_widget_notebook,
    tag_outputs,
    write_notebook,
)

VIEWPORT = {"width": 1280, "height": 800}
MIN_TEXT_PX = 11
DRAWN = ("01_scalar_gates.ipynb", "02_modular_backprop.ipynb", "03_vector_jacobians.ipynb")
STEPPER_EXAMPLES = {"f = (x + y) · z": 2, "sigmoid neuron (primitive gates)": 8, "sigmoid neuron (fused σ)": 5}

# For each SVG image output: where the picture lies in its output area and its smallest text on screen.
IMAGE_FIT_JS = """outputs => outputs.map(output => {
  const area = output.getBoundingClientRect();
  const image = output.querySelector('img, svg');  // JupyterLab shows an <img>, the classic Notebook the <svg>
  const box = image.getBoundingClientRect();
  const svg = image.tagName.toLowerCase() !== 'img' ? image : new DOMParser().parseFromString(
    decodeURIComponent(image.src.slice(image.src.indexOf(',') + 1)), 'image/svg+xml').documentElement;
  const sizes = Array.from(svg.querySelectorAll('text')).map(t => parseFloat(t.getAttribute('font-size')));
  return {
    left: box.left - area.left, right: area.right - box.right,
    top: box.top - area.top, bottom: area.bottom - box.bottom,
    width: box.width, area: area.width, nodes: svg.querySelectorAll('g.node').length,
    text: Math.min(...sizes) * box.width / svg.viewBox.baseVal.width,
  };
})"""

# For an inline SVG (inside an explorer): every node and edge label inside the output area, the smallest
# text on screen, and the highlighted (orange) node's box.
INLINE_FIT_JS = """svg => {
  const area = svg.closest('.jp-OutputArea-output, .output_subarea').getBoundingClientRect();
  const box = svg.getBoundingClientRect();
  const sizes = Array.from(svg.querySelectorAll('text')).map(t => parseFloat(t.getAttribute('font-size')));
  const current = Array.from(svg.querySelectorAll('g.node')).filter(
    node => node.querySelector('[stroke="#e8590c"]'));
  const nodes = Array.from(svg.querySelectorAll('g.node, g.edge text')).map(node => node.getBoundingClientRect());
  const inside = r => r.left >= area.left - 0.5 && r.right <= area.right + 0.5
    && r.top >= area.top - 0.5 && r.bottom <= area.bottom + 0.5 && r.right <= window.innerWidth;
  return {
    all_inside: nodes.every(inside), count: nodes.length,
    current: current.length, current_inside: current.every(node => inside(node.getBoundingClientRect())),
    text: Math.min(...sizes) * box.width / svg.viewBox.baseVal.width,
    width: box.width, area: area.width,
  };
}"""

# The highlighted node and the labels of its (orange) edges, against the browser window: on screen, not scrolled away.
ON_SCREEN_JS = """svg => {
  const orange = '#e8590c';
  const current = Array.from(svg.querySelectorAll('g.node')).filter(node => node.querySelector(`[stroke="${orange}"]`));
  const labels = Array.from(svg.querySelectorAll('g.edge')).filter(edge => edge.querySelector(`path[stroke="${orange}"]`))
    .flatMap(edge => Array.from(edge.querySelectorAll('text')));
  const boxes = [...current, ...labels].map(element => element.getBoundingClientRect());
  return {
    boxes: boxes.map(r => [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)]),
    labels: labels.length, window: [window.innerWidth, window.innerHeight],
    on_screen: boxes.every(r => r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth
      && r.bottom <= window.innerHeight),
  };
}"""


# How far the notebook is scrolled (JupyterLab and Notebook 7 scroll a panel, the classic Notebook #site).
SCROLLED_JS = "() => (document.querySelector('.jp-WindowedPanel-outer, #site') || document.scrollingElement).scrollTop"


@pytest.fixture
def laptop(browser, server):
    """A page at 1280×800, in each front end of the ``server`` fixture (JupyterLab, Notebook 7, classic)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.frontend = server.frontend  # the driver picks its selectors and scripts by it
    try:
        yield page
    finally:
        context.close()
        server.shutdown_kernels()


@pytest.mark.parametrize("name", DRAWN)
def test_every_drawing_of_a_tutorial_fits_its_column(laptop, server, name):
    open_notebook(laptop, server, name)
    run_all(laptop)
    assert error_outputs(laptop) == []
    counts = tag_outputs(laptop)
    assert counts["svgs"] >= 1
    outputs = laptop.locator(SVG_OUTPUT)
    for output in outputs.all():
        expect(output.locator("img, svg").first).to_be_visible()
    for fit in outputs.evaluate_all(IMAGE_FIT_JS):
        assert fit["nodes"] >= 2, fit
        assert min(fit["left"], fit["right"], fit["top"], fit["bottom"]) >= -0.5, fit  # nothing cut off
        assert fit["text"] >= MIN_TEXT_PX - 0.05, fit  # legible: no text below 11 px


def test_the_stepper_keeps_the_current_node_in_view_at_every_step(laptop, server):
    path = "drawings/stepper.ipynb"
    write_notebook(server.root / path, ["from backpropnb.widgets import BackwardStepper\nBackwardStepper()"])
    view = run_widget_notebook(laptop, server, path)
    select = view.locator(".widget-dropdown select")
    step_text = view.locator(".widget-html pre").first
    for example, steps in STEPPER_EXAMPLES.items():
        select.select_option(example)
        expect(step_text).to_contain_text(f"step 0 of {steps}")
        # the dropdown shows the whole name of the example (issue 9: it was cut)
        assert select.evaluate("s => s.scrollWidth <= s.clientWidth + 1 && s.clientWidth >= 200"), example
        for k in range(steps + 1):
            if k:
                before = laptop.evaluate(SCROLLED_JS)
                view.get_by_role("button", name="next step").click()
                assert laptop.evaluate(SCROLLED_JS) == before, (example, k)  # the click did not scroll the notebook
            expect(step_text).to_contain_text(f"step {k} of {steps}")
            graph = view.locator("svg:has(g.graph)")
            fit = graph.evaluate(INLINE_FIT_JS)
            assert fit["all_inside"] and fit["text"] >= MIN_TEXT_PX - 0.05, (example, k, str(fit))
            # the node being processed: its value box and its gate (or its fold), in orange, inside the view
            assert (fit["current"] >= 1 if k else fit["current"] == 0) and fit["current_inside"], (example, k, fit)
            # ... and on screen at 1280×800, with its edge labels: the student never scrolls to find it
            screen = graph.evaluate(ON_SCREEN_JS)
            assert screen["on_screen"] and (screen["labels"] >= 1 if k else screen["boxes"] == []), (example, k, screen)
            if example.startswith("sigmoid neuron (fused") and k in (0, 1, 4, steps):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                view.scroll_into_view_if_needed()
                suffix = "" if laptop.frontend == "lab" else f"-{laptop.frontend}"  # the README shows JupyterLab's
                view.screenshot(path=SCREENSHOTS / f"stepper_sigmoid_step{k}{suffix}.png")


def test_a_long_chain_is_drawn_folded_and_steps_in_the_browser(laptop, server):
    path = "drawings/chain.ipynb"
    write_notebook(
        server.root / path,
        [
            "import backpropnb as bp\nfrom backpropnb.widgets import BackwardStepper\n"
            "z = bp.tensor(1.0, name='z')\nw = z\nfor _ in range(300):\n    w = w * 1.001\nw.name = 'w'",
            "BackwardStepper(w)",
        ],
    )
    view = run_widget_notebook(laptop, server, path)
    for k in (1, 2, 3, 4):
        view.get_by_role("button", name="next step").click()
        expect(view.locator(".widget-html pre").first).to_contain_text(f"step {k} of 300")
    fit = view.locator("svg:has(g.graph)").evaluate(INLINE_FIT_JS)
    assert fit["all_inside"] and fit["current"] >= 1 and fit["current_inside"], fit
    expect(view.locator("svg text").filter(has_text="now: gate 1 of 295")).to_have_count(1)
    assert error_outputs(laptop) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if laptop.frontend == "lab" else f"-{laptop.frontend}"
    view.screenshot(path=SCREENSHOTS / f"stepper_chain_folded{suffix}.png")


@pytest.fixture(autouse=True)
def _no_leftover_notebooks(server):
    yield
    for path in (server.root / "drawings").glob("*.ipynb"):
        path.unlink()
