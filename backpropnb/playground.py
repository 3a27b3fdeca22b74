"""The network playground's maths: data sets, input features, a small network and its training.

Everything the ``NetworkPlayground`` explorer shows is computed here, with the
engine's own ops and its own backward pass: the data (six two-dimensional sets,
or your own points), the input features, a fully connected network with one
output neuron, mini-batch gradient descent on the binary cross-entropy (plus an
optional L1 or L2 penalty), the loss and gradient-norm history, every neuron's
activation over the input plane, and the derivation of one weight's gradient as
a sum of per-example ``upstream × local`` products.

>>> trainer = Trainer(dataset="xor", hidden=(4,), seed=1)
>>> first = trainer.history[0]["train_loss"]
>>> last = trainer.step(200)
>>> last < first
True
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from . import ops
from .engine import Tensor, no_grad, tensor

DATASETS = ("circle", "xor", "gauss", "spiral", "moons", "sine")
FEATURES = ("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
REGULARIZATIONS = (None, "L1", "L2")
RADIUS = 6.0  # every built-in set lies in [-6, 6] × [-6, 6], as in TensorFlow Playground
MAX_NEURONS = 8
MAX_LAYERS = 6

_FEATURE_MAPS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1²": lambda x1, x2: x1 * x1,
    "x2²": lambda x1, x2: x2 * x2,
    "x1·x2": lambda x1, x2: x1 * x2,
    "sin x1": lambda x1, x2: np.sin(x1),
    "sin x2": lambda x1, x2: np.sin(x2),
}


def make_dataset(name, n=200, noise=0.0, seed=0):
    """``n`` points of a built-in data set as ``(X, y)``: ``X`` is n×2 floats, ``y`` the labels 0 and 1.

    ``noise`` (0 to 0.5) moves the points off their clean shapes. The sets:
    ``"circle"`` (a disc inside a ring), ``"xor"`` (the four quadrants),
    ``"gauss"`` (two blobs), ``"spiral"`` (two interleaved arms), ``"moons"``
    (two half moons) and ``"sine"`` (label 1 above the curve x2 = sin x1).

    >>> X, y = make_dataset("xor", n=4, seed=0)
    >>> X.shape, sorted(set(y.tolist())) <= [0, 1]
    ((4, 2), True)
    """
    if name not in DATASETS:
        raise ValueError(f"make_dataset: dataset={name!r} is not a built-in set; pick one of {list(DATASETS)}")
    _check_number("make_dataset", "noise", noise, 0.0, 0.5)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"make_dataset: n={n!r} must be a whole number of points, at least 2")
    rng = np.random.default_rng(seed)
    half = n // 2
    labels = np.concatenate([np.ones(half), np.zeros(n - half)]).astype(int)
    if name == "circle":
        inner = rng.uniform(0.0, 0.5 * 5.0, half)
        outer = rng.uniform(0.7 * 5.0, 5.0, n - half)
        radius = np.concatenate([inner, outer])
        angle = rng.uniform(0.0, 2 * np.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        return X + rng.normal(0.0, 1.0, X.shape) * noise * 2.5, labels
    if name == "xor":
        X = rng.uniform(-5.0, 5.0, (n, 2))
        X += np.sign(X) * 0.3  # keep the points off the axes, where the label flips
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        X += rng.normal(0.0, 1.0, X.shape) * noise * 5.0 * 0.5
        return X, y
    if name == "gauss":
        centres = np.where(labels[:, None] == 1, 2.0, -2.0) * np.ones((n, 2))
        spread = 0.5 + noise * 3.5
        return centres + rng.normal(0.0, spread, (n, 2)), labels
    if name == "spiral":
        t = np.concatenate(
            [np.linspace(0.0, 1.0, half, endpoint=False), np.linspace(0.0, 1.0, n - half, endpoint=False)]
        )
        radius = 5.0 * t
        angle = 1.75 * 2 * np.pi * t + np.where(labels == 1, 0.0, np.pi)
        X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
        return X + rng.normal(0.0, 1.0, X.shape) * noise * 2.0, labels
    if name == "moons":
        angle = rng.uniform(0.0, np.pi, n)
        upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
        X = np.where(labels[:, None] == 1, upper, lower)
        X = (X - [0.5, 0.25]) * 3.2
        return X + rng.normal(0.0, 1.0, X.shape) * noise * 2.0, labels
    X = np.stack([rng.uniform(-RADIUS, RADIUS, n), rng.uniform(-3.0, 3.0, n)], axis=1)  # "sine"
    X += rng.normal(0.0, 1.0, X.shape) * noise
    y = (X[:, 1] > np.sin(X[:, 0])).astype(int)
    return X, y


def features_of(X, features):
    """The network's inputs: one column per chosen feature of the points ``X`` (n×2).

    >>> features_of(np.array([[2.0, 3.0]]), ("x1", "x1·x2", "x2²"))
    array([[2., 9., 6.]])
    """
    features = check_features("features_of", features)
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([_FEATURE_MAPS[f](x1, x2) for f in features], axis=1)


def check_features(where, features):
    """The chosen features as a tuple in the standard order, or a ValueError naming the bad one.

    >>> check_features("NetworkPlayground", ["x2", "x1"])
    ('x1', 'x2')
    """
    if isinstance(features, str):
        features = (features,)
    chosen = tuple(features)
    unknown = [f for f in chosen if f not in FEATURES]
    if unknown or not chosen:
        got = f"{unknown[0]!r} is not a feature" if unknown else "no feature is chosen"
        raise ValueError(f"{where}: features={list(chosen)!r}: {got}; pick one or more of {list(FEATURES)}")
    return tuple(f for f in FEATURES if f in chosen)


def check_hidden(where, hidden):
    """The hidden layers' widths as a tuple of ints (``"4, 2"`` or ``(4, 2)``), or a ValueError.

    >>> check_hidden("NetworkPlayground", "4, 2"), check_hidden("NetworkPlayground", ())
    ((4, 2), ())
    """
    given = hidden
    if isinstance(hidden, str):
        try:
            hidden = tuple(int(part) for part in hidden.replace(" ", "").split(",") if part)
        except ValueError:
            hidden = None
    elif isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (int(hidden),)
    try:
        hidden = tuple(hidden)
    except TypeError:
        hidden = None
    if (
        hidden is None
        or len(hidden) > MAX_LAYERS
        or not all(
            isinstance(w, (int, np.integer)) and not isinstance(w, bool) and 1 <= w <= MAX_NEURONS for w in hidden
        )
    ):
        raise ValueError(
            f"{where}: hidden={given!r} must list the neurons of each hidden layer, e.g. (4, 2) or '4, 2': "
            f"0 to {MAX_LAYERS} layers of 1 to {MAX_NEURONS} neurons"
        )
    return tuple(int(w) for w in hidden)


def check_data(where, X, y):
    """Your own points as float64 ``X`` (n×2) and int ``y`` (n labels 0/1), or a ValueError saying what is needed.

    >>> X, y = check_data("NetworkPlayground", [[0, 1], [1, 0]], [1, 0])
    >>> X.dtype, y.tolist()
    (dtype('float64'), [1, 0])
    """
    if X is None or y is None:
        missing = "X" if X is None else "y"
        raise ValueError(f"{where}: own data needs both X (n×2 points) and y (n labels 0/1); {missing} is missing")
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] < 2 or X.dtype.kind not in "iuf":
        raise ValueError(
            f"{where}: X has shape {X.shape} and dtype {X.dtype}; it must be an n×2 array of numbers "
            f"(one row per point, its two coordinates), n ≥ 2"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(
            f"{where}: X holds {int(np.sum(~np.isfinite(X)))} nan or infinite values; every coordinate must be finite"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"{where}: y has shape {y.shape}; it must hold one label per row of X, shape ({X.shape[0]},)")
    if y.dtype.kind not in "biuf" or not np.all((y == 0) | (y == 1)):
        bad = (
            sorted({str(v) for v in np.unique(y) if v not in (0, 1)})[:3] if y.dtype.kind in "biuf" else [str(y.dtype)]
        )
        raise ValueError(f"{where}: y must hold the labels 0 and 1 only; it has {', '.join(bad)}")
    return X.astype(np.float64), y.astype(int)


def _check_number(where, name, value, low, high):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not low <= value <= high
    ):
        raise ValueError(f"{where}: {name}={value!r} must be a number from {low} to {high}")


def _activate(name, z):
    if name == "tanh":
        return ops.tanh(z)
    if name == "relu":
        return ops.relu(z)
    if name == "sigmoid":
        return ops.sigmoid(z)
    return z


def _softplus(z):
    # log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|)
    return ops.relu(z) + ops.log1p(ops.exp(-ops.absolute(z)))


def data_loss(logits, y):
    """The mean binary cross-entropy of the output neuron's values ``logits`` (a Tensor) for labels ``y``.

    ``log(1 + e^z) - y·z`` per point, written so that no exponential overflows.

    >>> float(data_loss(tensor([0.0, 0.0]), np.array([1, 0])).data) == math.log(2)
    True
    """
    return ops.mean(_softplus(logits) - tensor(y.astype(np.float64), requires_grad=False) * logits)


def penalty(weights, regularization, rate):
    """The regularization term: ``rate · Σ|w|`` (L1), ``rate · ½ Σ w²`` (L2) or 0, over the weights (not biases).

    >>> w = [tensor([[1.0, -2.0]])]
    >>> float(penalty(w, "L1", 0.5).data), float(penalty(w, "L2", 0.5).data)
    (1.5, 1.25)
    """
    if regularization is None or rate == 0:
        return None
    if regularization == "L1":
        terms = [ops.sum(ops.absolute(w)) for w in weights]
    else:
        terms = [0.5 * ops.sum(w * w) for w in weights]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return rate * total


@dataclass
class LastStep:
    """What one training step saw: its batch, the weights before the update and every gradient it made."""

    step: int
    batch: np.ndarray  # indices into the training points
    inputs: np.ndarray  # the batch's features, B × n_features
    labels: np.ndarray
    weights: list  # the weights and biases before the update (arrays)
    biases: list
    activations: list  # a[0] = inputs, a[k] = layer k's output, each B × width
    upstream: list  # dL/dz of each layer's pre-activation, B × width (the batch mean included)
    weight_grads: list
    bias_grads: list
    loss: float  # the objective the step descended: data loss of the batch + penalty
    regularization: str | None
    reg_rate: float
    activation: str


@dataclass
class WeightExplanation:
    """How dL/dW[layer][i, j] of the last step was made, term by term.

    ``terms`` holds, per example of the batch, ``(example, upstream, local,
    product)``: upstream is dL/dz at neuron ``j`` of the layer above, local is
    dz/dw = the activation ``a[i]`` feeding the weight, product their product.
    ``total = sum of products + regularization`` equals ``engine_grad``, the
    gradient the engine's backward pass gave.
    """

    layer: int
    i: int
    j: int
    weight: float
    terms: list
    data_part: float
    regularization: float
    total: float
    engine_grad: float
    names: tuple = field(default=("", ""))
    path: object = None  # a function example -> (output Tensor, its leaves) for drawing one example's path

    def lines(self):
        """The derivation as text lines, numbers included.

        >>> t = Trainer(dataset="gauss", hidden=(2,), seed=0); _ = t.step()
        >>> t.explain_weight(0, 0, 1).lines()[0].startswith("dL/dW0[0, 1]")
        True
        """
        from .formatting import format_number as f
        from .i18n import text

        source, target = self.names
        rows = [
            text(
                "playground.explain_head",
                layer=self.layer,
                i=self.i,
                j=self.j,
                source=source,
                target=target,
                weight=f(self.weight),
            ),
            text("playground.explain_rule"),
        ]
        for example, up, local, product in self.terms:
            rows.append(text("playground.explain_row", example=example, up=f(up), local=f(local), product=f(product)))
        rows.append(f"  {_padded(text('playground.explain_sum', count=len(self.terms)), 30)} = {f(self.data_part)}")
        if self.regularization:
            rows.append(f"  {_padded(text('playground.explain_reg'), 30)} = {f(self.regularization)}")
        engine = text("playground.explain_engine", engine=f(self.engine_grad))
        rows.append(f"  {_padded(text('playground.explain_total'), 30)} = {f(self.total)}   {engine}")
        return rows


def _padded(label, width):
    """``label`` padded with spaces to ``width`` columns of a monospace font, where Hangul takes two."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    return label + " " * max(0, width - columns)


class Trainer:
    """A network on a two-dimensional data set, trained by mini-batch gradient descent on the engine.

    The arguments are those of ``NetworkPlayground``. ``step(n)`` trains ``n``
    mini-batch steps and returns the training loss after them; ``history`` has
    one ``{step, train_loss, test_loss}`` per step (step 0 before training);
    ``norm_history`` the weight-gradient norm of every layer at every step.

    >>> t = Trainer(dataset="circle", hidden=(4, 2), seed=0)
    >>> [w.shape for w in t.weights]
    [(2, 4), (4, 2), (2, 1)]
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
        n_points=200,
        where="Trainer",
    ):
        self.where = where
        if X is not None or y is not None:
            self.points, self.labels = check_data(where, X, y)
            self.dataset = "own"
        else:
            if dataset not in DATASETS:
                raise ValueError(
                    f"{where}: dataset={dataset!r} is not a built-in set; pick one of {list(DATASETS)}, or pass X and y"
                )
            self.points, self.labels = make_dataset(dataset, n=n_points, noise=noise, seed=seed)
            self.dataset = dataset
        self.features = check_features(where, features)
        self.hidden = check_hidden(where, hidden)
        if activation not in ACTIVATIONS:
            raise ValueError(f"{where}: activation={activation!r} is not one of {list(ACTIVATIONS)}")
        if regularization not in REGULARIZATIONS:
            raise ValueError(f"{where}: regularization={regularization!r} is not one of {list(REGULARIZATIONS)}")
        _check_number(where, "learning_rate", learning_rate, 0.0, 100.0)
        _check_number(where, "reg_rate", reg_rate, 0.0, 100.0)
        _check_number(where, "noise", noise, 0.0, 0.5)
        _check_number(where, "train_fraction", train_fraction, 0.1, 0.9)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= 200:
            raise ValueError(f"{where}: batch_size={batch_size!r} must be a whole number from 1 to 200")
        self.activation, self.learning_rate, self.batch_size = activation, float(learning_rate), int(batch_size)
        self.regularization, self.reg_rate = regularization, float(reg_rate)
        self.noise, self.train_fraction, self.seed = float(noise), float(train_fraction), seed
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(self.points))
        n_train = min(max(1, round(train_fraction * len(self.points))), len(self.points) - 1)
        self.train_index, self.test_index = np.sort(order[:n_train]), np.sort(order[n_train:])
        self._inputs = features_of(self.points, self.features)
        self._rng = np.random.default_rng([seed, 1])
        self._queue = np.array([], dtype=int)
        sizes = (len(self.features), *self.hidden, 1)
        self.weights, self.biases = [], []
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            w = rng.normal(0.0, 1.0 / math.sqrt(fan_in), (fan_in, fan_out))
            self.weights.append(tensor(w, name=f"W{k}"))
            self.biases.append(tensor(np.full(fan_out, 0.1 if activation == "relu" else 0.0), name=f"b{k}"))
        self.steps = 0
        self.last = None
        self.history = [self._record()]
        self.norm_history = []

    # --- the network ---------------------------------------------------------

    def layer_sizes(self):
        """Widths from the inputs to the output: ``(n_features, *hidden, 1)``.

        >>> Trainer(hidden=(3,), features=("x1", "x2", "x1²")).layer_sizes()
        (3, 3, 1)
        """
        return (len(self.features), *self.hidden, 1)

    def forward(self, inputs):
        """Every layer's pre-activations and activations for ``inputs`` (an array): ``(zs, activations)``.

        The output layer is linear (its value is the logit; the probability of
        label 1 is its sigmoid).

        >>> t = Trainer(hidden=(2,)); zs, acts = t.forward(np.zeros((1, 2)))
        >>> [a.shape for a in acts]
        [(1, 2), (1, 2), (1, 1)]
        """
        a = tensor(inputs, requires_grad=False)
        zs, activations = [], [a]
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w + b
            a = z if k == last else _activate(self.activation, z)
            zs.append(z)
            activations.append(a)
        return zs, activations

    def objective(self, inputs, labels):
        """The loss a step descends on ``inputs``: the batch's mean cross-entropy plus the penalty (a Tensor).

        >>> t = Trainer(seed=0); loss = t.objective(t._inputs[:3], t.labels[:3]); loss.shape
        ()
        """
        zs, _ = self.forward(inputs)
        loss = data_loss(ops.reshape(zs[-1], (-1,)), labels)
        extra = penalty(self.weights, self.regularization, self.reg_rate)
        return loss if extra is None else loss + extra

    def probabilities(self, points):
        """The network's probability of label 1 at each point (n×2 array), without building a graph.

        >>> Trainer(seed=0).probabilities(np.zeros((2, 2))).shape
        (2,)
        """
        with no_grad():
            zs, _ = self.forward(features_of(points, self.features))
            return 1.0 / (1.0 + np.exp(-zs[-1].data[:, 0]))

    def losses(self):
        """The data loss (mean cross-entropy, no penalty) on the training and the test points.

        >>> train, test = Trainer(seed=0).losses(); train > 0 and test > 0
        True
        """
        with no_grad():
            zs, _ = self.forward(self._inputs)
            logits = zs[-1].data[:, 0]
        per_point = np.logaddexp(0.0, logits) - self.labels * logits
        test = float(per_point[self.test_index].mean()) if len(self.test_index) else float("nan")
        return float(per_point[self.train_index].mean()), test

    def _record(self):
        train, test = self.losses()
        return {"step": self.steps, "train_loss": train, "test_loss": test}

    def next_batch(self):
        """The training-point indices of the next mini-batch (each epoch visits every point once, shuffled).

        >>> t = Trainer(batch_size=4, seed=0); len(t.next_batch())
        4
        """
        size = min(self.batch_size, len(self.train_index))
        if len(self._queue) < size:
            self._queue = np.concatenate([self._queue, self._rng.permutation(self.train_index)])
        batch, self._queue = self._queue[:size], self._queue[size:]
        return batch

    # --- training --------------------------------------------------------------

    def step(self, n=1):
        """Train ``n`` mini-batch steps with the engine's backward pass; the training loss after them.

        >>> t = Trainer(dataset="gauss", seed=0); before = t.history[-1]["train_loss"]
        >>> t.step(20) < before
        True
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{self.where}.step: n={n!r} must be a whole number of steps, at least 1")
        for _ in range(int(n)):
            self._one_step()
        return self.history[-1]["train_loss"]

    def _one_step(self):
        batch = self.next_batch()
        inputs, labels = self._inputs[batch], self.labels[batch]
        before_w = [w.data.copy() for w in self.weights]
        before_b = [b.data.copy() for b in self.biases]
        for p in (*self.weights, *self.biases):
            p.zero_grad()
        zs, activations = self.forward(inputs)
        loss = data_loss(ops.reshape(zs[-1], (-1,)), labels)
        extra = penalty(self.weights, self.regularization, self.reg_rate)
        objective = loss if extra is None else loss + extra
        objective.backward()
        weight_grads = [np.array(w.grad, copy=True) for w in self.weights]
        bias_grads = [np.array(b.grad, copy=True) for b in self.biases]
        self.steps += 1
        self.last = LastStep(
            step=self.steps,
            batch=batch,
            inputs=inputs,
            labels=labels,
            weights=before_w,
            biases=before_b,
            activations=[np.array(a.data, copy=True) for a in activations],
            upstream=[np.array(z.grad, copy=True) for z in zs],
            weight_grads=weight_grads,
            bias_grads=bias_grads,
            loss=float(objective.data),
            regularization=self.regularization,
            reg_rate=self.reg_rate,
            activation=self.activation,
        )
        with no_grad():
            for p, g in zip((*self.weights, *self.biases), (*weight_grads, *bias_grads)):
                p.data = p.data - self.learning_rate * g
        self.history.append(self._record())
        self.norm_history.append([float(np.linalg.norm(g)) for g in weight_grads])

    def gradient_norms(self):
        """The norm of every layer's weight gradient at the last step, from the inputs' layer up.

        >>> t = Trainer(hidden=(4, 2), seed=0); _ = t.step(); len(t.gradient_norms())
        3
        """
        if not self.norm_history:
            raise ValueError(f"{self.where}.gradient_norms: no step has been trained yet; call .step() first")
        return list(self.norm_history[-1])

    # --- one weight's gradient -----------------------------------------------

    def neuron_name(self, layer, index):
        """A neuron's name: a feature for layer 0, ``h{layer},{index}`` inside, ``out`` for the output.

        >>> t = Trainer(hidden=(4, 2)); t.neuron_name(0, 1), t.neuron_name(2, 0), t.neuron_name(3, 0)
        ('x2', 'h2,0', 'out')
        """
        if layer == 0:
            return self.features[index]
        if layer == len(self.weights):
            return "out"
        return f"h{layer},{index}"

    def check_weight(self, layer, i, j):
        """Refuse a weight that the network does not have, naming its layers' shapes.

        >>> Trainer(hidden=(4,)).check_weight(0, 5, 0)
        Traceback (most recent call last):
        ...
        ValueError: Trainer: the network has no weight W0[5, 0]; W0 is 2×4 and W1 is 4×1 (W[layer][i, j] joins neuron i of layer `layer` to neuron j of the next)
        """
        shapes = [w.shape for w in self.weights]
        ok = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (layer, i, j))
        if not ok or not (0 <= layer < len(shapes) and 0 <= i < shapes[layer][0] and 0 <= j < shapes[layer][1]):
            listed = " and ".join(f"W{k} is {a}×{b}" for k, (a, b) in enumerate(shapes))
            raise ValueError(
                f"{self.where}: the network has no weight W{layer}[{i}, {j}]; {listed} "
                f"(W[layer][i, j] joins neuron i of layer `layer` to neuron j of the next)"
            )

    def explain_weight(self, layer, i, j):
        """How the last step's dL/dW[layer][i, j] was made: Σ over the batch of upstream × local, plus the penalty.

        >>> t = Trainer(dataset="xor", hidden=(3,), seed=2); _ = t.step()
        >>> e = t.explain_weight(1, 2, 0)
        >>> abs(e.total - e.engine_grad) < 1e-12 and len(e.terms) == t.batch_size
        True
        """
        self.check_weight(layer, i, j)
        last = self.last
        if last is None:
            raise ValueError(f"{self.where}.explain_weight: no step has been trained yet; call .step() first")
        local = last.activations[layer][:, i]
        upstream = last.upstream[layer][:, j]
        products = upstream * local
        terms = [(int(n), float(u), float(a), float(p)) for n, u, a, p in zip(last.batch, upstream, local, products)]
        w = float(last.weights[layer][i, j])
        if last.regularization is None or last.reg_rate == 0:
            reg = 0.0
        elif last.regularization == "L1":
            reg = last.reg_rate * float(np.sign(w))
        else:
            reg = last.reg_rate * w
        data_part = float(products.sum())
        return WeightExplanation(
            layer=layer,
            i=i,
            j=j,
            weight=w,
            terms=terms,
            data_part=data_part,
            regularization=reg,
            total=data_part + reg,
            engine_grad=float(last.weight_grads[layer][i, j]),
            names=(self.neuron_name(layer, i), self.neuron_name(layer + 1, j)),
            path=lambda k: self.example_path(layer, i, j, k),
        )

    def last_step_loss(self, layer, i, j):
        """The last step's objective as a function of the one weight W[layer][i, j], the rest held as they were.

        The function takes the weight's value (a number or a 0-d Tensor) and
        returns the objective as a Tensor built with the engine's ops, so
        ``bp.grad`` of it at the weight's value is the gradient the step used.

        >>> import backpropnb as bp
        >>> t = Trainer(seed=0); _ = t.step(); f = t.last_step_loss(0, 1, 0)
        >>> w = t.last.weights[0][1, 0]
        >>> abs(float(bp.grad(f)(w)) - t.explain_weight(0, 1, 0).total) < 1e-12
        True
        """
        self.check_weight(layer, i, j)
        last = self.last
        if last is None:
            raise ValueError(f"{self.where}.last_step_loss: no step has been trained yet; call .step() first")
        one_hot = np.zeros_like(last.weights[layer])
        one_hot[i, j] = 1.0
        held = last.weights[layer] * (1.0 - one_hot)
        constants = [tensor(w, requires_grad=False) for w in last.weights]
        biases = [tensor(b, requires_grad=False) for b in last.biases]
        top = len(constants) - 1

        def loss(w):
            weight = w if isinstance(w, Tensor) else tensor(float(w))
            weights = list(constants)
            weights[layer] = tensor(held, requires_grad=False) + weight * tensor(one_hot, requires_grad=False)
            a = tensor(last.inputs, requires_grad=False)
            for k, (W, b) in enumerate(zip(weights, biases)):
                z = a @ W + b
                a = z if k == top else _activate(last.activation, z)
            total = data_loss(ops.reshape(a, (-1,)), last.labels)
            extra = penalty(weights, last.regularization, last.reg_rate)
            return total if extra is None else total + extra

        return loss

    def finite_difference(self, layer, i, j, h=1e-6):
        """A central difference of the last step's objective in W[layer][i, j] (float64), at the weights it saw.

        >>> t = Trainer(seed=0); _ = t.step()
        >>> abs(t.finite_difference(0, 0, 0) - t.explain_weight(0, 0, 0).total) < 1e-6
        True
        """
        self.check_weight(layer, i, j)
        last = self.last
        if last is None:
            raise ValueError(f"{self.where}.finite_difference: no step has been trained yet; call .step() first")
        f = self.last_step_loss(layer, i, j)
        w = float(last.weights[layer][i, j])
        with no_grad():
            values = [float(f(w + h).data), float(f(w - h).data)]
        return (values[0] - values[1]) / (2 * h)

    def example_path(self, layer, i, j, example):
        """One example's part of dL/dW[layer][i, j] as a small graph of scalars, ready to draw or step through.

        The graph is ``z = w·a + rest`` (``rest``: the other inputs of neuron j
        and its bias), then neuron j's activation, then what the layers above do
        with it. For the output neuron that is the example's loss itself; for a
        hidden neuron the layers above are one multiplication by the upstream
        gradient they send back (``dL/dh``, computed by the full backward pass),
        so backpropagating this graph gives exactly the example's term. Returns
        ``(output, w)``: the output Tensor and the leaf ``w`` that receives that term as gradient.

        >>> t = Trainer(hidden=(2,), seed=0); _ = t.step(); first = int(t.last.batch[0])
        >>> out, w = t.example_path(1, 0, 0, first); out.backward()
        >>> abs(float(w.grad) - t.explain_weight(1, 0, 0).terms[0][3]) < 1e-15
        True
        """
        self.check_weight(layer, i, j)
        last = self.last
        if last is None:
            raise ValueError(f"{self.where}.example_path: no step has been trained yet; call .step() first")
        rows = np.flatnonzero(last.batch == example)
        if not len(rows):
            raise ValueError(
                f"{self.where}.example_path: example {example} was not in the last step's batch; "
                f"pick one of {last.batch.tolist()}"
            )
        n = int(rows[0])
        batch = len(last.batch)
        a_value = float(last.activations[layer][n, i])
        w_value = float(last.weights[layer][i, j])
        z_value = float(last.activations[layer][n] @ last.weights[layer][:, j] + last.biases[layer][j])
        w = tensor(w_value, name="w")
        a = tensor(a_value, name=f"a={self.neuron_name(layer, i)}", requires_grad=False)
        rest = tensor(z_value - w_value * a_value, name="rest", requires_grad=False)
        z = w * a + rest
        top = layer == len(self.weights) - 1
        if top:
            y = float(last.labels[n])
            return (_softplus(z) - y * z) * (1.0 / batch), w
        h = _activate(last.activation, z)
        # what the layer above sends back to this neuron: Σ_k dL/dz_k (next layer) · W[layer + 1][j, k]
        dh = float(last.upstream[layer + 1][n] @ last.weights[layer + 1][j])
        upstream = tensor(dh, name="dL/dh (from above)", requires_grad=False)
        return h * upstream, w


def grid_activations(trainer, resolution=24, extent=None):
    """Every neuron's value over a ``resolution``² grid of the input plane, layer by layer.

    Returns ``(extent, maps)``: ``maps[k]`` is ``width × resolution × resolution``
    (row 0 at the top, x2 largest); layer 0 holds the features, the last layer
    the output's probability of label 1.

    >>> extent, maps = grid_activations(Trainer(hidden=(3,)), resolution=5)
    >>> extent, [m.shape for m in maps]
    ((-6.0, 6.0, -6.0, 6.0), [(2, 5, 5), (3, 5, 5), (1, 5, 5)])
    """
    extent = plane_extent(trainer) if extent is None else extent
    x_low, x_high, y_low, y_high = extent
    gx, gy = np.meshgrid(np.linspace(x_low, x_high, resolution), np.linspace(y_high, y_low, resolution))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    with no_grad():
        zs, activations = trainer.forward(features_of(points, trainer.features))
    maps = [a.data.T.reshape(-1, resolution, resolution) for a in activations[:-1]]
    maps.append((1.0 / (1.0 + np.exp(-zs[-1].data))).T.reshape(1, resolution, resolution))
    return extent, maps


def plane_extent(trainer):
    """The part of the input plane that is drawn: [-6, 6]² for the built-in sets, else the data's box plus a margin.

    >>> plane_extent(Trainer(dataset="sine"))
    (-6.0, 6.0, -6.0, 6.0)
    """
    if trainer.dataset != "own":
        return (-RADIUS, RADIUS, -RADIUS, RADIUS)
    low, high = trainer.points.min(axis=0), trainer.points.max(axis=0)
    margin = np.maximum(0.1 * (high - low), 0.5)
    low, high = low - margin, high + margin
    return (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
