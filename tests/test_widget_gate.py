"""GateExplorer, driven headless through its controls: reference numbers, defaults, extremes, errors."""

import math
import re

import numpy as np
import pytest
from dot_source import unboxed

from backpropnb.finite_differences import central_difference
from backpropnb.formatting import format_number
from backpropnb.widgets import gate as gate_module
from backpropnb.widgets.gate import DEFAULTS, GATES, GateExplorer, gate_report


def line_for(snapshot, name):
    return next(line for line in snapshot.splitlines() if line.startswith(f"{name}: downstream"))


def test_mul_with_inputs_2_and_3_and_upstream_5_sends_15_and_10():
    explorer = GateExplorer()
    controls = explorer.controls
    controls["gate"].value = "mul"
    controls["x"].value, controls["y"].value, controls["upstream"].value = 2.0, 3.0, 5.0
    snapshot = explorer.snapshot()
    assert explorer.last_error is None
    assert line_for(snapshot, "x") == "x: downstream = local × upstream = 3 × 5 = 15"
    assert line_for(snapshot, "y") == "y: downstream = local × upstream = 2 × 5 = 10"
    dot = explorer.digraph.source
    assert dot in snapshot
    assert "grad 15" in dot and "grad 10" in dot and "value 6" in dot
    assert ">15<" in dot and ">10<" in dot  # the edges carry the gradients too


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ("add", {"x": 2.0, "y": 2.0}),  # the add gate distributes the upstream 2
        ("mul", {"x": 15.0, "y": 10.0}),  # the mul gate swaps: 3·5 and 2·5
        ("max", {"x": 0.0, "y": 9.0}),  # the max gate routes everything to the larger input
        ("copy", {"x": 6.0}),  # the copy gate adds its branches' upstreams 2 and 4
        ("sigmoid", {"x": 0.19661193}),  # (1 - s)·s at x = 1
    ],
)
def test_choosing_a_gate_loads_the_lecture_example(gate, expected):
    explorer = GateExplorer(gate="sigmoid" if gate == "add" else "add")
    explorer.controls["x"].value = -7.5  # moved away, so the defaults must be loaded again
    explorer.controls["gate"].value = gate
    for name, value in DEFAULTS[gate].items():
        assert explorer.controls[name].value == value
    grads = {name: float(t.grad) for name, t in explorer.report.inputs.items()}
    assert grads == pytest.approx(expected, abs=5e-8)
    snapshot = explorer.snapshot()
    for name, value in expected.items():
        assert line_for(snapshot, name).endswith(f"= {value:.4g}")


def test_copy_gate_shows_both_branches_and_their_sum():
    explorer = GateExplorer(gate="copy")
    snapshot = explorer.snapshot()
    assert line_for(snapshot, "x") == "x: downstream = local × upstream, summed over both branches = 1 × 2 + 1 × 4 = 6"
    dot = explorer.digraph.source
    assert dot in snapshot
    # the lecture's picture: x, one value, fans out into two branches; no gate nodes in between
    labels = {node: re.sub("<.*?>", " ", label) for node, label in re.findall(r"^\t(\w+) \[label=<(.*?)> ", dot, re.M)}
    assert sorted(" ".join(label.split()) for label in labels.values()) == [
        "branch 1 value 7 grad 2",
        "branch 2 value 7 grad 4",
        "x value 7 grad 6",
    ]
    assert not re.search(r"Copy|stack|both branches", dot)
    (x,) = [node for node, label in labels.items() if label.split()[0] == "x"]
    edges = re.findall(rf"^\t{x} -> (\w+) \[label=<<FONT[^>]*>(.*?)</FONT>>", unboxed(dot), re.M)
    assert sorted((labels[head].split()[1], gradient) for head, gradient in edges) == [("1", "2"), ("2", "4")]
    assert len(re.findall(r" -> ", dot)) == 2  # the two branches, nothing else


def test_copy_gate_follows_its_two_upstream_sliders():
    explorer = GateExplorer(gate="copy")
    explorer.controls["x"].value, explorer.controls["upstream"].value, explorer.controls["upstream2"].value = (
        -3,
        1.5,
        -2,
    )
    snapshot = explorer.snapshot()
    assert line_for(snapshot, "x").endswith("= 1 × 1.5 + 1 × -2 = -0.5")
    assert float(explorer.report.inputs["x"].grad) == -0.5
    assert [float(branch.grad) for branch in explorer.report.output] == [1.5, -2.0]
    dot = explorer.digraph.source
    assert "grad -0.5" in dot and "value -3" in dot
    assert sorted(re.findall(r" -> \w+ \[label=<<FONT[^>]*>(.*?)</FONT>>", unboxed(dot))) == ["-2", "1.5"]


def test_sigmoid_gate_shows_its_value_and_local_gradient():
    snapshot = GateExplorer(gate="sigmoid").snapshot()
    assert "σ(1) = 0.7311" in snapshot
    assert "local ds/dx = (1 - s)·s = (1 - 0.7311) × 0.7311 = 0.2689 × 0.7311 = 0.1966" in snapshot
    assert "value 0.7311" in snapshot and "grad 0.1966" in snapshot


def test_unused_inputs_are_disabled():
    explorer = GateExplorer()
    for gate in GATES:
        explorer.controls["gate"].value = gate
        assert explorer.controls["y"].disabled == (gate in ("copy", "sigmoid"))
        assert explorer.controls["upstream2"].disabled == (gate != "copy")


def numerical_downstream(gate, x, y, upstream, wrt):
    """upstream × d(gate)/d(wrt) by central differences."""
    f = {
        "add": lambda x, y: x + y,
        "mul": lambda x, y: x * y,
        "max": max,
        "sigmoid": lambda x, y: 1 / (1 + math.exp(-x)),
    }[gate]
    direction = np.array([1.0, 0.0] if wrt == "x" else [0.0, 1.0])
    return upstream * float(central_difference(lambda p: f(p[0], p[1]), np.array([x, y]), direction))


@pytest.mark.parametrize("gate", ["add", "mul", "max", "sigmoid"])
def test_downstream_matches_finite_differences(gate):
    rng = np.random.default_rng(3)
    for x, y, upstream in rng.uniform(-10, 10, size=(20, 3)):
        report = gate_report(gate, x, y, upstream)
        for name, tensor in report.inputs.items():
            expected = numerical_downstream(gate, x, y, upstream, name)
            assert float(tensor.grad) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_every_control_at_its_extremes():
    explorer = GateExplorer()
    for gate in GATES:
        explorer.controls["gate"].value = gate
        for name in ("x", "y", "upstream", "upstream2"):
            slider = explorer.controls[name]
            for value in (slider.min, slider.max):
                slider.value = value
                assert explorer.last_error is None, (gate, name, value, explorer.last_error)
                assert "nan" not in explorer.snapshot()
    # and the numbers at the extremes are right: mul at x = y = upstream = -10
    explorer.controls["gate"].value = "mul"
    for name in ("x", "y", "upstream"):
        explorer.controls[name].value = explorer.controls[name].min
    assert line_for(explorer.snapshot(), "x") == "x: downstream = local × upstream = -10 × -10 = 100"


def test_max_tie_goes_to_x():
    report = gate_report("max", 3.0, 3.0, 2.0)
    assert float(report.inputs["x"].grad) == 2.0 and float(report.inputs["y"].grad) == 0.0


def test_a_callback_error_is_shown_and_cleared(monkeypatch):
    explorer = GateExplorer()

    def broken(**values):
        raise RuntimeError("the gate broke")

    monkeypatch.setattr(gate_module, "gate_report", broken)
    explorer.controls["x"].value = 1.0
    assert isinstance(explorer.last_error, RuntimeError)
    assert "the gate broke" in explorer.error_area.value and explorer.error_area.layout.display is None
    monkeypatch.undo()
    explorer.controls["x"].value = 2.0
    assert explorer.last_error is None and explorer.error_area.value == ""


def test_changing_the_gate_renders_once():
    explorer = GateExplorer()
    renders = []
    original = explorer.render
    explorer.render = lambda: renders.append(1) or original()
    explorer.controls["gate"].value = "copy"  # sets x, upstream and upstream2 as well
    assert len(renders) == 1


def test_unknown_gate_names_the_choices():
    with pytest.raises(ValueError, match="pick one of"):
        gate_report("div", 1.0, 2.0)
    # the explorer itself refuses it with the same error, not a traitlets TraitError
    with pytest.raises(ValueError, match=r"GateExplorer: gate='div' .*\['add', 'mul', 'max', 'copy', 'sigmoid'\]"):
        GateExplorer(gate="div")


NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?"


def redo_arithmetic(line):
    """Check every "a × b = c" and "(1 - a)" of a printed line against the printed numbers themselves."""
    checked = 0
    summed = re.search(rf"= ({NUMBER}) × ({NUMBER}) \+ ({NUMBER}) × ({NUMBER}) = ({NUMBER})$", line)
    if summed:
        a, b, c, d, total = map(float, summed.groups())
        assert format_number(a * b + c * d) == summed.group(5), line
        return 1
    for a, b, c in re.findall(rf"(?<![\w.])({NUMBER}) × ({NUMBER}) = ({NUMBER})(?![\d.])", line):
        assert format_number(float(a) * float(b)) == c, line
        checked += 1
    for a, c in re.findall(rf"\(1 - ({NUMBER})\) × {NUMBER} = ({NUMBER}) ×", line):
        assert format_number(1 - float(a)) == format_number(float(c)), line
        checked += 1
    return checked


@pytest.mark.parametrize("gate", GATES)
def test_every_printed_product_can_be_redone_from_the_printed_numbers(gate):
    # Issue 9: at x = 10 the sigmoid printed "(1 - 1) × 1 = 4.54e-05"; now every factor has enough digits.
    explorer = GateExplorer(gate=gate)
    checked = 0
    for x in np.arange(-10.0, 10.01, 1.9):
        for upstream in (-9.7, 0.3, 7.9):
            with explorer.paused():
                explorer.controls["x"].value, explorer.controls["upstream"].value = round(x, 1), upstream
            checked += sum(redo_arithmetic(line) for line in explorer.lines)
    assert checked > 30


def test_sigmoid_at_10_prints_enough_digits():
    explorer = GateExplorer(gate="sigmoid")
    explorer.controls["x"].value = 10.0
    assert "local ds/dx = (1 - s)·s = (1 - 0.9999546) × 0.9999546 = 4.54e-05 × 0.9999546 = 4.54e-05" in explorer.lines
    assert "forward: s = σ(x) = 1/(1 + e^-x) = σ(10) = 0.9999546" in explorer.lines


def test_view_holds_the_svg_and_the_lines():
    explorer = GateExplorer(gate="mul")
    assert explorer.graph.value.startswith(("<svg", "<div"))
    assert "x: downstream = local × upstream = 3 × 5 = 15" in explorer.text.value
    assert explorer.error_area in explorer.children
