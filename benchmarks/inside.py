"""Benchmarks of the "Inside the network" core (``mnist_gui.ml.explain``), numpy only.

``python -m benchmarks.inside [NAME …]`` prints one line per figure, ``NAME: VALUE UNIT``. All figures use
the shipped default model (``load_default_predictor()``) and the bundled MNIST, with fixed seeds.
``FIGURES`` maps each name to a function returning ``[(name, value, unit), …]``, for ``benchmarks/run.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

# mnist_gui before numpy: the package may set the app's BLAS thread count, which must hold here too
from mnist_gui.ml import explain
from mnist_gui.ml.data import Mnist, load_mnist
from mnist_gui.ml.inference import NumpyPredictor, load_default_predictor

import numpy as np

N_DIGITS = 300  # test digits for the two saliency checks
RANDOM_ORDERS = 5  # random deletion orders per digit (the denominator)
SEED = 0
ROOT = Path(__file__).resolve().parent.parent

Figure = tuple[str, float, str]


@cache
def _model() -> NumpyPredictor:
    return load_default_predictor()


@cache
def _data() -> Mnist:
    return load_mnist()


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The fixed 300 test digits as float32 [0, 1] and the default model's predicted class for each."""
    d = _data()
    idx = np.random.default_rng(SEED).choice(len(d.x_test), N_DIGITS, replace=False)
    x = d.x_test[idx].astype(np.float32) / 255
    return x, _model().predict(x).argmax(axis=1)


def reinitialised(model: NumpyPredictor, seed: int = SEED) -> NumpyPredictor:
    """The same architecture with Keras' default initialisation: Glorot uniform kernels, zero biases."""
    rng = np.random.default_rng(seed)
    kernels = []
    for k in model.kernels:
        limit = np.sqrt(6.0 / (k.shape[0] + k.shape[1]))
        kernels.append(rng.uniform(-limit, limit, k.shape).astype(np.float32))
    return NumpyPredictor(kernels, [np.zeros(k.shape[1], np.float32) for k in model.kernels], name="reinitialised")


def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (as scipy.stats.rankdata): blank pixels tie at 0 in every map."""
    _, inverse, counts = np.unique(a.ravel(), return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = _ranks(a), _ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    den = float(np.sqrt((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / den) if den else 0.0


def deletion_curve_means(model: NumpyPredictor, x: np.ndarray, target: int, order_by: np.ndarray,
                         rng: np.random.Generator, random_orders: int = RANDOM_ORDERS) -> tuple[float, float]:
    """Pixel flipping on one digit: the ink pixels (> 0.1) set to 0 in 10 equal steps, most salient first.

    Returns the mean probability of ``target`` over the 11 points, for the saliency order and averaged
    over ``random_orders`` random orders.
    """
    flat = x.ravel()
    ink = np.flatnonzero(flat > 0.1)
    orders = [ink[np.argsort(-order_by.ravel()[ink], kind="stable")]] + [rng.permutation(ink) for _ in range(random_orders)]
    batch = np.repeat(flat[None], len(orders) * 11, axis=0).reshape(len(orders), 11, -1)
    for o, order in enumerate(orders):
        for step in range(1, 11):
            batch[o, step, order[: round(step * len(order) / 10)]] = 0.0
    p = model.predict(batch.reshape(-1, 28, 28))[:, target].reshape(len(orders), 11).mean(axis=1)
    return float(p[0]), float(p[1:].mean())


def saliency_deletion_ratio() -> list[Figure]:
    model = _model()
    xs, targets = _digits()
    rng = np.random.default_rng(SEED + 1)
    by_saliency, by_random = zip(*(deletion_curve_means(model, x, int(t), explain.saliency(model, x, int(t)), rng)
                                   for x, t in zip(xs, targets)))
    return [("saliency_deletion_ratio", float(np.mean(by_saliency) / np.mean(by_random)),
             f"(mean predicted-class probability over 11 deletion steps, saliency order / random; {N_DIGITS} test digits)")]


def saliency_randomization_rank_corr() -> list[Figure]:
    model = _model()
    random_model = reinitialised(model)
    xs, targets = _digits()
    corr = [spearman(explain.saliency(model, x, int(t)), explain.saliency(random_model, x, int(t))) for x, t in zip(xs, targets)]
    return [("saliency_randomization_rank_corr", float(np.mean(corr)),
             f"(Spearman, trained vs Glorot-reinitialised weights, mean over {N_DIGITS} test digits)")]


def _median_seconds(fn: Callable[[], object], runs: int = 5) -> float:
    fn()  # warm-up: first-touch of the data and BLAS thread start-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def top_images_s() -> list[Figure]:
    model, x = _model(), _data().x_train
    hidden = [i.index for i in explain.explainer_for(model).layers() if i.kind != "output"]
    per_layer = [_median_seconds(lambda layer=layer: explain.top_images(model, layer, x, k=9)) for layer in hidden]
    both = _median_seconds(lambda: explain.top_images_per_layer(model, x, k=9))
    return [("top_images_s", max(per_layer),
             f"s (top 9 of {len(x)} training images for all units of a layer; slowest of {len(hidden)} hidden layers, median of 5)"),
            ("top_images_all_layers_s", both, f"s (the same for all {len(hidden)} hidden layers in one pass)")]


def embedding_map_s() -> list[Figure]:
    model, x = _model(), _data().x_test
    return [("embedding_map_s", _median_seconds(lambda: explain.embedding(model, x, n=5000)),
             "s (PCA of the last hidden layer, 5000 test digits, median of 5)")]


def update_times_ms(calls: int = 200) -> list[float]:
    """As per stroke: one drawing → activations + saliency of the predicted class; ``calls`` different digits."""
    model = _model()
    xs, _ = _digits()

    def update(x: np.ndarray) -> None:
        acts = explain.activations(model, x)
        explain.saliency(model, x, acts.predicted)

    for x in xs[:20]:
        update(x)
    times = []
    for x in xs[:calls]:
        t = time.perf_counter()
        update(x)
        times.append(1000 * (time.perf_counter() - t))
    return times


def inside_update_p95_ms() -> list[Figure]:
    times = update_times_ms()
    return [("inside_update_p95_ms", float(np.percentile(times, 95)), "ms (activations + saliency per drawing, 200 calls)"),
            ("inside_update_p50_ms", float(np.percentile(times, 50)), "ms")]


TIMINGS = ("top_images_s", "embedding_map_s", "inside_update_p95_ms")


def blas_threads() -> list[Figure]:
    """The timing figures again with numpy's BLAS (OpenBLAS) at 1 thread and at every core, each in a fresh
    process: on a busy machine a multithreaded BLAS call waits for its threads far longer than it computes."""
    figures = []
    for threads in sorted({1, os.cpu_count() or 1}):
        out = subprocess.run([sys.executable, "-m", "benchmarks.inside", *TIMINGS], capture_output=True, text=True,
                             timeout=1800, cwd=ROOT, env={**os.environ, "OPENBLAS_NUM_THREADS": str(threads)})
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        for line in out.stdout.splitlines():
            name, rest = line.split(": ", 1)
            value, unit = (rest.split(" ", 1) + [""])[:2]
            figures.append((f"{name}_blas{threads}", float(value), f"{unit} [{threads} BLAS thread(s)]".strip()))
    return figures


FIGURES: dict[str, Callable[[], list[Figure]]] = {
    "saliency_deletion_ratio": saliency_deletion_ratio,
    "saliency_randomization_rank_corr": saliency_randomization_rank_corr,
    "top_images_s": top_images_s,
    "embedding_map_s": embedding_map_s,
    "inside_update_p95_ms": inside_update_p95_ms,
    "blas_threads": blas_threads,
}


def main(argv: list[str]) -> int:
    names = argv or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    for name in names:
        for fig, value, unit in FIGURES[name]():
            print(f"{fig}: {value:.4g} {unit}", flush=True)
    # shared machines: the timing figures mean little without the load they were measured under
    if hasattr(os, "getloadavg"):
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
