"""JacobianExplorer: the explicit Jacobian of a layer next to the vector-Jacobian product that replaces it.

Pick an op and a width n. The explorer builds the explicit n × n Jacobian
(``functional.jacobian``, one VJP per output) on a fixed random input, draws it,
counts its zeros, and compares its bytes and build time with one VJP
(``functional.vjp``). It then does the same arithmetic for the 4096-wide layer
with a batch of 100 of the lecture, from the formula alone.

>>> report = jacobian_report("relu", np.array([1.0, 3.0, -2.0, 4.0]), timings=False)
>>> report["jacobian"].tolist()
[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np

from backpropnb.formatting import dtype_name, format_bytes, format_number, format_share
from backpropnb.i18n import text
from backpropnb.lecture import LAYER_BATCH as REFERENCE_BATCH
from backpropnb.lecture import LAYER_WIDTH as REFERENCE_WIDTH
from backpropnb.lecture import jacobian_memory
from backpropnb.render.jacobians import plot_jacobian
from backpropnb.render.png import png_bytes, png_size
from backpropnb.widgets.base import Explorer, check_choice, check_range

from .. import functional

OPS = ("relu", "sigmoid", "matmul W", "softmax")
TIMINGS_HEADER = "--- timings (measured the first time this op and n are shown; they vary from run to run) ---"
# (the English header; the explorer shows text("jacobian.timings.header"), the same words in the language in use)


def fixed_weights(n):
    """The fixed n × n matrix W of the "matmul W" op (seeded, so every run shows the same W).

    >>> fixed_weights(3).shape
    (3, 3)
    """
    return np.random.default_rng(1).normal(size=(n, n)) / np.sqrt(n)


def fixed_input(n):
    """The seeded input x of width n that the explorer differentiates at.

    >>> fixed_input(3).round(3).tolist()
    [0.126, -0.132, 0.64]
    """
    return np.random.default_rng(0).normal(size=n)


def layer(op, n):
    """The function x -> y of the chosen op, for inputs whose last axis has width n.

    >>> from backpropnb import tensor
    >>> float(layer("relu", 2)(tensor([-1.0, 2.0])).sum().data)
    2.0
    """
    if op == "relu":
        return lambda x: x.relu()
    if op == "sigmoid":
        return lambda x: x.sigmoid()
    if op == "softmax":
        return lambda x: x.softmax(axis=-1)
    if op == "matmul W":
        W = fixed_weights(n)
        return lambda x: x @ W.T  # y = W x for each row x
    raise ValueError(f"JacobianExplorer: unknown op {op!r}; pick one of {list(OPS)}")


def _best_time(action, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def measure_times(op, x):
    """Seconds to build the explicit Jacobian of ``op`` at ``x`` and to run one VJP (best of a few runs)."""
    f = layer(op, x.size)
    upstream = np.ones_like(x)
    explicit = _best_time(lambda: functional.jacobian(f)(x), 2)
    vjp = _best_time(lambda: functional.vjp(f, x)[1](upstream), 5)
    return {"explicit_seconds": explicit, "vjp_seconds": vjp}


_REFERENCE_VJP_SECONDS = {}


def reference_vjp_seconds(op):
    """Seconds for one VJP of ``op`` on the 4096-wide layer with a batch of 100 (float64), measured once per op.

    Elementwise ops are measured at full size (a 100 × 4096 batch is only 3.3 MB).
    For "matmul W" the 4096 × 4096 W would take 134 MB, so the time is measured at
    width 512 and scaled by (4096 / 512)², the ratio of the work of the two products.
    """
    if op not in _REFERENCE_VJP_SECONDS:
        width = 512 if op == "matmul W" else REFERENCE_WIDTH
        x = np.random.default_rng(0).normal(size=(REFERENCE_BATCH, width))
        f = layer(op, width)
        seconds = _best_time(lambda: functional.vjp(f, x)[1](np.ones_like(x)), 3)
        _REFERENCE_VJP_SECONDS[op] = seconds * (REFERENCE_WIDTH / width) ** 2
    return _REFERENCE_VJP_SECONDS[op]


def jacobian_report(op, x, *, timings=True):
    """Everything the JacobianExplorer shows for ``op`` at input ``x`` (a 1-D array).

    Keys: op, x, output, jacobian (n × n), zeros, sparsity, explicit_bytes and
    vjp_bytes at this n (float64), reference (``jacobian_memory`` of the
    4096 × 100 layer for float32 and float64), and with ``timings=True`` the
    measured seconds (explicit_seconds, vjp_seconds, reference_vjp_seconds,
    reference_explicit_seconds = one VJP per row of the big Jacobian).

    >>> jacobian_report("relu", np.array([1.0, 3.0, -2.0, 4.0]), timings=False)["zeros"]
    13
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"JacobianExplorer: x must be a nonempty 1-D array, got shape {x.shape}")
    f = layer(op, x.size)
    y, _ = functional.vjp(f, x)
    J = functional.jacobian(f)(x)
    report = {
        "op": op,
        "x": x,
        "output": y,
        "jacobian": J,
        "zeros": int(np.count_nonzero(J == 0)),
        "sparsity": float(np.mean(J == 0)),
        "explicit_bytes": J.nbytes,
        "vjp_bytes": 2 * x.nbytes,  # the upstream vector in, the downstream vector out
        "reference": {b: jacobian_memory(REFERENCE_WIDTH, REFERENCE_BATCH, b) for b in (4, 8)},
    }
    if timings:
        report.update(measure_times(op, x))
        rows = REFERENCE_WIDTH * REFERENCE_BATCH
        report["reference_vjp_seconds"] = reference_vjp_seconds(op)
        report["reference_explicit_seconds"] = rows * report["reference_vjp_seconds"]
    return report


def format_seconds(seconds):
    """A duration with 3 significant digits in a unit a person reads at a glance.

    >>> format_seconds(0.00042), format_seconds(95.0), format_seconds(7200.0)
    ('420 µs', '1.58 min', '2 h')
    """
    for unit, size in (("h", 3600), ("min", 60), ("s", 1), ("ms", 1e-3)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds / 1e-6:.3g} µs"


def _vector(values, limit=8):
    values = np.ravel(values)
    shown = ", ".join(format_number(v) for v in values[:limit])
    return f"({shown}{', …' if values.size > limit else ''})"


def report_lines(report):
    """The explanation lines (no timings) of the JacobianExplorer for one report.

    >>> report_lines(jacobian_report("relu", np.array([1.0, 3.0, -2.0, 4.0]), timings=False))[2]
    'Jacobian J = dy/dx: 4 × 4, 13 of 16 entries are zero (81.25%)'
    """
    n = report["x"].size
    side = REFERENCE_WIDTH * REFERENCE_BATCH
    ref = report["reference"]
    explicit = ", ".join(
        text("jacobian.bytes_in", size=format_bytes(ref[b]["explicit_bytes"]), dtype=dtype_name(b)) for b in (4, 8)
    )
    implicit = ", ".join(
        text("jacobian.bytes_in", size=format_bytes(ref[b]["implicit_bytes"]), dtype=dtype_name(b)) for b in (4, 8)
    )
    return [
        text("jacobian.line.input", op=report["op"], n=n, x=_vector(report["x"])),
        text("jacobian.line.output", y=_vector(report["output"])),
        text(
            "jacobian.line.zeros",
            n=n,
            zeros=report["zeros"],
            entries=n * n,
            share=format_share(report["sparsity"]),
        ),
        coupling_line(report["jacobian"]),
        text(
            "jacobian.line.memory",
            n=n,
            explicit=format_bytes(report["explicit_bytes"]),
            entries=n * n,
            vjp=format_bytes(report["vjp_bytes"]),
        ),
        text(
            "jacobian.line.reference",
            width=REFERENCE_WIDTH,
            batch=REFERENCE_BATCH,
            side=f"{side:,}",
            entries=f"{ref[4]['entries']:,}",
        ),
        text("jacobian.line.explicit", sizes=explicit),
        text("jacobian.line.vjp", side=f"{side:,}", sizes=implicit),
    ]


def coupling_line(J):
    """How many outputs depend on other inputs: the nonzero entries off the diagonal, and how large they are.

    A heat map can make small entries look like zeros; this line says which they are.

    >>> coupling_line(np.diag([1.0, 0.0]))
    'off the diagonal: 0 of 2 entries are nonzero: each output depends on its own input only'
    >>> coupling_line(np.array([[0.25, -0.01], [-0.01, 0.25]]))
    'off the diagonal: 2 of 2 entries are nonzero (largest |J_ij| = 0.01, on the diagonal 0.25): every output depends on every input'
    """
    J = np.asarray(J)
    off = J[~np.eye(J.shape[0], dtype=bool)]
    count = int(np.count_nonzero(off))
    head = text("jacobian.off.head", count=count, size=off.size)
    if count == 0:
        return head + text("jacobian.off.own")
    diagonal = np.abs(np.diag(J)).max()
    every = text("jacobian.off.every") if count == off.size else text("jacobian.off.some")
    largest, diagonal = format_number(np.abs(off).max()), format_number(diagonal)
    return head + text("jacobian.off.largest", largest=largest, diagonal=diagonal, every=every)


def timing_lines(report):
    """The measured times of one report, as text lines (they change from run to run)."""
    rows = REFERENCE_WIDTH * REFERENCE_BATCH
    n = report["x"].size
    return [
        text("jacobian.timings.header"),
        text(
            "jacobian.timings.here",
            n=n,
            explicit=format_seconds(report["explicit_seconds"]),
            vjp=format_seconds(report["vjp_seconds"]),
        ),
        text(
            "jacobian.timings.reference",
            width=REFERENCE_WIDTH,
            batch=REFERENCE_BATCH,
            vjp=format_seconds(report["reference_vjp_seconds"]),
            scaled=text("jacobian.timings.scaled") if report["op"] == "matmul W" else "",
            rows=f"{rows:,}",
            explicit=format_seconds(report["reference_explicit_seconds"]),
        ),
    ]


def matrix_lines(J):
    """The numbers of the heat map, one row of J per line (4 significant digits)."""
    return [text("jacobian.heat_map")] + ["  " + " ".join(format_number(v) for v in row) for row in np.asarray(J)]


class JacobianExplorer(Explorer):
    """Explicit Jacobian versus VJP for relu, sigmoid, a fixed matrix W and softmax.

    Controls: ``op`` (relu, sigmoid, matmul W, softmax) and ``n`` (the width).
    Each (op, n) is computed, drawn and timed once; coming back to it shows the
    same picture and the same measured times at once.
    ``snapshot(timings=False)`` leaves out the measured times.

    >>> explorer = JacobianExplorer()
    >>> explorer.controls["n"].value = 4
    >>> explorer.snapshot(timings=False).splitlines()[2]
    'Jacobian J = dy/dx: 4 × 4, 13 of 16 entries are zero (81.25%)'
    """

    def __init__(self, op="relu", n=8):
        check_choice("JacobianExplorer", "op", op, OPS)
        check_range("JacobianExplorer", "n", n, 2, 64)
        controls = {
            "op": widgets.Dropdown(options=list(OPS), value=op, description=text("jacobian.op")),
            "n": widgets.IntSlider(value=n, min=2, max=64, description=text("jacobian.width"), continuous_update=False),
        }
        self.heat_map = widgets.Image(format="png")
        self._shown = {}  # (op, n) -> (png, lines, timing lines): computed, drawn and timed once
        self._lines, self._timings = [], []
        super().__init__(controls, views=[widgets.HBox([self.heat_map])])

    def _setting(self, op, n):
        if (op, n) not in self._shown:
            report = jacobian_report(op, fixed_input(n))
            figure = plot_jacobian(report["jacobian"], title=text("jacobian.title", op=op, n=n))
            lines = report_lines(report) + matrix_lines(figure.backpropnb_data["matrix"])
            self._shown[op, n] = (png_bytes(figure), lines, timing_lines(report))
        return self._shown[op, n]

    def render(self):
        op, n = self.controls["op"].value, self.controls["n"].value
        png, self._lines, self._timings = self._setting(op, n)
        width, height = png_size(png)
        self.heat_map.layout.width = f"{width}px"  # one image pixel per screen pixel: never stretched
        self.heat_map.value = png
        return self._lines[: len(self._lines) - n - 1] + self._timings

    def snapshot(self, timings=True):
        """Everything shown plus the numbers of the heat map; the measured times come last, after TIMINGS_HEADER."""
        return "\n".join(self._lines + (self._timings if timings else []))
