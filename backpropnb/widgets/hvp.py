"""HVPExplorer: curvature of a 2-D function, and H·v three ways.

Pick a function, a point and a direction v. The explorer draws the contour
plot with the gradient, v and H·v; classifies the curvature from the Hessian's
eigenvalues; and computes H·v by double backprop (backpropagating through
grad(f)(x) · v, which gives the numbers ``functional.hvp`` gives), with the
explicit Hessian (``functional.hessian(f)(x) @ v``) and as a finite difference
of gradients, to show that they agree.

>>> report = hvp_report("bowl", (1.0, 1.0), (1.0, 0.0))
>>> report["gradient"].tolist(), report["eigenvalues"].tolist(), report["verdict"]
([2.0, 2.0], [2.0, 2.0], 'minimum-like (bowl)')
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from backpropnb.finite_differences import central_difference
from backpropnb.formatting import format_number
from backpropnb.i18n import text
from backpropnb.lecture import bowl, rosenbrock, saddle
from backpropnb.render.plots import ContourHVP
from backpropnb.render.png import png_size
from backpropnb.widgets.base import Explorer, check_choice, check_range

from .. import engine, functional

# A tiny fixed dataset for the neuron: inputs and 0/1 targets (one point on the
# "wrong" side keeps the loss from having a minimum at infinity).
NEURON_INPUTS = np.array([-2.0, -1.0, 0.5, 1.0, 2.5])
NEURON_TARGETS = np.array([0.0, 0.0, 1.0, 0.0, 1.0])


# Like the lecture's bowl, saddle and Rosenbrock, it takes p whose first axis has length 2
# (p[0] = w, p[1] = b), so it works on one point and on a whole grid at once (shape (2, H, W)).
def neuron_loss(p):
    """Mean squared error of sigmoid(w·x + b) on the tiny dataset, as a function of (w, b) = (p[0], p[1])."""
    w, b = p[0], p[1]
    w, b = w.reshape(w.shape + (1,)), b.reshape(b.shape + (1,))  # one more axis for the data points
    prediction = (w * NEURON_INPUTS + b).sigmoid()
    return ((prediction - NEURON_TARGETS) ** 2).mean(axis=-1)


# value -> (label in the dropdown, function, plot bounds (x0, x1, y0, y1), names of the two coordinates)
FUNCTIONS = {
    "bowl": ("bowl x² + y²", bowl, (-2.5, 2.5, -2.5, 2.5), ("x", "y")),
    "saddle": ("saddle x² − y²", saddle, (-2.5, 2.5, -2.5, 2.5), ("x", "y")),
    "rosenbrock": ("Rosenbrock (1−x)² + 100(y−x²)²", rosenbrock, (-2.5, 2.5, -2.5, 2.5), ("x", "y")),
    "neuron": ("neuron loss: MSE of σ(w·x + b), point = (w, b)", neuron_loss, (-4.0, 4.0, -4.0, 4.0), ("w", "b")),
}


def function_label(name):
    """The function's label in the dropdown, in the current language.

    >>> function_label("bowl")
    'bowl x² + y²'
    """
    if name not in FUNCTIONS:
        raise ValueError(f"HVPExplorer: unknown function {name!r}; pick one of {sorted(FUNCTIONS)}")
    return text(f"hvp.functions.{name}")


def _function(name):
    if name not in FUNCTIONS:
        raise ValueError(f"HVPExplorer: unknown function {name!r}; pick one of {sorted(FUNCTIONS)}")
    return FUNCTIONS[name][1]


def curvature_verdict(eigenvalues, tolerance=1e-9):
    """What the signs of the Hessian's eigenvalues say about the curvature.

    >>> curvature_verdict([2.0, -2.0])
    'saddle'
    """
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    small = tolerance * max(1.0, float(np.abs(eigenvalues).max()))
    if np.all(eigenvalues > small):
        return text("hvp.verdict.minimum")
    if np.all(eigenvalues < -small):
        return text("hvp.verdict.maximum")
    if np.any(eigenvalues > small) and np.any(eigenvalues < -small):
        return text("hvp.verdict.saddle")
    return text("hvp.verdict.flat")


def finite_difference_hvp(f, point, v, eps=1e-6):
    """H·v as the central difference of gradients (∇f(x + εv) − ∇f(x − εv)) / 2ε.

    >>> finite_difference_hvp(bowl, np.array([1.0, 1.0]), np.array([1.0, 0.0])).round(6).tolist()
    [2.0, 0.0]
    """
    return central_difference(functional.grad(f), point, v, eps)


def double_backprop_hvp(f, point, v):
    """H·v by double backprop: the gradient of grad(f)(x) · v (bp.hvp gets the same numbers by forward mode).

    >>> double_backprop_hvp(bowl, np.array([1.0, 1.0]), np.array([1.0, 0.0])).tolist()
    [2.0, 0.0]
    """
    return functional.grad(lambda x: (functional.grad(f)(x) * v).sum())(point)


def hvp_report(function, point, v):
    """Everything the HVPExplorer shows about ``function`` (a name in FUNCTIONS) at ``point`` along ``v``.

    Returns a dict with value, gradient, hessian, eigenvalues, eigenvectors,
    verdict, the three H·v (``hvp_double_backprop``, ``hvp_hessian``,
    ``hvp_finite_difference``) and ``max_difference`` between them.

    >>> hvp_report("saddle", (1.0, 1.0), (1.0, 0.0))["eigenvalues"].tolist()
    [-2.0, 2.0]
    """
    f = _function(function)
    point, v = np.asarray(point, dtype=float), np.asarray(v, dtype=float)
    hessian = functional.hessian(f)(point)
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)  # H is symmetric
    ways = {
        "hvp_double_backprop": double_backprop_hvp(f, point, v),
        "hvp_hessian": hessian @ v,
        "hvp_finite_difference": finite_difference_hvp(f, point, v),
    }
    stacked = np.stack(list(ways.values()))
    with engine.no_grad():
        value = float(f(engine.tensor(point)).data)
    return {
        "function": function,
        "point": point,
        "v": v,
        "value": value,
        "gradient": functional.grad(f)(point),
        "hessian": hessian,
        "eigenvalues": eigenvalues,
        "eigenvectors": eigenvectors,
        "verdict": curvature_verdict(eigenvalues),
        **ways,
        "max_difference": float(np.abs(stacked - stacked[0]).max()),
    }


def _vector(values):
    return "(" + ", ".join(format_number(x) for x in np.ravel(values)) + ")"


def report_lines(report):
    """The explanation lines of the HVPExplorer for one report, as text.

    >>> report_lines(hvp_report("bowl", (1.0, 1.0), (1.0, 0.0)))[1]
    'f = 2 at (x, y) = (1, 1), direction v = (1, 0)'
    """
    _, _, _, names = FUNCTIONS[report["function"]]
    H = report["hessian"]
    lines = [
        text("hvp.line.function", label=function_label(report["function"])),
        text(
            "hvp.line.value",
            f=format_number(report["value"]),
            names=f"({names[0]}, {names[1]})",
            point=_vector(report["point"]),
            v=_vector(report["v"]),
        ),
        text("hvp.line.gradient", gradient=_vector(report["gradient"])),
        text(
            "hvp.line.hessian",
            matrix=f"[[{format_number(H[0, 0])}, {format_number(H[0, 1])}], "
            f"[{format_number(H[1, 0])}, {format_number(H[1, 1])}]]",
        ),
        text(
            "hvp.line.eigenvalues",
            eigenvalues=", ".join(format_number(e) for e in report["eigenvalues"]),
            verdict=report["verdict"],
        ),
    ]
    if np.abs(report["gradient"]).max() > 1e-9:
        lines.append(text("hvp.line.not_critical"))
    lines += [
        text("hvp.line.double_backprop", hv=_vector(report["hvp_double_backprop"])),
        text("hvp.line.explicit", hv=_vector(report["hvp_hessian"])),
        text("hvp.line.finite_difference", hv=_vector(report["hvp_finite_difference"])),
        text("hvp.line.difference", difference=f"{report['max_difference']:.1e}"),
    ]
    return lines


def arrow_sentence(data):
    """What the arrows on the plot are, in words (how long they are drawn included).

    >>> arrow_sentence({"arrow_scale": 0.5})
    'arrows: red ∇f, white v, orange H·v, all drawn at half their length so that they fit'
    """
    scale = data["arrow_scale"]
    if scale is None:
        size = text("hvp.arrows.directions")
    elif scale == 1:
        size = text("hvp.arrows.true")
    elif scale == 0.5:
        size = text("hvp.arrows.half")
    else:
        size = text("hvp.arrows.scaled", scale=format_number(scale))
    return text("hvp.arrows", size=size)


def plot_lines(data):
    """The numbers the contour plot draws, as text lines (read from ``figure.backpropnb_data``)."""
    bounds = ", ".join(format_number(b) for b in data["bounds"])
    scale = data["arrow_scale"]
    return [
        f"plot: contours over (x0, x1, y0, y1) = ({bounds}), values {format_number(data['z_range'][0])} to {format_number(data['z_range'][1])}",
        f"plot: colour levels {', '.join(format_number(level) for level in data['levels'])}",
        f"plot arrows at {_vector(data['point'])}: gradient {_vector(data['gradient'])}, v {_vector(data['v'])}, "
        f"H·v {_vector(data['hvp'])}; "
        + ("directions only" if scale is None else f"drawn ×{format_number(scale)}")
        + f"; bottom to top: {', '.join(data['arrow_order'])}",
    ]


def _two_numbers(name, values):
    """The two coordinates of a point or a direction, or the explorer's ValueError."""
    if np.shape(values) != (2,):
        raise ValueError(f"HVPExplorer: {name} must be two numbers (x, y), got {values!r}")
    return tuple(values)


class HVPExplorer(Explorer):
    """Contour plot, Hessian eigenvalues and H·v three ways for a 2-D function.

    Controls: ``function`` (bowl, saddle, rosenbrock, neuron), ``x``, ``y`` (the
    point) and ``vx``, ``vy`` (the direction v). The point's sliders are named
    after the function's coordinates (x and y, or w and b for the neuron) and
    span its plot. The contours of each function are drawn once and kept; a
    change of the point or of v repaints only the arrows.
    ``snapshot()`` adds the numbers the plot draws to the lines shown.

    >>> explorer = HVPExplorer()
    >>> explorer.controls["function"].value = "saddle"
    >>> [line for line in explorer.snapshot().splitlines() if line.startswith("eigenvalues")]
    ['eigenvalues of H: -2, 2 -> saddle']
    """

    def __init__(self, function="bowl", point=(1.0, 1.0), v=(1.0, 0.0)):
        check_choice("HVPExplorer", "function", function, list(FUNCTIONS))
        x0, x1, y0, y1 = FUNCTIONS[function][2]
        point, v = _two_numbers("point", point), _two_numbers("v", v)
        for name, value, (low, high) in zip(("x", "y"), point, ((x0, x1), (y0, y1))):
            check_range("HVPExplorer", name, value, low, high)
        for name, value in zip(("vx", "vy"), v):
            check_range("HVPExplorer", name, value, -2.0, 2.0)
        options = [(function_label(name), name) for name in FUNCTIONS]
        slider = dict(step=0.1, continuous_update=False, readout_format=".1f")
        controls = {
            "function": widgets.Dropdown(options=options, value=function, description=text("hvp.function")),
            "x": widgets.FloatSlider(value=point[0], min=x0, max=x1, **slider),
            "y": widgets.FloatSlider(value=point[1], min=y0, max=y1, **slider),
            "vx": widgets.FloatSlider(value=v[0], min=-2.0, max=2.0, description="v_x", **slider),
            "vy": widgets.FloatSlider(value=v[1], min=-2.0, max=2.0, description="v_y", **slider),
        }
        self._plots = {}  # (function, bounds) -> its ContourHVP, contours drawn once
        self._plot_lines = []
        self._configured = None
        self.plot = widgets.Image(format="png")
        sliders = widgets.VBox([controls[name] for name in ("x", "y", "vx", "vy")])
        super().__init__(controls, header=widgets.HBox([self.plot, widgets.VBox([controls["function"], sliders])]))

    def _configure_sliders(self, name):
        """Name the point's sliders after the function's coordinates and let them span its plot."""
        _, _, (x0, x1, y0, y1), labels = FUNCTIONS[name]
        self._paused += 1  # the clamped values below must not re-render: render() is running already
        try:
            for key, label, low, high in (("x", labels[0], x0, x1), ("y", labels[1], y0, y1)):
                control = self.controls[key]
                control.description = label
                if low > control.max:  # widen first, so that min never passes max
                    control.max = high
                    control.min = low
                else:
                    control.min = low
                    control.max = high
        finally:
            self._paused -= 1
        self._configured = name

    def _contour(self, name):
        _, f, bounds, labels = FUNCTIONS[name]
        key = (name, bounds)
        if key not in self._plots:
            self._plots[key] = ContourHVP(f, bounds, labels=labels)
        return self._plots[key]

    def render(self):
        values = {name: control.value for name, control in self.controls.items()}
        name = values["function"]
        if self._configured != name:
            self._configure_sliders(name)
            values["x"], values["y"] = self.controls["x"].value, self.controls["y"].value
        point, v = (values["x"], values["y"]), (values["vx"], values["vy"])
        report = hvp_report(name, point, v)
        plot = self._contour(name)
        figure = plot.draw(
            point, v, gradient=report["gradient"], hvp=report["hvp_double_backprop"], value=report["value"]
        )
        png = plot.png()
        self.plot.layout.width = f"{png_size(png)[0]}px"  # one image pixel per screen pixel: never stretched
        self.plot.value = png
        self._plot_lines = plot_lines(figure.backpropnb_data)
        return report_lines(report) + [arrow_sentence(figure.backpropnb_data)]

    def snapshot(self):
        """The lines shown, then the numbers the plot draws (contour range, levels, arrows)."""
        return "\n".join(self.lines + self._plot_lines)
