"""How fast is a drawing of a graph of any size? Run by hand: ``.venv/bin/python benchmarks/drawing.py``.

Each row times, on a freshly built graph (building it is not timed):

- ``draw + SVG``: ``to_html(draw(y))``, the walk, the folding or summary, the
  labels and Graphviz's layout, as ``bp.draw(y)`` shows it in a notebook: the
  first call on the graph ("cold", the walk included) and the median of the
  next ones ("again": the walk and folding are kept while the graph lives);
- ``draw(step=5)``: the same at backward step 5, replay included;
- ``stepper step``: one "next step" of a ``BackwardStepper`` already showing
  the graph (the replay and the layout are kept; only the new step is run).

Graphs: a chain ``w = w * 1.001`` (folded into one node with a count), a chain
of tanh neurons (folded as "n × [×, +, tanh]"), a sum of products (no chain:
summarised to ``MAX_NODES`` values and a note) and a 784-512-512-10 MLP built
from arrays (a handful of tensor nodes). Sizes count values, leaves included.
Targets from issue 12: draw + SVG under 1 s up to 100,000 nodes and under 10 s
at 1,000,000; draw(step=k) and a stepper step on the 100,000-node chain under 1 s.

This is not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import backpropnb as bp
from backpropnb.render import draw, to_html
from backpropnb.render.layout import walk
from backpropnb.widgets.stepper import BackwardStepper


def chain(count):
    """w = z · 1.001 · 0.999 · 1.001 ⋯ with ``count`` values (the constants are drawn inside their gates)."""
    w = bp.tensor(1.0, name="z")
    for i in range(count - 1):
        w = w * (1.001 if i % 2 else 0.999)
    return w


def neurons(count):
    """A chain of tanh neurons, five values each (w, b, w·y, w·y + b, tanh)."""
    y = bp.tensor(0.5, name="x")
    for i in range((count - 1 + 4) // 5):
        y = (bp.tensor(0.3, name=f"w{i}") * y + bp.tensor(-0.2, name=f"b{i}")).tanh()
    return y


def products(count):
    """w0·x0 + w1·x1 + ⋯ with about ``count`` values: every gate has two gate-made inputs, nothing folds."""
    terms = max(1, (count + 1) // 4)
    total = bp.tensor(1.0, name="w0") * bp.tensor(2.0, name="x0")
    for i in range(1, terms):
        total = total + bp.tensor(1.0, name=f"w{i}") * bp.tensor(2.0, name=f"x{i}")
    return total


def mlp(_count=None):
    """A 784-512-512-10 ReLU MLP with cross-entropy, batch 32: a few tensor nodes."""
    rng = np.random.default_rng(0)
    x = bp.tensor(rng.normal(size=(32, 784)), name="X", requires_grad=False)
    h = x
    for i, (n_in, n_out) in enumerate([(784, 512), (512, 512), (512, 10)]):
        W = bp.tensor(rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), name=f"W{i + 1}")
        b = bp.tensor(np.zeros(n_out), name=f"b{i + 1}")
        h = h @ W + b
        h = h.relu() if i < 2 else h
    return bp.cross_entropy(h, rng.integers(0, 10, size=32))


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stepper_step(y, repeat):
    """Median time of one "next step" of a BackwardStepper showing y (built and shown first, not timed)."""
    stepper = BackwardStepper(y)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        stepper.next()
        times.append(time.perf_counter() - start)
    if stepper.last_error is not None:
        raise RuntimeError(f"BackwardStepper failed: {stepper.last_error!r}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median; default 3)")
    parser.add_argument("--largest", type=int, default=1_000_000, help="the largest size (default 1,000,000)")
    args = parser.parse_args()
    sizes = [n for n in (10, 1_000, 100_000, 1_000_000) if n <= args.largest]
    print(f"{'graph':<20} {'values':>10} {'drawn':>6} {'cold s':>7} {'again s':>8} {'step=5 s':>9} {'stepper s':>10}")
    for name, build, grows in (
        ("chain w·1.001", chain, True),
        ("tanh neurons", neurons, True),
        ("sum of products", products, True),
        ("MLP 784-512-512-10", mlp, False),
    ):
        for count in sizes if grows else [None]:
            y = build(count)
            y.backward() if y.ndim == 0 else None

            cold = timed(lambda: to_html(draw(y)), 1)  # noqa: B023 - timed at once
            show = timed(lambda: to_html(draw(y)), args.repeat)  # noqa: B023
            k = min(5, len(bp.replay(y)) - 1)
            at_5 = timed(lambda: to_html(draw(y, step=k)), args.repeat)  # noqa: B023
            step = stepper_step(y, args.repeat) if count is None or count <= 100_000 else float("nan")
            layout = walk(y)
            total, drawn = layout.total, len(layout.nodes)
            print(f"{name:<20} {total:>10,} {drawn:>6} {cold:>7.3f} {show:>8.3f} {at_5:>9.3f} {step:>10.3f}")


if __name__ == "__main__":
    main()
