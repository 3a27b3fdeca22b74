"""GateExplorer: one gate, its inputs and its upstream gradient; watch "downstream = local × upstream".

The lecture's four gate patterns, plus the fused sigmoid: the add gate
distributes the upstream gradient, the mul gate swaps its inputs, the max gate
routes the gradient to the larger input, and the copy gate (one value used
twice) adds the gradients coming back from its branches. Every number comes
from the engine: the gate is built as a small graph, backward runs with the
chosen upstream gradient, and :func:`~backpropnb.trace_backward` supplies the
local and downstream gradients.

>>> report = gate_report("mul", x=2.0, y=3.0, upstream=5.0)
>>> report.lines[3:5]
['x: downstream = local × upstream = 3 × 5 = 15', 'y: downstream = local × upstream = 2 × 5 = 10']
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

import backpropnb
from backpropnb.render.graph import draw, to_html
from backpropnb.widgets.base import PRE_STYLE, Explorer, fmt

GATES = ("add", "mul", "max", "copy", "sigmoid")
TWO_INPUTS = ("add", "mul", "max")  # copy and sigmoid read x only

# The lecture's gate examples (CURRICULUM.md section 1), set whenever the gate changes.
DEFAULTS = {
    "add": {"x": 3.0, "y": 4.0, "upstream": 2.0},  # both inputs get 2
    "mul": {"x": 2.0, "y": 3.0, "upstream": 5.0},  # x gets 3·5 = 15, y gets 2·5 = 10
    "max": {"x": 4.0, "y": 5.0, "upstream": 9.0},  # y is larger: y gets 9, x gets 0
    "copy": {"x": 7.0, "upstream": 2.0, "upstream2": 4.0},  # x gets 2 + 4 = 6
    "sigmoid": {"x": 1.0, "upstream": 1.0},  # s = 0.7311, local (1 - s)s = 0.1966
}
SLIDER_RANGE = {"min": -10.0, "max": 10.0, "step": 0.1}

RULES = {
    "add": "add gate distributes: the local gradient of each input is 1, so both get the upstream unchanged.",
    "mul": "mul gate swaps: the local gradient of each input is the other input.",
    "max": "max gate routes: the larger input has local gradient 1 and takes the whole upstream, "
    "the other gets 0 (a tie goes to x).",
    "copy": "copy gate adds: x is used twice, so the gradients coming back from both branches are summed.",
    "sigmoid": "sigmoid gate, one fused node: its local gradient is (1 - s)·s, written with its own output s.",
}


class Copy(backpropnb.Function):
    """One branch of the copy gate: passes its input on unchanged, and its gradient back unchanged.

    >>> x = backpropnb.tensor(7.0); branch = Copy.apply(x); branch.backward(np.array(2.0))
    >>> float(branch.data), float(x.grad)
    (7.0, 2.0)
    """

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
    output: backpropnb.Tensor  # the tensor to draw; its .grad is the upstream gradient
    inputs: dict  # name -> input Tensor, whose .grad is the downstream gradient
    lines: list


def build_gate(gate, x, y):
    """The gate as an engine graph: (output, inputs); copy gives two branches stacked into one output.

    >>> output, inputs = build_gate("add", 3.0, 4.0)
    >>> float(output.data), sorted(inputs)
    (7.0, ['x', 'y'])
    """
    if gate not in GATES:
        raise ValueError(f"GateExplorer: unknown gate {gate!r}; pick one of {list(GATES)}")
    xs = backpropnb.tensor(float(x), name="x")
    if gate == "sigmoid":
        return _named(xs.sigmoid(), "s"), {"x": xs}
    if gate == "copy":
        branches = [_named(Copy.apply(xs), f"branch {i}") for i in (1, 2)]
        return _named(backpropnb.stack(branches), "both branches"), {"x": xs}
    ys = backpropnb.tensor(float(y), name="y")
    output = {"add": lambda: xs + ys, "mul": lambda: xs * ys, "max": lambda: backpropnb.maximum(xs, ys)}[gate]()
    return _named(output, "z"), {"x": xs, "y": ys}


def _named(t, name):
    t.name = name
    return t


def gate_report(gate, x, y=0.0, upstream=1.0, upstream2=0.0):
    """Build ``gate`` on inputs x (and y), run backward with the upstream gradient(s), explain each input.

    ``upstream2`` is the upstream of the copy gate's second branch; the other
    gates ignore it, and copy and sigmoid ignore ``y``.

    >>> report = gate_report("copy", x=7.0, upstream=2.0, upstream2=4.0)
    >>> float(report.inputs["x"].grad), report.lines[-1]
    (6.0, 'x: downstream = local × upstream, summed over both branches = 1 × 2 + 1 × 4 = 6')
    """
    output, inputs = build_gate(gate, x, y)
    seed = np.array([upstream, upstream2], dtype=float) if gate == "copy" else np.array(float(upstream))
    steps = backpropnb.trace_backward(output, seed)
    lines = [forward_line(gate, output, inputs), RULES[gate], upstream_line(gate, upstream, upstream2)]
    lines += [input_line(name, tensor, steps) for name, tensor in inputs.items()]
    if gate == "sigmoid":
        s = float(output.data)
        lines.insert(2, f"local ds/dx = (1 - s)·s = (1 - {fmt(s)}) × {fmt(s)} = {fmt((1 - s) * s)}")
    return GateReport(gate, output, inputs, lines)


def forward_line(gate, output, inputs):
    """The forward pass of the gate in numbers.

    >>> output, inputs = build_gate("max", 4.0, 5.0)
    >>> forward_line("max", output, inputs)
    'forward: z = max(x, y) = max(4, 5) = 5'
    """
    x = fmt(inputs["x"].data)
    if gate == "copy":
        return f"forward: x = {x} is copied into branch 1 = {x} and branch 2 = {x}"
    if gate == "sigmoid":
        return f"forward: s = σ(x) = 1/(1 + e^-x) = σ({x}) = {fmt(output.data)}"
    y, z = fmt(inputs["y"].data), fmt(output.data)
    if gate == "max":
        return f"forward: z = max(x, y) = max({x}, {y}) = {z}"
    symbol = {"add": "+", "mul": "×"}[gate]
    return f"forward: z = x {symbol} y = {x} {symbol} {y} = {z}"


def upstream_line(gate, upstream, upstream2):
    """Where the upstream gradient(s) come from.

    >>> upstream_line("mul", 5.0, 0.0)
    'upstream dL/dz = 5'
    """
    if gate == "copy":
        return f"upstream: branch 1 receives {fmt(upstream)}, branch 2 receives {fmt(upstream2)}"
    return f"upstream dL/d{'s' if gate == 'sigmoid' else 'z'} = {fmt(upstream)}"


def input_line(name, tensor, steps):
    """ "downstream = local × upstream" for one input, summed over every gate that used it.

    >>> x, y = backpropnb.tensor(2.0), backpropnb.tensor(3.0)
    >>> input_line("x", x, backpropnb.trace_backward(x * y, np.array(5.0)))
    'x: downstream = local × upstream = 3 × 5 = 15'
    """
    terms = [
        f"{fmt(step.local[i])} × {fmt(step.upstream)}"
        for step in sorted(steps, key=lambda step: step.node.name or "")  # branch 1 before branch 2
        for i, parent in enumerate(step.node.parents)
        if parent is tensor and step.local is not None
    ]
    rule = "local × upstream" if len(terms) == 1 else "local × upstream, summed over both branches"
    return f"{name}: downstream = {rule} = {' + '.join(terms)} = {fmt(tensor.grad)}"


def _slider(name, value, description):
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
        super().__init__()
        values = {"x": 0.0, "y": 0.0, "upstream": 1.0, "upstream2": 1.0, **DEFAULTS.get(gate, {})}
        controls = {
            "gate": widgets.Dropdown(options=list(GATES), value=gate, description="gate"),
            "x": _slider("x", values["x"], "input x"),
            "y": _slider("y", values["y"], "input y"),
            "upstream": _slider("upstream", values["upstream"], "upstream"),
            "upstream2": _slider("upstream2", values["upstream2"], "upstream 2"),
        }
        self.graph = widgets.HTML()
        self.text = widgets.HTML()
        self.report, self.digraph = None, None
        self._wire(controls)
        inputs = widgets.VBox([controls["x"], controls["y"]])
        upstreams = widgets.VBox([controls["upstream"], controls["upstream2"]])
        self.children = [widgets.HBox([controls["gate"], inputs, upstreams]), self.graph, self.text, self.error_area]

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
        self.text.value = f"<pre style='{PRE_STYLE}'>" + html.escape("\n".join(self.report.lines)) + "</pre>"

    def snapshot(self):
        """The explanation lines, then the DOT source of the graph."""
        if self.report is None:
            return ""
        return "\n".join([f"gate: {self.report.gate}", *self.report.lines, "graph (DOT source):", self.digraph.source])
