"""GateExplorer: one gate, its inputs and its upstream gradient; watch "downstream = local × upstream".

The lecture's four gate patterns, plus the fused sigmoid: the add gate
distributes the upstream gradient, the mul gate swaps its inputs, the max gate
routes the gradient to the larger input, and the copy gate (one value used
twice) adds the gradients coming back from its branches. Every number comes
from the engine: the gate is built as a small graph, backward runs with the
chosen upstream gradient, and :func:`~trace.trace_backward` supplies the
local and downstream gradients.

>>> report = gate_report("mul", x=2.0, y=3.0, upstream=5.0)
>>> report.lines[3:5]
['x: downstream = local × upstream = 3 × 5 = 15', 'y: downstream = local × upstream = 2 × 5 = 10']
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from backpropnb.formatting import MAX_DIGITS, format_number, format_product
from backpropnb.i18n import text
from backpropnb.lecture import GATE_EXAMPLES, named
from backpropnb.render.graph import draw, to_html
from backpropnb.widgets.base import Explorer, check_choice

from .. import engine, function, ops, trace

GATES = ("add", "mul", "max", "copy", "sigmoid")
TWO_INPUTS = ("add", "mul", "max")  # copy and sigmoid read x only

# The lecture's gate examples, loaded whenever the gate changes.
DEFAULTS = GATE_EXAMPLES
SLIDER_RANGE = {"min": -10.0, "max": 10.0, "step": 0.1}


class Copy(function.Function):
    """One branch of the copy gate: passes its input on unchanged, and its gradient back unchanged.

    Drawn as a plain edge (``drawn_as_edge``): the lecture's picture has no
    gate here, only one value fanning out into two branches.

    >>> x = engine.tensor(7.0); branch = Copy.apply(x); branch.backward(np.array(2.0))
    >>> float(branch.data), float(x.grad)
    (7.0, 2.0)
    """

    drawn_as_edge = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


@dataclass
class GateReport:
    """What the GateExplorer shows for one setting: the graph (backward already run) and the text lines."""

    gate: str
    output: object  # the Tensor to draw (a tuple of the two branches for copy); .grad is the upstream gradient
    inputs: dict  # name -> input Tensor, whose .grad is the downstream gradient
    lines: list


def build_gate(gate, x, y):
    """The gate as an engine graph: (output, inputs); copy gives a tuple of its two branches as the output.

    >>> output, inputs = build_gate("add", 3.0, 4.0)
    >>> float(output.data), sorted(inputs)
    (7.0, ['x', 'y'])
    """
    check_choice("GateExplorer", "gate", gate, GATES)
    xs = engine.tensor(float(x), name="x")
    if gate == "sigmoid":
        return named(xs.sigmoid(), "s"), {"x": xs}
    if gate == "copy":
        return tuple(named(Copy.apply(xs), text("gate.branch", i=i)) for i in (1, 2)), {"x": xs}
    ys = engine.tensor(float(y), name="y")
    output = {"add": lambda: xs + ys, "mul": lambda: xs * ys, "max": lambda: ops.maximum(xs, ys)}[gate]()
    return named(output, "z"), {"x": xs, "y": ys}


def gate_report(gate, x, y=0.0, upstream=1.0, upstream2=0.0):
    """Build ``gate`` on inputs x (and y), run backward with the upstream gradient(s), explain each input.

    ``upstream2`` is the upstream of the copy gate's second branch; the other
    gates ignore it, and copy and sigmoid ignore ``y``.

    >>> report = gate_report("copy", x=7.0, upstream=2.0, upstream2=4.0)
    >>> float(report.inputs["x"].grad), report.lines[-1]
    (6.0, 'x: downstream = local × upstream, summed over both branches = 1 × 2 + 1 × 4 = 6')
    """
    output, inputs = build_gate(gate, x, y)
    if gate == "copy":  # two outputs, one backward each: x's gradients from both add up in x.grad
        steps = [step for branch, up in zip(output, (upstream, upstream2)) for step in backward_of(branch, up)]
    else:
        steps = backward_of(output, upstream)
    lines = [forward_line(gate, output, inputs), text(f"gate.rule.{gate}"), upstream_line(gate, upstream, upstream2)]
    lines += [input_line(name, tensor, steps) for name, tensor in inputs.items()]
    if gate == "sigmoid":
        s, one_minus_s, local = sigmoid_texts(float(output.data))
        lines.insert(2, f"local ds/dx = (1 - s)·s = (1 - {s}) × {s} = {one_minus_s} × {s} = {local}")
    return GateReport(gate, output, inputs, lines)


def backward_of(output, upstream):
    """The steps of ``output``'s backward pass from the upstream gradient ``upstream`` (it writes ``.grad``)."""
    return trace.trace_backward(output, np.array(float(upstream)))


def forward_line(gate, output, inputs):
    """The forward pass of the gate in numbers.

    >>> output, inputs = build_gate("max", 4.0, 5.0)
    >>> forward_line("max", output, inputs)
    'forward: z = max(x, y) = max(4, 5) = 5'
    """
    x = format_number(inputs["x"].data)
    if gate == "copy":
        return text("gate.forward_copy", x=x, first=text("gate.branch", i=1), second=text("gate.branch", i=2))
    if gate == "sigmoid":
        return text("gate.forward", what=f"s = σ(x) = 1/(1 + e^-x) = σ({x}) = {sigmoid_texts(float(output.data))[0]}")
    y, z = format_number(inputs["y"].data), format_number(output.data)
    if gate == "max":
        return text("gate.forward", what=f"z = max(x, y) = max({x}, {y}) = {z}")
    symbol = {"add": "+", "mul": "×"}[gate]
    return text("gate.forward", what=f"z = x {symbol} y = {x} {symbol} {y} = {z}")


def sigmoid_texts(s):
    """s, 1 - s and the local gradient (1 - s)·s as printed, s with enough digits to redo both by hand.

    Near x = 10 the output s = 0.99995… shows as 1 at 4 digits, and "(1 - 1) × 1"
    would not give the printed local gradient; s then gets more digits.

    >>> sigmoid_texts(0.7310585786300049), sigmoid_texts(0.9999546021312976)
    (('0.7311', '0.2689', '0.1966'), ('0.9999546', '4.54e-05', '4.54e-05'))
    """
    local = format_number((1 - s) * s)
    for digits in range(4, MAX_DIGITS + 1):
        shown = format_number(s, digits)
        one_minus = format_number(1 - float(shown), digits)
        if (
            format_number(float(one_minus)) == format_number(1 - s)
            and format_number(float(one_minus) * float(shown)) == local
        ):
            return shown, one_minus, local
    return shown, one_minus, local


def upstream_line(gate, upstream, upstream2):
    """Where the upstream gradient(s) come from.

    >>> upstream_line("mul", 5.0, 0.0)
    'upstream dL/dz = 5'
    """
    if gate == "copy":
        return text("gate.upstream_copy", first=format_number(upstream), second=format_number(upstream2))
    return f"upstream dL/d{'s' if gate == 'sigmoid' else 'z'} = {format_number(upstream)}"


def input_line(name, tensor, steps):
    """ "downstream = local × upstream" for one input, summed over every gate that used it.

    >>> x, y = engine.tensor(2.0), engine.tensor(3.0)
    >>> input_line("x", x, trace.trace_backward(x * y, np.array(5.0)))
    'x: downstream = local × upstream = 3 × 5 = 15'
    """
    products = [
        format_product([step.local[i], step.upstream], step.local[i] * step.upstream)
        for step in sorted(steps, key=lambda step: step.node.name or "")  # branch 1 before branch 2
        for i, parent in enumerate(step.node.parents)
        if parent is tensor and step.local is not None
    ]
    terms = " + ".join(" × ".join(factors) for factors, _ in products)
    rule = "local × upstream" if len(products) == 1 else text("gate.summed")
    return f"{name}: downstream = {rule} = {terms} = {format_number(tensor.grad)}"


def _slider(value, description):
    return widgets.FloatSlider(value=value, description=description, readout_format=".1f", **SLIDER_RANGE)


class GateExplorer(Explorer):
    """Pick a gate, move its inputs and its upstream gradient, and read off the downstream gradients.

    Controls: ``gate`` (add, mul, max, copy, sigmoid), ``x``, ``y`` (copy and
    sigmoid use x only), ``upstream`` and ``upstream2`` (the second branch of
    copy). Choosing a gate loads the lecture's example for it.

    >>> explorer = GateExplorer()
    >>> explorer.controls["gate"].value = "mul"
    >>> [line for line in explorer.snapshot().splitlines() if line.startswith("x:")]
    ['x: downstream = local × upstream = 3 × 5 = 15']
    """

    def __init__(self, gate="add"):
        check_choice("GateExplorer", "gate", gate, GATES)
        values = {"x": 0.0, "y": 0.0, "upstream": 1.0, "upstream2": 1.0, **DEFAULTS[gate]}
        controls = {
            "gate": widgets.Dropdown(options=list(GATES), value=gate, description=text("gate.gate")),
            "x": _slider(values["x"], text("gate.input", name="x")),
            "y": _slider(values["y"], text("gate.input", name="y")),
            "upstream": _slider(values["upstream"], "upstream"),
            "upstream2": _slider(values["upstream2"], "upstream 2"),
        }
        self.graph = widgets.HTML()
        self.report, self.digraph = None, None
        inputs = widgets.VBox([controls["x"], controls["y"]])
        upstreams = widgets.VBox([controls["upstream"], controls["upstream2"]])
        header = widgets.HBox([controls["gate"], inputs, upstreams])
        super().__init__(controls, views=[self.graph], header=header)

    def _on_change(self, change):
        if change["owner"] is self.controls["gate"] and change["new"] in DEFAULTS:
            with self.paused():  # load the gate's example, then draw once
                for name, value in DEFAULTS[change["new"]].items():
                    self.controls[name].value = value
            return
        super()._on_change(change)

    def render(self):
        values = {name: control.value for name, control in self.controls.items()}
        self.controls["y"].disabled = values["gate"] not in TWO_INPUTS
        self.controls["upstream2"].disabled = values["gate"] != "copy"
        self.report = gate_report(**values)
        self.digraph = draw(self.report.output)
        self.graph.value = to_html(self.digraph)
        return self.report.lines

    def snapshot(self):
        """The explanation lines, then the DOT source of the graph."""
        if self.report is None:
            return ""
        return "\n".join([f"gate: {self.report.gate}", *self.lines, "graph (DOT source):", self.digraph.source])
