"""Which dot draws: the system's first, then the pip wheel's (graphviz-pure), then the DOT-source fallback.

Every test that renders does so for real, with each dot this machine has: the
system's Graphviz (2.43 here, close to Colab's 2.42) and the wheel's port of
Graphviz 16.1. A missing system dot makes its tests skip (make test installs no
Graphviz); the wheel must be there under CI=true, since pip installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

import backpropnb as bp
from backpropnb import tensor
from backpropnb.render import _dot, draw, to_html

SVG = "{http://www.w3.org/2000/svg}"
SYSTEM = shutil.which("dot")
WHEEL = _dot._wheel_path()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def dots():
    """The dots to render with: each one present. Under CI the wheel must be (pip installs it); the
    system's Graphviz is used where the machine has one (make test installs none)."""
    found = []
    for kind, path in (("system", SYSTEM), ("wheel", WHEEL)):
        if path is None and IN_CI and kind == "wheel":
            raise AssertionError("CI must have the graphviz-pure wheel: pip install -e '.[test]' brings it")
        found.append(
            pytest.param(_dot.Dot(kind, path), id=kind, marks=pytest.mark.skipif(path is None, reason=f"no {kind} dot"))
        )
    return found


def no_dot_path(tmp_path):
    """A PATH with the usual system folders but no dot: symlinks to a few programs, never to dot."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for program in ("sh", "env", "python3"):
        target = shutil.which(program)
        if target:
            (folder / program).symlink_to(target)
    return str(folder)


def neuron():
    """A graph with every kind of label the tutorials draw: bold Greek names, σ, Σ, ×, constants."""
    x, w = tensor([1.0, -2.0], name="σ∑→ input"), tensor([0.5, 0.25], name="w")
    s = (x * w).sum()
    s.name = "Σ wᵢxᵢ"
    y = (s * 2 + 1).sigmoid()
    y.name = "σ(2s + 1)"
    y.backward()
    return y


def nodes_of(svg):
    """{node id: (texts, fill and stroke colours)} of an SVG that dot drew."""
    root = ET.fromstring(svg[svg.find("<svg") :])
    found = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title").text
        texts = tuple(t.text or "" for t in group.iter(f"{SVG}text"))
        colours = tuple(
            sorted(
                {
                    (e.get("fill"), e.get("stroke"))
                    for e in group
                    if e.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse")
                }
            )
        )
        found[title] = (texts, colours)
    return found


def box_widths(svg):
    """{node id: width of its shape in points}."""
    root = ET.fromstring(svg[svg.find("<svg") :])
    widths = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        xs = []
        for shape in group:
            if shape.tag == f"{SVG}ellipse":
                xs += [float(shape.get("cx")) - float(shape.get("rx")), float(shape.get("cx")) + float(shape.get("rx"))]
            elif shape.tag in (f"{SVG}polygon", f"{SVG}path"):
                numbers = re.findall(r"-?\d+(?:\.\d+)?", shape.get("points") or shape.get("d"))
                xs += [float(v) for v in numbers[0::2]]
        widths[group.find(f"{SVG}title").text] = max(xs) - min(xs)
    return widths


# --- the choice ----------------------------------------------------------------


@pytest.mark.skipif(SYSTEM is None, reason="no system dot")
def test_the_system_dot_comes_first():
    assert _dot.find_dot() == _dot.Dot("system", SYSTEM)


@pytest.mark.skipif(WHEEL is None, reason="graphviz-pure is not installed")
def test_without_a_system_dot_the_wheel_is_found_even_off_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", no_dot_path(tmp_path))  # the venv's bin is not on it, as in many kernels
    assert shutil.which("dot") is None
    chosen = _dot.find_dot()
    assert chosen.kind == "wheel" and os.path.basename(chosen.path).startswith("graphviz-pure")


def test_with_neither_the_fallback_explains(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", no_dot_path(tmp_path))
    monkeypatch.setattr(_dot, "_wheel_path", lambda path=None: None)
    assert _dot.find_dot() == _dot.Dot("none", None)
    markup = to_html(draw(neuron()))
    assert markup.startswith("<div") and "pip install graphviz-pure" in markup


@pytest.mark.parametrize("forced", ["system", "wheel", "none"])
def test_the_choice_can_be_forced(monkeypatch, forced):
    monkeypatch.setenv("BACKPROPNB_DOT", forced)
    chosen = _dot.find_dot()
    if forced == "none":
        assert chosen.kind == "none"
    else:
        assert chosen.kind in (forced, "none")  # none when that dot is not installed


# --- pip install alone draws, quietly and inside the boxes ---------------------------


@pytest.mark.skipif(WHEEL is None, reason="graphviz-pure is not installed")
def test_pip_only_draws_svg_with_no_dot_on_path(monkeypatch, tmp_path, capfd):
    monkeypatch.setenv("PATH", no_dot_path(tmp_path))
    y = neuron()
    markup = to_html(draw(y))
    assert markup.startswith("<svg") and "σ(2s + 1)" in markup
    bundle = draw(y)._repr_mimebundle_()
    assert "σ∑→ input" in bundle["image/svg+xml"]
    svg = draw(y).pipe(format="svg", encoding="utf-8")  # the graphviz package's own API, through the wheel
    assert "Σ wᵢxᵢ" in svg
    assert Path("dot") == graphviz.backend.dot_command.DOT_BINARY  # put back
    assert capfd.readouterr().err == ""  # the wheel's "no value for width of non-ASCII character" is dropped


@pytest.mark.skipif(WHEEL is None, reason="graphviz-pure is not installed")
def test_the_wheel_prints_width_warnings_that_the_package_hides():
    """The reason for the quiet pipe and the widths: the bare wheel warns on σ and guesses its width."""
    source = draw(neuron()).source
    bare = subprocess.run([WHEEL, "-Tsvg"], input=source.encode(), capture_output=True)
    assert bare.returncode == 0 and b"non-ASCII" in bare.stderr


@pytest.mark.skipif(WHEEL is None or SYSTEM is None, reason="needs both dots")
def test_wheel_boxes_are_as_wide_as_the_real_text_needs():
    """Each box the wheel draws is at least as wide as the one system dot (which measures real fonts) draws."""
    y = neuron()
    digraph = draw(y)
    measured = box_widths(_dot.pipe_svg(digraph, _dot.Dot("system", SYSTEM)))
    estimated = box_widths(_dot.pipe_svg(digraph, _dot.Dot("wheel", WHEEL)))
    bare = box_widths(
        subprocess.run([WHEEL, "-Tsvg"], input=digraph.source.encode(), capture_output=True).stdout.decode()
    )
    narrow = {node: (bare[node], measured[node]) for node in measured if bare[node] < measured[node] * 0.97}
    assert narrow, "the bare wheel should draw some boxes too narrow (else this test proves nothing)"
    for node, width in measured.items():
        assert estimated[node] >= width * 0.97, (
            f"{node}: wheel box {estimated[node]:.1f} pt < text needs {width:.1f} pt"
        )


@pytest.mark.parametrize("dot", dots())
def test_the_bare_structure_renders_on_every_dot(dot):
    """show=() leaves unnamed nodes without text; Graphviz 2.42/2.43 rejects an empty HTML label <>."""
    x, y = tensor(1.0), tensor(2.0)
    f = x * y + 1
    f.backward()
    svg = _dot.pipe_svg(draw(f, show=()), dot)
    nodes = nodes_of(svg)
    assert sorted(nodes) == ["o0", "o1", "v0", "v1", "v2", "v3"]
    assert nodes["o0"][0] == ("+1",) and nodes["o1"][0] == ("×",)


@pytest.mark.parametrize("dot", dots())
def test_every_label_renders_on_every_dot(dot):
    y = neuron()
    for step in (None, 0, 2):
        svg = _dot.pipe_svg(draw(y, step=step), dot)
        texts = [t for texts, _ in nodes_of(svg).values() for t in texts]
        assert "σ(2s + 1)" in texts and "Σ wᵢxᵢ" in texts and "σ∑→ input" in texts


def test_a_failing_dot_reports_its_message(tmp_path):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'Error: broken on purpose' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(graphviz.CalledProcessError, match="broken on purpose"):
        _dot.pipe_svg(draw(neuron()), _dot.Dot("system", str(broken)))
    assert "CalledProcessError" in to_html(draw(neuron())) or SYSTEM or WHEEL


def test_widths_are_added_only_to_html_labelled_nodes():
    source = draw(neuron()).source
    widened = _dot.widened_source(source)
    node_lines = [line for line in widened.splitlines() if re.match(r"^\t[vo]\d+ \[", line)]
    wide = [line for line in node_lines if "σ∑→ input" in line or "σ(2s + 1)" in line]
    assert len(wide) == 2 and all("[width=" in line for line in wide)
    edge_lines = [line for line in widened.splitlines() if " -> " in line]
    assert edge_lines and not any("width=" in line for line in edge_lines)
    assert widened.replace(" ", "").count("label=") == source.replace(" ", "").count("label=")


def test_the_module_needs_no_display_code():
    """render/_dot.py is used by the renderer only; it imports neither widgets nor IPython."""
    code = (
        "import sys, backpropnb.render._dot; print(any(m.startswith(('ipywidgets', 'IPython')) for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_draw_output_is_unchanged_by_the_choice():
    """The DOT source (what snapshots and tests read) does not depend on which dot will draw it."""
    y = neuron()
    assert draw(y).source == draw(y).source
    assert "width=" not in draw(y).source
    assert bp.draw is draw


# --- every drawing of the tutorials, drawn by both dots --------------------------------

TUTORIALS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))
RECORDER = """
import json as _json
import backpropnb.render._dot as _dot_module
_recorded, _pipe_svg = [], _dot_module.pipe_svg
def _recording_pipe_svg(digraph, dot=None, **kwargs):
    _recorded.append(digraph if isinstance(digraph, str) else digraph.source)
    return _pipe_svg(digraph, dot, **kwargs)
_dot_module.pipe_svg = _recording_pipe_svg
"""


def tutorial_drawings(path, out):
    """Run a tutorial in a fresh kernel, recording the DOT source of every drawing it shows."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(RECORDER))
    notebook.cells.append(nbformat.v4.new_code_cell(f"_json.dump(_recorded, open({str(out)!r}, 'w'))"))
    NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    import json

    return list(dict.fromkeys(json.loads(out.read_text())))  # each distinct drawing once


def edges_of(svg):
    root = ET.fromstring(svg[svg.find("<svg") :])
    return sorted(
        (g.find(f"{SVG}title").text, tuple(t.text or "" for t in g.iter(f"{SVG}text")))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge"
    )


@pytest.mark.skipif(WHEEL is None or SYSTEM is None, reason="needs both dots")
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_every_tutorial_drawing_is_the_same_with_both_dots(path, tmp_path):
    """Same nodes, labels, colours and edge labels whichever dot draws; only the layout may differ."""
    sources = tutorial_drawings(path, tmp_path / "drawings.json")
    if path.name.startswith(("01", "02", "03")):
        assert sources, f"{path.name} shows drawings, none was recorded"
    for source in sources:
        digraph = graphviz.Source(source)
        system = _dot.pipe_svg(digraph, _dot.Dot("system", SYSTEM))
        wheel = _dot.pipe_svg(digraph, _dot.Dot("wheel", WHEEL))
        assert nodes_of(wheel) == nodes_of(system), source
        assert edges_of(wheel) == edges_of(system), source
        measured, estimated = box_widths(system), box_widths(wheel)
        for node, width in measured.items():
            assert estimated[node] >= width * 0.97, f"{node} of\n{source}\nis narrower with the wheel"


def _text_width(text, size, bold, hangul_font):
    """Points a line of SVG text takes: Hangul in the Hangul font a browser falls back to, the rest in DejaVu Sans."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fonts = {}
    width = 0.0
    for char in text:
        if "\uac00" <= char <= "\ud7a3":
            path = hangul_font
        else:
            weight = "bold" if bold else "normal"
            path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight=weight))
        if path not in fonts:
            fonts[path] = FT2Font(path)
            fonts[path].set_size(72, 72)
        font = fonts[path]
        index = font.get_char_index(ord(char))
        if index:
            width += font.load_glyph(index).linearHoriAdvance / 65536 / 72 * size
    return width


@pytest.mark.skipif(WHEEL is None, reason="needs the wheel's dot")
def test_wheel_boxes_fit_korean_labels_in_a_real_hangul_font():
    """Korean node labels ("값 …", "기울기 …"): every box the wheel draws holds its widest line as a browser draws it."""
    from matplotlib import font_manager

    from backpropnb.render.fonts import hangul_family

    family = hangul_family()
    if family is None:
        pytest.skip("no font with Hangul installed (make chromium installs fonts-noto-cjk)")
    hangul_font = font_manager.findfont(font_manager.FontProperties(family=family))
    bp.set_language("ko")
    try:
        svg = _dot.pipe_svg(draw(neuron()), _dot.Dot("wheel", WHEEL))
    finally:
        bp.set_language("en")
    widths = box_widths(svg)
    root = ET.fromstring(svg[svg.find("<svg") :])
    checked = 0
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        node = group.find(f"{SVG}title").text
        for line in group.iter(f"{SVG}text"):
            text = line.text or ""
            if not re.search("[\uac00-\ud7a3]", text):
                continue
            checked += 1
            needed = _text_width(text, float(line.get("font-size")), line.get("font-weight") == "bold", hangul_font)
            assert widths[node] >= needed + 2, f"{node}: box {widths[node]:.1f} pt, {text!r} needs {needed:.1f} pt"
    assert checked >= 6  # value and gradient lines of every drawn node
