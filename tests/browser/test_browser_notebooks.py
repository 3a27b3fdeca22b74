"""Every tutorial notebook in a real JupyterLab: run all, then look at the page as a student would.

nbval proves that the kernel side runs; only the browser shows whether the
widgets and drawings actually appear. The notebooks are copies with their
stored outputs stripped, so everything checked here was produced by this run.
"""

from __future__ import annotations

import re

import pytest
from jupyterlab_driver import (
    GRAPH_SVG,
    NOTEBOOKS,
    SCREENSHOTS,
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


# --- the Korean edition -------------------------------------------------------------------------

KOREAN = sorted(path.name for path in (NOTEBOOKS / "ko").glob("[0-9]*.ipynb"))
KOREAN_SCREENSHOTS = ("01_scalar_gates.ipynb", "05_hessian_vector_products.ipynb", "07_training_from_the_inside.ipynb")
HANGUL = re.compile("[\uac00-\ud7a3]")
HANGUL_FONT = re.compile(r"CJK|KR|Nanum|Gothic", re.I)
# Elements whose own text a student reads: markdown, the explorers' labels, buttons, readouts and options,
# and the graphs drawn inline (their <text>).
TEXT_ELEMENTS = (
    ".jp-RenderedMarkdown :is(h1, h2, h3, p, li, td, th, strong, em), .widget-label, .widget-button, button,"
    " .widget-html-content, .widget-html-content *, select option, .widget-toggle-button, svg text,"
    " .jp-RenderedText pre"
)


def hangul_rendered_without_a_hangul_font(page, hangul_fonts=HANGUL_FONT):
    """Elements whose own text has Hangul but whose glyphs did not all come from a font that has Hangul.

    Chromium's DevTools protocol says which platform fonts drew an element's text nodes and how many
    glyphs each drew: a syllable drawn by a font without Hangul is a missing-glyph box.
    """
    client = page.context.new_cdp_session(page)
    client.send("DOM.enable")
    client.send("CSS.enable")
    root = client.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node_ids = client.send("DOM.querySelectorAll", {"nodeId": root, "selector": TEXT_ELEMENTS})["nodeIds"]
    problems, seen = [], 0
    for node_id in node_ids:
        node = client.send("DOM.describeNode", {"nodeId": node_id, "depth": 1})["node"]
        own_text = "".join(child.get("nodeValue", "") for child in node.get("children", []) if child["nodeType"] == 3)
        syllables = len(HANGUL.findall(own_text))
        if not syllables:
            continue
        fonts = client.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
        if not fonts:  # not laid out (a closed <select>'s options, a hidden tab)
            continue
        seen += 1
        drawn = sum(font["glyphCount"] for font in fonts if hangul_fonts.search(font["familyName"]))
        if drawn < syllables:
            problems.append((own_text[:40], [(f["familyName"], f["glyphCount"]) for f in fonts]))
    client.detach()
    assert seen, "no Korean text found on the page"
    return problems


def test_the_font_check_sees_hangul_in_a_font_without_it(page, server):
    """The glyph check is not blind: Hangul forced into a font that has none shows as a problem."""
    if server.frontend != "lab":
        pytest.skip("the detectors are checked once, in JupyterLab")
    path = "checks/hangul.ipynb"
    write_notebook(
        server.root / path,
        [
            "from IPython.display import HTML\n"
            "HTML('<p class=\"jp-RenderedMarkdown\"><strong>역전파</strong></p>'"
            ' \'<div class="jp-RenderedMarkdown"><p style="font-family: DejaVu Sans Mono, monospace">'
            "계산 그래프</p></div>')"
        ],
    )
    open_notebook(page, server, path)
    run_all(page)
    expect(page.locator(".jp-OutputArea-output strong")).to_have_text("역전파")
    # With fonts-noto-cjk installed both texts find Noto Sans CJK by fallback, so nothing is reported ...
    assert hangul_rendered_without_a_hangul_font(page) == []
    # ... and when none of the fonts that drew them counts as having Hangul, both are reported.
    assert len(hangul_rendered_without_a_hangul_font(page, hangul_fonts=re.compile("no font has this name"))) >= 2


@pytest.mark.parametrize("name", KOREAN)
def test_korean_tutorial_runs_in_lab_and_every_syllable_has_a_glyph(page, server, name):
    if server.frontend != "lab":
        pytest.skip("the Korean edition is run in JupyterLab (its code is the English edition's, run in all three)")
    open_notebook(page, server, f"ko/{name}")
    run_all(page)
    assert error_outputs(page) == []
    counts = tag_outputs(page)
    assert counts["unrendered"] == 0
    for view in page.locator(WIDGET_VIEW).all():
        view.scroll_into_view_if_needed()
        expect(view.locator(".jupyter-widgets").first).to_be_visible()
    assert widget_errors(page) == []
    assert page.locator(".jp-RenderedMarkdown h1").first.inner_text().startswith(name[:2])
    assert hangul_rendered_without_a_hangul_font(page) == []
    assert page.js_errors == []
    if name in KOREAN_SCREENSHOTS:
        page.set_viewport_size({"width": 1280, "height": 800})
        first = page.locator(WIDGET_VIEW).first if counts["widgets"] else page.locator(".jp-RenderedMarkdown").first
        first.evaluate("node => node.scrollIntoView({block: 'start'})")
        page.mouse.move(760, 400)
        page.mouse.wheel(0, -90)  # a little of the cell above too, so the view's first row is not under the toolbar
        page.wait_for_timeout(500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"ko-{name.removesuffix('.ipynb')}.png")
