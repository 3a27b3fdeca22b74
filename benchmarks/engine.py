"""How fast is the engine, beside micrograd, HIPS autograd, torch and hand-written numpy?

Run by hand (never a test): ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/engine.py``.
The contenders come with ``pip install -e '.[bench]'``; one that is not installed is
reported as "not installed" and the run goes on.

One run measures every row of issue 14's table in one process, the contenders of a row
interleaved (each repetition runs every contender once, so a change of load hits all of
them alike), and prints medians:

scalar  micrograd's demo: MLP(2, [16, 16, 1]) on 100 moons-like points, SVM hinge loss
        + 1e-4 L2, one forward + backward with the garbage collector on and off, the
        backward alone, and the node count; backpropnb ported with 0-d tensors, the same
        weights, loss and gradients checked to agree first.
chain   y = y * a + b, 100,000 steps, forward + backward, microseconds per step
        (backpropnb at Python's default recursion limit; micrograd needs a raised one).
mlp     784-512-512-10 ReLU + cross-entropy, batch 256, forward + backward, each
        contender's time divided by hand-written numpy's, float64 and float32.
hvp     Hessian-vector product time / gradient time of each contender: the MLP loss with
        the six parameter arrays as separate arguments, and as one flat vector sliced into
        the layers; sum(tanh(W x)**2) for n = 100, 1000, 4000.
memory  peak extra memory of one float64 MLP step (tracemalloc for the numpy-based
        contenders, torch's profiler for torch), and what backpropnb's peak is made of.

Every ratio is printed with issue 14's goal beside it. ``--only mlp,hvp`` runs a subset,
``--repeat N`` sets the runs per median, ``--json PATH`` writes every figure to a file,
``--markdown`` ends with the summary table of benchmarks/README.md (``--from-json PATH``
prints that table from a saved run).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

import backpropnb as bp

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:
    mg_engine = mg_nn = None
try:
    import autograd
    import autograd.numpy as anp
except ImportError:
    autograd = anp = None
# torch is imported after the scalar rows (see load_torch): its import multiplies the objects the process
# holds, which changes how often the garbage collector runs a full collection in the GC-on scalar rows.
torch = None
HAVE_TORCH = importlib.util.find_spec("torch") is not None

SECTIONS = ("scalar", "chain", "mlp", "hvp", "memory")
SIZES = (784, 512, 512, 10)
BATCH = 256
MiB = 2**20
RESULTS = {}  # every figure printed, for --json


def record(section, key, value):
    RESULTS.setdefault(section, {})[key] = value
    return value


# --- timing -------------------------------------------------------------


def untimed_setup(prepare):
    """Mark a run whose call prepares untimed (e.g. builds a graph) and returns the function to time."""
    prepare.untimed_setup = True
    return prepare


def side_by_side(runs, repeat, *, gc_enabled=True):
    """Median seconds of each run, interleaved: every repetition runs each contender once.

    ``runs`` maps a name to a zero-argument function, timed as it is, or marked with
    :func:`untimed_setup`. Whatever the timed call returns is kept alive until the clock
    has stopped, so freeing a graph is never timed; before each run the garbage collector
    runs (untimed), then is switched on or off as asked.
    """
    times = {name: [] for name in runs}
    for i in range(repeat + 1):  # the first round warms up and is not counted
        for name, run in runs.items():
            timed = run() if getattr(run, "untimed_setup", False) else run
            kept = None
            gc.collect()
            if not gc_enabled:
                gc.disable()
            try:
                start = time.perf_counter()
                kept = timed()
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            del kept, timed
            if i:
                times[name].append(elapsed)
    gc.collect()
    return {name: statistics.median(values) for name, values in times.items()}


def load_torch():
    """Import torch (if installed), with as many threads as numpy's BLAS when OPENBLAS_NUM_THREADS is set."""
    global torch
    if HAVE_TORCH and torch is None:
        import torch as module

        torch = module
        threads = os.environ.get("OPENBLAS_NUM_THREADS")
        if threads:
            torch.set_num_threads(int(threads))
        RESULTS["run"]["torch threads"] = torch.get_num_threads()
        print(f"  (torch {torch.__version__} imported now, {torch.get_num_threads()} thread(s))")


def missing(*names):
    """The contenders of ``names`` not installed (micrograd, autograd, torch)."""
    have = {"micrograd": mg_engine is not None, "autograd": autograd is not None, "torch": HAVE_TORCH}
    return [n for n in names if not have[n]]


def goal(value, limit):
    return f"goal <= {limit:g}: {'met' if value <= limit else 'NOT met'}"


# --- scalar: micrograd's demo network -----------------------------------


def moons(n=100, noise=0.1, seed=0):
    """Two interleaved half circles with labels -1 and +1, like sklearn's make_moons (no sklearn)."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    points = np.concatenate(
        [np.stack([np.cos(t_out), np.sin(t_out)], 1), np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)]
    )
    points += rng.normal(scale=noise, size=points.shape)
    labels = np.concatenate([-np.ones(n_out), np.ones(n - n_out)])
    return points.tolist(), labels.tolist()  # Python floats for both engines


class Neuron:
    """micrograd's Neuron with backpropnb 0-d tensors: sum of w_i x_i plus b, then ReLU."""

    def __init__(self, weights, nonlin=True):
        self.w = [bp.tensor(w) for w in weights]
        self.b = bp.tensor(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class MLP:
    """micrograd's MLP(n_in, widths) of Neurons: ReLU hidden layers, a linear output."""

    def __init__(self, n_in, widths, rng):
        sizes = [n_in, *widths]
        self.layers = [
            [Neuron(rng.uniform(-1, 1, sizes[i]).tolist(), nonlin=i != len(widths) - 1) for _ in range(sizes[i + 1])]
            for i in range(len(widths))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


def demo_loss(model, points, labels, leaf):
    """micrograd's demo loss: SVM max-margin hinge, mean over the points, + 1e-4 * sum(p * p)."""
    inputs = [[leaf(v) for v in row] for row in points]
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def count_nodes(root, parents):
    """Every value reachable from ``root`` (leaves and lifted constants included)."""
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in parents(stack.pop()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bench_scalar(repeat):
    points, labels = moons()
    ours = MLP(2, [16, 16, 1], np.random.default_rng(1))
    params = ours.parameters()

    def bp_step():
        for p in params:
            p.zero_grad()
        loss = demo_loss(ours, points, labels, bp.tensor)
        loss.backward()
        return loss

    @untimed_setup
    def bp_backward():  # builds the graph untimed; the returned function is timed
        for p in params:
            p.zero_grad()
        loss = demo_loss(ours, points, labels, bp.tensor)
        return lambda: (loss.backward(), loss)

    loss = bp_step()
    nodes = count_nodes(loss, lambda t: t.parents)
    print(f"  backpropnb: loss {loss.item():.12f}, {nodes:,} nodes in the graph")
    record("scalar", "nodes_backpropnb", nodes)
    runs = {"backpropnb": bp_step}
    backward_runs = {"backpropnb": bp_backward}

    if missing("micrograd"):
        print("  micrograd: not installed")
    else:
        theirs = mg_nn.MLP(2, [16, 16, 1])
        for p, q in zip(theirs.parameters(), params):  # the same weights
            p.data = q.item()

        def mg_step():
            theirs.zero_grad()
            loss = demo_loss(theirs, points, labels, mg_engine.Value)
            loss.backward()
            return loss

        @untimed_setup
        def mg_backward():
            theirs.zero_grad()
            loss = demo_loss(theirs, points, labels, mg_engine.Value)
            return lambda: (loss.backward(), loss)

        loss_mg = mg_step()
        # the two must agree before their times are compared
        assert abs(loss_mg.data - loss.item()) <= 1e-9, (loss_mg.data, loss.item())
        worst = max(abs(p.grad - float(q.grad)) for p, q in zip(theirs.parameters(), params))
        assert worst <= 1e-9, worst
        mg_nodes = count_nodes(loss_mg, lambda v: v._prev)
        print(f"  micrograd:  loss {loss_mg.data:.12f}, {mg_nodes:,} nodes; gradients agree within {worst:.1e}")
        record("scalar", "nodes_micrograd", mg_nodes)
        runs["micrograd"] = mg_step
        backward_runs["micrograd"] = mg_backward

    rows = [
        ("forward + backward, GC on", side_by_side(runs, repeat)),
        ("forward + backward, GC off", side_by_side(runs, repeat, gc_enabled=False)),
        ("backward alone, GC on", side_by_side(backward_runs, repeat)),
        ("backward alone, GC off", side_by_side(backward_runs, repeat, gc_enabled=False)),
    ]
    print(f"  {'':28s} {'backpropnb':>11s} {'micrograd':>10s}   backpropnb / micrograd")
    for label, times in rows:
        mg = times.get("micrograd")
        line = f"  {label:28s} {times['backpropnb']:9.3f} s"
        if mg is None:
            line += f" {'-':>10s}"
        else:
            ratio = times["backpropnb"] / mg
            line += f" {mg:8.3f} s   {ratio:5.2f}  ({goal(ratio, 0.5)})"
            record("scalar", f"{label}: ratio", ratio)
        print(line)
        record("scalar", label, times)


# --- chain: y = y * a + b --------------------------------------------------

A, B = 0.999, 0.001


def bench_chain(n, repeat):
    limit = sys.getrecursionlimit()  # Python's default (1000) unless something changed it
    start_x = 0.5
    expected = A**n  # dy/dx

    def bp_chain():
        x = bp.tensor(start_x)
        y = x
        for _ in range(n):
            y = y * A + B
        y.backward()
        return x, y

    record("chain", "steps", n)
    runs = {"backpropnb": bp_chain}
    x, _ = bp_chain()
    assert abs(float(x.grad) - expected) <= 1e-9 * expected, (float(x.grad), expected)

    if missing("torch"):
        print("  torch: not installed")
    else:

        def torch_chain():
            x = torch.tensor(start_x, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * A + B
            y.backward()
            return x, y

        assert abs(torch_chain()[0].grad.item() - expected) <= 1e-9 * expected
        runs["torch"] = torch_chain

    if missing("micrograd"):
        print("  micrograd: not installed")
    else:

        def micrograd_chain():
            sys.setrecursionlimit(4 * n + 1000)  # its backward sorts the graph recursively
            try:
                x = mg_engine.Value(start_x)
                y = x
                for _ in range(n):
                    y = y * A + B
                y.backward()
            finally:
                sys.setrecursionlimit(limit)
            return x, y

        assert abs(micrograd_chain()[0].grad - expected) <= 1e-9 * expected
        gc.collect()
        runs["micrograd"] = micrograd_chain

    if missing("autograd"):
        print("  autograd: not installed")
    else:

        def chain(x):
            y = x
            for _ in range(n):
                y = y * A + B
            return y

        autograd_chain = lambda: autograd.grad(chain)(start_x)
        assert abs(autograd_chain() - expected) <= 1e-9 * expected
        runs["autograd"] = autograd_chain

    assert sys.getrecursionlimit() == limit  # micrograd raised it only while it ran
    print(f"  (backpropnb, torch and autograd run at the recursion limit {limit}; micrograd at {4 * n + 1000})")
    times = side_by_side(runs, repeat)
    torch_time = times.get("torch")
    for name, seconds in times.items():
        line = f"  {name:11s} {seconds * 1e6 / n:7.2f} us per step ({seconds:.3f} s)"
        if torch_time is not None:
            ratio = seconds / torch_time
            line += f"   / torch {ratio:5.2f}"
            if name == "backpropnb":
                line += f"  ({goal(ratio, 1.0)})"
            record("chain", f"{name} / torch", ratio)
        print(line)
        record("chain", f"{name} us per step", seconds * 1e6 / n)


# --- mlp: 784-512-512-10 against hand-written numpy ------------------------


def mlp_problem(dtype, seed=0):
    """Weights (He init), a batch of inputs and integer labels."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)).astype(dtype))
        params.append(np.zeros(fan_out, dtype=dtype))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], BATCH)
    return params, x, labels


def engine_loss(params, x, labels):
    """The MLP's mean cross-entropy, written with the engine (params are Tensors)."""
    h = x
    for i in range(0, len(params) - 2, 2):
        h = (h @ params[i] + params[i + 1]).relu()
    logits = h @ params[-2] + params[-1]
    return bp.cross_entropy(logits, labels)


def engine_step(params, x, labels):
    for p in params:
        p.zero_grad()
    engine_loss(params, x, labels).backward()
    return [p.grad for p in params]


def numpy_forward(params, x):
    activations, pre = [x], []
    for i in range(0, len(params) - 2, 2):
        z = activations[-1] @ params[i] + params[i + 1]
        pre.append(z)
        activations.append(np.maximum(z, 0))
    logits = activations[-1] @ params[-2] + params[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(axis=1, keepdims=True)
    return activations, pre, probs


def numpy_step(params, x, labels):
    """Hand-written forward and backward of the same net: the floor for any numpy engine."""
    activations, pre, probs = numpy_forward(params, x)
    rows = np.arange(len(labels))
    loss = -np.mean(np.log(probs[rows, labels]))
    dz = probs
    dz[rows, labels] -= 1
    dz /= len(labels)
    grads = [None] * len(params)
    for layer in range(len(params) // 2 - 1, -1, -1):
        grads[2 * layer] = activations[layer].T @ dz
        grads[2 * layer + 1] = dz.sum(axis=0)
        if layer:
            dz = (dz @ params[2 * layer].T) * (pre[layer - 1] > 0)
    return loss, grads


def numpy_hvp(params, x, labels, vs):
    """Hand-written R-op (Pearlmutter): the MLP loss's Hessian times the direction ``vs``."""
    activations, pre, probs = numpy_forward(params, x)
    n_layers = len(params) // 2
    r_act, r_pre = [None], []  # R{a} and R{z}: directional derivatives along vs (R{x} = 0)
    for layer in range(n_layers):
        w, v_w, v_b = params[2 * layer], vs[2 * layer], vs[2 * layer + 1]
        rz = activations[layer] @ v_w + v_b
        if layer:
            rz += r_act[-1] @ w
        r_pre.append(rz)
        if layer < n_layers - 1:
            r_act.append(rz * (pre[layer] > 0))
    rows = np.arange(len(labels))
    rz_out = r_pre[-1]
    r_dz = probs * (rz_out - (probs * rz_out).sum(axis=1, keepdims=True)) / len(labels)
    dz = probs.copy()
    dz[rows, labels] -= 1
    dz /= len(labels)
    hv = [None] * len(params)
    for layer in range(n_layers - 1, -1, -1):
        hv[2 * layer] = activations[layer].T @ r_dz
        if layer:
            hv[2 * layer] += r_act[layer].T @ dz
        hv[2 * layer + 1] = r_dz.sum(axis=0)
        if layer:
            mask = pre[layer - 1] > 0
            w, v_w = params[2 * layer], vs[2 * layer]
            r_dz, dz = (r_dz @ w.T + dz @ v_w.T) * mask, (dz @ w.T) * mask
    return hv


def autograd_loss(params, x, labels):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = anp.maximum(h @ params[i] + params[i + 1], 0)
    logits = h @ params[-2] + params[-1]
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.mean(log_probs[np.arange(len(labels)), labels])


def torch_loss(params, x, labels):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = torch.relu(h @ params[i] + params[i + 1])
    return torch.nn.functional.cross_entropy(h @ params[-2] + params[-1], labels)


def torch_problem(arrays, x, labels):
    return [torch.tensor(a, requires_grad=True) for a in arrays], torch.tensor(x), torch.tensor(labels)


def torch_step(params, x, labels):
    for p in params:
        p.grad = None
    torch_loss(params, x, labels).backward()
    return [p.grad for p in params]


def assert_close(ours, theirs, tol, what):
    worst = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(ours, theirs))
    assert worst < tol, f"{what}: gradients differ by {worst}"


MLP_GOALS = {"float64": 1.10, "float32": 1.05}


def bench_mlp(repeat):
    for dtype in (np.float64, np.float32):
        bench_mlp_dtype(dtype, repeat)
    for absent in missing("autograd", "torch"):
        print(f"  {absent}: not installed")


def bench_mlp_dtype(dtype, repeat):
    name = np.dtype(dtype).name
    tol = 1e-4 if dtype == np.float32 else 1e-10
    arrays, x, labels = mlp_problem(dtype)
    params, inputs = [bp.tensor(p) for p in arrays], bp.tensor(x, requires_grad=False)
    _, reference = numpy_step(arrays, x, labels)
    # every contender must agree with the hand-written gradients before its time counts
    assert_close(engine_step(params, inputs, labels), reference, tol, "backpropnb")
    runs = {
        "numpy": lambda: numpy_step(arrays, x, labels),
        "backpropnb": lambda: engine_step(params, inputs, labels),
    }
    if not missing("autograd"):
        ag = autograd.grad(autograd_loss)
        assert_close(ag(arrays, x, labels), reference, tol, "autograd")
        runs["autograd"] = lambda: ag(arrays, x, labels)
    if not missing("torch"):
        t_params, t_x, t_labels = torch_problem(arrays, x, labels)
        assert_close([g.numpy() for g in torch_step(t_params, t_x, t_labels)], reference, tol, "torch")
        runs["torch"] = lambda: torch_step(t_params, t_x, t_labels)
    times = side_by_side(runs, repeat)
    print(f"  {name}: hand-written numpy {times['numpy'] * 1e3:.1f} ms")
    for contender, seconds in times.items():
        if contender == "numpy":
            continue
        ratio = seconds / times["numpy"]
        note = f"  ({goal(ratio, MLP_GOALS[name])})" if contender == "backpropnb" else ""
        print(f"    {contender:11s} {seconds * 1e3:7.1f} ms   / numpy {ratio:5.2f}{note}")
        record("mlp", f"{name} {contender} / numpy", ratio)
    record("mlp", f"{name} ms", {k: v * 1e3 for k, v in times.items()})


# --- hvp: Hessian-vector product over gradient -----------------------------


def flat_split(flat, arrays):
    """The layers' parameters as slices (views) of one flat vector."""
    out, start = [], 0
    for a in arrays:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


def dot(grads, vs):
    """sum_i <g_i, v_i> over a list of gradients."""
    return sum((g * v).sum() for g, v in zip(grads, vs))


def hvp_report(key, label, runs, ratio_goal, repeat):
    """Time each contender's (grad, hvp) pair side by side and print hvp / grad."""
    times = side_by_side(
        {f"{name} {kind}": fn for name, pair in runs.items() for kind, fn in zip(("grad", "hvp"), pair)}, repeat
    )
    print(f"  {label}")
    for name in runs:
        g, h = times[f"{name} grad"], times[f"{name} hvp"]
        note = f"  ({goal(h / g, ratio_goal)})" if name.startswith("backpropnb") and ratio_goal else ""
        print(f"    {name:22s} grad {g * 1e3:8.2f} ms   hvp {h * 1e3:8.2f} ms   hvp / grad {h / g:5.2f}{note}")
        record("hvp", f"{key}: {name}", {"grad ms": g * 1e3, "hvp ms": h * 1e3, "ratio": h / g})


def bench_hvp_mlp(repeat):
    arrays, x, labels = mlp_problem(np.float64)
    vs = [np.random.default_rng(2 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]
    flat, v_flat = np.concatenate([a.ravel() for a in arrays]), np.concatenate([v.ravel() for v in vs])
    inputs = bp.tensor(x, requires_grad=False)
    reference = numpy_hvp(arrays, x, labels, vs)
    all_six = tuple(range(len(arrays)))

    # (a) the six parameter arrays as separate arguments. bp.hvp takes one x, so the product is
    # written with the public API the way bp.hvp computes it for one x: the gradient of the slope
    # jvp(f, params, vs)[1] (reverse over forward) where bp.jvp exists, else the gradient of
    # grad(f) . v (reverse over reverse, what bp.hvp did before).
    loss_of = lambda *ps: engine_loss(ps, inputs, labels)
    bp_grad = lambda: bp.grad(loss_of, argnums=all_six)(*arrays)
    if hasattr(bp, "jvp"):
        method = "bp.grad of bp.jvp's slope, argnums 0-5"
        slope = lambda *ps: bp.jvp(loss_of, ps, vs)[1]
    else:
        method = "bp.grad of bp.grad, argnums 0-5"
        slope = lambda *ps: dot(bp.grad(loss_of, argnums=all_six)(*ps), vs)
    bp_hvp = lambda: bp.grad(slope, argnums=all_six)(*arrays)
    assert_close(bp_hvp(), reference, 1e-10, "backpropnb hvp (separate)")
    separate = {
        "backpropnb": (bp_grad, bp_hvp),
        "hand R-op (numpy)": (lambda: numpy_step(arrays, x, labels), lambda: numpy_hvp(arrays, x, labels, vs)),
    }
    # (b) one flat vector sliced into the layers, as bp.hvp takes it
    flat_loss = lambda p: engine_loss(flat_split(p, arrays), inputs, labels)
    assert_close(flat_split(bp.hvp(flat_loss)(flat, v_flat), arrays), reference, 1e-10, "backpropnb hvp (flat)")
    flat_runs = {"backpropnb": (lambda: bp.grad(flat_loss)(flat), lambda: bp.hvp(flat_loss)(flat, v_flat))}

    if not missing("autograd"):
        ag_grad = autograd.grad(autograd_loss)
        ag_hvp = autograd.grad(lambda ps: dot(ag_grad(ps, x, labels), vs))
        assert_close(ag_hvp(list(arrays)), reference, 1e-10, "autograd hvp")
        separate["autograd"] = (lambda: ag_grad(list(arrays), x, labels), lambda: ag_hvp(list(arrays)))
        ag_flat = lambda p: autograd_loss(flat_split(p, arrays), x, labels)
        ag_flat_hvp = autograd.hessian_vector_product(ag_flat)
        assert_close(flat_split(ag_flat_hvp(flat, v_flat), arrays), reference, 1e-10, "autograd hvp (flat)")
        flat_runs["autograd"] = (lambda: autograd.grad(ag_flat)(flat), lambda: ag_flat_hvp(flat, v_flat))
    if not missing("torch"):
        t_params, t_x, t_labels = torch_problem(arrays, x, labels)
        t_vs = [torch.tensor(v) for v in vs]

        def torch_hvp(params):
            grads = torch.autograd.grad(torch_loss(params, t_x, t_labels), params, create_graph=True)
            return torch.autograd.grad(dot(grads, t_vs), params)

        assert_close([h.numpy() for h in torch_hvp(t_params)], reference, 1e-10, "torch hvp")
        separate["torch"] = (
            lambda: torch.autograd.grad(torch_loss(t_params, t_x, t_labels), t_params),
            lambda: torch_hvp(t_params),
        )
        t_flat, t_v_flat = torch.tensor(flat, requires_grad=True), torch.tensor(v_flat)

        def torch_flat(hvp):
            loss = torch_loss(flat_split(t_flat, arrays), t_x, t_labels)
            (g,) = torch.autograd.grad(loss, t_flat, create_graph=hvp)
            return torch.autograd.grad((g * t_v_flat).sum(), t_flat) if hvp else g

        assert_close(flat_split(torch_flat(True)[0].numpy(), arrays), reference, 1e-10, "torch hvp (flat)")
        flat_runs["torch"] = (lambda: torch_flat(False), lambda: torch_flat(True))
    flat_runs["hand R-op (numpy)"] = separate["hand R-op (numpy)"]
    hvp_report(
        "MLP, separate arrays",
        f"MLP loss, the six parameter arrays as separate arguments (backpropnb: {method})",
        separate,
        2.0,
        repeat,
    )
    hvp_report(
        "MLP, flat vector",
        f"MLP loss, one flat vector of {flat.size:,} parameters sliced into the layers (backpropnb: bp.hvp)",
        flat_runs,
        2.0,
        repeat,
    )


def bench_hvp_tanh(n, repeat):
    rng = np.random.default_rng(3)
    w, x, v = rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n), rng.standard_normal(n)
    weights = bp.tensor(w, requires_grad=False)
    f = lambda x_: ((weights @ x_).tanh() ** 2).sum()

    def hand_grad():
        t = np.tanh(w @ x)
        return (2 * t * (1 - t * t)) @ w

    def hand_hvp():  # R-op: d/dx of W^T 2t(1 - t^2) along v
        t = np.tanh(w @ x)
        return ((2 - 6 * t * t) * (1 - t * t) * (w @ v)) @ w

    reference = hand_hvp()
    assert np.allclose(bp.hvp(f)(x, v), reference, rtol=1e-9, atol=1e-12)
    runs = {"backpropnb": (lambda: bp.grad(f)(x), lambda: bp.hvp(f)(x, v))}
    if not missing("autograd"):
        ag_f = lambda x_: anp.sum(anp.tanh(w @ x_) ** 2)
        assert np.allclose(autograd.hessian_vector_product(ag_f)(x, v), reference, rtol=1e-9, atol=1e-12)
        runs["autograd"] = (lambda: autograd.grad(ag_f)(x), lambda: autograd.hessian_vector_product(ag_f)(x, v))
    if not missing("torch"):
        t_w, t_v = torch.tensor(w), torch.tensor(v)
        t_x = torch.tensor(x, requires_grad=True)

        def torch_run(hvp):
            (g,) = torch.autograd.grad((torch.tanh(t_w @ t_x) ** 2).sum(), t_x, create_graph=hvp)
            return torch.autograd.grad((g * t_v).sum(), t_x) if hvp else g

        assert np.allclose(torch_run(True)[0].numpy(), reference, rtol=1e-9, atol=1e-12)
        runs["torch"] = (lambda: torch_run(False), lambda: torch_run(True))
    runs["hand R-op (numpy)"] = (hand_grad, hand_hvp)
    hvp_report(f"sum(tanh(W x)**2), n = {n}", f"sum(tanh(W x)**2), n = {n}", runs, 1.6 if n == 4000 else None, repeat)


# --- memory: peak extra bytes of one float64 MLP step -----------------------


def traced_peak(step):
    """Peak bytes traced by tracemalloc during ``step()`` above what was alive before it.

    numpy reports its array buffers to tracemalloc, so this counts arrays and Python
    objects alike. What ``step`` returns (the gradients) is part of the peak.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        kept = step()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    del kept
    return peak


@contextlib.contextmanager
def quiet_stdio():
    """Silence what C libraries write to the process's stdout and stderr (torch's profiler does)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def torch_peak(step):
    """Peak bytes of torch's CPU allocator during ``step()``: the running sum of the
    allocation and free events that torch.profiler(profile_memory=True) records."""
    from torch.profiler import ProfilerActivity, profile

    with quiet_stdio(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        kept = step()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    del kept
    return peak


def bench_memory():
    arrays, x, labels = mlp_problem(np.float64)
    params, inputs = [bp.tensor(p) for p in arrays], bp.tensor(x, requires_grad=False)
    engine_step(params, inputs, labels)  # warm up, then start each measured step with no .grad alive

    def bp_step():
        return engine_step(params, inputs, labels)

    figures = {}
    for p in params:
        p.zero_grad()
    figures["backpropnb"] = traced_peak(bp_step)
    figures["hand numpy"] = traced_peak(lambda: numpy_step(arrays, x, labels))
    if not missing("autograd"):
        figures["autograd"] = traced_peak(lambda: autograd.grad(autograd_loss)(arrays, x, labels))
    if not missing("torch"):
        t_params, t_x, t_labels = torch_problem(arrays, x, labels)
        torch_step(t_params, t_x, t_labels)
        for p in t_params:
            p.grad = None
        figures["torch"] = torch_peak(lambda: torch_step(t_params, t_x, t_labels))
    param_bytes = sum(a.nbytes for a in arrays)
    print(f"  (the parameters' gradients alone, kept after the step: {param_bytes / MiB:.1f} MiB)")
    for name, nbytes in figures.items():
        how = "torch.profiler memory events" if name == "torch" else "tracemalloc"
        note = f"  ({goal(nbytes / MiB, 12)})" if name == "backpropnb" else ""
        print(f"    {name:11s} {nbytes / MiB:6.1f} MiB   [{how}]{note}")
        record("memory", f"{name} MiB", nbytes / MiB)
    for absent in missing("autograd", "torch"):
        print(f"  {absent}: not installed")
    memory_breakdown(params, inputs, labels)


def breakdown_forward(params, inputs, labels):
    return engine_loss(params, inputs, labels)


def breakdown_backward(loss):
    loss.backward()


def memory_breakdown(params, inputs, labels):
    """What lives at backpropnb's peak: the arrays alive when traced memory is highest.

    Python's profile hook reads the traced memory at every function call and return of
    one step and notes the highest; a second, identical step takes a tracemalloc snapshot
    at that moment, and its new allocations are grouped by the pass (forward or backward)
    and the package line that made them. A temporary inside one expression (between two
    calls) could top this, so the traced peak is printed beside it.
    """
    state = {"count": 0, "best": 0, "at": None, "snapshot": None}

    def run(hook):
        for p in params:
            p.zero_grad()
        gc.collect()
        tracemalloc.start(25)
        try:
            baseline = tracemalloc.take_snapshot()
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            state["count"] = 0
            sys.setprofile(hook)
            try:
                loss = breakdown_forward(params, inputs, labels)
                breakdown_backward(loss)
            finally:
                sys.setprofile(None)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        return baseline, before, peak, loss

    def find_max(frame, event, arg):
        state["count"] += 1
        current = tracemalloc.get_traced_memory()[0]
        if current > state["best"]:
            state["best"], state["at"] = current, state["count"]

    def snap(frame, event, arg):
        state["count"] += 1
        if state["count"] == state["at"]:
            state["snapshot"] = tracemalloc.take_snapshot()

    _, before, peak, _ = run(find_max)
    baseline, _, _, loss = run(snap)
    groups = {}
    for stat in state["snapshot"].compare_to(baseline, "traceback"):
        if stat.size_diff > 0:
            size, count = groups.get(where(stat.traceback), (0, 0))
            groups[where(stat.traceback)] = (size + stat.size_diff, count + stat.count_diff)
    print(
        f"  backpropnb's peak: traced {peak / MiB:.1f} MiB, {(state['best'] - before) / MiB:.1f} MiB at the "
        f"highest call boundary, made of (the pass and the line that allocated it):"
    )
    for label, (size, count) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
        if size >= 0.05 * MiB:
            print(f"    {size / MiB:6.2f} MiB  {count:2d} block(s)  {label}")
            record("memory", f"at peak: {label}", size / MiB)

    # the same memory counted by what holds it once the step is over (the graph still alive)
    nodes, stack = {}, [loss]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node.parents)
    size = lambda a: 0 if a is None else np.asarray(a).nbytes
    inner = [n for n in nodes.values() if n.parents]
    leaves = [n for n in nodes.values() if not n.parents and n.requires_grad]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = (
        ("forward values of the intermediate nodes (.data)", sum(size(n.data) for n in inner)),
        ("gradients of the intermediate nodes (.grad)", sum(size(n.grad) for n in inner)),
        ("gradients of the parameters (.grad)", sum(size(n.grad) for n in leaves)),
    )
    read_copies = tracemalloc.get_traced_memory()[0] - before  # an engine may copy a shared .grad when read
    tracemalloc.stop()
    print("  after the step, while the graph is alive:")
    for label, nbytes in held:
        print(f"    {nbytes / MiB:6.2f} MiB  {label}")
        record("memory", f"after: {label}", nbytes / MiB)
    if read_copies > 0.05 * MiB:
        print(f"    (reading those .data and .grad allocated {read_copies / MiB:.2f} MiB: arrays that nodes shared")
        print("     are copied when first read, so these figures count each such copy too)")
        record("memory", "after: allocated by reading .grad", read_copies / MiB)
    for p in params:
        p.zero_grad()


def _lines(function):
    return {line for _, _, line in function.__code__.co_lines() if line}


def where(traceback):
    """'forward|backward  file:line  code' of the innermost package line that allocated a block."""
    import linecache

    phase = "other"
    for frame in traceback:
        if frame.filename == __file__:
            if frame.lineno in _lines(breakdown_forward):
                phase = "forward "
            elif frame.lineno in _lines(breakdown_backward):
                phase = "backward"
    for frame in reversed(traceback):  # a Traceback runs from the oldest frame to the most recent
        if "/backpropnb/" in frame.filename:
            code = linecache.getline(frame.filename, frame.lineno).strip()[:60]
            return f"{phase}  {frame.filename.split('/backpropnb/')[-1]}:{frame.lineno}  {code}"
    return f"{phase}  (outside the package)"


# --- the summary table --------------------------------------------------------

CONTENDERS = ("backpropnb", "micrograd", "autograd", "torch", "hand numpy")
SCALAR_ROWS = (
    "forward + backward, GC on",
    "forward + backward, GC off",
    "backward alone, GC on",
    "backward alone, GC off",
)
HVP_GOALS = {"MLP, separate arrays": "≤ 2.0", "MLP, flat vector": "≤ 2.0", "sum(tanh(W x)**2), n = 4000": "≤ 1.6"}


def markdown_table(results):
    """Issue 14's table from one run's figures: a row per workload, a column per contender, the goal last."""
    rows = []
    scalar = results.get("scalar", {})
    for label in SCALAR_ROWS:
        if label in scalar:
            cells = {name: f"{seconds:.3f} s" for name, seconds in scalar[label].items()}
            ratio = scalar.get(f"{label}: ratio")
            if ratio is not None:
                cells["backpropnb"] += f" (**{ratio:.2f}×**)"
            rows.append((f"scalar demo net, {label}", cells, "≤ 0.5× micrograd"))
    chain = results.get("chain", {})
    cells = {}
    for name in CONTENDERS:
        if f"{name} us per step" in chain:
            ratio = chain.get(f"{name} / torch")
            cells[name] = f"{chain[f'{name} us per step']:.1f} µs" + (f" ({ratio:.2f}×)" if ratio else "")
    if cells:
        rows.append(
            (f"chain y = y·a + b, {chain.get('steps', 100_000):,} steps: µs per step (× torch)", cells, "≤ torch")
        )
    mlp = results.get("mlp", {})
    for dtype, limit in MLP_GOALS.items():
        cells = {}
        for name, ms in mlp.get(f"{dtype} ms", {}).items():
            ratio = mlp.get(f"{dtype} {name} / numpy")
            cells["hand numpy" if name == "numpy" else name] = f"{ms:.1f} ms" + (f" (**{ratio:.2f}**)" if ratio else "")
        if cells:
            rows.append((f"MLP 784-512-512-10, {dtype}: ms (÷ numpy)", cells, f"≤ {limit:.2f}"))
    hvp = results.get("hvp", {})
    for key in (
        "MLP, separate arrays",
        "MLP, flat vector",
        *(f"sum(tanh(W x)**2), n = {n}" for n in (100, 1000, 4000)),
    ):
        cells = {}
        for name in (*CONTENDERS, "hand R-op (numpy)"):
            if f"{key}: {name}" in hvp:
                cells["hand numpy" if name.startswith("hand") else name] = f"{hvp[f'{key}: {name}']['ratio']:.2f}"
        if cells:
            rows.append((f"HVP ÷ gradient, {key}", cells, HVP_GOALS.get(key, "–")))
    memory = results.get("memory", {})
    cells = {name: f"{memory[f'{name} MiB']:.1f} MiB" for name in CONTENDERS if f"{name} MiB" in memory}
    if cells:
        rows.append(("peak extra memory, one float64 MLP step", cells, "≤ 12 MiB"))
    lines = ["| workload | " + " | ".join(CONTENDERS) + " | goal |", "|---" * (len(CONTENDERS) + 2) + "|"]
    for label, cells, limit in rows:
        lines.append(f"| {label} | " + " | ".join(cells.get(name, "–") for name in CONTENDERS) + f" | {limit} |")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------


def versions():
    import importlib.metadata as metadata

    found = {"python": platform.python_version(), "numpy": np.__version__, "backpropnb": bp.__version__}
    for name in ("micrograd", "autograd", "torch"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--repeat", type=int, default=7, help="runs per median (the scalar rows take at most 5)")
    parser.add_argument("--chain", type=int, default=100_000, help="steps of the chain y = y * a + b")
    parser.add_argument("--json", metavar="PATH", help="write every figure to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="end with the summary table in Markdown")
    parser.add_argument("--from-json", metavar="PATH", help="only print the Markdown table of a --json file")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each line as it is measured, also into a file
    if args.from_json:
        with open(args.from_json) as saved:
            print(markdown_table(json.load(saved)))
        return
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {sorted(unknown)}; choose from {','.join(SECTIONS)}")
    repeat = max(args.repeat, 1)

    info = versions()
    info["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    info["load"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    info["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    info["repeat"] = repeat
    RESULTS["run"] = info
    print(", ".join(f"{k} {v}" for k, v in info.items() if k != "load"))
    print(f"load: {info['load']}\nEvery time is a median; the contenders of a row run interleaved.")

    if "scalar" in only:
        print("\nscalar: micrograd's demo, MLP(2, [16, 16, 1]) on 100 points, hinge loss + L2 (seconds)")
        objects = record("scalar", "objects tracked by the GC", len(gc.get_objects()))
        print("  (GC on: the collector runs as usual. It starts a full collection when the objects that survived")
        print("   since the last one exceed a quarter of the long-lived ones, so GC-on times depend on what else")
        print(f"   the process holds: {objects:,} objects here; torch is imported after these rows)")
        bench_scalar(min(repeat, 5))
    load_torch()
    if "chain" in only:
        print(f"\nchain: y = y * {A} + {B}, {args.chain:,} steps, forward + backward")
        bench_chain(args.chain, min(repeat, 5))
    if "mlp" in only:
        print("\nmlp: 784-512-512-10, ReLU, cross-entropy, batch 256, forward + backward, / hand-written numpy")
        bench_mlp(repeat)
    if "hvp" in only:
        print("\nhvp: Hessian-vector product time / gradient time, each contender its own")
        bench_hvp_mlp(repeat)
        for n in (100, 1000, 4000):
            bench_hvp_tanh(n, repeat)
    if "memory" in only:
        print("\nmemory: peak extra memory of one float64 MLP step")
        bench_memory()
    if args.json:
        with open(args.json, "w") as out:
            json.dump(RESULTS, out, indent=1)
        print(f"\nfigures written to {args.json}")
    if args.markdown:
        print("\n" + markdown_table(RESULTS))


if __name__ == "__main__":
    main()
