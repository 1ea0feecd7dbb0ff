"""The three conventions: scikit-learn against scikit-learn itself, Lightning by hand and against Keras."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.conventions import (
    LightningStopping,
    SklearnNoImprovement,
    compare,
    decision_log,
    keras_style,
    lightning_style,
    outcome,
    sklearn_style,
)
from lab.records import Step
from lab.stopping import EarlyStopping, Tolerance


def sklearn_reference(values, tol, n_iter_no_change):
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


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64) | st.integers(0, 8).map(lambda k: k / 4),
             min_size=1, max_size=40),
    st.sampled_from([0.0, 1e-4, 0.25, 0.5]) | st.floats(0, 10),
    st.integers(1, 5),
)
def test_sklearn_style_matches_sklearn(values, tol, n):
    stop, best, _ = sklearn_style(values, n_iter_no_change=n, tol=tol)
    assert (stop, best) == sklearn_reference(values, tol, n)


def test_sklearn_style_by_hand():
    # tol 0.1, n 2: count resets when v <= best - 0.1. 1.0 (reset, best 1.0), 0.95 (count 1, best .95),
    # 0.9 (0.9 <= 0.85? no: 2, best .9), 0.85 (0.85 <= 0.8? no: 3 > 2 -> stop at 3, best 3).
    stop, best, reason = sklearn_style([1.0, 0.95, 0.9, 0.85, 0.0], n_iter_no_change=2, tol=0.1)
    assert (stop, best) == (3, 3)
    assert "more than n_iter_no_change=2" in reason
    # The same steadily falling curve never stops Keras with min_delta 0.1 and patience 3:
    # its best stays at 1.0 until 0.85 is more than 0.1 below it.
    assert keras_style([1.0, 0.95, 0.9, 0.85, 0.0], patience=3, min_delta=0.1).stop_step is None


def test_sklearn_tie_counts_as_improvement_with_tol_zero():
    assert sklearn_style([1.0, 1.0, 1.0], n_iter_no_change=1, tol=0.0).stop_step is None
    assert keras_style([1.0, 1.0, 1.0], patience=1).stop_step == 1


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


def test_compare_runs_all_three_on_one_curve():
    values = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    result = compare(values, patience=2)
    assert result["Keras"].stop_step == 3 == result["Lightning"].stop_step
    assert result["scikit-learn"].stop_step is None  # ties reset its count when tol is 0
    assert sklearn_style(values, n_iter_no_change=2, tol=1e-9).stop_step == 4  # count 3 > 2 at step 4


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
    rows = decision_log([1.0, 0.5, 0.01], Tolerance("shift", tol=0.1))
    assert [r["verdict"][:5] for r in rows] == ["conti", "conti", "stop:"]
    assert rows[-1]["best"] is None


@pytest.mark.parametrize("make, field", [
    (lambda: LightningStopping("v", patience=-1), "patience"),
    (lambda: LightningStopping("v", mode="auto"), "mode"),
    (lambda: LightningStopping("", patience=1), "monitor"),
    (lambda: SklearnNoImprovement("v", tol=-0.1), "tol"),
    (lambda: SklearnNoImprovement("v", n_iter_no_change=0), "n_iter_no_change"),
])
def test_conventions_validate(make, field):
    with pytest.raises(ValueError, match=f"{field}="):
        make()
