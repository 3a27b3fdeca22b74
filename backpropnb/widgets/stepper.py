"""BackwardStepper: walk through a backward pass one node at a time, with the chain rule of each step.

Step 0 is the graph right after the forward pass (values only). Step k
(1 ≤ k ≤ n) is the graph after k backward steps: ``draw(y, step=k - 1)``
highlights the node just processed, colours what is done and what is still to
come, and writes "local × up = down" on its edges; the text spells out the same
arithmetic and the gradients gathered so far. The graph itself is never
changed: the steps are replayed without writing ``.grad``.

>>> y = build_example(EXAMPLES[0])
>>> step_lines(y, backward_plan(y), 2)[:2]
['step 2 of 2: q = x + y', '  upstream    df/dq = -4']
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

import backpropnb
from backpropnb.lecture import XYZ, neuron_values
from backpropnb.lecture import named as _named
from backpropnb.ops import REGISTRY
from backpropnb.render.graph import backward_steps, draw, format_array, freeze, gate_symbol, to_html, walk
from backpropnb.widgets.base import Explorer, fmt

EXAMPLES = ("f = (x + y) · z", "sigmoid neuron (primitive gates)", "sigmoid neuron (fused σ)")
CUSTOM = "your graph"

# How a node's operation reads in the text; anything else reads as symbol(inputs).


def _neuron_inputs():
    """The lecture's sigmoid neuron: w = [2, -3, -3], x = [-1, -2]."""
    return {name: backpropnb.tensor(value, name=name) for name, value in neuron_values().items()}


def _neuron_dot(t):
    p0, p1 = _named(t["w0"] * t["x0"], "p0"), _named(t["w1"] * t["x1"], "p1")
    return _named(_named(p0 + p1, "s") + t["w2"], "d")  # d = w0·x0 + w1·x1 + w2 = 1


def build_example(name):
    """A fresh graph for one of the built-in examples (its output; backward not run).

    >>> f = build_example("f = (x + y) · z"); float(f.data)
    -12.0
    >>> round(float(build_example("sigmoid neuron (primitive gates)").data), 4)
    0.7311
    """
    if name == EXAMPLES[0]:
        x, y, z = (backpropnb.tensor(v, name=n) for n, v in XYZ.items())
        return _named(_named(x + y, "q") * z, "f")
    if name == EXAMPLES[1]:
        d = _neuron_dot(_neuron_inputs())
        negated = _named(-d, "n")
        a = _named(1 + _named(negated.exp(), "e"), "a")
        return _named(1 / a, "f")  # σ(d) = 1/(1 + e^-d), gate by gate
    if name == EXAMPLES[2]:
        return _named(_neuron_dot(_neuron_inputs()).sigmoid(), "f")
    raise ValueError(f"BackwardStepper: unknown example {name!r}; pick one of {list(EXAMPLES)}")


def _seed(y):
    """The upstream gradient the pass starts from: 1 for a scalar, else the stored y.grad."""
    if y.ndim == 0:
        return None
    if y.grad is None:
        raise ValueError(
            f"BackwardStepper: y has shape {y.shape}, not a scalar, so the backward pass needs a starting "
            f"gradient; call y.backward(grad) first (the stepper replays it from y.grad) or pass y.sum()"
        )
    return np.array(getattr(y.grad, "data", y.grad))


def backward_plan(y):
    """The backward steps of ``y`` (node, upstream, local, downstream), computed without writing ``.grad``.

    >>> x = backpropnb.tensor(3.0); plan = backward_plan(x * x)
    >>> len(plan), x.grad is None
    (1, True)
    """
    if not isinstance(y, backpropnb.Tensor):
        raise TypeError(f"BackwardStepper: y must be a backpropnb Tensor (a graph's output), got {type(y).__name__}")
    return backward_steps(y, _seed(y), with_local=True) if y.requires_grad else []


def node_labels(y):
    """{id(node): how the text calls it}: its name, a constant's value, or its gate symbol in brackets.

    >>> x = backpropnb.tensor(2.0, name="x"); y = x * 3
    >>> sorted(node_labels(y).values())
    ['3', 'L', 'x']
    """
    labels = {}
    drawn = walk(y).nodes
    folded = [p for node in drawn for p in node.parents if not p.requires_grad]  # constants drawn inside gates
    for node in drawn + folded:
        if node.name:
            labels[id(node)] = node.name
        elif node.op is None:
            labels[id(node)] = format_array(node.data) if not node.requires_grad else "leaf"
        else:
            labels[id(node)] = f"[{gate_symbol(node)}]"
    if not y.name:
        labels[id(y)] = "L"  # the output of an unnamed graph reads as a loss
    return labels


def expression(node, labels):
    """The node's operation written with its inputs' labels.

    >>> x, y = backpropnb.tensor(1.0, name="x"), backpropnb.tensor(2.0, name="y")
    >>> q = x + y; expression(q, node_labels(q)), expression(x.exp(), {id(x): "x"})
    ('x + y', 'exp(x)')
    """
    names = [labels.get(id(p), "…") for p in node.parents]
    if node.op in REGISTRY:
        return REGISTRY[node.op].write(names, node.params)
    return f"{gate_symbol(node)}({', '.join(names)})"  # a custom gate


def _arithmetic(step, labels, out):
    """The upstream, local and downstream lines of one step."""
    me, up = labels[id(step.node)], format_array(step.upstream)
    local, downstream, constants = [], [], []
    for i, parent in enumerate(step.node.parents):
        name = labels.get(id(parent), "…")
        if step.downstream[i] is None:
            constants.append(f"(the constant {name} gets no gradient)")
            continue
        if step.local is None:
            downstream.append(f"d{out}/d{name} = {format_array(step.downstream[i])}")
            continue
        local.append(f"d{me}/d{name} = {fmt(step.local[i])}")
        downstream.append(f"d{out}/d{name} = {fmt(step.local[i])} × {up} = {format_array(step.downstream[i])}")
    if step.local is None:
        local = [f"not shown: {me} has shape {step.node.shape}; the vector-Jacobian product is applied directly"]
    return [
        f"  upstream    d{out}/d{me} = {up}"
        + (" (the seed: the output's gradient with respect to itself)" if me == out else ""),
        "  local       " + (", ".join(local) or "none (all inputs are constants)"),
        "  downstream  " + ", ".join(downstream + constants) + "   (downstream = local × upstream)",
    ]


def leaves_in_reading_order(y):
    """The leaves of y's graph as the formula reads them, left to right (a depth-first walk, no recursion).

    >>> x, y, z = (backpropnb.tensor(1.0, name=n) for n in "xyz")
    >>> [leaf.name for leaf in leaves_in_reading_order((x + y) * z)]
    ['x', 'y', 'z']
    """
    leaves, seen, stack = [], set(), [y]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.op is None:
            leaves.append(node)
        stack.extend(reversed(node.parents))  # reversed, so the first input is visited first
    return leaves


def _gradients_so_far(y, k, labels):
    """One line with the gradient every leaf has received after step k (0-based), or none yet."""
    leaves = [node for node in leaves_in_reading_order(y) if node.requires_grad]
    if k < 0 or not leaves:
        return "gradients so far: none yet" if leaves else "no inputs need a gradient"
    grads = freeze(y, k).grads
    parts = [f"{labels[id(leaf)]} = {format_array(grads[id(leaf)]) if id(leaf) in grads else '…'}" for leaf in leaves]
    return "gradients so far: " + ", ".join(parts)


def step_lines(y, steps, k):
    """The text for step ``k`` (0 = forward pass done, k = after k backward steps) of ``y``'s backward pass.

    >>> y = build_example(EXAMPLES[0]); lines = step_lines(y, backward_plan(y), 2)
    >>> lines[2]
    '  local       dq/dx = 1, dq/dy = 1'
    >>> lines[4]
    'gradients so far: x = -4, y = -4, z = 3'
    """
    n = len(steps)
    if not 0 <= k <= n:
        raise ValueError(f"BackwardStepper: step {k} is out of range; this graph has steps 0 to {n}")
    labels = node_labels(y)
    out = labels[id(y)]
    if k == 0:
        start = f"next: the backward pass starts at {out} with d{out}/d{out} = 1" if n else "nothing to backpropagate"
        return [f"step 0 of {n}: forward pass done, {out} = {format_array(y.data)}; {start}"]
    step = steps[k - 1]
    head = f"step {k} of {n}: {labels[id(step.node)]} = {expression(step.node, labels)}"
    return [head, *_arithmetic(step, labels, out), _gradients_so_far(y, k - 1, labels)]


def draw_step(y, k):
    """The drawing for step ``k``: values only at step 0, else ``draw(y, step=k - 1)``.

    >>> "local 1 × up -4 = -4" in draw_step(build_example(EXAMPLES[0]), 2).source
    True
    """
    return draw(y, show=("value",)) if k == 0 else draw(y, step=k - 1)


class BackwardStepper(Explorer):
    """Step through the backward pass of a graph: the built-in examples or your own ``y``.

    Controls: ``example`` and ``step`` (0 = after the forward pass, k = after
    k backward steps); ``play`` steps on its own, ``next_button`` and
    ``reset_button`` step by hand. ``y`` is never changed: no ``.grad`` is written.

    >>> stepper = BackwardStepper()
    >>> stepper.controls["step"].value = 2
    >>> stepper.snapshot().splitlines()[:2]
    ['example: f = (x + y) · z', 'step 2 of 2: q = x + y']
    """

    def __init__(self, y=None):
        self._graphs = {name: None for name in EXAMPLES}
        if y is not None:
            backward_plan(y)  # a graph the stepper cannot replay is refused now, with the reason
            self._graphs[CUSTOM] = y
        chosen = EXAMPLES[0] if y is None else CUSTOM
        controls = {
            "example": widgets.Dropdown(options=list(self._graphs), value=chosen, description="example"),
            "step": widgets.IntSlider(value=0, min=0, max=0, description="step"),
        }
        self.play = widgets.Play(value=0, min=0, max=0, interval=1200, description="play")
        widgets.link((self.play, "value"), (controls["step"], "value"))
        self.next_button = widgets.Button(description="next step", icon="step-forward")
        self.reset_button = widgets.Button(description="reset", icon="undo")
        self.next_button.on_click(lambda _: self.next())
        self.reset_button.on_click(lambda _: self.reset())
        self.graph = widgets.HTML()
        self.y, self.steps, self.digraph = None, [], None
        self._load(chosen, controls)
        buttons = widgets.HBox([self.play, self.reset_button, self.next_button])
        super().__init__(controls, views=[buttons, self.graph])

    def _load(self, name, controls):
        """Switch to a graph: plan its steps and set the slider's range (step back to 0)."""
        if self._graphs[name] is None:
            self._graphs[name] = build_example(name)
        self.y = self._graphs[name]
        self.steps = backward_plan(self.y)
        for control in (controls["step"], self.play):
            control.value = 0  # first, so that lowering max never clamps a stale value
            control.max = len(self.steps)

    def _on_change(self, change):
        if change["owner"] is self.controls["example"]:
            with self.paused():
                self._load(change["new"], self.controls)
            return
        super()._on_change(change)

    def next(self):
        """One backward step further (stays at the last step)."""
        step = self.controls["step"]
        step.value = min(step.value + 1, step.max)

    def reset(self):
        """Back to step 0, the graph right after the forward pass."""
        self.play.playing = False
        self.controls["step"].value = 0

    def render(self):
        k = self.controls["step"].value
        self.digraph = draw_step(self.y, k)
        self.graph.value = to_html(self.digraph)
        return step_lines(self.y, self.steps, k)

    def snapshot(self):
        """The example, the chain-rule lines of the current step, then the DOT source of the graph."""
        source = "" if self.digraph is None else self.digraph.source
        return "\n".join([f"example: {self.controls['example'].value}", *self.lines, "graph (DOT source):", source])
