"""Lloyd's k-means iteration in scikit-learn's arithmetic, and its stop rule.

One iteration (`Lloyd.iterate`) is the textbook pair of steps:

1. assign every point to its nearest centre. As scikit-learn's ``_update_chunk_dense``
   does, the distance that is compared is ``||c||^2 - 2 x.c`` (``||x||^2`` is the same for
   every centre), ``x.c`` from one BLAS product per chunk of rows, and the nearest centre
   is the first strictly smaller distance: an exact tie goes to the lowest index;
2. move every centre to the mean of its points: per-cluster sums in point order (one
   weighted ``bincount`` per feature) times ``1 / count``, as scikit-learn's
   ``_average_centers`` multiplies by the reciprocal.

Done in this order the distances, and so the ties, come out bit for bit as scikit-learn's
on one thread (where its sums run in point order too): on integer data, where distances
tie exactly, the labels and iteration counts are scikit-learn's. What that rests on: both
libraries' BLAS (OpenBLAS in the numpy and scipy wheels) pick the same kernel for the
product; the tests check it over random ties, duplicated centres and integer data. Two
things are not reproduced to the bit: scikit-learn on several threads adds per-thread sums
(its centres then differ in the last place, and an exact tie after that can break the other
way), and the centre shift is summed in numpy's order, so a shift that equals the tolerance
to within rounding may stop one iteration apart.

Two engines do step 1 and the sums: this module's numpy step, the readable reference and
the fallback, and `compiled.lloyd_pass`, one fused numba pass over X with the same
arithmetic, used when numba imports and the data has at most `COMPILED_MAX_FEATURES`
features. They give the same labels and iteration counts, and inertia and centres within
1e-12 (the tests hold them to it).

Empty clusters are handled as scikit-learn does (``_relocate_empty_clusters_dense``): each
empty centre moves onto one of the points farthest from their current centres (the
farthest goes to the first empty cluster), that point's weight moves from its old cluster
to the new one (its label is not changed until the next assignment); a cluster left with
no weight at all takes the centre of the heaviest cluster.

The data must be centred (scikit-learn subtracts the mean before iterating, for more
accurate distances); the experiment does that and adds the mean back for display.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import NamedTuple

import numpy as np

from lab.records import Step
from lab.stopping import Decision, Kind, Rule

#: Rows per BLAS product of the numpy step (scikit-learn's ``CHUNK_SIZE``).
CHUNK = 256
#: The most features for which the compiled pass's dot products (fused multiply-adds in
#: feature order) equal OpenBLAS's bit for bit (SkylakeX and Haswell double kernels; beyond,
#: OpenBLAS splits the sum and the numpy step, on the same BLAS, is used).
COMPILED_MAX_FEATURES = 31


def tolerance(X: np.ndarray, tol: float) -> float:
    """scikit-learn's absolute tolerance: tol times the mean variance of the features."""
    if tol == 0:
        return 0.0
    return float(np.mean(np.var(X, axis=0)) * tol)


@cache
def compiled_pass() -> Callable | None:
    """The compiled fused pass, or None when numba does not import (then the numpy step runs)."""
    try:
        from lab.experiments.kmeans.compiled import lloyd_pass
    except ImportError:
        return None
    return lloyd_pass


class Lloyd:
    """Lloyd iterations from given centres on centred, C-contiguous float64 data.

    After `iterate()`, `labels` are this iteration's assignment (to the centres the
    iteration started from) and `centers` the moved centres. `compiled` picks the engine:
    None takes the compiled pass when it can run, False the numpy step, True insists on
    the compiled pass.
    """

    def __init__(self, X: np.ndarray, centers: np.ndarray, *, compiled: bool | None = None) -> None:
        n, d = X.shape
        k = centers.shape[0]
        self.n, self.d, self.k = n, d, k
        self.X = X
        self._xt = np.ascontiguousarray(X.T)
        self._xsq = np.einsum("ij,ij->i", X, X)
        fused = compiled_pass() if compiled is not False and d <= COMPILED_MAX_FEATURES else None
        if compiled and fused is None:
            raise ValueError(f"the compiled Lloyd pass needs numba and at most {COMPILED_MAX_FEATURES} features (d={d})")
        self._fused = fused
        self.compiled = fused is not None
        self._dot = np.empty((min(CHUNK + 1, n), k))
        self.labels = np.full(n, -1, dtype=np.int64)
        self._labels_old = np.full(n, -1, dtype=np.int64)
        self._sums = np.empty((k, d))
        self._counts = np.zeros(k)
        self.centers = np.array(centers, dtype=np.float64, order="C")

    def assign(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """Nearest centre of every point into `labels` (numpy step); returns the summed squared distances.

        The chunks keep at least two rows (a one-row product would take BLAS's matrix-vector
        path, which rounds differently).
        """
        center_sq = np.einsum("ij,ij->i", centers, centers)
        starts = list(range(0, self.n - 1, CHUNK))
        inertia = 0.0
        for start, stop in zip(starts, [*starts[1:], self.n]):
            dist = self._dot[: stop - start]
            np.matmul(self.X[start:stop], centers.T, out=dist)
            dist *= -2.0
            dist += center_sq
            nearest = np.argmin(dist, axis=1)
            labels[start:stop] = nearest
            inertia += float((self._xsq[start:stop] + dist[np.arange(stop - start), nearest]).sum())
        return inertia

    def _sweep(self, centers: np.ndarray, labels_old: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
        """Assign into `labels`, fill the per-cluster sums and counts; returns (inertia, labels changed)."""
        if self._fused is not None:
            center_sq = np.einsum("ij,ij->i", centers, centers)
            inertia, changed = self._fused(self._xt, self._xsq, centers, center_sq, labels_old, labels,
                                           self._sums, self._counts)
            return float(inertia), int(changed)
        inertia = self.assign(centers, labels)
        self._counts = np.bincount(labels, minlength=self.k).astype(np.float64)
        for f in range(self.d):
            self._sums[:, f] = np.bincount(labels, weights=self._xt[f], minlength=self.k)
        return inertia, int(np.count_nonzero(labels != labels_old))

    def iterate(self) -> tuple[float, float, int]:
        """One Lloyd iteration; returns (inertia of the assignment, centre shift, labels changed).

        The inertia is measured to the centres the assignment was made with; the shift is
        the summed squared movement of the centres (scikit-learn's ``center_shift_tot``).
        """
        self.labels, self._labels_old = self._labels_old, self.labels
        inertia, changed = self._sweep(self.centers, self._labels_old, self.labels)
        counts = self._counts
        if counts.min() > 0:
            new = self._sums * (1.0 / counts)[:, None]
        else:
            new = relocate_empty(self.X, self.centers, self._sums, counts, self.labels)
        moved = np.sqrt(np.square(new - self.centers).sum(axis=1))
        shift = float(np.square(moved).sum())
        self.centers = new
        return inertia, shift, changed

    def finish(self, strict: bool) -> tuple[np.ndarray, float]:
        """Final labels and inertia, as scikit-learn reports them.

        After strict convergence the last labels stand; otherwise the points are assigned
        once more to the final centres. The inertia is summed directly, point by point.
        """
        labels = self.labels.copy()
        if not strict:
            self._sweep(self.centers, labels, labels)
        return labels, exact_inertia(self.X, self.centers, labels)


def exact_inertia(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of the points to their centres, computed directly."""
    diff = X - centers[labels]
    return float(np.vdot(diff, diff))


def relocate_empty(X: np.ndarray, centers_old: np.ndarray, sums: np.ndarray, counts: np.ndarray,
                   labels: np.ndarray) -> np.ndarray:
    """New centres when some clusters are empty: scikit-learn's relocation, step by step."""
    sums, counts = sums.copy(), counts.copy()
    empty = np.flatnonzero(counts == 0)
    distances = np.square(X - centers_old[labels]).sum(axis=1)
    n_empty = len(empty)
    if distances.max() > 0:
        far = np.argpartition(distances, -n_empty)[: -n_empty - 1 : -1]
        for new_id, far_idx in zip(empty, far):
            old_id = labels[far_idx]
            sums[old_id] -= X[far_idx]
            sums[new_id] = X[far_idx]
            counts[new_id] = 1.0
            counts[old_id] -= 1.0
    heaviest = int(np.argmax(counts))
    # scikit-learn averages in index order (times 1 / count), so an empty cluster before the heaviest one
    # copies its (not yet averaged) sum; kept as it is to give the same centres.
    for j in range(len(counts)):
        if counts[j] > 0:
            sums[j] *= 1.0 / counts[j]
        else:
            sums[j] = sums[heaviest]
    return sums


class LloydConvergence(Rule):
    """scikit-learn's stopping test for Lloyd, checked in its order after every iteration.

    1. strict convergence: no point changed cluster (never at iteration 1, when every
       point gets its first label);
    2. otherwise the centre shift (summed squared movement) is at most the absolute
       tolerance, tol times the mean feature variance (the experiment reports it as the
       metric ``kmeans/tol``, since it depends on the data);
    3. otherwise, at iteration `max_iter`, the budget is spent (kind budget).
    """

    def __init__(self, max_iter: int, prefix: str = "kmeans/") -> None:
        self.max_iter = max_iter
        self.changed, self.shift, self.tol = prefix + "changed", prefix + "shift", prefix + "tol"

    def _params(self) -> dict:
        return {"max_iter": self.max_iter}

    def update(self, step: Step) -> Decision | None:
        m = step.metrics
        t = step.step
        if m.get(self.changed) == 0:
            return Decision(Kind.CONVERGED, f"strict convergence at iteration {t}: no point changed cluster", t)
        shift, tol = m.get(self.shift), m.get(self.tol)
        if shift is not None and tol is not None and shift <= tol:
            return Decision(
                Kind.CONVERGED,
                f"converged at iteration {t}: centre shift {shift:.4g} is within tol x mean feature variance = {tol:.4g}",
                t,
            )
        if t >= self.max_iter:
            return Decision(
                Kind.BUDGET,
                f"stopped at max_iter = {self.max_iter} without converging: points still change cluster "
                f"and the centre shift {shift:.4g} is above {tol:.4g}",
                t,
            )
        return None


class Restart(NamedTuple):
    """One k-means run from one set of initial centres, with its whole history."""

    init_centers: np.ndarray
    steps: list[Step]
    center_paths: list[np.ndarray]
    labels_per_iter: list[np.ndarray] | None
    decision: Decision
    centers: np.ndarray
    labels: np.ndarray
    inertia: float

    @property
    def n_iter(self) -> int:
        return self.decision.step


def lloyd_steps(engine: Lloyd, tol_abs: float, max_iter: int, paths: list[np.ndarray],
                labels_per_iter: list[np.ndarray] | None = None, offset: np.ndarray | None = None):
    """Iterate `engine` up to `max_iter` times, yielding a Step per iteration.

    Appends the centres after each iteration to `paths` (plus `offset`, the data mean) and,
    when given a list, a copy of each iteration's labels to `labels_per_iter`.
    """
    shift_back = 0.0 if offset is None else offset
    for t in range(1, max_iter + 1):
        inertia, shift, changed = engine.iterate()
        paths.append(engine.centers + shift_back)
        if labels_per_iter is not None:
            labels_per_iter.append(engine.labels.astype(np.int8 if engine.k <= 127 else np.int32))
        yield Step(t, {"kmeans/inertia": inertia, "kmeans/shift": shift, "kmeans/changed": float(changed),
                       "kmeans/tol": tol_abs})


def run_restart(X: np.ndarray, init_centers: np.ndarray, tol_abs: float, max_iter: int, *,
                keep_labels: bool = False, offset: np.ndarray | None = None, compiled: bool | None = None) -> Restart:
    """Run Lloyd from `init_centers` (centred coordinates) until `LloydConvergence` decides
    (`compiled` picks the engine, as in `Lloyd`)."""
    engine = Lloyd(X, init_centers, compiled=compiled)
    rule = LloydConvergence(max_iter)
    shift_back = 0.0 if offset is None else offset
    paths = [np.asarray(init_centers) + shift_back]
    per_iter: list[np.ndarray] | None = [] if keep_labels else None
    steps: list[Step] = []
    decision = None
    for step in lloyd_steps(engine, tol_abs, max_iter, paths, per_iter, offset):
        steps.append(step)
        decision = rule.update(step)
        if decision is not None:
            break
    assert decision is not None
    strict = steps[-1].metrics["kmeans/changed"] == 0
    labels, inertia = engine.finish(strict)
    return Restart(np.asarray(init_centers) + shift_back, steps, paths, per_iter, decision,
                   engine.centers + shift_back, labels, inertia)


def same_clustering(a: np.ndarray, b: np.ndarray, k: int) -> bool:
    """True when two labelings are equal up to a renaming of the clusters (scikit-learn's test)."""
    mapping = np.full(k, -1, dtype=np.int64)
    first = np.unique(a, return_index=True)[1]
    mapping[a[first]] = b[first]
    return bool(np.array_equal(mapping[a], b))


def best_restart(restarts: list[Restart], k: int) -> int:
    """Index of the restart scikit-learn keeps: lower inertia and a different clustering."""
    best = 0
    for i in range(1, len(restarts)):
        r, b = restarts[i], restarts[best]
        if r.inertia < b.inertia and not same_clustering(r.labels, b.labels, k):
            best = i
    return best
