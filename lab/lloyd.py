"""Lloyd's k-means iteration written out in numpy, in scikit-learn's order, and its stop rule.

One iteration (`Lloyd.iterate`) is the textbook pair of steps:

1. assign every point to its nearest centre, using
   ``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2``: one BLAS product per chunk of rows
   against the centres stacked as ``[-2c, ||c||^2, 1]`` with the rows stacked as
   ``[x, 1, ||x||^2]`` (``||x||^2`` computed once), so the product *is* the matrix of squared
   distances, without extra passes;
2. move every centre to the mean of its points: per-cluster counts with ``np.bincount``
   and sums with one weighted ``bincount`` per feature (up to 3 features) or one product
   with the sparse indicator matrix of the labels (more features); no Python loop over
   points (``np.add.at`` is several times slower). Once few points change cluster (at
   most 1/8 of them, typically after a few iterations) only those points are moved
   between the sums: the means agree with fresh sums up to rounding (tests hold them to
   1e-12) for a fraction of the work.

The nearest centre of each row is found without ``argmin`` over short rows (numpy calls
its inner loop once per row, which dominates a whole iteration for small k). Squared
distances are non-negative doubles, whose bit patterns order like 64-bit integers; the
lowest ``ceil(log2 k)`` bits of each distance are replaced by the centre's index and one
elementwise integer minimum across the centres gives the nearest centre (low bits) and
its distance (high bits) at once (a distance that rounding made slightly negative, a point
sitting on a centre, still orders below every positive one). Exact ties go to the lowest
index, as in scikit-learn;
two distances within ``2**bits`` units in the last place (a relative 1e-14 for k <= 50)
count as a tie, far below the rounding that separates any two implementations.

Empty clusters are handled as scikit-learn does (``_relocate_empty_clusters_dense``): each
empty centre moves onto one of the points farthest from their current centres (the
farthest goes to the first empty cluster), that point's weight moves from its old cluster
to the new one (its label is not changed until the next assignment); a cluster left with
no weight at all takes the centre of the heaviest cluster.

The data must be centred (scikit-learn subtracts the mean before iterating, for more
accurate distances); the experiment does that and adds the mean back for display.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lab.records import Step
from lab.stopping import Decision, Rule

#: Sums are recomputed from scratch when more than 1/FULL_SUMS_ABOVE of the points changed
#: cluster; otherwise only the points that changed are moved between the sums.
FULL_SUMS_ABOVE = 8


def tolerance(X: np.ndarray, tol: float) -> float:
    """scikit-learn's absolute tolerance: tol times the mean variance of the features."""
    if tol == 0:
        return 0.0
    return float(np.mean(np.var(X, axis=0)) * tol)


class Lloyd:
    """Lloyd iterations from given centres on centred, C-contiguous float64 data.

    After `iterate()`, `labels` are this iteration's assignment (to the centres the
    iteration started from) and `centers` the moved centres.
    """

    def __init__(self, X: np.ndarray, centers: np.ndarray, *, chunk: int | None = None) -> None:
        n, d = X.shape
        k = centers.shape[0]
        self.n, self.d, self.k = n, d, k
        self.X = X
        # rows [x_1 .. x_d, 1, ||x||^2] as contiguous feature rows: the product with
        # [-2c, ||c||^2, 1] is the squared distance, and each feature row feeds bincount.
        self._xt = np.empty((d + 2, n))
        self._xt[:d] = X.T
        self._xt[d] = 1.0
        np.einsum("ij,ij->i", X, X, out=self._xt[d + 1])
        self._ct = np.empty((k, d + 2))
        self.chunk = chunk or max(256, 32768 // k)
        width = min(self.chunk, n)
        # rows padded by 8 values so that the k rows of a chunk do not all start at the same
        # offset modulo 4 KiB (a power-of-two row stride makes them compete for cache sets)
        self._dist = np.empty((k, width + 8))[:, :width]
        self._bits = max(1, (k - 1).bit_length())
        self._high = np.int64(~((1 << self._bits) - 1))
        self._low = np.int64((1 << self._bits) - 1)
        self._index = np.broadcast_to(np.arange(k, dtype=np.int64)[:, None], self._dist.shape).copy()
        self._best = np.empty(n, dtype=np.int64)
        self.labels = np.full(n, -1, dtype=np.int64)
        self._labels_old = np.full(n, -1, dtype=np.int64)
        self._sums = np.empty((k, d))
        self._counts = np.zeros(k)
        self._ones: np.ndarray | None = None
        self._ptr: np.ndarray | None = None
        self.centers = np.array(centers, dtype=np.float64, order="C")

    def assign(self, centers: np.ndarray, labels: np.ndarray) -> float:
        """Nearest centre of every point into `labels`; returns the summed squared distances."""
        d = self.d
        ct = self._ct
        np.multiply(centers, -2.0, out=ct[:, :d])
        np.einsum("ij,ij->i", centers, centers, out=ct[:, d])
        ct[:, d + 1] = 1.0
        dist, index, best = self._dist, self._index, self._best
        bits = dist.view(np.int64)
        for start in range(0, self.n, self.chunk):
            stop = min(start + self.chunk, self.n)
            width = stop - start
            block, block_bits = dist[:, :width], bits[:, :width]
            np.matmul(ct, self._xt[:, start:stop], out=block)
            np.bitwise_and(block_bits, self._high, out=block_bits)
            np.bitwise_or(block_bits, index[:, :width], out=block_bits)
            np.minimum.reduce(block_bits, axis=0, out=best[start:stop])
        np.bitwise_and(best, self._low, out=labels)
        np.bitwise_and(best, self._high, out=best)
        return float(best.view(np.float64).sum())

    def iterate(self) -> tuple[float, float, int]:
        """One Lloyd iteration; returns (inertia of the assignment, centre shift, labels changed).

        The inertia is measured to the centres the assignment was made with; the shift is
        the summed squared movement of the centres (scikit-learn's ``center_shift_tot``).
        """
        self.labels, self._labels_old = self._labels_old, self.labels
        inertia = self.assign(self.centers, self.labels)
        moved_points = self.labels != self._labels_old
        changed = int(np.count_nonzero(moved_points))
        if changed * FULL_SUMS_ABOVE > self.n:
            self._counts = np.bincount(self.labels, minlength=self.k).astype(np.float64)
            self._cluster_sums()
        elif changed:
            self._update_sums(np.flatnonzero(moved_points))
        counts = self._counts
        if counts.min() > 0:
            new = self._sums / counts[:, None]
        else:
            new = relocate_empty(self.X, self.centers, self._sums, counts, self.labels)
        moved = np.sqrt(np.square(new - self.centers).sum(axis=1))
        shift = float(np.square(moved).sum())
        self.centers = new
        return inertia, shift, changed

    def _update_sums(self, idx: np.ndarray) -> None:
        """Move the points `idx` (that changed cluster) from their old clusters' sums to their new ones."""
        k = np.arange(self.k)[:, None]
        move = (self.labels[idx] == k).astype(np.float64) - (self._labels_old[idx] == k)
        self._counts += move.sum(axis=1)
        self._sums += move @ self.X[idx]

    def _cluster_sums(self) -> None:
        """Per-cluster sums of the points, summed in point order (the two ways agree to the bit).

        Up to 3 features one weighted ``bincount`` per feature is fastest; beyond, one
        product with the sparse (k x n) indicator matrix of the labels.
        """
        if self.d <= 3:
            for f in range(self.d):
                self._sums[:, f] = np.bincount(self.labels, weights=self._xt[f], minlength=self.k)
            return
        from scipy.sparse import csc_array

        if self._ones is None:
            self._ones, self._ptr = np.ones(self.n), np.arange(self.n + 1)
        self._sums[:] = csc_array((self._ones, self.labels, self._ptr), shape=(self.k, self.n)) @ self.X

    def finish(self, strict: bool) -> tuple[np.ndarray, float]:
        """Final labels and inertia, as scikit-learn reports them.

        After strict convergence the last labels stand; otherwise the points are assigned
        once more to the final centres. The inertia is summed directly, point by point.
        """
        labels = self.labels.copy()
        if not strict:
            self.assign(self.centers, labels)
        return labels, exact_inertia(self.X, self.centers, labels)


def exact_inertia(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances of the points to their centres, computed directly."""
    return float(np.square(X - centers[labels]).sum())


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
    # scikit-learn averages in index order, so an empty cluster before the heaviest one
    # copies its (not yet averaged) sum; kept as it is to give the same centres.
    for j in range(len(counts)):
        if counts[j] > 0:
            sums[j] /= counts[j]
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
    3. otherwise, at iteration `max_iter`, the budget is spent (kind "max_steps").
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
            return Decision(True, "tolerance", f"strict convergence at iteration {t}: no point changed cluster", t)
        shift, tol = m.get(self.shift), m.get(self.tol)
        if shift is not None and tol is not None and shift <= tol:
            return Decision(
                True, "tolerance",
                f"converged at iteration {t}: centre shift {shift:.4g} is within tol x mean feature variance = {tol:.4g}",
                t,
            )
        if t >= self.max_iter:
            return Decision(
                True, "max_steps",
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
                keep_labels: bool = False, offset: np.ndarray | None = None) -> Restart:
    """Run Lloyd from `init_centers` (centred coordinates) until `LloydConvergence` decides."""
    engine = Lloyd(X, init_centers)
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
