"""Lloyd's iteration against scikit-learn's KMeans(algorithm="lloyd") and hand-checked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_moons

from lab.lloyd import Lloyd, LloydConvergence, best_restart, relocate_empty, run_restart, same_clustering, tolerance
from lab.records import Step


def _sklearn(X, C, tol, max_iter=300):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(len(C), init=C, n_init=1, algorithm="lloyd", tol=tol, max_iter=max_iter).fit(X)


def _ours(X, C, tol, max_iter=300):
    mean = X.mean(axis=0)
    Xc = np.ascontiguousarray(X - mean)
    return run_restart(Xc, C - mean, tolerance(Xc, tol), max_iter, offset=mean)


def _data(kind, seed):
    if kind == "blobs":
        return make_blobs(400, n_features=2, centers=5, cluster_std=1.5, random_state=seed)[0]
    if kind == "blobs5d":
        return make_blobs(300, n_features=5, centers=4, cluster_std=2.0, random_state=seed)[0]
    if kind == "moons":
        return make_moons(300, noise=0.1, random_state=seed)[0]
    return np.random.default_rng(seed).uniform(-3, 5, (350, 3))


@pytest.mark.parametrize("kind", ["blobs", "blobs5d", "moons", "uniform"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("tol", [0.0, 1e-4, 1e-2])
def test_same_labels_inertia_and_iterations_as_sklearn(kind, seed, tol):
    X = _data(kind, seed)
    k = 3 + seed
    C = X[np.random.default_rng(seed + 10).choice(len(X), k, replace=False)]
    ref = _sklearn(X, C, tol)
    ours = _ours(X, C, tol)
    assert ours.n_iter == ref.n_iter_
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=1e-9, atol=1e-9)


def test_max_iter_cut_matches_sklearn():
    X = _data("uniform", 4)
    C = X[:6]
    ref, ours = _sklearn(X, C, 0.0, max_iter=3), _ours(X, C, 0.0, max_iter=3)
    assert ours.n_iter == ref.n_iter_ == 3
    assert ours.decision.kind == "max_steps" and "max_iter = 3" in ours.decision.reason
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-9)


def test_empty_cluster_is_relocated_as_sklearn_does():
    X = make_blobs(200, centers=3, random_state=0)[0]
    C = np.vstack([X[:3], [[100.0, 100.0]], [[-80.0, 90.0]]])
    ours, ref = _ours(X, C, 1e-4), _sklearn(X, C, 1e-4)
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-9)
    assert ours.n_iter == ref.n_iter_
    assert np.bincount(ours.labels, minlength=5).min() > 0
    # after iteration 1 the two empty centres sit on the two points farthest from their centres,
    # the farthest on the first empty cluster
    first = Lloyd(np.ascontiguousarray(X), C)
    first.iterate()
    dist = np.square(X - C[first.labels]).sum(axis=1)
    far = np.argsort(dist)[::-1][:2]
    np.testing.assert_array_equal(first.centers[3], X[far[0]])
    np.testing.assert_array_equal(first.centers[4], X[far[1]])


def test_relocate_empty_by_hand():
    X = np.array([[0.0], [1.0], [10.0]])
    old = np.array([[0.0], [50.0]])
    labels = np.array([0, 0, 0])
    sums, counts = np.array([[11.0], [0.0]]), np.array([3.0, 0.0])
    new = relocate_empty(X, old, sums, counts, labels)
    np.testing.assert_array_equal(new, [[0.5], [10.0]])


def test_assignment_is_the_nearest_centre_and_ties_go_to_the_lowest_index():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 4))
    C = rng.normal(size=(7, 4))
    C[5] = C[2]
    engine = Lloyd(X, C, chunk=999)
    labels = np.empty(len(X), dtype=np.int64)
    inertia = engine.assign(C, labels)
    direct = np.square(X[:, None, :] - C[None]).sum(axis=2)
    np.testing.assert_array_equal(labels, direct.argmin(axis=1))
    assert not (labels == 5).any()
    assert inertia == pytest.approx(direct.min(axis=1).sum(), rel=1e-12)


def test_iteration_moves_centres_to_the_means():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    C = X[:4].copy()
    engine = Lloyd(X, C)
    inertia, shift, changed = engine.iterate()
    labels = engine.labels
    means = np.array([X[labels == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(engine.centers, means, rtol=1e-12, atol=1e-12)
    assert shift == pytest.approx(np.square(means - C).sum(), rel=1e-12)
    assert changed == len(X)
    assert inertia == pytest.approx(np.square(X - C[labels]).sum(), rel=1e-12)


def _step(t, changed, shift, tol=0.5):
    return Step(t, {"kmeans/changed": changed, "kmeans/shift": shift, "kmeans/tol": tol})


@pytest.mark.parametrize(
    "sequence, max_iter, expected",
    [
        ([(100, 3.0), (5, 2.0), (0, 0.0)], 10, (3, "tolerance", "strict convergence")),
        ([(100, 3.0), (5, 0.5)], 10, (2, "tolerance", "centre shift")),
        ([(100, 3.0), (5, 0.4), (0, 0.0)], 10, (2, "tolerance", "centre shift")),
        ([(100, 3.0), (5, 2.0), (4, 2.0)], 3, (3, "max_steps", "max_iter = 3")),
        ([(100, 3.0), (5, 2.0), (0, 2.0)], 3, (3, "tolerance", "strict convergence")),
    ],
)
def test_stop_rule_checks_in_sklearn_order(sequence, max_iter, expected):
    rule = LloydConvergence(max_iter)
    decision = None
    for t, (changed, shift) in enumerate(sequence, start=1):
        decision = rule.update(_step(t, changed, shift))
        if decision is not None:
            break
    assert decision is not None
    assert (decision.step, decision.kind) == expected[:2]
    assert expected[2] in decision.reason


def test_same_clustering_is_sklearns_test():
    from sklearn.cluster._k_means_common import _is_same_clustering

    a = np.array([0, 0, 1, 2, 2])
    assert same_clustering(a, np.array([2, 2, 0, 1, 1]), 3)
    assert not same_clustering(a, np.array([2, 2, 0, 1, 0]), 3)
    rng = np.random.default_rng(0)
    for _ in range(200):
        x = rng.integers(0, 3, 6)
        y = rng.permutation(3)[x] if rng.random() < 0.5 else rng.integers(0, 3, 6)
        assert same_clustering(x, y, 3) == _is_same_clustering(x.astype(np.int32), y.astype(np.int32), 3)


def test_best_restart_keeps_the_first_of_equal_clusterings():
    X = make_blobs(150, centers=3, random_state=3)[0]
    mean = X.mean(axis=0)
    Xc = np.ascontiguousarray(X - mean)
    runs = [run_restart(Xc, Xc[idx], 0.0, 100) for idx in ([0, 1, 2], [2, 1, 0], [5, 6, 7])]
    kept = best_restart(runs, 3)
    assert runs[kept].inertia == pytest.approx(min(r.inertia for r in runs))
    if same_clustering(runs[0].labels, runs[1].labels, 3):
        assert kept != 1


def test_incremental_sums_keep_the_centres_at_the_means():
    X = make_blobs(3000, n_features=4, centers=6, cluster_std=2.5, random_state=2)[0]
    X = np.ascontiguousarray(X - X.mean(axis=0))
    engine = Lloyd(X, X[:6].copy())
    incremental = 0
    for _ in range(30):
        _, _, changed = engine.iterate()
        incremental += 0 < changed * 8 <= len(X)
        labels = engine.labels
        means = np.array([X[labels == j].mean(axis=0) for j in range(6)])
        np.testing.assert_allclose(engine.centers, means, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(engine._counts, np.bincount(labels, minlength=6))
    assert incremental >= 3
