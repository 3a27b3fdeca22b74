"""NetworkPlayground: TensorFlow Playground inside Jupyter, with the backprop behind every step.

Pick a data set, the input features, the hidden layers, an activation and a
learning rate; press play and watch the decision boundary form, each neuron's
own map of the plane change, the losses fall and every layer's gradient norm
move. Switch ``mode`` to ``"backward"`` to see the weights' gradients on the
edges instead of the weights, and pick one weight to see how its gradient was
made: a sum over the batch of upstream × local, with the numbers, and one
example's backward pass as a graph to step through.

>>> pg = NetworkPlayground(dataset="xor", hidden=(4,), seed=0)
>>> loss = pg.step(50)
>>> len(pg.history), len(pg.gradient_norms())
(51, 2)
"""

from __future__ import annotations

import ipywidgets as widgets
import traitlets

from ..formatting import format_number
from ..i18n import text
from ..playground import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    MAX_LAYERS,
    Trainer,
    check_hidden,
    grid_activations,
)
from ..render.network import boundary_svg, curves_svg, network_svg, playground_figure
from ..render.png import png_bytes
from .base import Explorer

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
OWN = "own"
RESETTING = ("dataset", "features", "hidden", "activation", "noise", "train_fraction")  # a new network
LIVE = ("learning_rate", "batch_size", "regularization", "reg_rate")  # the next steps use the new value


class _Widths(traitlets.Unicode):
    """A text trait that also takes the widths as numbers: ``(4, 2)`` is stored as ``"4, 2"``."""

    def validate(self, obj, value):
        if not isinstance(value, str):
            value = ", ".join(str(w) for w in check_hidden("NetworkPlayground", value))
        return super().validate(obj, value)


class HiddenLayers(widgets.Text):
    """A text box for the hidden layers' widths, ``"4, 2"``; a tuple such as ``(4, 2)`` is accepted too.

    >>> box = HiddenLayers(value=(8, 8)); box.value
    '8, 8'
    """

    value = _Widths(help="the hidden layers' widths, e.g. '4, 2'").tag(sync=True)


def _options(values, given):
    """A dropdown's numbers with the one asked for added (so a rate such as 0.05 is never refused)."""
    return tuple(sorted({*values, float(given)}))


class NetworkPlayground(Explorer):
    """Train a small network on a 2-D data set and watch it learn, forward and backward.

    ``controls`` (a dict) holds ``dataset``, ``features``, ``hidden``,
    ``activation``, ``learning_rate``, ``batch_size``, ``regularization``,
    ``reg_rate``, ``noise``, ``train_fraction``, ``play``, ``step``, ``reset`` and
    ``mode``; ``weight`` and ``example`` pick the weight and the example that the
    derivation explains. ``step(n)`` trains n mini-batch steps and returns the
    training loss; ``history`` lists ``{step, train_loss, test_loss}``;
    ``gradient_norms()`` gives each layer's norm at the last step;
    ``explain_weight(layer, i, j)`` the derivation of that weight's last
    gradient; ``snapshot()`` a PNG of what it shows.

    >>> pg = NetworkPlayground(seed=1); _ = pg.step(3)
    >>> e = pg.explain_weight(0, 1, 2); bool(abs(e.total - pg.trainer.last.weight_grads[0][1, 2]) < 1e-12)
    True
    """

    def __init__(
        self,
        dataset="circle",
        hidden=(4, 2),
        activation="tanh",
        learning_rate=0.03,
        batch_size=10,
        regularization=None,
        reg_rate=0.0,
        noise=0.0,
        train_fraction=0.5,
        seed=0,
        X=None,
        y=None,
        features=("x1", "x2"),
    ):
        self.seed, self._own = seed, (X, y)
        # the trainer checks every argument and names what is wrong before a control could clamp it
        self.trainer = Trainer(
            dataset=dataset,
            hidden=hidden,
            activation=activation,
            learning_rate=learning_rate,
            batch_size=batch_size,
            regularization=regularization,
            reg_rate=reg_rate,
            noise=noise,
            train_fraction=train_fraction,
            seed=seed,
            X=X,
            y=y,
            features=features,
            where="NetworkPlayground",
        )
        wide = widgets.Layout(width="auto")
        datasets = (*DATASETS, OWN) if X is not None else DATASETS
        controls = {
            "dataset": widgets.Dropdown(
                options=datasets,
                value=self.trainer.dataset,
                description=text("playground.dataset"),
                layout=widgets.Layout(width="250px"),
            ),
            "features": widgets.SelectMultiple(
                options=FEATURES,
                value=self.trainer.features,
                rows=len(FEATURES),
                description=text("playground.features"),
                layout=widgets.Layout(width="250px"),
            ),
            "hidden": HiddenLayers(
                value=self.trainer.hidden,
                description=text("playground.hidden"),
                continuous_update=False,
                layout=widgets.Layout(width="250px"),
            ),
            "activation": widgets.Dropdown(
                options=ACTIVATIONS,
                value=activation,
                description=text("playground.activation"),
                layout=widgets.Layout(width="250px"),
            ),
            "learning_rate": widgets.Dropdown(
                options=_options(LEARNING_RATES, learning_rate),
                value=float(learning_rate),
                description=text("playground.learning_rate"),
                layout=widgets.Layout(width="250px"),
            ),
            "batch_size": widgets.IntSlider(
                value=batch_size,
                min=1,
                max=30,
                description=text("playground.batch_size"),
                layout=widgets.Layout(width="300px"),
            ),
            "regularization": widgets.Dropdown(
                options=[(text("playground.none"), "none"), ("L1", "L1"), ("L2", "L2")],
                value=regularization or "none",
                description=text("playground.regularization"),
                layout=widgets.Layout(width="250px"),
            ),
            "reg_rate": widgets.Dropdown(
                options=_options(REG_RATES, reg_rate),
                value=float(reg_rate),
                description=text("playground.reg_rate"),
                layout=widgets.Layout(width="250px"),
            ),
            "noise": widgets.FloatSlider(
                value=noise,
                min=0.0,
                max=0.5,
                step=0.05,
                description=text("playground.noise"),
                continuous_update=False,
                layout=widgets.Layout(width="300px"),
            ),
            "train_fraction": widgets.FloatSlider(
                value=train_fraction,
                min=0.1,
                max=0.9,
                step=0.1,
                description=text("playground.train_fraction"),
                continuous_update=False,
                layout=widgets.Layout(width="300px"),
            ),
            "play": widgets.Play(value=0, min=0, max=10**9, interval=40, description=text("playground.play")),
            "step": widgets.Button(
                description=text("playground.step_button"), icon="step-forward", layout=widgets.Layout(width="auto")
            ),
            "reset": widgets.Button(
                description=text("playground.reset"), icon="undo", layout=widgets.Layout(width="auto")
            ),
            "mode": widgets.ToggleButtons(
                options=[(text("playground.mode_forward"), "forward"), (text("playground.mode_backward"), "backward")],
                value="forward",
                description=text("playground.mode"),
                style={"button_width": "170px"},
            ),
            "weight": widgets.Dropdown(description=text("playground.weight"), layout=widgets.Layout(width="300px")),
            "example": widgets.IntSlider(
                value=0, min=0, max=0, description=text("playground.example"), layout=widgets.Layout(width="260px")
            ),
        }
        if X is not None and hasattr(widgets.Dropdown, "disabled"):
            controls["dataset"].disabled = True  # your own points stay; the built-in sets need a new playground
        for name in ("weight", "example"):
            controls[name].style = {"description_width": "initial"}
        for name in (
            "dataset",
            "features",
            "hidden",
            "activation",
            "learning_rate",
            "regularization",
            "reg_rate",
            "batch_size",
            "noise",
            "train_fraction",
        ):
            controls[name].style = {"description_width": "96px"}  # every label whole, in Korean too
        controls["add_layer"] = widgets.Button(description=text("playground.add_layer"), icon="plus", layout=wide)
        controls["remove_layer"] = widgets.Button(
            description=text("playground.remove_layer"), icon="minus", layout=wide
        )
        controls["step"].on_click(lambda _: self.step())
        controls["reset"].on_click(lambda _: self.reset())
        controls["add_layer"].on_click(lambda _: self._change_depth(+1))
        controls["remove_layer"].on_click(lambda _: self._change_depth(-1))
        self.readout = widgets.HTML()
        self.network = widgets.HTML(layout=widgets.Layout(width="470px"))
        self.boundary = widgets.HTML()
        self.curves = widgets.HTML()
        self.explanation = widgets.HTML()
        self.path = widgets.VBox()  # one example's backward pass, as a BackwardStepper
        self.path_button = widgets.Button(description=text("playground.show_path"), icon="project-diagram", layout=wide)
        self.path_button.on_click(lambda _: self.show_path())
        self.stepper = None
        self._refresh_weights(controls)
        c = controls
        header = widgets.VBox(
            [
                widgets.HBox(
                    [c["play"], c["step"], c["reset"], c["mode"], self.readout],
                    layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
                ),
                widgets.HBox(
                    [
                        widgets.VBox([c["dataset"], c["features"]]),
                        widgets.VBox(
                            [
                                c["hidden"],
                                widgets.HBox(
                                    [c["add_layer"], c["remove_layer"]], layout=widgets.Layout(margin="0 0 0 100px")
                                ),
                                c["activation"],
                                c["learning_rate"],
                                c["batch_size"],
                            ]
                        ),
                        widgets.VBox([c["regularization"], c["reg_rate"], c["noise"], c["train_fraction"]]),
                    ],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
            ]
        )
        weight_box = widgets.VBox(
            [
                widgets.HBox([c["weight"], c["example"]], layout=widgets.Layout(flex_flow="row wrap")),
                self.explanation,
                self.path_button,
            ]
        )
        views = [
            widgets.HBox(
                [self.network, self.boundary], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")
            ),
            widgets.HBox(
                [self.curves, weight_box], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")
            ),
            self.path,
        ]
        super().__init__(controls, views=views, header=header)

    # --- what the buttons and controls do ---------------------------------------

    def _on_change(self, change):
        owner = change["owner"]
        name = next((key for key, control in self.controls.items() if control is owner), None)
        if name == "play":
            self._train(1)  # one step per frame
            return
        if name in RESETTING:
            if name == "dataset" and change["new"] == OWN and self._own[0] is None:
                return
            if not self._rebuild():
                return  # the settings were refused: the error stays shown, the last network stays
        elif name in LIVE:
            setattr(
                self.trainer,
                name,
                None if change["new"] in ("none", None) and name == "regularization" else change["new"],
            )
        elif name in ("weight", "example"):
            self._clear_path()
        super()._on_change(change)

    def _train(self, n):
        try:
            self.trainer.step(n)
        except Exception as error:  # shown in the explorer, never lost in the browser console
            self._show_error(error)
            return
        self._clear_path()
        self.refresh()

    def _show_error(self, error):
        import traceback

        from .base import ERROR_STYLE, pre_html

        self.last_error = error
        self.error_area.value = pre_html(traceback.format_exception(error), ERROR_STYLE)
        self.error_area.layout.display = None

    def _settings(self):
        c = self.controls
        dataset = c["dataset"].value
        own = dataset == OWN
        return dict(
            dataset="circle" if own else dataset,
            hidden=c["hidden"].value,
            activation=c["activation"].value,
            learning_rate=c["learning_rate"].value,
            batch_size=c["batch_size"].value,
            regularization=None if c["regularization"].value in ("none", None) else c["regularization"].value,
            reg_rate=c["reg_rate"].value,
            noise=c["noise"].value,
            train_fraction=c["train_fraction"].value,
            seed=self.seed,
            X=self._own[0] if own else None,
            y=self._own[1] if own else None,
            features=c["features"].value,
            where="NetworkPlayground",
        )

    def _rebuild(self):
        try:
            trainer = Trainer(**self._settings())
        except ValueError as error:
            self._show_error(error)
            return False
        self.trainer = trainer
        self._refresh_weights(self.controls)
        self._clear_path()
        return True

    def _refresh_weights(self, controls):
        t = self.trainer
        options = []
        for k, w in enumerate(t.weights):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    options.append((f"W{k}[{i}, {j}]: {t.neuron_name(k, i)} → {t.neuron_name(k + 1, j)}", (k, i, j)))
        weight = controls["weight"]
        keep = weight.value if weight.value in [v for _, v in options] else options[-1][1]
        self._paused = getattr(self, "_paused", 0) + 1  # the caller redraws once, after
        try:
            weight.options = options
            weight.value = keep
            controls["example"].max = max(min(t.batch_size, len(t.train_index)) - 1, 0)
        finally:
            self._paused -= 1

    def _change_depth(self, delta):
        widths = list(check_hidden("NetworkPlayground", self.controls["hidden"].value))
        if delta > 0 and len(widths) < MAX_LAYERS:
            widths.append(widths[-1] if widths else 2)
        elif delta < 0 and widths:
            widths.pop()
        self.controls["hidden"].value = ", ".join(str(w) for w in widths) if widths else ""

    def reset(self):
        """A new network with the current settings (the same seed, so the same starting weights), back at step 0."""
        self.controls["play"].playing = False
        self._rebuild()
        self.refresh()

    def step(self, n=1):
        """Train ``n`` mini-batch steps with the engine's backward pass, redraw, and return the training loss.

        >>> NetworkPlayground(dataset="gauss").step(5) < 0.7
        True
        """
        self.trainer.step(n)
        self._clear_path()
        self.refresh()
        return self.trainer.history[-1]["train_loss"]

    # --- what the trainer knows ---------------------------------------------------

    @property
    def history(self):
        """One ``{step, train_loss, test_loss}`` per step, step 0 (before training) first."""
        return self.trainer.history

    def gradient_norms(self):
        """Each layer's weight-gradient norm at the last step, from the inputs' layer up."""
        return self.trainer.gradient_norms()

    def explain_weight(self, layer, i, j):
        """How the last step's dL/dW[layer][i, j] was made (a ``WeightExplanation``); also selects that weight.

        >>> pg = NetworkPlayground(hidden=(2,)); _ = pg.step()
        >>> e = pg.explain_weight(1, 0, 0); pg.controls["weight"].value
        (1, 0, 0)
        """
        explanation = self.trainer.explain_weight(layer, i, j)
        if self.controls["weight"].value != (layer, i, j):
            self.controls["weight"].value = (layer, i, j)
        return explanation

    def last_step_loss(self, layer, i, j):
        """The last step's objective as a function of one weight (see ``Trainer.last_step_loss``): for ``bp.grad``.

        >>> import backpropnb as bp
        >>> pg = NetworkPlayground(hidden=(2,)); _ = pg.step()
        >>> w = pg.trainer.last.weights[1][0, 0]
        >>> abs(float(bp.grad(pg.last_step_loss(1, 0, 0))(w)) - pg.explain_weight(1, 0, 0).total) < 1e-12
        True
        """
        return self.trainer.last_step_loss(layer, i, j)

    def show_path(self):
        """Draw the chosen example's part of the chosen weight's gradient as a graph, in a BackwardStepper."""
        from .stepper import BackwardStepper

        if self.trainer.last is None:
            self.path.children = [widgets.HTML(f"<i>{text('playground.no_step')}</i>")]
            return None
        layer, i, j = self.controls["weight"].value
        position = min(self.controls["example"].value, len(self.trainer.last.batch) - 1)
        example = int(self.trainer.last.batch[position])
        output, _ = self.trainer.example_path(layer, i, j, example)
        self.stepper = BackwardStepper(output)
        caption = widgets.HTML(
            f"<b>{text('playground.path_caption', example=example, weight=f'W{layer}[{i}, {j}]')}</b>"
        )
        self.path.children = [caption, self.stepper]
        return self.stepper

    def _clear_path(self):
        if self.path.children:
            self.path.children = []
            self.stepper = None

    # --- drawing --------------------------------------------------------------------

    def _state(self):
        t = self.trainer
        extent, maps = grid_activations(t, resolution=20)
        _, fine = grid_activations(t, resolution=60, extent=extent)
        mode = self.controls["mode"].value
        if mode == "backward" and t.last is not None:
            edges = t.last.weight_grads
        elif mode == "backward":
            edges = [0.0 * w.data for w in t.weights]
        else:
            edges = [w.data for w in t.weights]
        names = [[t.neuron_name(k, n) for n in range(width)] for k, width in enumerate(t.layer_sizes())]
        return extent, maps, fine[-1][0], edges, names, mode

    def render(self):
        t = self.trainer
        extent, maps, probability, edges, names, mode = self._state()
        selected = self.controls["weight"].value
        self.network.value = network_svg(
            names, maps, edges, activation=t.activation, mode=mode, selected=selected, width=470
        )
        train, test = t.train_index, t.test_index
        self.boundary.value = boundary_svg(
            extent, probability, t.points[train], t.labels[train], t.points[test], t.labels[test], size=300
        )
        self.curves.value = curves_svg(t.history, t.norm_history, width=300, height=156)
        epoch = t.steps * min(t.batch_size, len(train)) / len(train)
        latest = t.history[-1]
        self.readout.value = (
            f"<span style='font-family:monospace; font-size:13px'>{text('playground.epoch')} {epoch:.1f} · "
            f"{text('playground.step')} {t.steps} · {text('playground.train')} {format_number(latest['train_loss'], 3)} · "
            f"{text('playground.test')} {format_number(latest['test_loss'], 3)}</span>"
        )
        lines = self.describe()
        self.explanation.value = _pre(self._weight_lines())
        return lines

    def describe(self):
        """What the playground shows, as text lines: the settings, the losses and the gradient norms."""
        t = self.trainer
        latest = t.history[-1]
        lines = [
            f"{t.dataset}: {len(t.train_index)} {text('playground.train')} + {len(t.test_index)} {text('playground.test')} · "
            f"{text('playground.features')} {', '.join(t.features)} · {text('playground.hidden')} {list(t.hidden)} {t.activation} · "
            f"{text('playground.learning_rate')} {format_number(t.learning_rate)}",
            f"{text('playground.step')} {t.steps}: {text('playground.train')} {format_number(latest['train_loss'], 4)}, "
            f"{text('playground.test')} {format_number(latest['test_loss'], 4)}",
        ]
        if t.norm_history:
            norms = ", ".join(f"W{k} {format_number(v, 3)}" for k, v in enumerate(t.norm_history[-1]))
            lines.append(f"{text('playground.norms_title')}: {norms}")
        return lines

    def _weight_lines(self):
        t = self.trainer
        if t.last is None:
            return [text("playground.no_step")]
        layer, i, j = self.controls["weight"].value
        explanation = t.explain_weight(layer, i, j)
        rows = explanation.lines()
        position = min(self.controls["example"].value, len(explanation.terms) - 1)
        example, up, local, product = explanation.terms[position]
        rows.append(
            text(
                "playground.chosen_example",
                example=example,
                up=format_number(up),
                local=format_number(local),
                product=format_number(product),
            )
        )
        return rows

    def snapshot(self):
        """A PNG (bytes) of what the playground shows now: network, boundary, loss and gradient norms.

        >>> NetworkPlayground().snapshot()[:4]
        b'\\x89PNG'
        """
        import matplotlib.pyplot as plt

        t = self.trainer
        extent, maps, probability, edges, names, mode = self._state()
        maps = [*maps[:-1], probability[None]]
        train, test = t.train_index, t.test_index
        points = (t.points[train], t.labels[train], t.points[test], t.labels[test])
        figure = playground_figure(
            extent, names, maps, edges, t.history, t.norm_history, points, activation=t.activation, mode=mode
        )
        try:
            return png_bytes(figure, dpi=90)
        finally:
            plt.close(figure)


def _pre(lines):
    from .base import pre_html

    return pre_html(lines)


__all__ = ["NetworkPlayground", "HiddenLayers"]
