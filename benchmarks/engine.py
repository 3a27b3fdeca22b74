"""How fast is the engine? Run by hand: ``.venv/bin/python benchmarks/engine.py``.

Prints, measured side by side in one run (median of ``--repeat`` runs, at least 7):

1. a 784-512-512-10 ReLU MLP with cross-entropy, batch 256, float64 and float32:
   engine forward+backward time / hand-written numpy forward+backward (target <= 1.3);
2. a scalar MLP(2, [16, 16, 1]) on 100 points built from 0-d tensors: time per
   forward+backward and the number of nodes in the graph;
3. hvp time / grad time on the MLP loss and on f(x) = sum(tanh(W x)**2) for
   n = 100, 1000, 4000 (target <= 3);
4. the backward time of a chain of 100,000 operations.

This is not a test: timings depend on the machine and its load. On a shared
machine, ``OPENBLAS_NUM_THREADS=1`` makes the ratios far less noisy. The
figures go into benchmarks/README.md by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import backpropnb as bp

SIZES = (784, 512, 512, 10)
BATCH = 256


def median_time(run, repeat):
    """Median wall time of ``run()`` over ``repeat`` runs, after one warm-up run."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(runs, repeat):
    """Median time of each run, the runs interleaved so that load changes hit all alike."""
    for run in runs:
        run()
    times = [[] for _ in runs]
    for _ in range(repeat):
        for run, bucket in zip(runs, times):
            start = time.perf_counter()
            run()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


# --- 1. the MLP: engine against hand-written numpy --------------------


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


def numpy_step(params, x, labels):
    """Hand-written forward and backward of the same net: the floor for any numpy engine."""
    activations, pre = [x], []
    for i in range(0, len(params) - 2, 2):
        z = activations[-1] @ params[i] + params[i + 1]
        pre.append(z)
        activations.append(np.maximum(z, 0))
    logits = activations[-1] @ params[-2] + params[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(axis=1, keepdims=True)
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


def bench_mlp(dtype, repeat):
    arrays, x, labels = mlp_problem(dtype)
    params = [bp.tensor(p) for p in arrays]
    inputs = bp.tensor(x, requires_grad=False)
    # the two must agree before their times are compared
    ours = engine_step(params, inputs, labels)
    _, theirs = numpy_step(arrays, x, labels)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))
    assert worst < (1e-4 if dtype == np.float32 else 1e-10), worst
    t_engine, t_numpy = side_by_side(
        [lambda: engine_step(params, inputs, labels), lambda: numpy_step(arrays, x, labels)], repeat
    )
    return t_engine, t_numpy


# --- 2. the scalar MLP of 0-d tensors -----------------------------------


class ScalarMLP:
    """micrograd's MLP: every weight is its own 0-d tensor, every product its own node."""

    def __init__(self, n_in, widths, rng):
        self.layers = []
        for fan_in, fan_out in zip((n_in, *widths[:-1]), widths):
            weights = [[bp.tensor(rng.uniform(-1, 1)) for _ in range(fan_in)] for _ in range(fan_out)]
            biases = [bp.tensor(0.0) for _ in range(fan_out)]
            self.layers.append((weights, biases))

    def parameters(self):
        return [p for weights, biases in self.layers for row in weights for p in (*row, *biases)]

    def __call__(self, x):
        for k, (weights, biases) in enumerate(self.layers):
            x = [self._neuron(row, b, x, last=k == len(self.layers) - 1) for row, b in zip(weights, biases)]
        return x[0]

    @staticmethod
    def _neuron(row, bias, x, last):
        total = bias
        for w, xi in zip(row, x):
            total = total + w * xi
        return total if last else total.relu()


def count_nodes(root):
    """Every node reachable through .parents (leaves and constants included)."""
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bench_scalar_mlp(repeat):
    rng = np.random.default_rng(1)
    model = ScalarMLP(2, [16, 16, 1], rng)
    points = rng.uniform(-1, 1, (100, 2))
    targets = np.sign(points[:, 0] * points[:, 1])

    def loss():
        total = 0.0
        for (a, b), t in zip(points, targets):
            total = total + (model([float(a), float(b)]) - float(t)) ** 2
        return total / len(points)

    def step():
        for p in model.parameters():
            p.zero_grad()
        value = loss()
        value.backward()
        return value

    nodes = count_nodes(loss())
    return median_time(step, repeat), nodes


# --- 3. hvp over grad -----------------------------------------------------


def flat_mlp_loss(arrays, x, labels):
    """The MLP loss as a function of one flat parameter vector (hvp takes one x)."""
    shapes = [a.shape for a in arrays]
    bounds = np.cumsum([0] + [a.size for a in arrays])

    def f(flat):
        params = [flat[int(lo) : int(hi)].reshape(shape) for lo, hi, shape in zip(bounds[:-1], bounds[1:], shapes)]
        return engine_loss(params, x, labels)

    return f, np.concatenate([a.ravel() for a in arrays])


def bench_hvp(f, x, repeat):
    v = np.random.default_rng(2).standard_normal(x.shape)
    t_grad, t_hvp = side_by_side([lambda: bp.grad(f)(x), lambda: bp.hvp(f)(x, v)], repeat)
    return t_grad, t_hvp


def tanh_problem(n):
    w = np.random.default_rng(3).standard_normal((n, n)) / np.sqrt(n)
    weights = bp.tensor(w, requires_grad=False)
    return (lambda x: ((weights @ x).tanh() ** 2).sum()), np.random.default_rng(4).standard_normal(n)


# --- 4. the long chain ----------------------------------------------------


def bench_chain(length, repeat):
    x = bp.tensor(1.0)
    y = x
    start = time.perf_counter()
    for i in range(length):
        y = y * 1.00001 if i % 2 else y + 0.5
    build = time.perf_counter() - start

    def backward():
        x.zero_grad()
        y.backward(retain_graph=True)  # the same graph, timed again

    return build, median_time(backward, repeat)


# --- main -------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per measurement (median; at least 7)")
    parser.add_argument("--chain", type=int, default=100_000, help="length of the chain of operations")
    args = parser.parse_args(argv)
    repeat = max(args.repeat, 7)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"backpropnb {bp.__version__}, numpy {np.__version__}, BLAS threads {threads}, median of {repeat} runs\n")

    print("1. MLP 784-512-512-10, ReLU, cross-entropy, batch 256: forward+backward")
    for dtype in (np.float64, np.float32):
        t_engine, t_numpy = bench_mlp(dtype, repeat)
        print(
            f"   {np.dtype(dtype).name:8s} engine {t_engine * 1e3:7.1f} ms   numpy {t_numpy * 1e3:7.1f} ms   "
            f"ratio {t_engine / t_numpy:.2f}  (target <= 1.3)"
        )

    t_step, nodes = bench_scalar_mlp(max(repeat // 3, 3) if repeat > 7 else 3)
    print("\n2. scalar MLP(2, [16, 16, 1]) of 0-d tensors on 100 points")
    print(f"   forward+backward {t_step:.3f} s   nodes {nodes:,}   ({t_step / nodes * 1e6:.1f} us per node)")

    print("\n3. hvp time / grad time (target <= 3)")
    arrays, x, labels = mlp_problem(np.float64)
    f, flat = flat_mlp_loss(arrays, bp.tensor(x, requires_grad=False), labels)
    t_grad, t_hvp = bench_hvp(f, flat, repeat)
    print(
        f"   MLP loss ({flat.size:,} params)  grad {t_grad * 1e3:8.1f} ms   hvp {t_hvp * 1e3:8.1f} ms   ratio {t_hvp / t_grad:.2f}"
    )
    for n in (100, 1000, 4000):
        f, x0 = tanh_problem(n)
        t_grad, t_hvp = bench_hvp(f, x0, repeat)
        print(
            f"   sum(tanh(Wx)^2), n={n:<5d}   grad {t_grad * 1e3:8.2f} ms   hvp {t_hvp * 1e3:8.2f} ms   ratio {t_hvp / t_grad:.2f}"
        )

    build, t_chain = bench_chain(args.chain, repeat)
    print(f"\n4. chain of {args.chain:,} ops: build {build:.2f} s, backward {t_chain:.2f} s")


if __name__ == "__main__":
    main()
