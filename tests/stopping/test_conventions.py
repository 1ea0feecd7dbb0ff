"""The four conventions: scikit-learn's MLP and SGD against scikit-learn itself, Lightning by hand and against Keras."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records import Step
from lab.stopping import EarlyStopping, Tolerance
from lab.stopping.conventions import (
    SKLEARN,
    STOP_TESTS,
    LightningStopping,
    SklearnNoImprovement,
    compare,
    decision_log,
    keras_style,
    lightning_style,
    outcome,
    sklearn_style,
)


def mlp_reference(values, tol, n_iter_no_change):
    """Stop step and best step from MLPClassifier's own _update_no_improvement_count and fit-loop test."""
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=False)
    # What _initialize sets for a stochastic solver without early stopping.
    mlp.loss_curve_ = []
    mlp._no_improvement_count = 0
    mlp.best_loss_ = np.inf
    best_step = None
    for i, v in enumerate(values):
        mlp.loss_curve_.append(v)
        before = mlp.best_loss_
        mlp._update_no_improvement_count(False, None, None, None)
        if mlp.best_loss_ != before:
            best_step = i
        if mlp._no_improvement_count > mlp.n_iter_no_change:  # the test in _fit_stochastic
            return i, best_step
    return None, best_step


_X = np.random.default_rng(0).normal(size=(40, 3))
_Y = _X @ np.array([1.0, 2.0, -1.0])


def sgd_reference(values, tol, n_iter_no_change, classifier=False):
    """Stop step of a real SGDRegressor/SGDClassifier fit whose epoch loop (_sgd_fast) is fed `values` as losses.

    The compiled loop cannot be handed a training loss, but with early_stopping=True it asks a Python
    callback for each epoch's validation score: the callback returns -loss. Its test on scores,
    ``score < best_score + tol`` counts, is the training-loss test ``loss > best_loss - tol`` negated
    exactly (negation is exact in floating point), and the stop test ``count >= n_iter_no_change`` is
    the same. One epoch beyond the values tells "stopped at the last value" from "did not stop".
    """
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    cls = SGDClassifier if classifier else SGDRegressor
    est = cls(tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=True, max_iter=len(values) + 1, random_state=0)
    scores = iter([-v for v in values] + [0.0])
    est._make_validation_score_cb = lambda *args, **kwargs: lambda weights, intercept: next(scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when it runs out of epochs
        est.fit(_X, _Y > 0 if classifier else _Y)
    return est.n_iter_ - 1 if est.n_iter_ <= len(values) else None


# Losses with exact ties, near-ties one float64 step apart, NaN and infinities, and plain floats.
losses = st.lists(
    st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(0, 8).map(lambda k: k / 4)
    | st.integers(0, 8).map(lambda k: math.nextafter(k / 4, math.inf)),
    min_size=1, max_size=40)
tols = st.sampled_from([0.0, 1e-4, 0.25, 0.5, 1e6]) | st.floats(0, 10)


@settings(max_examples=300, deadline=None)
@given(losses, tols, st.integers(1, 5))
def test_mlp_convention_matches_sklearn(values, tol, n):
    stop, best, _ = sklearn_style(values, n_iter_no_change=n, tol=tol, estimator="MLP")
    assert (stop, best) == mlp_reference(values, tol, n)


@settings(max_examples=150, deadline=None)
@given(losses, tols, st.integers(1, 5), st.booleans())
def test_sgd_convention_matches_sklearn(values, tol, n, classifier):
    stop, _, _ = sklearn_style(values, n_iter_no_change=n, tol=tol, estimator="SGD")
    assert stop == sgd_reference(values, tol, n, classifier)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_issues_case_real_fits_with_a_huge_tol(n):
    """tol=1e6: no epoch after the first gains tol, so SGD stops at epoch n (n_iter_ = n + 1), the MLP at n + 1."""
    from sklearn.linear_model import SGDClassifier, SGDRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    curve = [5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.25]
    for cls, name in ((SGDRegressor, "SGD"), (SGDClassifier, "SGD"), (MLPRegressor, "MLP"), (MLPClassifier, "MLP")):
        extra = {"max_iter": 50} if name == "MLP" else {}
        fitted = cls(tol=1e6, n_iter_no_change=n, random_state=0, **extra).fit(_X, _Y > 0 if "Classifier" in cls.__name__ else _Y)
        assert fitted.n_iter_ == sklearn_style(curve, n_iter_no_change=n, tol=1e6, estimator=name).stop_step + 1
    assert sklearn_style(curve, n_iter_no_change=2, tol=1e6, estimator="SGD").stop_step + 1 == 3
    assert sklearn_style(curve, n_iter_no_change=2, tol=1e6, estimator="MLP").stop_step + 1 == 4


@settings(max_examples=200, deadline=None)
@given(losses, tols, st.integers(1, 5))
def test_sgd_stops_at_least_one_epoch_before_the_mlp(values, tol, n):
    mlp = sklearn_style(values, n_iter_no_change=n, tol=tol, estimator="MLP").stop_step
    sgd = sklearn_style(values, n_iter_no_change=n, tol=tol, estimator="SGD").stop_step
    if mlp is not None:
        assert sgd is not None and sgd <= mlp - 1


# Lightning is not installed; these rows were worked through by hand from
# lightning.pytorch.callbacks.EarlyStopping._evaluate_stopping_criteria.
LIGHTNING = [
    # values, kwargs, stop step, best step, kind
    ([3.0, 2.0, 2.0, 2.5, 2.25], {"patience": 3}, 4, 1, "patience"),
    ([3.0, 2.0, 2.0], {"patience": 0}, 2, 1, "patience"),
    ([1.0, 0.875, 0.75], {"patience": 1, "min_delta": 0.125}, 1, 0, "patience"),   # exactly min_delta is none
    ([0.5, 0.625, 0.625], {"patience": 1, "mode": "max"}, 2, 1, "patience"),
    ([2.0, 1.0, 0.25, 9.0], {"stopping_threshold": 0.5}, 2, 1, "threshold"),     # stops, best not updated
    ([2.0, 1.0, 11.0], {"divergence_threshold": 10.0}, 2, 1, "diverged"),
    ([2.0, math.nan], {"divergence_threshold": 10.0, "stopping_threshold": 0.1}, 1, 0, "non_finite"),
    ([math.nan, 2.0, 3.0], {"patience": 1, "check_finite": False}, 0, None, "patience"),  # NaN never beats +inf
    ([math.nan, 2.0, 3.0, 3.0], {"patience": 2, "check_finite": False}, 3, 1, "patience"),
]


@pytest.mark.parametrize("values, kwargs, stop, best, kind", LIGHTNING)
def test_lightning_by_hand(values, kwargs, stop, best, kind):
    rule = LightningStopping("value", **kwargs)
    got = outcome(values, rule)
    assert (got.stop_step, got.best_step) == (stop, best)
    decision = None
    rule.reset()
    for i, v in enumerate(values):
        decision = rule.update(Step(i, {"value": v}))
        if decision:
            break
    assert decision.kind == kind
    if kind in ("diverged", "non_finite"):
        assert decision.reason.startswith(f"diverged at step {stop}")


def test_keras_and_lightning_differ_on_a_nan_first_value():
    values = [math.nan, 2.0, 3.0, 3.0]
    keras = outcome(values, EarlyStopping("value", patience=2, check_finite=False))
    lightning = lightning_style(values, patience=2, check_finite=False)
    assert (keras.stop_step, keras.best_step) == (2, 0)  # NaN became the best; nothing beats NaN
    assert (lightning.stop_step, lightning.best_step) == (3, 1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-12, 12).map(lambda k: k / 8), min_size=1, max_size=30),
    st.sampled_from(["min", "max"]),
    st.sampled_from([0.0, 0.125, 0.25, 0.5]),
    st.integers(0, 6),
)
def test_lightning_patience_equals_keras_without_baseline_or_warm_up(values, mode, min_delta, patience):
    keras = keras_style(values, mode=mode, patience=patience, min_delta=min_delta)
    lightning = lightning_style(values, mode=mode, patience=patience, min_delta=min_delta)
    assert (keras.stop_step, keras.best_step) == (lightning.stop_step, lightning.best_step)


def test_compare_runs_all_four_on_one_curve():
    values = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    result = compare(values, patience=2)
    assert list(result) == list(STOP_TESTS) == ["Keras", "Lightning", "scikit-learn MLP", "scikit-learn SGD"]
    assert result["Keras"].stop_step == 3 == result["Lightning"].stop_step
    assert result["scikit-learn MLP"].stop_step is None  # ties reset its count when tol is 0
    assert result["scikit-learn SGD"].stop_step is None
    assert sklearn_style(values, n_iter_no_change=2, tol=1e-9).stop_step == 4  # count 3 > 2 at step 4
    assert sklearn_style(values, n_iter_no_change=2, tol=1e-9, estimator="SGD").stop_step == 3  # count 2 >= 2
    assert [STOP_TESTS[f"scikit-learn {name}"].split(";")[0] for name in SKLEARN] == [
        "count > n_iter_no_change", "count >= n_iter_no_change"]


def test_compare_on_a_rising_curve_sgd_stops_with_keras_and_the_mlp_one_epoch_later():
    result = compare([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], patience=3)
    assert [result[name].stop_step for name in STOP_TESTS] == [3, 3, 4, 3]


def test_decision_log_rows():
    rule = EarlyStopping("val/loss", patience=2, start_from_epoch=1)
    rows = decision_log([9.0, 3.0, 2.0, 2.5, 2.25, 1.0], rule)
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["verdict"] for r in rows[:4]] == ["before start_from_epoch", "improved", "improved", "waiting 1/2"]
    assert rows[4]["verdict"] == "stop: stopped at epoch 4: val/loss has not improved by more than 0 for 2 epochs; best 2 at epoch 2"
    assert [r["best"] for r in rows] == [None, 3.0, 2.0, 2.0, 2.0]
    assert [r["wait"] for r in rows] == [0, 0, 0, 1, 2]
    assert [r["improved"] for r in rows] == [False, True, True, False, False]
    assert rule.best is None  # the caller's rule was not fed


def test_decision_log_for_other_rules():
    rows = decision_log([1.0, 0.95, 0.9, 0.85], SklearnNoImprovement("loss", tol=0.1, n_iter_no_change=1))
    assert [r["verdict"][:7] for r in rows] == ["improve", "waiting", "stop: s"]
    assert rows[1]["verdict"] == "waiting 1/2"
    rows = decision_log([1.0, 0.95, 0.9], SklearnNoImprovement("loss", tol=0.1, n_iter_no_change=2, estimator="SGD"))
    assert [r["verdict"][:7] for r in rows] == ["improve", "waiting", "stop: s"]
    assert rows[1]["verdict"] == "waiting 1/2"
    rows = decision_log([1.0, 0.5, 0.01], Tolerance("shift", tol=0.1))
    assert [r["verdict"][:5] for r in rows] == ["conti", "conti", "stop:"]
    assert rows[-1]["best"] is None


@pytest.mark.parametrize("make, field", [
    (lambda: LightningStopping("v", patience=-1), "patience"),
    (lambda: LightningStopping("v", mode="auto"), "mode"),
    (lambda: LightningStopping("", patience=1), "monitor"),
    (lambda: SklearnNoImprovement("v", tol=-0.1), "tol"),
    (lambda: SklearnNoImprovement("v", n_iter_no_change=0), "n_iter_no_change"),
    (lambda: SklearnNoImprovement("v", estimator="Ridge"), "estimator"),
])
def test_conventions_validate(make, field):
    with pytest.raises(ValueError, match=f"{field}="):
        make()
