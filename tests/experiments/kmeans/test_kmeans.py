"""The K-means lab through lab.run: scikit-learn equivalence, artifacts, bad input, fuzz, presets."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score

import lab
from lab.experiments import config_class, config_from_dict
from lab.experiments import kmeans as km
from lab.experiments.kmeans import PRESETS, KMeansConfig, Projection, elbow, init_seed, silhouette
from lab.records import Kind
from lab.uploads import read_numeric_csv


def _sk(X, k, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(k, algorithm="lloyd", **kw).fit(X)


@pytest.mark.parametrize("dataset", ["blobs", "anisotropic", "moons", "circles", "uniform"])
@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("n_init", [1, 3])
def test_run_equals_sklearn_with_the_same_random_state(dataset, init, n_init):
    config = KMeansConfig(dataset=dataset, n_samples=300, n_features=3, k=4, init=init, n_init=n_init, seed=7, tol=1e-4)
    result = lab.run(config)
    a = result.artifacts
    ref = _sk(a["X"], 4, init=init, n_init=n_init, random_state=init_seed(7), tol=1e-4)
    np.testing.assert_array_equal(a["labels"], ref.labels_)
    assert a["inertia"] == pytest.approx(ref.inertia_, rel=1e-9)
    assert a["n_iter"] == ref.n_iter_ == result.decision.step == len(result.steps)
    np.testing.assert_allclose(a["centers"], ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert result.decision.kind is Kind.CONVERGED


@pytest.mark.parametrize("tol", [0.0, 1e-3])
def test_explicit_centres_on_uploaded_standardized_data(tol):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(0, 5, 400), "b": rng.normal(3, 0.1, 400), "c": rng.exponential(2, 400)})
    config = KMeansConfig(dataset="csv", columns=("a", "c"), standardize=True, k=3, init="explicit",
                          init_centers=((0.0, 0.0), (1.0, 1.0), (-1.0, 2.0)), tol=tol)
    a = lab.run(config, data=frame).artifacts
    X = a["X"]
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    ref = _sk(X, 3, init=np.array(config.init_centers), n_init=1, tol=tol)
    np.testing.assert_array_equal(a["labels"], ref.labels_)
    assert a["inertia"] == pytest.approx(ref.inertia_, rel=1e-9)
    assert a["n_iter"] == ref.n_iter_
    assert a["feature_names"] == ["a", "c"]


def test_csv_upload_through_the_reader():
    text = "x,y,name\n" + "\n".join(f"{i % 7},{(i * 3) % 11},p{i}" for i in range(60))
    frame, notes = read_numeric_csv(text)
    result = lab.run(KMeansConfig(dataset="csv", k=4), data=frame)
    assert result.artifacts["X"].shape == (60, 2)
    assert result.decision.kind in Kind and result.decision.reason


def test_same_seed_same_history_and_other_seed_differs():
    config = KMeansConfig(dataset="blobs", n_samples=400, centers=5, k=5, init="random", n_init=2, seed=11)
    h1, h2 = lab.run(config).history(), lab.run(config).history()
    pd.testing.assert_frame_equal(h1, h2)
    h3 = lab.run(config.replace(seed=12)).history()
    assert not h1.equals(h3)


def test_metrics_and_artifacts_fit_together():
    config = KMeansConfig(dataset="blobs", n_samples=500, n_features=3, centers=4, k=4, seed=2, tol=0.0)
    result = lab.run(config)
    a, steps = result.artifacts, result.steps
    n_iter, k = a["n_iter"], 4
    assert steps[0].metrics["kmeans/changed"] == 500
    assert steps[-1].metrics["kmeans/changed"] == 0 and "strict convergence" in result.decision.reason
    inertia = [s.metrics["kmeans/inertia"] for s in steps]
    assert all(b <= a_ * (1 + 1e-12) for a_, b in zip(inertia, inertia[1:]))
    assert inertia[-1] == pytest.approx(a["inertia"], rel=1e-9)
    paths = a["center_paths"]
    assert paths.shape == (n_iter + 1, k, 3)
    np.testing.assert_array_equal(paths[0], a["init_centers"])
    np.testing.assert_array_equal(paths[-1], a["centers"])
    shifts = [s.metrics["kmeans/shift"] for s in steps]
    np.testing.assert_allclose(shifts, np.square(np.diff(paths, axis=0)).sum(axis=(1, 2)), rtol=1e-9, atol=1e-12)
    per_iter = a["labels_per_iter"]
    assert per_iter.shape == (n_iter, 500)
    changed = [int((per_iter[i] != per_iter[i - 1]).sum()) for i in range(1, n_iter)]
    assert changed == [s.metrics["kmeans/changed"] for s in steps[1:]]
    assert a["tol_abs"] == 0.0 and a["restarts"][0]["kept"]


def test_restarts_curves_and_kept_restart():
    config = KMeansConfig(dataset="blobs", n_samples=300, centers=6, k=6, init="random", n_init=5, seed=5)
    result = lab.run(config)
    rs = result.artifacts["restarts"]
    assert len(rs) == 5 and sum(r["kept"] for r in rs) == 1
    kept = rs[result.artifacts["kept_restart"]]
    assert kept["inertia"] == pytest.approx(min(r["inertia"] for r in rs))
    assert kept["inertia_curve"] == [s.metrics["kmeans/inertia"] for s in result.steps]
    assert all(len(r["inertia_curve"]) == r["n_iter"] for r in rs)
    np.testing.assert_array_equal(kept["init_centers"], result.artifacts["init_centers"])
    assert kept["inertia"] == result.artifacts["inertia"]


def test_a_user_budget_cuts_a_replayed_restart_consistently():
    from lab.stopping import StepBudget

    config = KMeansConfig(dataset="uniform", n_samples=400, k=6, init="random", n_init=3, seed=1, tol=0.0)
    full = lab.run(config)
    cut = lab.run(config, stopping=StepBudget(2))
    assert cut.decision.step == 2 and full.artifacts["n_iter"] > 2
    a = cut.artifacts
    assert a["n_iter"] == 2 and len(a["center_paths"]) == 3
    ref = _sk(a["X"], 6, init=a["init_centers"], n_init=1, tol=0.0, max_iter=2)
    np.testing.assert_array_equal(a["labels"], ref.labels_)
    assert a["inertia"] == pytest.approx(ref.inertia_, rel=1e-9)


def test_config_round_trip_and_registry():
    config = KMeansConfig(dataset="csv", k=2, init="explicit", init_centers=((1, 2.5), (0.0, -1.0)), columns=("u", "v"))
    again = config_from_dict("kmeans", config.to_dict())
    assert again == config.replace(init_centers=((1.0, 2.5), (0.0, -1.0)))
    assert config_class("kmeans") is KMeansConfig
    assert set(KMeansConfig.field_docs()) == {f.name for f in dataclasses.fields(KMeansConfig)}


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"k": 0}, "k="),
        ({"k": 600}, "k="),
        ({"n_samples": km.MAX_ROWS + 1}, "n_samples="),
        ({"init": "farthest"}, "init="),
        ({"init": "explicit"}, "init_centers="),
        ({"init": "explicit", "k": 2, "init_centers": ((0.0,), (1.0, 2.0))}, "init_centers[1]"),
        ({"init_centers": ((0.0, 0.0),)}, "init_centers="),
        ({"tol": -1.0}, "tol="),
        ({"tol": float("nan")}, "tol="),
        ({"standardize": 1}, "standardize="),
        ({"seed": 1.5}, "seed="),
        ({"columns": ["a"]}, "columns="),
    ],
)
def test_bad_config_names_the_field(kwargs, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[")):
        KMeansConfig(**kwargs)


def test_more_clusters_than_distinct_points_fits_and_warns_as_sklearn_does():
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    X = np.array([[0.0, 1.0]] * 5 + [[2.0, 2.0]] * 5)
    C = ((0.0, 1.0), (2.0, 2.0), (2.0, 2.0))
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(2\) found smaller than n_clusters \(3\)"):
        result = lab.run(KMeansConfig(dataset="csv", k=3, init="explicit", init_centers=C), data=X)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        ref = KMeans(3, init=np.array(C), n_init=1, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(result.artifacts["labels"], ref.labels_)
    np.testing.assert_array_equal(result.artifacts["labels"], [0] * 5 + [1] * 5)
    assert result.artifacts["inertia"] == ref.inertia_ == 0.0
    assert result.artifacts["n_iter"] == ref.n_iter_
    np.testing.assert_array_equal(result.artifacts["centers"], ref.cluster_centers_)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        assert lab.run(KMeansConfig(dataset="csv", k=3, init="random"), data=X).decision.kind is Kind.CONVERGED


def test_bad_data_gives_clear_messages(monkeypatch):
    with pytest.raises(ValueError, match="NaN"):
        lab.run(KMeansConfig(dataset="csv", k=2), data=pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="constant"):
        lab.run(KMeansConfig(dataset="csv", k=1), data=np.ones((10, 2)))
    with pytest.raises(ValueError, match="needs the uploaded data"):
        lab.run(KMeansConfig(dataset="csv"))
    with pytest.raises(ValueError, match="dataset='csv'"):
        lab.run(KMeansConfig(), data=np.ones((10, 2)))
    with pytest.raises(ValueError, match="init_centers"):
        lab.run(KMeansConfig(dataset="csv", k=1, init="explicit", init_centers=((0.0,),)), data=np.eye(3))
    with pytest.raises(ValueError, match="not in the data"):
        lab.run(KMeansConfig(dataset="csv", columns=("z",)), data=pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="overflow"):
        lab.run(KMeansConfig(dataset="csv", k=2), data=np.array([[0.0, 1.0], [1e200, 2.0], [3.0, 3.0]]))
    monkeypatch.setattr("lab.experiments.kmeans.experiment.MAX_ROWS", 50)
    with pytest.raises(ValueError, match="MAX_ROWS"):
        lab.run(KMeansConfig(dataset="csv", k=2, n_samples=10), data=np.random.default_rng(0).normal(size=(51, 2)))


_FIELDS = [f.name for f in dataclasses.fields(KMeansConfig)]
_JUNK = st.sampled_from([None, "x", -1, 0, 1.5, float("nan"), float("inf"), True, (), ((1.0,),), 10**9])
_VALID = {
    "dataset": st.sampled_from(["blobs", "anisotropic", "moons", "circles", "uniform"]),
    "n_samples": st.integers(2, 120),
    "n_features": st.integers(1, 5),
    "centers": st.integers(1, 6),
    "cluster_std": st.floats(0.01, 5),
    "noise": st.floats(0, 1),
    "standardize": st.booleans(),
    "k": st.integers(1, 8),
    "init": st.sampled_from(["k-means++", "random"]),
    "init_centers": st.none(),
    "n_init": st.integers(1, 3),
    "tol": st.floats(0, 1e-2),
    "max_iter": st.integers(1, 50),
    "seed": st.integers(0, 2**32 - 1),
    "columns": st.just(()),
}


@st.composite
def _configs(draw):
    kwargs = {}
    for name in _FIELDS:
        strategy = _VALID[name]
        kwargs[name] = draw(st.one_of(_JUNK, strategy) if draw(st.integers(0, 9)) == 0 else strategy)
    return kwargs


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_configs())
def test_fuzzed_configs_raise_naming_a_field_or_run_to_a_decision(kwargs):
    try:
        config = KMeansConfig(**kwargs)
    except ValueError as exc:
        assert any(f"{name}=" in str(exc) or f"{name}[" in str(exc) for name in _FIELDS), str(exc)
        return
    try:
        result = lab.run(config)
    except ValueError as exc:
        assert "k=" in str(exc) or "constant" in str(exc), str(exc)
        return
    assert result.decision.kind in (Kind.CONVERGED, Kind.BUDGET)
    assert result.decision.step == result.artifacts["n_iter"] <= config.max_iter
    assert np.isfinite(result.artifacts["inertia"])


def test_elbow_matches_sklearn_kmeanspp_runs():
    X = km.make_data(KMeansConfig(n_samples=300, centers=4, seed=1))[0]
    points = elbow(X, ks=range(2, 7), seed=3)
    assert [p["k"] for p in points] == [2, 3, 4, 5, 6]
    for p in points:
        ref = _sk(X, p["k"], init="k-means++", n_init=1, random_state=init_seed(3))
        assert p["inertia"] == pytest.approx(ref.inertia_, rel=1e-9)
    with pytest.raises(ValueError, match="k="):
        elbow(X, ks=[0, 2])


def test_elbow_scores_the_silhouette_of_each_ks_labels_when_asked():
    from sklearn.metrics import silhouette_score

    X = km.make_data(KMeansConfig(n_samples=300, centers=4, seed=1))[0]
    assert "silhouette" not in elbow(X, ks=[2], seed=3)[0]
    points = elbow(X, ks=range(2, 7), seed=3, silhouette_sample=10_000)
    for p in points:
        labels = _sk(X, p["k"], init="k-means++", n_init=1, random_state=init_seed(3)).labels_
        assert p["silhouette"] == pytest.approx(silhouette_score(X, labels), rel=1e-9)


def test_silhouette_is_sklearns_and_subsamples_with_the_seed():
    X = km.make_data(KMeansConfig(n_samples=400, centers=3, seed=0))[0]
    labels = lab.run(KMeansConfig(n_samples=400, centers=3, seed=0)).artifacts["labels"]
    assert silhouette(X, labels, sample_size=None) == pytest.approx(silhouette_score(X, labels))
    sub = silhouette(X, labels, sample_size=100, seed=4)
    assert sub == silhouette(X, labels, sample_size=100, seed=4)
    assert sub == pytest.approx(silhouette_score(X, labels, sample_size=100, random_state=4))
    assert silhouette(X, np.zeros(400, dtype=int)) is None


def test_projection_uses_pca_beyond_two_features():
    X = km.make_data(KMeansConfig(n_samples=200, n_features=5, seed=0))[0]
    p = Projection(X)
    np.testing.assert_allclose(p.transform(X), PCA(2, svd_solver="full").fit(X).transform(X), atol=1e-9)
    paths = np.stack([X[:3], X[3:6]])
    assert p.transform(paths).shape == (2, 3, 2)
    two = Projection(X[:, :2], ["a", "b"])
    np.testing.assert_array_equal(two.transform(X[:, :2]), X[:, :2])
    assert two.axes == ["a", "b"]


def test_preset_stuck_random_init_is_worse_than_kmeanspp():
    preset = PRESETS["stuck_random_init"]
    stuck = lab.run(preset.config).artifacts["inertia"]
    best = lab.run(preset.config.replace(init="k-means++", n_init=10)).artifacts["inertia"]
    assert stuck > 2.0 * best
    assert lab.run(preset.config).decision.converged


def test_preset_anisotropic_is_split_wrongly_by_a_better_inertia():
    preset = PRESETS["anisotropic_split"]
    a = lab.run(preset.config).artifacts
    assert adjusted_rand_score(a["y_true"], a["labels"]) < 0.6
    X, y = a["X"], a["y_true"]
    true_inertia = sum(np.square(X[y == j] - X[y == j].mean(axis=0)).sum() for j in np.unique(y))
    assert a["inertia"] < true_inertia


def test_preset_kmeanspp_needs_fewer_iterations_on_average():
    config = PRESETS["kmeanspp_fewer_iterations"].config
    pp = [lab.run(config.replace(seed=s)).artifacts["n_iter"] for s in range(10)]
    rnd = [lab.run(config.replace(seed=s, init="random")).artifacts["n_iter"] for s in range(10)]
    assert np.mean(pp) <= 0.75 * np.mean(rnd)


def test_explicit_centres_run_once_whatever_n_init():
    centres = ((0.0, 0.0), (5.0, 5.0), (-5.0, 5.0))
    one = lab.run(KMeansConfig(k=3, init="explicit", init_centers=centres, seed=4))
    three = lab.run(KMeansConfig(k=3, init="explicit", init_centers=centres, seed=4, n_init=3))
    assert len(three.artifacts["restarts"]) == 1
    pd.testing.assert_frame_equal(one.history(), three.history())
    np.testing.assert_array_equal(three.artifacts["init_centers"], np.array(centres))


def test_sklearn_reference_agrees_with_the_run():
    config = KMeansConfig(dataset="moons", n_samples=300, k=4, seed=9, tol=1e-3)
    a = lab.run(config).artifacts
    ref = km.sklearn_reference(a["X"], a["init_centers"], config.tol, config.max_iter)
    assert ref["n_iter"] == a["n_iter"]
    np.testing.assert_array_equal(ref["labels"], a["labels"])
    assert ref["inertia"] == pytest.approx(a["inertia"], rel=1e-9)
