"""BackwardStepper: walk through a backward pass one node at a time, with the chain rule of each step.

Step 0 is the graph right after the forward pass (values only). Step k
(1 ≤ k ≤ n) is the graph after k backward steps: ``draw(y, step=k - 1)``
highlights the node just processed, colours what is done and what is still to
come, and writes "local × up = down" on its edges; the text spells out the same
arithmetic and the gradients gathered so far. The graph itself is never
changed: one :func:`~backpropnb.trace.replay` per graph replays the steps
without writing ``.grad``, and moving to another step runs only the steps not
run yet. A graph of any size works: its drawing is summarised (long chains folded).

>>> y = build_example(EXAMPLES[0])
>>> step_lines(replay(y), 2)[:2]
['step 2 of 2: q = x + y', '  upstream    df/dq = -4']
"""

from __future__ import annotations

import contextlib

import ipywidgets as widgets
import numpy as np

from backpropnb.i18n import text
from backpropnb.lecture import XYZ, neuron_values
from backpropnb.lecture import named as _named
from backpropnb.ops import REGISTRY
from backpropnb.render.graph import draw, format_array, gate_symbol, geometry_of, to_html, with_geometry
from backpropnb.render.svg import COLUMN_PX, PX_PER_PT, svg_size
from backpropnb.trace import replay
from backpropnb.widgets.base import Explorer

from .. import engine

EXAMPLES = ("f = (x + y) · z", "sigmoid neuron (primitive gates)", "sigmoid neuron (fused σ)")
CUSTOM = "your graph"
_KEYS = dict(zip(EXAMPLES, ("f_xyz", "neuron_gates", "neuron_fused")))  # the examples' keys in the i18n tables


def _option(name):
    """An example in the dropdown: its English name is its value; another language shows its own label.

    >>> _option(EXAMPLES[0])
    'f = (x + y) · z'
    """
    label = text("stepper.examples." + _KEYS.get(name, "custom"))
    return name if label == name else (label, name)


def _neuron_inputs():
    """The lecture's sigmoid neuron: w = [2, -3, -3], x = [-1, -2]."""
    return {name: engine.tensor(value, name=name) for name, value in neuron_values().items()}


def _neuron_dot(t):
    p0, p1 = _named(t["w0"] * t["x0"], "p0"), _named(t["w1"] * t["x1"], "p1")
    return _named(_named(p0 + p1, "q") + t["w2"], "z")  # z = w0·x0 + w1·x1 + w2 = 1, the input of σ


def build_example(name):
    """A fresh graph for one of the built-in examples (its output; backward not run).

    >>> f = build_example("f = (x + y) · z"); float(f.data)
    -12.0
    >>> round(float(build_example("sigmoid neuron (primitive gates)").data), 4)
    0.7311
    """
    if name == EXAMPLES[0]:
        x, y, z = (engine.tensor(v, name=n) for n, v in XYZ.items())
        return _named(_named(x + y, "q") * z, "f")
    if name == EXAMPLES[1]:
        z = _neuron_dot(_neuron_inputs())
        negated = _named(-z, "n")
        a = _named(1 + _named(negated.exp(), "e"), "a")
        return _named(1 / a, "f")  # σ(z) = 1/(1 + e^-z), gate by gate
    if name == EXAMPLES[2]:
        return _named(_neuron_dot(_neuron_inputs()).sigmoid(), "f")
    raise ValueError(f"BackwardStepper: unknown example {name!r}; pick one of {list(EXAMPLES)}")


def replay_of(y):
    """The replay the stepper shows for ``y``, refused now (with the reason) if it cannot be replayed.

    >>> x = engine.tensor(3.0); r = replay_of(x * x)
    >>> len(r), x.grad is None
    (1, True)
    """
    if not isinstance(y, engine.Tensor):
        raise TypeError(f"BackwardStepper: y must be a backpropnb Tensor (a graph's output), got {type(y).__name__}")
    return replay(y, caller="BackwardStepper")


def label(node, output):
    """How the text calls a node: its name, a constant's value, or its gate symbol in brackets.

    The output of an unnamed graph reads as a loss, L.

    >>> x = engine.tensor(2.0, name="x"); y = x * 3
    >>> label(x, y), label(y.parents[1], y), label(y, y), label(x + 1, y)
    ('x', '3', 'L', '[+1]')
    """
    if node.name:
        return node.name
    if node is output:
        return "L"
    if node.op is None:
        return format_array(node.data) if not node.requires_grad else text("stepper.leaf")
    return f"[{gate_symbol(node)}]"


def expression(node, output):
    """The node's operation written with its inputs' labels.

    >>> x, y = engine.tensor(1.0, name="x"), engine.tensor(2.0, name="y")
    >>> q = x + y; expression(q, q), expression(x.exp(), q)
    ('x + y', 'exp(x)')
    """
    names = [label(p, output) for p in node.parents]
    if node.op in REGISTRY:
        return REGISTRY[node.op].write(names, node.params)
    return f"{gate_symbol(node)}({', '.join(names)})"  # a custom gate


def _arithmetic(step, output):
    """The upstream, local and downstream lines of one step."""
    me, out, up = label(step.node, output), label(output, output), format_array(step.upstream)
    local, downstream, constants = [], [], []
    for i, parent in enumerate(step.node.parents):
        name = label(parent, output)
        if step.downstream[i] is None:
            constants.append(text("stepper.constant", name=name))
            continue
        if step.local is None:
            downstream.append(f"d{out}/d{name} = {format_array(step.downstream[i])}")
            continue
        local.append(f"d{me}/d{name} = {format_array(step.local[i])}")
        downstream.append(f"d{out}/d{name} = {format_array(step.local[i])} × {up} = {format_array(step.downstream[i])}")
    if step.local is None:
        local = [text("stepper.local_not_shown", me=me, shape=step.node.shape)]
    return [
        f"  upstream    d{out}/d{me} = {up}" + (text("stepper.seed") if step.node is output else ""),
        "  local       " + (", ".join(local) or text("stepper.local_none")),
        "  downstream  " + ", ".join(downstream + constants) + "   (downstream = local × upstream)",
    ]


def leaves_in_reading_order(y):
    """The leaves of y's graph as the formula reads them, left to right (a depth-first walk, no recursion).

    >>> x, y, z = (engine.tensor(1.0, name=n) for n in "xyz")
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


MAX_LEAVES = 8  # leaves listed in "gradients so far"; a big graph's others are counted


def _gradients_so_far(r, k, leaves):
    """One line with the gradient every leaf has received after step k (0-based), or none yet."""
    if k < 0 or not leaves:
        return text("stepper.gradients_none") if leaves else text("stepper.no_inputs")
    parts = []
    for leaf in leaves[:MAX_LEAVES]:
        grad = r.received(leaf, k)
        parts.append(f"{label(leaf, r.output)} = {'…' if grad is None else format_array(grad)}")
    if len(leaves) > MAX_LEAVES:
        parts.append(text("stepper.more_inputs", count=f"{len(leaves) - MAX_LEAVES:,}"))
    return text("stepper.gradients_so_far", parts=", ".join(parts))


def step_lines(r, k, leaves=None):
    """The text for step ``k`` (0 = forward pass done, k = after k backward steps) of the replay ``r``.

    ``leaves`` are the inputs whose gradients are listed (by default every
    input that needs a gradient, in reading order).

    >>> y = build_example(EXAMPLES[0]); lines = step_lines(replay(y), 2)
    >>> lines[2]
    '  local       dq/dx = 1, dq/dy = 1'
    >>> lines[4]
    'gradients so far: x = -4, y = -4, z = 3'
    """
    y, n = r.output, len(r)
    if leaves is None:
        leaves = [node for node in leaves_in_reading_order(y) if node.requires_grad]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"BackwardStepper: step {k!r} is out of range; this graph has steps 0 to {n}")
    out = label(y, y)
    if k == 0:
        start = text("stepper.starts_at", out=out) if n else text("stepper.nothing")
        return [text("stepper.forward_done", total=n, out=out, value=format_array(y.data), start=start)]
    step = r.step(k - 1)
    head = text("stepper.step_of", step=k, total=n) + f": {label(step.node, y)} = {expression(step.node, y)}"
    lines = [head, *_arithmetic(step, y), _gradients_so_far(r, k - 1, leaves)]
    if k == n:
        lines.append(done_line(len(leaves), out))
    return lines


def done_line(inputs, out="L"):
    """The closing line of the last step: the backward pass is over and every gradient is in place.

    >>> done_line(3, "f")
    'backward pass complete: every gradient is in place (df/d· of all 3 inputs); reset starts again'
    """
    what = text("stepper.done_one", out=out) if inputs == 1 else text("stepper.done_all", out=out, inputs=inputs)
    return text("stepper.done", what=what)


LONG = 1000  # steps beyond which the stepper does not replay the whole pass up front
MAX_HEIGHT_PX = 480  # a tall graph is folded and shrunk towards this, so the current node stays on a laptop screen
MAX_COLUMNS = 3  # columns a tall graph may be folded into
EVERY_STEP = 40  # up to this many steps, the layout is judged from every step's picture


def orientation(r):
    """How the stepper lays a graph out: (direction, scale, columns), the same at every step.

    Left to right if that fits the column, else the output on top ("BT"):
    the backward pass then runs down the page, from the buttons towards the
    inputs. A picture still taller than MAX_HEIGHT_PX is folded into two (or
    three) side-by-side columns (see :func:`~backpropnb.render.graph.in_columns`)
    as long as they fit the notebook column, and shrunk towards MAX_HEIGHT_PX
    (text stays 11 px or more): at a 1280×800 window the node being processed
    stays on screen without scrolling. All three are decided once per graph,
    so that the picture neither flips nor zooms between steps: from every
    step's picture for a small graph (each step labels other edges, so each
    is laid out a little differently), from the last one (most labels) for
    a big graph.

    >>> orientation(replay(build_example(EXAMPLES[0])))
    ('LR', 1.0, 1)
    >>> rankdir, scale, columns = orientation(replay(build_example(EXAMPLES[1])))
    >>> from backpropnb.render.svg import MIN_SCALE
    >>> rankdir, columns, scale >= MIN_SCALE
    ('BT', 3, True)
    """
    # the last step labels every edge, so it is the widest picture; a huge graph is judged by its first
    last = len(r) - 1 if len(r) <= LONG else 0
    widest = draw(r.output, step=last, replay=r) if len(r) else draw(r.output)
    rankdir = widest.graph_attr["rankdir"]
    try:
        if rankdir != "TB":
            return rankdir, _scale([widest]), 1
        final = last + 1 if len(r) else 0
        steps = [k for k in range(len(r) + 1) if k != final] if len(r) <= EVERY_STEP else []
        columns, pictures = 1, [draw_step(r, final, ("BT", None, 1))]  # the last step alone: a quick first look
        while True:
            folded = None
            if columns < MAX_COLUMNS and _height_px(pictures) > MAX_HEIGHT_PX + 0.5:
                folded = [draw_step(r, final, ("BT", None, columns + 1))]
                if _width_px(folded) > COLUMN_PX + 0.5:
                    folded = None  # too wide to fold once more
                elif len(pictures) == 1:
                    columns, pictures = columns + 1, folded  # too tall even at the last step: fold, look again
                    continue
            if len(pictures) == 1:  # settled by the quick look: now judge by every step's picture
                pictures += [draw_step(r, k, ("BT", None, columns)) for k in steps]
                if steps:
                    continue
            if folded is not None:  # some step is too tall, and one more column still fits the notebook
                columns, pictures = columns + 1, folded
                continue
            return "BT", _scale(pictures), columns
    except Exception:  # no dot: the drawings show their source anyway
        return ("BT" if rankdir == "TB" else rankdir), 1.0, 1


def _height_px(pictures):
    return max(svg_size(p.natural_svg())[1] for p in pictures) * PX_PER_PT * _scale(pictures)


def _width_px(pictures):
    return max(svg_size(p.natural_svg())[0] for p in pictures) * PX_PER_PT * _scale(pictures)


def _scale(pictures):
    """The one scale that fits every picture into the column and towards MAX_HEIGHT_PX (never below MIN_SCALE)."""
    for picture in pictures:
        picture.fixed_scale, picture.max_height_px = None, MAX_HEIGHT_PX
    return min(picture.scale() for picture in pictures)


def draw_step(r, k, how=("auto", None, 1), geometry=None):
    """The drawing for step ``k`` of the replay ``r``: values only at step 0, else ``draw(y, step=k - 1)``.

    ``how`` is (rankdir, scale, columns), as :func:`orientation` gives it;
    ``geometry`` (from :func:`steady`) gives every step's boxes and labels one
    size, so that the nodes stay put from step to step.

    >>> "local 1 × up -4<BR/>= -4" in draw_step(replay(build_example(EXAMPLES[0])), 2).source
    True
    """
    rankdir, scale, columns = how
    if rankdir == "auto":
        columns = 1
    if k == 0:
        digraph = draw(r.output, show=("value",), rankdir=rankdir, columns=columns)
    else:
        digraph = draw(r.output, step=k - 1, replay=r, rankdir=rankdir, columns=columns)
    if geometry is not None:
        with_geometry(digraph, geometry)
    digraph.max_height_px = MAX_HEIGHT_PX
    digraph.fixed_scale = scale
    return digraph


def steady(r, how):
    """One layout for every step of the replay ``r``: (how with its scale for that layout, the geometry).

    Every step's drawing gets each box and edge label at its largest size over
    all the steps (:func:`~backpropnb.render.graph.one_geometry`), so dot puts
    each node in the same place at every step; the scale is then that of one
    picture, the same for all.

    >>> r = replay(build_example(EXAMPLES[0])); how, geometry = steady(r, orientation(r))
    >>> a, b = (draw_step(r, k, how, geometry) for k in (1, 2))
    >>> [line.split(" [")[0] for line in a.body] == [line.split(" [")[0] for line in b.body]
    True
    """
    rankdir, scale, columns = how
    geometry = geometry_of(draw_step(r, k, how) for k in range(len(r) + 1))
    with contextlib.suppress(Exception):  # no dot: the drawings show their source anyway
        scale = _scale([draw_step(r, len(r), how, geometry)])
    return (rankdir, scale, columns), geometry


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
        self._replays, self._hows = {}, {}
        if y is not None:
            self._replays[CUSTOM] = replay_of(y)  # a graph the stepper cannot replay is refused now
            self._graphs[CUSTOM] = y
        chosen = EXAMPLES[0] if y is None else CUSTOM
        controls = {
            # as wide as its longest option, so that "sigmoid neuron (primitive gates)" is never cut
            "example": widgets.Dropdown(
                options=[_option(name) for name in self._graphs],
                value=chosen,
                description=text("stepper.example"),
                layout=widgets.Layout(width="max-content"),
            ),
            "step": widgets.IntSlider(value=0, min=0, max=0, description=text("stepper.step")),
        }
        self.play = widgets.Play(value=0, min=0, max=0, interval=1200, description=text("stepper.play"))
        widgets.link((self.play, "value"), (controls["step"], "value"))
        self.next_button = widgets.Button(description=text("stepper.next"), icon="step-forward")
        self.reset_button = widgets.Button(description=text("stepper.reset"), icon="undo")
        self.next_button.on_click(lambda _: self.next())
        self.reset_button.on_click(lambda _: self.reset())
        self.graph = widgets.HTML()
        self.y, self.replay, self.leaves, self.digraph = None, None, [], None
        self.how = ("LR", None, 1)  # the layout direction, scale and columns of the graph shown
        self.geometry = None  # the sizes that keep its nodes in place from step to step
        self._load(chosen, controls)
        buttons = widgets.HBox([self.play, self.reset_button, self.next_button])
        super().__init__(controls, views=[buttons, self.graph])

    def _load(self, name, controls):
        """Switch to a graph: its replay (made once per graph) and the slider's range (step back to 0)."""
        if self._graphs[name] is None:
            self._graphs[name] = build_example(name)
        self.y = self._graphs[name]
        if name not in self._replays:
            self._replays[name] = replay_of(self.y)
        self.replay = self._replays[name]
        if name not in self._hows:  # laid out once per graph, not on every switch back
            self._hows[name] = steady(self.replay, orientation(self.replay))
        self.how, self.geometry = self._hows[name]
        self.leaves = [node for node in leaves_in_reading_order(self.y) if node.requires_grad]
        for control in (controls["step"], self.play):
            control.value = 0  # first, so that lowering max never clamps a stale value
            control.max = len(self.replay)

    def _on_change(self, change):
        if change["owner"] is self.controls["example"]:
            with self.paused():
                self._load(change["new"], self.controls)
            return
        super()._on_change(change)

    def next(self):
        """One backward step further (stays at the last step, where ``next_button`` is disabled)."""
        step = self.controls["step"]
        step.value = min(step.value + 1, step.max)

    def reset(self):
        """Back to step 0, the graph right after the forward pass."""
        self.play.playing = False
        self.controls["step"].value = 0

    def render(self):
        k = self.controls["step"].value
        self.next_button.disabled = k >= len(self.replay)  # the last step: nothing is left to do
        self.digraph = draw_step(self.replay, k, self.how, self.geometry)
        self.graph.value = to_html(self.digraph)
        return step_lines(self.replay, k, self.leaves)

    def snapshot(self):
        """The example, the chain-rule lines of the current step, then the DOT source of the graph."""
        source = "" if self.digraph is None else self.digraph.source
        return "\n".join([f"example: {self.controls['example'].value}", *self.lines, "graph (DOT source):", source])
