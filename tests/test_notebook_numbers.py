"""The stored notebook outputs show the lecture's numbers (shared CURRICULUM.md), drawings included.

nbval only checks that a re-run repeats the stored outputs; these tests check
that what is stored is right: the printed gradients and every value and
gradient written in the stored SVG drawings.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from backpropnb.i18n import en, ko

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EDITIONS = {"en": NOTEBOOKS, "ko": NOTEBOOKS / "ko"}  # the same code, so the same numbers in both
SVG = "{http://www.w3.org/2000/svg}"

# CURRICULUM.md section 1: the sigmoid neuron f = σ(w0·x0 + w1·x1 + w2), w = [2, -3, -3], x = [-1, -2]
NEURON = {
    "w0": ("2", "-0.1966"),
    "x0": ("-1", "0.3932"),
    "w1": ("-3", "-0.3932"),
    "x1": ("-2", "-0.5898"),
    "w2": ("-3", "0.1966"),
}


@pytest.fixture(autouse=True, params=sorted(EDITIONS))
def edition(request):
    """Every test here runs on the English and on the Korean edition's stored outputs."""
    global FOLDER, WORDS
    FOLDER = EDITIONS[request.param]
    WORDS = (en if request.param == "en" else ko).STRINGS
    yield request.param
    FOLDER, WORDS = NOTEBOOKS, en.STRINGS


FOLDER, WORDS = NOTEBOOKS, en.STRINGS


def value(number):
    """A drawing's value line in the edition's words (value("3"), "값 3")."""
    return WORDS["render.value"].format(value=number)


def grad(number):
    """A drawing's gradient line (grad("-4"), "기울기 -4")."""
    return f"{WORDS['render.grad']} {number}"


def shape(text):
    return WORDS["render.shape"].format(shape=text)


def cell_outputs(notebook, source_line):
    """The outputs of the one code cell whose source has a line equal to ``source_line``."""
    cells = [
        cell
        for cell in nbformat.read(FOLDER / notebook, as_version=4).cells
        if cell.cell_type == "code" and source_line in cell.source.splitlines()
    ]
    assert len(cells) == 1, f"{notebook}: {len(cells)} cells with the line {source_line!r}"
    return cells[0].outputs


def printed(notebook, source_line):
    return "".join(o.get("text", "") for o in cell_outputs(notebook, source_line) if o.output_type == "stream")


def drawn_nodes(notebook, source_line):
    """{first line of a value node: its other lines} of the stored SVG drawing, plus the output's lines."""
    (svg,) = [o.data["image/svg+xml"] for o in cell_outputs(notebook, source_line) if "data" in o]
    root = ET.fromstring(svg)
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node" or not group.find(f"{SVG}title").text.startswith("v"):
            continue
        lines = [text.text for text in group.iter(f"{SVG}text")]
        nodes[group.find(f"{SVG}title").text if group.find(f"{SVG}title").text == "v0" else lines[0]] = lines
    return nodes


@pytest.mark.parametrize(
    ("notebook", "line"),
    [
        ("01_scalar_gates.ipynb", "bp.draw(f_primitive)"),
        ("01_scalar_gates.ipynb", "bp.draw(f_fused)"),
        ("02_modular_backprop.ipynb", "bp.draw(F)"),
    ],
)
def test_the_sigmoid_neuron_drawings_show_the_lecture_gradients(notebook, line):
    nodes = drawn_nodes(notebook, line)
    for name, (number, gradient) in NEURON.items():
        assert nodes[name][1:] == [value(number), grad(gradient)], (name, nodes[name])
    assert nodes["v0"][-2:] == [value("0.7311"), grad("1")]  # the output, seeded with 1


def test_the_circuit_drawing_shows_the_lecture_numbers():
    nodes = drawn_nodes("01_scalar_gates.ipynb", "bp.draw(f)")
    assert nodes["v0"] == ["f", value("-12"), grad("1")]
    assert nodes["q"][1:] == [value("3"), grad("-4")]
    assert nodes["x"][1:] == [value("-2"), grad("-4")]
    assert nodes["y"][1:] == [value("5"), grad("-4")]
    assert nodes["z"][1:] == [value("-4"), grad("3")]


def test_the_printed_numbers_are_the_lecture_numbers():
    assert printed("01_scalar_gates.ipynb", "steps_table(f)").split("\n")[:4] == [
        "       f -> q        downstream -4 = local -4 x upstream 1",
        "       f -> z        downstream 3 = local 3 x upstream 1",
        "       q -> x        downstream -4 = local 1 x upstream -4",
        "       q -> y        downstream -4 = local 1 x upstream -4",
    ]
    assert "df/dx = 5, df/dy = 5, df/dz = 1" in printed("01_scalar_gates.ipynb", "forward_backward(-2.0, 3.0, 5.0)")
    gates = printed("01_scalar_gates.ipynb", "# add distributes: an upstream of 2 reaches both inputs as 2")
    assert gates == "add:  da = 2, db = 2\ncopy: dx = 6\nmul:  da = 15, db = 10\nmax:  da = 2, db = 0\n"
    neuron = "dw0 = -0.1966, dx0 = 0.3932, dw1 = -0.3932, dx1 = -0.5898, dw2 = 0.1966"
    assert neuron in printed("01_scalar_gates.ipynb", "f_fused.backward()")
    assert neuron in printed("01_scalar_gates.ipynb", "f_primitive.backward()")
    assert neuron in printed(
        "02_modular_backprop.ipynb", "F = Sigmoid.apply(Multiply.apply(W0, X0) + Multiply.apply(W1, X1) + W2)"
    )


def test_the_fused_steps_table_is_not_a_second_backward_pass():
    table = printed("01_scalar_gates.ipynb", "steps_table(f_fused)")
    sent = dict(re.findall(r"mul -> (\w+)\s+downstream (\S+) =", table))
    assert sent == {name: grad for name, (_, grad) in NEURON.items() if name != "w2"}
    assert "sigmoid -> dot      downstream 0.1966 = local 0.1966 x upstream 1" in table


def test_the_vector_example_shows_the_lecture_numbers():
    text = printed("03_vector_jacobians.ipynb", "ft.backward()")
    assert "df/dq = [0.44 0.52]" in text and "[[0.088 0.176]\n [0.104 0.208]]" in text
    assert "df/dx = [-0.112  0.636]" in text
    nodes = drawn_nodes("03_vector_jacobians.ipynb", "bp.draw(ft)")
    assert nodes["v0"][-2:] == [value("0.116"), grad("1")]
    assert nodes["q"][1:] == [shape("(2,)"), value("[0.22, 0.26]"), grad("[0.44, 0.52]")]
    assert nodes["W"][1:] == [
        shape("(2, 2)"),
        value("[[0.1, 0.5], [-0.3, 0.8]]"),
        grad("[[0.088, 0.176], [0.104, 0.208]]"),
    ]
    assert nodes["x"][1:] == [shape("(2,)"), value("[0.2, 0.4]"), grad("[-0.112, 0.636]")]


def test_the_jacobian_and_hessian_notebooks_show_the_lecture_numbers():
    relu = printed("04_implicit_jacobians.ipynb", "x = lecture.RELU_X  # [1, 3, -2, 4]")
    assert relu.startswith("[[1. 0. 0. 0.]\n [0. 1. 0. 0.]\n [0. 0. 0. 0.]\n [0. 0. 0. 1.]]")  # diag(1, 1, 0, 1)
    memory = printed("04_implicit_jacobians.ipynb", "width, batch = 4096, 100")
    assert "Jacobian entries = 167,772,160,000 = 1.68e+11" in memory
    assert "float32: explicit 671 GB" in memory and "float64: explicit 1,342 GB = 1.34 TB" in memory
    norm = printed(
        "04_implicit_jacobians.ipynb",
        "W, x = lecture.NORM_W, lecture.NORM_X  # [[0.1, 0.5], [-0.3, 0.8]] and [0.2, 0.4]",
    )
    assert "q     = [0.22 0.26]   f = 0.116" in norm and "df/dW = [[0.088, 0.176], [0.104, 0.208]]" in norm
    assert "df/dx = [-0.112  0.636]" in norm
    bowl = printed("05_hessian_vector_products.ipynb", "bowl = lecture.bowl  # p[0] ** 2 + p[1] ** 2")
    assert bowl.startswith("gradient: [2. 2.]\nHessian:\n [[2. 0.]\n [0. 2.]]")  # f = x² + y² at (1, 1): 2·I
    kinds = printed("05_hessian_vector_products.ipynb", "def cap(p):")
    assert "eigenvalues [2. 2.]  -> minimum" in kinds and "eigenvalues [-2. -2.]  -> maximum" in kinds
    assert "eigenvalues [-2.  2.]  -> saddle" in kinds
