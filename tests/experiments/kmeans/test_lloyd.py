"""Lloyd's iteration against scikit-learn's KMeans(algorithm="lloyd") and hand-checked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs, make_moons

from lab.experiments.kmeans.lloyd import (
    Lloyd,
    LloydConvergence,
    best_restart,
    relocate_empty,
    run_restart,
    same_clustering,
    tolerance,
)
from lab.records import Kind, Step


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
    assert ours.decision.kind is Kind.BUDGET and "max_iter = 3" in ours.decision.reason
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
    engine = Lloyd(X, C)
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
        ([(100, 3.0), (5, 2.0), (0, 0.0)], 10, (3, Kind.CONVERGED, "strict convergence")),
        ([(100, 3.0), (5, 0.5)], 10, (2, Kind.CONVERGED, "centre shift")),
        ([(100, 3.0), (5, 0.4), (0, 0.0)], 10, (2, Kind.CONVERGED, "centre shift")),
        ([(100, 3.0), (5, 2.0), (4, 2.0)], 3, (3, Kind.BUDGET, "max_iter = 3")),
        ([(100, 3.0), (5, 2.0), (0, 2.0)], 3, (3, Kind.CONVERGED, "strict convergence")),
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


@pytest.mark.parametrize("compiled", [False, True])
def test_centres_are_the_means_summed_in_point_order_times_the_reciprocal_count(compiled):
    X = make_blobs(3000, n_features=4, centers=6, cluster_std=2.5, random_state=2)[0]
    X = np.ascontiguousarray(X - X.mean(axis=0))
    engine = Lloyd(X, X[:6].copy(), compiled=compiled)
    for _ in range(30):
        engine.iterate()
        labels = engine.labels
        means = np.array([X[labels == j].mean(axis=0) for j in range(6)])
        np.testing.assert_allclose(engine.centers, means, rtol=1e-12, atol=1e-12)
        counts = np.bincount(labels, minlength=6)
        np.testing.assert_array_equal(engine._counts, counts)
        # scikit-learn's arithmetic, to the bit: sums in point order, times 1 / count
        sums = np.array([[sum(X[labels == j, f].tolist()) for f in range(4)] for j in range(6)])
        np.testing.assert_array_equal(engine.centers, sums * (1.0 / counts)[:, None])


# --- scikit-learn's arithmetic at the edges: exact ties, duplicated centres, integer data ---

ENGINES = [False, True]


def _sklearn_one_thread(X, C, tol, max_iter=300):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _sklearn(X, C, tol, max_iter)


def _ours_with(X, C, tol, compiled, max_iter=300):
    mean = X.mean(axis=0)
    Xc = np.ascontiguousarray(X - mean)
    return run_restart(Xc, C - mean, tolerance(Xc, tol), max_iter, offset=mean, compiled=compiled)


@pytest.mark.parametrize("compiled", ENGINES)
def test_issue_13_integer_ties_break_as_sklearn_breaks_them(compiled):
    X = np.array([[0, 3], [3, 3], [1, 3], [2, 4], [0, 0], [4, 2], [1, 0]], dtype=float)
    C = np.array([[0, 1], [4, 3], [0, 3]], dtype=float)
    ours = _ours_with(X, C, 1e-4, compiled)
    np.testing.assert_array_equal(ours.labels, [2, 1, 2, 2, 0, 1, 0])
    assert ours.inertia == pytest.approx(25 / 6, rel=1e-12)
    assert ours.n_iter == _sklearn_one_thread(X, C, 1e-4).n_iter_ == 2


@pytest.mark.parametrize("compiled", ENGINES)
def test_duplicated_centres_label_with_the_lowest_tied_index(compiled):
    rng = np.random.default_rng(3)
    X = np.ascontiguousarray(rng.integers(-3, 4, (600, 3)).astype(float))
    C = np.repeat(X[:3], 2, axis=0)  # centres 0=1, 2=3, 4=5
    engine = Lloyd(X, C, compiled=compiled)
    labels_old = np.full(len(X), -1, dtype=np.int64)
    labels = np.empty(len(X), dtype=np.int64)
    engine._sweep(C, labels_old, labels)
    assert set(np.unique(labels)) <= {0, 2, 4}
    dist = np.einsum("ij,ij->i", C, C) - 2 * (X @ C.T)
    np.testing.assert_array_equal(labels, dist.argmin(axis=1))


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None


def _integer_case(draw):
    d = draw(st.sampled_from([1, 2, 3, 5, 31, 32, 40]))
    n = draw(st.integers(2, 60))
    values = st.integers(-3, 3)
    X = np.array(draw(st.lists(st.lists(values, min_size=d, max_size=d), min_size=n, max_size=n)), dtype=float)
    k = draw(st.integers(1, min(n, 6)))
    # centres: points of X (so duplicated when X repeats a point), repeated centres, or grid points
    rows = draw(st.lists(st.one_of(st.integers(0, n - 1).map(lambda i: X[i]),
                                   st.lists(values, min_size=d, max_size=d).map(np.array)),
                         min_size=k, max_size=k))
    C = np.array(rows, dtype=float)
    if k > 1 and draw(st.booleans()):
        C[-1] = C[0]
    tol = draw(st.sampled_from([0.0, 1e-4, 1e-2]))
    return X, C, tol


if given is not None:
    integer_cases = st.composite(_integer_case)()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(integer_cases)
    def test_property_integer_data_ties_and_duplicated_centres_equal_sklearn(case):
        X, C, tol = case
        ref = _sklearn_one_thread(X, C, tol)
        for compiled in ENGINES if X.shape[1] <= 31 else [False]:
            ours = _ours_with(X, C, tol, compiled)
            np.testing.assert_array_equal(ours.labels, ref.labels_)
            assert ours.n_iter == ref.n_iter_
            assert ours.inertia == pytest.approx(ref.inertia_, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=1e-12, atol=1e-12)

    @settings(max_examples=200, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2, 4, 16, 31]), st.integers(1, 9), st.integers(30, 3000))
    def test_property_compiled_pass_equals_numpy_step(seed, d, k, n):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10)
        if seed % 2:
            X = np.round(X)
        X = np.ascontiguousarray(X - X.mean(axis=0))
        C = X[rng.choice(n, k, replace=False)].copy()
        if seed % 3 == 0 and k > 2:
            C[1] = C[0]
            C[2] = 100.0 * np.abs(X).max()  # far away: empty after iteration 1
        a = run_restart(X, C, 0.0, 50, compiled=False)
        b = run_restart(X, C, 0.0, 50, compiled=True)
        assert a.n_iter == b.n_iter
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.inertia == pytest.approx(b.inertia, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
        for sa, sb in zip(a.steps, b.steps):
            assert sa.metrics["kmeans/changed"] == sb.metrics["kmeans/changed"]
            assert sa.metrics["kmeans/inertia"] == pytest.approx(sb.metrics["kmeans/inertia"], rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("kind", ["blobs", "blobs5d", "moons", "uniform"])
def test_compiled_pass_equals_numpy_step_on_the_parity_cases(kind):
    X = _data(kind, 1)
    for C in (X[:4], np.vstack([X[:3], [[100.0] * X.shape[1]], [[-80.0] * X.shape[1]]])):
        a, b = _ours_with(X, C, 0.0, False), _ours_with(X, C, 0.0, True)
        assert a.n_iter == b.n_iter
        np.testing.assert_array_equal(a.labels, b.labels)
        assert a.inertia == pytest.approx(b.inertia, rel=1e-12)
        np.testing.assert_allclose(a.centers, b.centers, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose([p for p in a.center_paths], [p for p in b.center_paths], rtol=1e-12, atol=1e-12)


def test_engine_choice():
    X = np.ascontiguousarray(np.random.default_rng(0).normal(size=(50, 40)))
    assert Lloyd(X[:, :31], X[:3, :31]).compiled
    assert not Lloyd(X, X[:3]).compiled  # beyond COMPILED_MAX_FEATURES: OpenBLAS sums differently
    assert not Lloyd(X[:, :2], X[:3, :2], compiled=False).compiled
    with pytest.raises(ValueError, match="at most 31 features"):
        Lloyd(X, X[:3], compiled=True)


def test_without_numba_the_numpy_step_runs_and_agrees():
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = """
import json, sys
sys.modules["numba"] = None
import numpy as np
from sklearn.datasets import make_blobs
from lab.experiments.kmeans.lloyd import Lloyd, run_restart
X = make_blobs(500, centers=4, random_state=7)[0]
X = np.ascontiguousarray(X - X.mean(axis=0))
r = run_restart(X, X[:4].copy(), 0.0, 100)
print(json.dumps({"compiled": Lloyd(X, X[:4]).compiled, "labels": r.labels.tolist(), "n_iter": r.n_iter,
                  "inertia": r.inertia, "numba": "numba" in sys.modules and sys.modules["numba"] is not None}))
"""
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    hidden = json.loads(out.stdout)
    assert hidden["compiled"] is False and hidden["numba"] is False
    X = make_blobs(500, centers=4, random_state=7)[0]
    X = np.ascontiguousarray(X - X.mean(axis=0))
    ref = run_restart(X, X[:4].copy(), 0.0, 100, compiled=True)
    assert hidden["labels"] == ref.labels.tolist()
    assert hidden["n_iter"] == ref.n_iter
    assert hidden["inertia"] == pytest.approx(ref.inertia, rel=1e-12)
