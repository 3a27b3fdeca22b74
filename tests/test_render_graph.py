"""The Graphviz drawings: reference numbers, step highlighting, gate symbols, escaping, missing dot."""

import html
import re
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from dot_source import unboxed

import backpropnb as bp
from backpropnb import Function, lecture, tensor
from backpropnb.render import _dot, draw, format_number, svg, to_html
from backpropnb.render.graph import INSTALL_HINT, GraphDrawing, gate_symbol, walk
from backpropnb.render.svg import svg_size

needs_dot = pytest.mark.skipif(
    _dot.find_dot().kind == "none", reason="no dot: neither Graphviz nor the graphviz-pure wheel"
)


def circuit():
    """f = (x + y) z with the lecture's numbers; q = x + y is named."""
    x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
    q = x + y
    q.name = "q"
    return x, y, z, q, q * z


def label_of(source, node_id):
    match = re.search(rf"^\t{node_id} \[label=<(.*)> ", source, re.M)
    assert match, f"no node {node_id} in\n{source}"
    return match.group(1)


def edge_labels(source, head):
    """Labels of the edges into ``head``, in source order (None for an unlabelled edge)."""
    found = re.findall(rf"^\t(\w+) -> {head}(?: \[label=<(.*?)>(?: |\]))?", unboxed(source), re.M)
    return [(tail, label or None) for tail, label in found]


def svg_texts(digraph):
    root = ET.fromstring(to_html(digraph))  # must be well-formed XML
    return [text for text in root.itertext() if text.strip()]


# --- numbers -----------------------------------------------------------


def test_format_number_four_significant_digits():
    assert format_number(0.7310585786) == "0.7311"
    assert format_number(-0.19661193) == "-0.1966"
    assert format_number(-0.0) == "0"
    assert format_number(np.float32(3.0)) == "3"
    assert format_number(np.array(-12.0)) == "-12"
    assert format_number(tensor(2.5)) == "2.5"


# --- reference values ----------------------------------------------------


def test_values_and_gradients_of_the_lecture_circuit():
    x, y, z, q, f = circuit()
    f.backward()
    source = draw(f).source
    assert "value -12" in label_of(source, "v0") and "grad 1" in label_of(source, "v0")
    assert "<B>q</B>" in label_of(source, "v1") and "value 3" in label_of(source, "v1")
    assert "grad -4" in label_of(source, "v1")
    assert "value -4" in label_of(source, "v2") and "grad 3" in label_of(source, "v2")
    assert "value -2" in label_of(source, "v3") and "grad -4" in label_of(source, "v3")
    assert "value 5" in label_of(source, "v4") and "grad -4" in label_of(source, "v4")
    # edges carry the gradient that flowed along them: q gets z = -4, z gets q = 3
    assert [(t, re.sub("<.*?>", "", lab)) for t, lab in edge_labels(source, "o0")] == [("v1", "-4"), ("v2", "3")]
    assert [re.sub("<.*?>", "", lab) for _, lab in edge_labels(source, "o1")] == ["-4", "-4"]


def test_other_seed_numbers():
    x, y, z = tensor(-2.0, name="x"), tensor(3.0, name="y"), tensor(5.0, name="z")
    f = (x + y) * z
    f.backward()
    source = draw(f).source
    assert "value 5" in label_of(source, "v0")
    assert "grad 5" in label_of(source, "v3") and "grad 5" in label_of(source, "v4")
    assert "grad 1" in label_of(source, "v2")


def test_before_backward_no_gradients_are_shown():
    *_, f = circuit()
    source = draw(f).source
    assert "grad" not in source and "value -12" in source
    assert all(label is None for _, label in edge_labels(source, "o0"))


def test_show_picks_the_numbers():
    *_, f = circuit()
    f.backward()
    values_only = draw(f, show=("value",)).source
    assert "value -12" in values_only and "grad" not in values_only
    bare = draw(f, show=()).source
    assert "value" not in bare and "grad" not in bare and "<B>x</B>" in bare
    with pytest.raises(ValueError, match="show"):
        draw(f, show=("gradient",))
    with pytest.raises(ValueError, match="rankdir"):
        draw(f, rankdir="XY")
    assert "rankdir=TB" in draw(f, rankdir="TB").source


def test_copy_gate_gets_two_edges_with_their_own_gradients():
    x = tensor(3.0, name="x")
    a, b = x * 2.0, x * 5.0
    f = a + b
    f.backward()
    source = draw(f).source
    x_id = next(f"v{i}" for i, n in enumerate(walk(f).nodes) if n is x)
    assert "grad 7" in label_of(source, x_id)  # the copy gate adds 2 + 5
    into = re.findall(rf"^\t{x_id} -> (o\d+) \[label=<<FONT[^>]*>(.*?)</FONT>>", unboxed(source), re.M)
    assert sorted(label for _, label in into) == ["2", "5"]
    # a value used twice by one gate: two edges into that gate
    y = tensor(4.0, name="y")
    g = y * y
    g.backward()
    assert [re.sub("<.*?>", "", lab) for _, lab in edge_labels(draw(g).source, "o0")] == ["4", "4"]


def test_sigmoid_neuron_fused_and_primitive_agree():
    w0, x0, w1, x1, w2 = (tensor(v, name=n) for v, n in zip(lecture.neuron_values().values(), "abcde"))
    fused = (w0 * x0 + w1 * x1 + w2).sigmoid()
    fused.backward()
    source = draw(fused).source
    assert "value 0.7311" in label_of(source, "v0")
    assert "grad -0.1966" in source and "grad 0.3932" in source and "grad -0.5898" in source
    assert "σ" in label_of(source, "o0")
    for t in (w0, x0, w1, x1, w2):
        t.zero_grad()
    primitive = 1.0 / (1.0 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    primitive.backward()
    other = draw(primitive).source
    assert "value 0.7311" in label_of(other, "v0")
    assert "grad -0.1966" in other and "grad 0.3932" in other and "grad -0.5898" in other
    assert "1/x" in other and "×−1" in other and "exp" in other


def test_constants_are_drawn_distinctly_with_their_value_only():
    x = tensor([2.0, 3.0], name="x")
    f = (x * np.array([1.0, -1.0])).sum()
    f.backward()
    source = draw(f).source
    constant = next(f"v{i}" for i, n in enumerate(walk(f).nodes) if not n.requires_grad)
    assert "value [1, -1]" in label_of(source, constant) and "grad" not in label_of(source, constant)
    assert re.search(rf"^\t{constant} \[.*style=\"rounded,filled,dashed\"", source, re.M)
    mul = next(f"o{i}" for i, n in enumerate(walk(f).nodes) if n.op == "mul")
    assert [lab for _, lab in edge_labels(source, mul)] == ['<FONT COLOR="#c92a2a">[1, -1]</FONT>', None]


def test_a_scalar_constant_is_folded_into_its_gate_as_in_the_lecture():
    x = tensor(2.0, name="x")
    f = 1 / ((x * -1).exp() + 1)
    f.backward()
    source = draw(f).source
    assert [n.name or n.op for n in walk(f).nodes] == ["div", "add", "exp", "mul", "x"]
    symbols = {gate_symbol(n) for n in walk(f).nodes if n.op}
    assert symbols == {"1/x", "+1", "exp", "×-1"}
    assert "const" not in source and "value 1<" not in source
    # the folded gate keeps the one real edge, with the gradient that flowed along it
    ((tail, label),) = edge_labels(source, "o0")
    assert tail == "v1" and label == '<FONT COLOR="#c92a2a">-0.7758</FONT>'  # d(1/t)/dt = -1/t² at t = 1 + e^-2


def test_array_nodes_show_shapes_and_summaries():
    W = tensor(np.arange(12.0).reshape(3, 4), name="W")
    v = tensor([1.0, 0.0, -1.0, 2.0], name="v")
    loss = (W @ v).relu().sum()
    loss.backward()
    source = draw(loss).source
    w_label = label_of(source, next(f"v{i}" for i, n in enumerate(walk(loss).nodes) if n is W))
    assert "shape (3, 4)" in w_label and "value mean 5.5<BR/>min 0, max 11" in w_label
    assert "grad mean 0.5<BR/>min -1, max 2" in w_label
    v_label = label_of(source, next(f"v{i}" for i, n in enumerate(walk(loss).nodes) if n is v))
    assert "shape (4,)" in v_label and "value [1, 0, -1, 2]" in v_label and "grad [12, 15, 18, 21]" in v_label
    assert "value 36" in label_of(source, "v0")  # W @ v = [4, 12, 20]


# --- gate symbols ---------------------------------------------------------


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved
        return 3 * x**2 * grad_output


def test_every_gate_has_its_symbol():
    a, b = tensor(2.0), tensor(3.0)
    v, m = tensor([1.0, -2.0, 3.0]), tensor(np.ones((2, 3)))
    cases = {
        "+": a + b,
        "−": a - b,
        "×": a * b,
        "÷": a / b,
        "1/x": 1 / b,
        "×−1": -a,
        "x^2": a**2,
        "x^0.5": a**0.5,
        "max": bp.maximum(a, b),
        "σ": a.sigmoid(),
        "exp": a.exp(),
        "log": a.log(),
        "tanh": a.tanh(),
        "ReLU": a.relu(),
        "@": m @ v,
        "·": v.dot(v),
        "Σ": v.sum(),
        "mean": v.mean(),
        "softmax": v.softmax(),
        "log_softmax": v.log_softmax(),
        "logsumexp": v.logsumexp(),
        "CE": bp.cross_entropy(m, np.array([0, 2])),
        "reshape": m.reshape(3, 2),
        "ᵀ": m.T,
        "[ ]": v[1:],
        "stack": bp.stack([a, b]),
        "Cube": Cube.apply(a),
    }
    for symbol, node in cases.items():
        assert gate_symbol(node) == symbol, node.op
        assert f"label=<{symbol}>" in draw(node).source


# --- stepping through backward ---------------------------------------------


def test_step_on_q_shows_upstream_local_downstream():
    x, y, z, q, f = circuit()
    source = draw(f, step=1).source  # step 0 is the mul node, step 1 the q node
    assert "penwidth=3" in re.search(r"^\tv1 \[.*$", source, re.M).group(0)  # q is highlighted
    assert "#e8590c" in re.search(r"^\tv1 \[.*$", source, re.M).group(0)
    assert "up -4" in edge_labels(source, "v1")[0][1]
    into_q = [re.sub("<.*?>", "", lab.replace("<BR/>", " ")) for _, lab in edge_labels(source, "o1")]
    assert into_q == ["local 1 × up -4 = -4", "local 1 × up -4 = -4"]
    assert "#2b8a3e" in re.search(r"^\tv0 \[.*$", source, re.M).group(0)  # f is done


def test_step_zero_on_the_mul_node():
    *_, f = circuit()
    source = draw(f, step=0).source
    into_f = [re.sub("<.*?>", "", lab.replace("<BR/>", " ")) for _, lab in edge_labels(source, "o0")]
    assert into_f == ["local -4 × up 1 = -4", "local 3 × up 1 = 3"]
    assert "#adb5bd" in re.search(r"^\tv3 \[.*$", source, re.M).group(0)  # x is still to come
    assert "grad" not in label_of(source, "v3")
    assert "grad -4" in label_of(source, "v1")  # q has received its gradient, its step is next
    assert all(label is None for _, label in edge_labels(source, "o1"))


class Branch(Function):
    """A copy gate's branch: passes x on, drawn as a plain edge."""

    drawn_as_edge = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_several_outputs_draw_one_value_fanning_out_with_each_branch_gradient():
    # the lecture's copy gate: x fans out into two branches, upstreams 2 and 4 come back, x gets 6
    x = tensor(7.0, name="x")
    b1, b2 = Branch.apply(x), Branch.apply(x)
    b1.name, b2.name = "branch 1", "branch 2"
    b1.backward(np.array(2.0))
    b2.backward(np.array(4.0))
    source = draw((b1, b2)).source
    nodes = walk((b1, b2)).nodes
    assert nodes == [b1, b2, x]
    assert "grad 6" in label_of(source, "v2")
    assert "grad 2" in label_of(source, "v0") and "grad 4" in label_of(source, "v1")
    assert edge_labels(source, "v0") == [("v2", '<FONT COLOR="#c92a2a">2</FONT>')]
    assert edge_labels(source, "v1") == [("v2", '<FONT COLOR="#c92a2a">4</FONT>')]
    assert not re.search(r"^\to\d", source, re.M) and "Branch" not in source  # no gate node at all
    assert draw([b1, b2]).source == source and draw((b1, b2, b1)).source == source
    # the same gate without drawn_as_edge keeps its circle: the marker, not the name, decides
    Plain = type("Plain", (Function,), {"forward": Branch.forward, "backward": Branch.backward})
    assert "Plain" in draw(Plain.apply(x)).source
    # outputs sharing a gate-made value: drawn once, its gradient the sum of both
    w = tensor(2.0, name="w")
    h = w * 3.0
    h.name = "h"
    p, q = h + 1.0, h * h
    p.backward(retain_graph=True)  # p and q share the gates that made h
    q.backward()
    both = draw((p, q)).source
    (h_id,) = [f"v{i}" for i, n in enumerate(walk((p, q)).nodes) if n is h]
    assert "grad 13" in label_of(both, h_id) and "grad 39" in both  # 1 + 2·6, and ×3 for w


def test_several_outputs_are_checked():
    x = tensor(1.0)
    with pytest.raises(
        TypeError, match=r"draw: a tuple or list of outputs must hold backpropnb Tensors only, got float"
    ):
        draw((x * 2, 3.0))
    with pytest.raises(TypeError, match="draw: a tuple or list of outputs"):
        draw(())
    with pytest.raises(ValueError, match=r"draw: step= shows the backward pass of one output, got 2 outputs"):
        draw((x * 2, x * 3), step=0)


@needs_dot
def test_columns_fold_a_tall_drawing_beside_itself():
    x = tensor(1.0, name="x")
    y = x
    for i in range(6):
        y = (y * 2.0).tanh()
        y.name = f"h{i}"
    y.backward()
    tall = draw(y, rankdir="TB")
    folded = draw(y, rankdir="TB", columns=2)
    assert draw(y, rankdir="TB", columns=1).source == tall.source and "constraint" not in tall.source
    # the same nodes and edges, one edge (a value into the next gate) no longer ranks the layout
    crossing = [line for line in folded.body if "constraint=false" in line]
    assert len(crossing) == 1 and re.match(r"^\tv\d+ -> o\d+ \[constraint=false label=", crossing[0])
    order = [line for line in folded.body if "style=invis" in line]  # the columns in the backward pass's order
    assert order == ["\t{rank=same; v0 -> v6 [style=invis]}\n"], order
    strip = lambda source: source.replace("constraint=false ", "").replace(order[0], "")  # noqa: E731
    assert strip(folded.source) == tall.source
    (tall_w, tall_h), (folded_w, folded_h) = svg_size(tall.natural_svg()), svg_size(folded.natural_svg())
    assert folded_h < 0.6 * tall_h and folded_w > tall_w
    assert "grad" in folded.source and len(svg_texts(folded)) == len(svg_texts(tall))
    three = draw(y, rankdir="BT", columns=3)
    assert three.source.count("constraint=false") == 2
    assert svg_size(three.natural_svg())[1] < folded_h
    assert draw(y, rankdir="LR", columns=2).source == draw(y, rankdir="LR").source  # only top-to-bottom folds
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"draw: columns must be a whole number 1 or more"):
            draw(y, columns=bad)


def test_step_shows_partial_sums_of_a_copy_gate():
    x = tensor(3.0, name="x")
    f = x * 2.0 + x * 5.0
    steps = bp.trace_backward(f)
    first_mul = next(i for i, s in enumerate(steps) if s.node.op == "mul")
    source = draw(f, step=first_mul).source
    x_id = next(f"v{i}" for i, n in enumerate(walk(f).nodes) if n is x)
    assert re.search(r"grad so far (2|5)<", label_of(source, x_id))
    assert "grad 7" in label_of(draw(f, step=len(steps) - 1).source, x_id)


def test_step_out_of_range_names_the_number_of_steps():
    *_, f = circuit()
    with pytest.raises(ValueError, match="2 steps"):
        draw(f, step=2)
    with pytest.raises(ValueError, match="2 steps"):
        draw(f, step=-1)
    with pytest.raises(ValueError, match="integer"):
        draw(f, step=1.0)
    with pytest.raises(ValueError, match="0 steps"):
        draw(tensor(1.0), step=0)


def test_draw_never_changes_grad():
    x, y, z, q, f = circuit()
    nodes = (x, y, z, q, f)
    for k in (None, 0, 1):
        draw(f, step=k)
    assert all(n.grad is None for n in nodes)
    f.backward()
    before = [(n.grad, n.grad.copy()) for n in nodes]
    for k in (None, 0, 1):
        draw(f, step=k)
    for n, (array, copy) in zip(nodes, before):
        assert n.grad is array and np.array_equal(n.grad, copy)


def test_steps_match_trace_backward():
    *_, f = circuit()
    steps = bp.trace_backward(f)
    for k, step in enumerate(steps):
        source = draw(f, step=k).source
        number = walk(f).number[id(step.node)]
        assert "penwidth=3" in re.search(rf"^\tv{number} \[.*$", source, re.M).group(0)


# --- escaping --------------------------------------------------------------


@needs_dot
def test_hostile_and_korean_names_render_exactly():
    a = tensor(1.0, name='a"<b>&\\c\nd')
    w = tensor(2.0, name="가중치")
    f = a * w
    f.name = "</B></FONT><script>alert(1)</script>"
    f.backward()
    texts = svg_texts(draw(f))
    assert 'a"<b>&\\c' in texts and "d" in texts  # the newline became a line break
    assert "가중치" in texts
    assert "</B></FONT><script>alert(1)</script>" in texts
    assert not ET.fromstring(to_html(draw(f))).findall(".//{http://www.w3.org/2000/svg}script")


@needs_dot
def test_a_name_cannot_inject_dot():
    x = tensor(1.0, name='x"]; evil [label="')
    y = tensor(2.0, name="y>]; evil2 [label=<boom>]; z [label=<")
    f = x * y
    f.backward()
    digraph = draw(f)
    assert "evil" not in re.findall(r"^\t(\S+) \[", digraph.source, re.M)
    root = ET.fromstring(to_html(digraph))
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    nodes = [t for t in titles if "->" not in t and t != "%3"]
    assert sorted(nodes) == ["o0", "v0", "v1", "v2"]
    texts = svg_texts(digraph)
    assert 'x"]; evil [label="' in texts and "y>]; evil2 [label=<boom>]; z [label=<" in texts


@needs_dot
def test_control_characters_and_custom_gate_names_are_safe():
    weird = type("Gate<&>", (Cube,), {})
    x = tensor(2.0, name="tab\there\x01")
    f = weird.apply(x)
    f.backward()
    texts = svg_texts(draw(f))
    assert "Gate<&>" in texts and "tab here\\x01" in texts


# --- output and the missing-dot path ---------------------------------------------


@needs_dot
def test_to_html_is_inline_svg():
    *_, f = circuit()
    markup = to_html(draw(f))
    assert markup.startswith("<svg") and "<?xml" not in markup and "DOCTYPE" not in markup
    assert "value -12" in svg_texts(draw(f))
    bundle = draw(f)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_draw_is_a_digraph_with_a_reproducible_source():
    *_, f = circuit()
    f.backward()
    first, second = draw(f), draw(f)
    assert isinstance(first, graphviz.Digraph) and isinstance(first, GraphDrawing)
    assert first.source == second.source
    *_, again = circuit()
    again.backward()
    assert draw(again).source == first.source  # ids follow the graph, not memory addresses


def test_missing_dot_shows_the_source_and_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on an empty PATH
    monkeypatch.setattr(_dot, "_wheel_path", lambda path=None: None)  # and no graphviz-pure wheel either
    *_, f = circuit()
    f.name = "<f>"
    f.backward()
    digraph = draw(f)
    assert isinstance(digraph, graphviz.Digraph)
    markup = to_html(digraph)
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz", "pip install"):
        assert command in markup
    shown = re.search(r"<pre>(.*)</pre>", markup, re.S).group(1)
    assert html.unescape(shown) == digraph.source and "<f>" not in markup and "value -12" in shown
    bundle = digraph._repr_mimebundle_()
    assert "apt-get install graphviz" in bundle["text/html"] and "Traceback" not in bundle["text/html"]
    assert bundle["text/plain"] == digraph.source
    assert INSTALL_HINT.count("install graphviz") == 4  # apt, brew, conda and the pip wheel


def test_missing_dot_simulated_in_the_backend(monkeypatch):
    def no_dot(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(_dot, "pipe_svg", no_dot)
    *_, f = circuit()
    assert "brew install graphviz" in to_html(draw(f))
    assert "conda install graphviz" in draw(f)._repr_mimebundle_()["text/html"]


# --- big graphs ----------------------------------------------------------------


def test_a_deep_chain_is_folded_with_a_count():
    y = x = tensor(1.0, name="x")
    for _ in range(20_000):
        y = y + 1.0
    y.backward()
    digraph = draw(y)
    values = re.findall(r"^\t(v\d+) \[", digraph.source, re.M)
    # 20,001 values (each "+1" constant is folded into its gate): two gates kept at each end, x, the rest folded
    assert len(values) == 6
    fold = label_of(digraph.source, "f0")
    assert "19,995 gates folded" in fold and "19,995 × [+1]" in fold
    assert "value 2e+04" in label_of(digraph.source, "v0") and x.grad == 1.0
    assert "grad 1" in label_of(digraph.source, values[-1])
    # the chain reads output, two gates, the fold, two gates, x
    assert re.search(r"^\tv3 -> f0", digraph.source, re.M) and re.search(r"^\tf0 -> o2", digraph.source, re.M)


def test_a_tanh_network_chain_folds_its_layers_and_their_inputs():
    y = tensor(0.5, name="x")
    for i in range(100):
        y = (tensor(0.3, name=f"w{i}") * y + tensor(-0.2, name=f"b{i}")).tanh()
    layout = walk(y)
    (fold,) = layout.folds
    assert fold.pattern == "98 × [mul, add, tanh]" and fold.leaves == 196
    assert len(layout.nodes) + len(fold.gates) + fold.leaves == layout.total == 501
    assert {n.name for n in layout.nodes if n.op is None} == {"x", "w0", "b0", "w99", "b99"}


def test_values_beyond_the_budget_are_counted_in_a_note():
    leaves = [tensor(float(i), name=f"a{i}") for i in range(30)]
    y = leaves[0]
    for i in range(1, 30):
        y = y * leaves[i] + leaves[(7 * i) % 30]  # shared leaves: nothing to fold
    digraph = draw(y, max_nodes=20, rankdir="TB")
    assert len(re.findall(r"^\t(v\d+) \[", digraph.source, re.M)) == 20
    layout = walk(y, 20)
    assert layout.hidden == layout.total - 20 and not layout.folds
    assert f"… {layout.hidden} more values not drawn (max_nodes=20)" in label_of(digraph.source, "more")


@needs_dot
def test_a_slow_layout_falls_back_to_a_smaller_summary(monkeypatch):
    leaves = [tensor(float(i), name=f"a{i}") for i in range(30)]
    y = leaves[0]
    for i in range(1, 30):
        y = y * leaves[i] + leaves[(7 * i) % 30]
    monkeypatch.setattr(svg, "DOT_TIMEOUT", 1e-4)  # no dot finishes this fast: the real timeout path
    with pytest.raises(svg.LayoutTimeout):
        svg.dot_svg(draw(y, rankdir="TB").source, timeout=1e-4)
    calls = []
    real = svg.dot_svg

    def slow_for_big(source, timeout=1.0):
        calls.append(source.count("\tv"))
        if source.count("[label=") > 40:
            raise svg.LayoutTimeout("too slow")
        return real(source)

    monkeypatch.setattr(svg, "dot_svg", slow_for_big)
    digraph = draw(y)
    assert "Graphviz needed too long to lay out 60 values; showing 10." in digraph.source
    assert len(re.findall(r"^\t(v\d+) \[", digraph.source, re.M)) == 10
    assert to_html(digraph).startswith("<svg")


def test_step_on_an_array_graph_uses_the_stored_seed():
    W = tensor([[1.0, 2.0], [3.0, 4.0]], name="W")
    v = tensor([1.0, -1.0], name="v")
    y = W @ v
    with pytest.raises(ValueError, match=r"shape \(2,\).*y.backward\(grad\)"):
        draw(y, step=0)
    y.backward(np.array([1.0, 2.0]))
    source = draw(y, step=0).source
    into = [re.sub("<.*?>", "", lab) for _, lab in edge_labels(source, "o0")]
    assert into == ["down [[1, -1], [2, -2]]", "down [7, 10]"]  # Wᵀ [1, 2] = [7, 10]
    assert "up [1, 2]" in edge_labels(source, "v0")[0][1]


def test_long_numbers_are_not_cut_but_long_names_are():
    x = tensor([0.123456, -0.654321, 0.5, 0.25], name="n" * 100)
    loss = (x * x).sum()
    loss.backward()
    assert "local [1, 1, 1, 1] × up 1<BR/>= [1, 1, 1, 1]" in draw(loss, step=0, rankdir="LR").source
    # top to bottom (the long name makes it so), beside a vertical edge: the local gradient alone, one line
    tall = draw(loss, step=0).source
    assert "rankdir=TB" in tall and '<FONT COLOR="#c92a2a">local [1, 1, 1, 1]</FONT>' in tall
    source = draw(loss, step=1).source
    assert source.count("down [0.1235, -0.6543, 0.5, 0.25]") == 2  # x * x: each input gets up × the other
    assert "n" * 59 + "…" in source and "n" * 60 not in source


def test_draw_needs_a_tensor():
    with pytest.raises(TypeError, match="draw: expected a backpropnb Tensor"):
        draw(3.0)
    assert "value 3" in draw(tensor(3.0, name="x")).source  # a lone leaf is a graph too


def test_render_exports_the_plots_lazily():
    import backpropnb.render as render
    from backpropnb.render import plots  # every plot keeps its old address there, whatever its family's module

    for name in ("plot_jacobian", "plot_jacobian_memory", "plot_contour_hvp", "plot_training_curve"):
        assert getattr(render, name) is getattr(plots, name)
        assert getattr(render, name).__module__.startswith("backpropnb.render.")
    with pytest.raises(AttributeError, match="no attribute 'plot_nothing'"):
        render.plot_nothing  # noqa: B018
