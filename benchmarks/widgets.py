"""How fast do the explorers re-render? Run by hand: ``.venv/bin/python benchmarks/widgets.py``.

Each row sets one control's value ``--repeat`` times (alternating between two
values, so every assignment is a real change and re-renders synchronously,
graph layout by ``dot`` included) and prints the median and the slowest time
per change. The target: under 100 ms for a graph of up to 30 nodes.
Every explorer has its rows: a new explorer adds one here.

This is not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import time

import backpropnb
from backpropnb.render.graph import walk
from backpropnb.widgets.gate import GateExplorer
from backpropnb.widgets.hvp import HVPExplorer
from backpropnb.widgets.jacobian import JacobianExplorer
from backpropnb.widgets.stepper import EXAMPLES, BackwardStepper


def graph_with_nodes(count):
    """A scalar graph (a chain of small tanh neurons) with at least ``count`` values."""
    y = backpropnb.tensor(0.5, name="x")
    i = 0
    while len(walk(y).nodes) < count:
        w, b = backpropnb.tensor(0.3 + 0.1 * i, name=f"w{i}"), backpropnb.tensor(-0.2, name=f"b{i}")
        y = (w * y + b).tanh()
        i += 1
    y.name = "out"
    return y


def time_changes(explorer, name, values, repeat, clock=time.perf_counter):
    """Per-change seconds of setting ``explorer.controls[name].value`` to alternating ``values``.

    ``clock=time.process_time`` counts this process's CPU time instead of the wall clock: on a
    machine busy with other work it estimates what the change costs on a quiet one.
    """
    control = explorer.controls[name]
    control.value = values[0]
    times = []
    for i in range(repeat):
        start = clock()
        control.value = values[(i + 1) % len(values)]
        times.append(clock() - start)
    if explorer.last_error is not None:
        raise RuntimeError(f"{type(explorer).__name__} failed while re-rendering: {explorer.last_error!r}")
    return times


def stepper_on(y):
    stepper = BackwardStepper(y)
    return stepper, list(range(1, stepper.controls["step"].max + 1))


def cases():
    """(label, nodes, explorer, control, values) for every row of the table."""
    rows = []
    for gate, control in (("mul", "x"), ("copy", "upstream2"), ("sigmoid", "x")):
        rows.append((f"GateExplorer {gate}", "≤ 4", GateExplorer(gate=gate), control, [1.0, -2.5]))
    for example in EXAMPLES:
        stepper = BackwardStepper()
        stepper.controls["example"].value = example
        nodes = len(walk(stepper.y).nodes)
        steps = list(range(1, stepper.controls["step"].max + 1))
        rows.append((f"BackwardStepper {example}", nodes, stepper, "step", steps))
    y = graph_with_nodes(30)
    stepper, steps = stepper_on(y)
    rows.append(("BackwardStepper tanh chain", len(walk(y).nodes), stepper, "step", steps))
    rows.append(("BackwardStepper tanh chain (step 0)", len(walk(y).nodes), stepper, "step", [0, steps[-1]]))
    # Each (op, n) is computed, drawn and timed once: a new n costs all of it, a setting seen before nothing.
    rows.append(("JacobianExplorer relu, a new n each time", "n = 2…64", JacobianExplorer(), "n", list(range(2, 65))))
    rows.append(("JacobianExplorer relu, n seen before", "n = 8/16", JacobianExplorer(), "n", [8, 16]))
    rows.append(("JacobianExplorer op", "n = 8", JacobianExplorer(), "op", ["relu", "softmax", "matmul W"]))
    # The contours are drawn once per function; moving the point repaints the arrows only.
    rows.append(("HVPExplorer bowl", "2-D", HVPExplorer(), "x", [0.5, -0.5, 1.5]))
    rows.append(("HVPExplorer Rosenbrock", "2-D", HVPExplorer(function="rosenbrock"), "x", [0.5, -0.5, 1.5]))
    rows.append(("HVPExplorer function", "2-D", HVPExplorer(), "function", None))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="changes per row (default 30)")
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process instead of wall time")
    parser.add_argument("--only", default="", help="only rows whose label contains this text")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    print(f"{'explorer':<52} {'control':<10} {'nodes':>9} {'median ms':>10} {'max ms':>8}")
    for label, nodes, explorer, name, values in cases():
        if args.only not in label:
            continue
        if values is None:  # a dropdown: every option in turn (options may be (label, value) pairs)
            values = [o[1] if isinstance(o, tuple) else o for o in explorer.controls[name].options]
        times = time_changes(explorer, name, values, args.repeat, clock)
        median, worst = statistics.median(times) * 1e3, max(times) * 1e3
        print(f"{label:<52} {name:<10} {nodes!s:>9} {median:>10.1f} {worst:>8.1f}")


if __name__ == "__main__":
    main()
