"""K-means lab engine against scikit-learn, on one thread.

1. Time per Lloyd iteration of ``lab.run`` (all three metrics tracked, stop rule checked,
   final labels and inertia computed) against scikit-learn's own Lloyd
   (``KMeans(algorithm="lloyd", n_init=1, init=centres)``: fit time / n_iter_), from the
   same initial centres, run to the same iteration count (tol=0, equal max_iter): with the
   compiled fused pass (numba) and with the numpy step (the fallback). Beside them the
   memory-bandwidth floor: one read of X (``np.add.reduce`` over its values).
2. The same per-iteration tracking taken from scikit-learn by stepping it one iteration
   at a time (``max_iter=1, init=previous centres, n_init=1``; inertia from ``inertia_``,
   shift from the centres, changed from ``labels_``): time per iteration, and our speedup.

Medians of repeated runs. Run: ``python benchmarks/kmeans.py``; the machine's load (``os.getloadavg``)
is printed with the figures.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lab  # noqa: E402
from lab.experiments.kmeans import KMeansConfig  # noqa: E402

REPEATS = 7
ITERS = 40


def _data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n, n_features=d, centers=k, cluster_std=3.0, random_state=seed)
    rng = np.random.default_rng(seed)
    return X, X[rng.choice(n, k, replace=False)].copy()


def ours(X: np.ndarray, C: np.ndarray, iters: int) -> tuple[float, int]:
    config = KMeansConfig(dataset="csv", k=len(C), init="explicit", init_centers=tuple(map(tuple, C.tolist())),
                          tol=0.0, max_iter=iters)
    result = lab.run(config, data=X)
    return result.seconds / result.artifacts["n_iter"], result.artifacts["n_iter"]


def ours_numpy(X: np.ndarray, C: np.ndarray, iters: int) -> tuple[float, int]:
    """Ours with the numpy step (as when numba does not import)."""
    import lab.experiments.kmeans.lloyd as lloyd

    saved, lloyd.compiled_pass = lloyd.compiled_pass, lambda: None
    try:
        return ours(X, C, iters)
    finally:
        lloyd.compiled_pass = saved


def one_read(X: np.ndarray, C: np.ndarray, iters: int) -> tuple[float, int]:
    """The memory-bandwidth floor of an iteration: one pass over the values of X."""
    flat = X.ravel()
    start = time.perf_counter()
    for _ in range(iters):
        np.add.reduce(flat)
    return (time.perf_counter() - start) / iters, iters


def sklearn_fit(X: np.ndarray, C: np.ndarray, iters: int) -> tuple[float, int]:
    from sklearn.cluster import KMeans

    km = KMeans(len(C), init=C, n_init=1, algorithm="lloyd", tol=0.0, max_iter=iters)
    start = time.perf_counter()
    km.fit(X)
    return (time.perf_counter() - start) / km.n_iter_, km.n_iter_


def sklearn_stepped(X: np.ndarray, C: np.ndarray, iters: int) -> tuple[float, int]:
    from sklearn.cluster import KMeans

    start = time.perf_counter()
    centers, labels, history = C, None, []
    for _ in range(iters):
        km = KMeans(len(C), init=centers, n_init=1, algorithm="lloyd", tol=0.0, max_iter=1).fit(X)
        shift = float(np.square(km.cluster_centers_ - centers).sum())
        changed = len(X) if labels is None else int(np.count_nonzero(km.labels_ != labels))
        history.append((km.inertia_, shift, changed))
        centers, labels = km.cluster_centers_, km.labels_
        if changed == 0:
            break
    return (time.perf_counter() - start) / len(history), len(history)


def medians(fns, X, C, iters) -> list[tuple[float, int]]:
    """Median time per iteration of each function, the functions interleaved in every repeat
    so that a change in the machine's load hits them alike."""
    runs = [[fn(X, C, iters) for fn in fns] for _ in range(REPEATS)]
    return [(float(np.median([r[i][0] for r in runs])), runs[0][i][1]) for i in range(len(fns))]


def main() -> None:
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        for n, d, k in ((100_000, 2, 8), (20_000, 16, 10)):
            X, C = _data(n, d, k)
            ours(X, C, 2)
            sklearn_fit(X, C, 2)
            (t_ours, it_ours), (t_np, _), (t_fit, it_fit), (t_step, it_step), (t_read, _) = medians(
                (ours, ours_numpy, sklearn_fit, sklearn_stepped, one_read), X, C, ITERS)
            load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
            print(f"{n} x {d}, k = {k} (iterations: lab {it_ours}, sklearn {it_fit}, stepped {it_step}; "
                  f"median of {REPEATS}; load average {load})")
            print(f"  sklearn Lloyd, no tracking : {t_fit * 1e3:7.3f} ms / iteration")
            print(f"  lab.run, compiled, tracked : {t_ours * 1e3:7.3f} ms / iteration  -> ratio lab/sklearn = {t_ours / t_fit:.2f}x")
            print(f"  lab.run, numpy, tracked    : {t_np * 1e3:7.3f} ms / iteration  (ratio {t_np / t_fit:.2f}x)")
            print(f"  one read of X (floor)      : {t_read * 1e3:7.3f} ms            (ratio {t_read / t_fit:.2f}x)")
            print(f"  sklearn stepped, tracked   : {t_step * 1e3:7.3f} ms / iteration  -> lab speedup = {t_step / t_ours:.2f}x")

if __name__ == "__main__":
    main()
