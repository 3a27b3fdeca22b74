"""Hessian-vector products three ways, each timed against one gradient. Run by hand:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/hvp_modes.py [--repeat 9]

For the 784-512-512-10 ReLU MLP's cross-entropy as a function of one flat parameter vector
(batch 256, float64) and for f(x) = sum(tanh(W x)**2) with n = 100, 1000, 4000, it prints the
median time of grad and of

* ``bp.hvp``: reverse over forward, the gradient of the slope jvp(f, (x,), (v,))[1] = ∇f·v;
* forward over reverse, ``jvp(grad(f), (x,), (v,))``;
* reverse over reverse, backpropagating through grad(f)(x) · v (what hvp did before jvp existed),

all four interleaved (a change of load hits all alike), as multiples of the gradient's time.
This is not a test: timings depend on the machine and its load.
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


def side_by_side(runs, repeat):
    """Median time of each run, the runs interleaved, after one warm-up run each."""
    for run in runs:
        run()
    times = [[] for _ in runs]
    for _ in range(repeat):
        for run, bucket in zip(runs, times):
            start = time.perf_counter()
            run()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def mlp_loss_of_flat_parameters(seed=0):
    """The MLP's mean cross-entropy as a function of one flat vector of all its parameters, and that vector."""
    rng = np.random.default_rng(seed)
    arrays = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        arrays += [rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in), np.zeros(fan_out)]
    x = bp.tensor(rng.standard_normal((BATCH, SIZES[0])), requires_grad=False)
    labels = rng.integers(0, SIZES[-1], BATCH)
    bounds = np.cumsum([0] + [a.size for a in arrays])

    def loss(flat):
        params = [flat[int(lo) : int(hi)].reshape(a.shape) for lo, hi, a in zip(bounds[:-1], bounds[1:], arrays)]
        h = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i] + params[i + 1]).relu()
        return bp.cross_entropy(h @ params[-2] + params[-1], labels)

    return loss, np.concatenate([a.ravel() for a in arrays])


def tanh_loss(n):
    """f(x) = sum(tanh(W x)**2) for a fixed random n x n matrix W, and a point x."""
    weights = bp.tensor(np.random.default_rng(3).standard_normal((n, n)) / np.sqrt(n), requires_grad=False)
    return (lambda x: ((weights @ x).tanh() ** 2).sum()), np.random.default_rng(4).standard_normal(n)


def compare(f, x, repeat):
    v = np.random.default_rng(2).standard_normal(x.shape)
    ways = {
        "grad": lambda: bp.grad(f)(x),
        "hvp (rev/fwd)": lambda: bp.hvp(f)(x, v),
        "jvp of grad (fwd/rev)": lambda: bp.jvp(bp.grad(f), (x,), (v,))[1],
        "double backprop (rev/rev)": lambda: bp.grad(lambda z: (bp.grad(f)(z) * v).sum())(x),
    }
    results = [ways[name]() for name in list(ways)[1:]]
    worst = max(float(np.max(np.abs(r - results[0]))) for r in results)
    assert worst <= 1e-10 * max(1.0, float(np.max(np.abs(results[0])))), worst  # the same H v three ways
    times = dict(zip(ways, side_by_side(list(ways.values()), repeat)))
    return {name: t / times["grad"] for name, t in times.items()}, times["grad"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per measurement (median; at least 5)")
    repeat = max(parser.parse_args(argv).repeat, 5)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"BLAS threads {threads}, median of {repeat} interleaved runs; times ÷ one gradient's time\n")
    problems = [("MLP, flat parameters", *mlp_loss_of_flat_parameters())]
    problems += [(f"tanh, n = {n}", *tanh_loss(n)) for n in (100, 1000, 4000)]
    for label, f, x in problems:
        ratios, t_grad = compare(f, x, repeat)
        shown = "   ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items() if name != "grad")
        print(f"{label:22s} grad {t_grad * 1e3:8.2f} ms   {shown}", flush=True)


if __name__ == "__main__":
    main()
