"""Every tutorial notebook in a real JupyterLab: run all, then look at the page as a student would.

nbval proves that the kernel side runs; only the browser shows whether the
widgets and drawings actually appear. The notebooks are copies with their
stored outputs stripped, so everything checked here was produced by this run.
"""

from __future__ import annotations

import pytest
from jupyterlab_driver import (
    GRAPH_SVG,
    NOTEBOOKS,
    SVG_OUTPUT,
    WIDGET_VIEW,
    error_outputs,
    expect,
    open_notebook,
    run_all,
    tag_outputs,
    widget_errors,
    write_notebook,
)

TUTORIALS = sorted(path.name for path in NOTEBOOKS.glob("[0-9]*.ipynb"))

# True when every <img> under the tagged SVG outputs has loaded and has a size (a broken SVG has none).
SVG_IMAGES_LOADED_JS = """nodes => nodes.map(node => {
  const image = node.querySelector('img');
  return !!image && image.complete && image.naturalWidth > 0 && image.naturalHeight > 0;
})"""


# Every raster picture in an output (a plot, an explorer's PNG): its natural width and the width it is shown at.
# A picture stretched wider than it was drawn is blurry; one squeezed narrower has text too small to read.
IMAGE_WIDTHS_JS = """nodes => nodes.filter(image => !image.closest('[data-test-output=svg]'))
  .map(image => ({natural: image.naturalWidth, shown: image.getBoundingClientRect().width,
                  where: (image.closest('.jp-Cell') || {}).innerText?.slice(0, 60)}))"""


def pictures_at_their_own_size(page):
    """Pictures shown at more than 5 % off their natural width (none expected)."""
    widths = page.locator(".jp-OutputArea-output img, .output_subarea img").evaluate_all(IMAGE_WIDTHS_JS)
    return [w for w in widths if not 0.95 * w["natural"] <= w["shown"] <= 1.05 * w["natural"]]


def test_tutorials_are_found():
    assert len(TUTORIALS) >= 6, TUTORIALS


def test_the_checks_see_a_broken_widget_and_an_error(page, server):
    """The detectors below are not blind: a widget view with no model and an exception are both reported."""
    if server.frontend != "lab":
        pytest.skip("the detectors are checked once, in JupyterLab")
    view_of_a_missing_model = {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}
    path = "checks/broken.ipynb"
    write_notebook(
        server.root / path,
        [
            # an SVG output that needs no Graphviz (a fresh machine may have none but the pip wheel's)
            "from IPython.display import SVG\n"
            'SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>\')',
            "from IPython.display import display\n"
            f"display({{'application/vnd.jupyter.widget-view+json': {view_of_a_missing_model!r}}}, raw=True)",
            "1 / 0",
        ],
    )
    open_notebook(page, server, path)
    run_all(page)
    errors = error_outputs(page)  # once from the notebook model, once from the traceback on the page
    assert errors[0] == "cell 2: ZeroDivisionError: division by zero" and len(errors) == 2, errors
    assert errors[1].startswith("stderr:") and "ZeroDivisionError" in errors[1], errors
    assert tag_outputs(page) == {"widgets": 1, "svgs": 1, "unrendered": 0}
    expect(page.locator(WIDGET_VIEW)).to_contain_text("Error displaying widget")
    assert any("Error displaying widget" in error for error in widget_errors(page))
    assert all(page.locator(SVG_OUTPUT).evaluate_all(SVG_IMAGES_LOADED_JS))


def test_the_size_check_sees_a_stretched_picture(page, server):
    """The picture check is not blind: a small PNG in an Image widget inside a VBox is stretched to the full width."""
    if server.frontend != "lab":
        pytest.skip("the detectors are checked once, in JupyterLab")
    path = "checks/stretched.ipynb"
    write_notebook(
        server.root / path,
        [
            "import io\nimport ipywidgets as widgets\nfrom matplotlib.figure import Figure\n"
            "buffer = io.BytesIO()\nFigure(figsize=(3, 2)).savefig(buffer, format='png', dpi=72)\n"
            "widgets.VBox([widgets.Image(value=buffer.getvalue(), format='png')])"
        ],
    )
    open_notebook(page, server, path)
    run_all(page)
    tag_outputs(page)
    expect(page.locator(f"{WIDGET_VIEW} img")).to_be_visible()
    (stretched,) = pictures_at_their_own_size(page)
    assert stretched["natural"] == 216 and stretched["shown"] > 2 * 216, stretched


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_and_shows_every_widget_and_graph(page, server, name):
    open_notebook(page, server, name)
    run_all(page)
    assert error_outputs(page) == []

    counts = tag_outputs(page)
    assert counts["unrendered"] == 0, f"{counts['unrendered']} widget/SVG outputs have no node on the page"
    widget_views = page.locator(WIDGET_VIEW)
    expect(widget_views).to_have_count(counts["widgets"])
    for view in widget_views.all():
        view.scroll_into_view_if_needed()
        expect(view.locator(".jupyter-widgets").first).to_be_visible()  # a drawn view, not an empty box
    assert widget_errors(page) == []

    svg_outputs = page.locator(SVG_OUTPUT)
    expect(svg_outputs).to_have_count(counts["svgs"])
    for output in svg_outputs.all():
        output.scroll_into_view_if_needed()
        expect(output.locator("img, svg").first).to_be_visible()  # Lab draws an SVG output as <img>, classic inline
    if server.frontend != "classic":
        assert all(svg_outputs.evaluate_all(SVG_IMAGES_LOADED_JS))
    for graph in page.locator(GRAPH_SVG).all():  # graphs drawn inline, inside the explorers
        graph.scroll_into_view_if_needed()
        expect(graph).to_be_visible()
    expect(page.locator(".backpropnb-graph")).to_have_count(0)  # the "Graphviz is missing" fallback
    expect(page.locator(".backpropnb-static")).to_have_count(0)  # live front ends show the widget, not the picture
    assert pictures_at_their_own_size(page) == []  # notebook 06's live loss curve was stretched to the full width
    assert page.js_errors == []
