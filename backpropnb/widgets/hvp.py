"""HVPExplorer: curvature of a 2-D function, and H·v three ways.

Pick a function, a point and a direction v. The explorer draws the contour
plot with the gradient, v and H·v; classifies the curvature from the Hessian's
eigenvalues; and computes H·v by double backprop (``backpropnb.hvp``), with the
explicit Hessian (``backpropnb.hessian(f)(x) @ v``) and as a finite difference
of gradients, to show that they agree.

>>> report = hvp_report("bowl", (1.0, 1.0), (1.0, 0.0))
>>> report["gradient"].tolist(), report["eigenvalues"].tolist(), report["verdict"]
([2.0, 2.0], [2.0, 2.0], 'minimum-like (bowl)')
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

import backpropnb
from backpropnb.finite_differences import central_difference
from backpropnb.lecture import bowl, rosenbrock, saddle
from backpropnb.render.plots import plot_contour_hvp
from backpropnb.widgets.base import Explorer, check_choice, check_range, figure_png, fmt

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
        return "minimum-like (bowl)"
    if np.all(eigenvalues < -small):
        return "maximum-like (upside-down bowl)"
    if np.any(eigenvalues > small) and np.any(eigenvalues < -small):
        return "saddle"
    return "flat in some direction (an eigenvalue is 0: the test says nothing there)"


def finite_difference_hvp(f, point, v, eps=1e-6):
    """H·v as the central difference of gradients (∇f(x + εv) − ∇f(x − εv)) / 2ε.

    >>> finite_difference_hvp(bowl, np.array([1.0, 1.0]), np.array([1.0, 0.0])).round(6).tolist()
    [2.0, 0.0]
    """
    return central_difference(backpropnb.grad(f), point, v, eps)


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
    hessian = backpropnb.hessian(f)(point)
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)  # H is symmetric
    ways = {
        "hvp_double_backprop": backpropnb.hvp(f)(point, v),
        "hvp_hessian": hessian @ v,
        "hvp_finite_difference": finite_difference_hvp(f, point, v),
    }
    stacked = np.stack(list(ways.values()))
    with backpropnb.no_grad():
        value = float(f(backpropnb.tensor(point)).data)
    return {
        "function": function,
        "point": point,
        "v": v,
        "value": value,
        "gradient": backpropnb.grad(f)(point),
        "hessian": hessian,
        "eigenvalues": eigenvalues,
        "eigenvectors": eigenvectors,
        "verdict": curvature_verdict(eigenvalues),
        **ways,
        "max_difference": float(np.abs(stacked - stacked[0]).max()),
    }


def _vector(values):
    return "(" + ", ".join(fmt(x) for x in np.ravel(values)) + ")"


def report_lines(report):
    """The explanation lines of the HVPExplorer for one report, as text.

    >>> report_lines(hvp_report("bowl", (1.0, 1.0), (1.0, 0.0)))[1]
    'f = 2 at (x, y) = (1, 1), direction v = (1, 0)'
    """
    label, _, _, names = FUNCTIONS[report["function"]]
    H = report["hessian"]
    lines = [
        f"function: {label}",
        f"f = {fmt(report['value'])} at ({names[0]}, {names[1]}) = {_vector(report['point'])}, "
        f"direction v = {_vector(report['v'])}",
        f"gradient ∇f = {_vector(report['gradient'])}",
        f"Hessian H = [[{fmt(H[0, 0])}, {fmt(H[0, 1])}], [{fmt(H[1, 0])}, {fmt(H[1, 1])}]]",
        f"eigenvalues of H: {', '.join(fmt(e) for e in report['eigenvalues'])} -> {report['verdict']}",
    ]
    if np.abs(report["gradient"]).max() > 1e-9:
        lines.append("(the gradient is not zero here: this describes the curvature, not a critical point)")
    lines += [
        f"H·v by double backprop, hvp(f)(x, v):  {_vector(report['hvp_double_backprop'])}",
        f"H·v with the explicit Hessian, H @ v:  {_vector(report['hvp_hessian'])}",
        f"H·v as a finite difference of grads:   {_vector(report['hvp_finite_difference'])}",
        f"largest difference between the three: {report['max_difference']:.1e}",
    ]
    return lines


def plot_lines(data):
    """The numbers the contour plot draws, as text lines (read from ``figure.backpropnb_data``)."""
    bounds = ", ".join(fmt(b) for b in data["bounds"])
    scale = data["arrow_scale"]
    return [
        f"plot: contours over (x0, x1, y0, y1) = ({bounds}), values {fmt(data['z_range'][0])} to {fmt(data['z_range'][1])}",
        f"plot arrows at {_vector(data['point'])}: gradient {_vector(data['gradient'])}, v {_vector(data['v'])}, "
        f"H·v {_vector(data['hvp'])}; " + ("directions only" if scale is None else f"drawn ×{fmt(scale)}"),
    ]


def _two_numbers(name, values):
    """The two coordinates of a point or a direction, or the explorer's ValueError."""
    if np.shape(values) != (2,):
        raise ValueError(f"HVPExplorer: {name} must be two numbers (x, y), got {values!r}")
    return tuple(values)


class HVPExplorer(Explorer):
    """Contour plot, Hessian eigenvalues and H·v three ways for a 2-D function.

    Controls: ``function`` (bowl, saddle, rosenbrock, neuron), ``x``, ``y`` (the
    point) and ``vx``, ``vy`` (the direction v).

    >>> explorer = HVPExplorer()
    >>> explorer.controls["function"].value = "saddle"
    >>> [line for line in explorer.snapshot().splitlines() if line.startswith("eigenvalues")]
    ['eigenvalues of H: -2, 2 -> saddle']
    """

    def __init__(self, function="bowl", point=(1.0, 1.0), v=(1.0, 0.0)):
        check_choice("HVPExplorer", "function", function, list(FUNCTIONS))
        for name, value in zip(("x", "y", "vx", "vy"), _two_numbers("point", point) + _two_numbers("v", v)):
            check_range("HVPExplorer", name, value, -2.0, 2.0)
        options = [(label, name) for name, (label, *_rest) in FUNCTIONS.items()]
        slider = dict(min=-2.0, max=2.0, step=0.1, continuous_update=False, readout_format=".1f")
        controls = {
            "function": widgets.Dropdown(options=options, value=function, description="function"),
            "x": widgets.FloatSlider(value=point[0], description="x", **slider),
            "y": widgets.FloatSlider(value=point[1], description="y", **slider),
            "vx": widgets.FloatSlider(value=v[0], description="v_x", **slider),
            "vy": widgets.FloatSlider(value=v[1], description="v_y", **slider),
        }
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="460px"))
        sliders = widgets.VBox([controls[name] for name in ("x", "y", "vx", "vy")])
        super().__init__(controls, header=widgets.HBox([self.plot, widgets.VBox([controls["function"], sliders])]))

    def render(self):
        values = {name: control.value for name, control in self.controls.items()}
        name = values["function"]
        point, v = (values["x"], values["y"]), (values["vx"], values["vy"])
        report = hvp_report(name, point, v)
        _, f, bounds, labels = FUNCTIONS[name]
        figure = plot_contour_hvp(f, point, v, bounds=bounds, labels=labels)
        self.plot.value = figure_png(figure)
        return report_lines(report) + plot_lines(figure.backpropnb_data)
