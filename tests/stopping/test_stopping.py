"""Stop rules: hand-checked tables, parity with the real Keras 3 EarlyStopping, Lightning's order."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lab
from lab.config import Config
from lab.records import Kind, Step
from lab.stopping import Decision, Divergence, EarlyStopping, NeverStop, StepBudget, Tolerance, budget_decision
from lab.stopping.config import StoppingConfig

os.environ["KERAS_BACKEND"] = "torch"


def feed(rule, values, monitor="val/loss"):
    """Feed values as steps 0, 1, ... until the rule decides; the decision or None."""
    rule.reset()
    for i, v in enumerate(values):
        decision = rule.update(Step(i, {monitor: v}))
        if decision is not None:
            return decision
    return None


# Each row was worked through by hand with Keras' on_epoch_end (keras/src/callbacks/early_stopping.py):
# wait += 1 first; an improvement (strictly better than best by more than |min_delta|) sets best and
# resets wait only if it also beats the baseline, then returns without the stop test; otherwise stop
# when wait >= patience and epoch > 0; epochs before start_from_epoch are skipped entirely.
# Values are multiples of 1/8 so every sum below is exact.
TABLE = [
    # id, values, mode, min_delta, patience, baseline, start_from_epoch, stop step, best step
    ("always improving", [5, 4, 3, 2, 1], "min", 0, 0, None, 0, None, 4),
    ("patience 0: first tie stops", [5, 4, 4, 3], "min", 0, 0, None, 0, 2, 1),
    ("patience 1 acts like 0: wait counts before the test", [5, 4, 4, 3], "min", 0, 1, None, 0, 2, 1),
    ("patience 2 survives one bump", [5, 4, 4.5, 3, 3.5, 3.25, 3.125], "min", 0, 2, None, 0, 5, 3),
    ("min_delta: an improvement of exactly min_delta is none", [1, 0.875, 0.75, 0.625], "min", 0.25, 2, None, 0, 2, 0),
    ("min_delta: small gains add up to one", [1, 0.875, 0.75, 0.625], "min", 0.25, 3, None, 0, None, 3),
    ("negative min_delta counts as its absolute value", [1, 0.875, 0.75], "min", -0.25, 1, None, 0, 1, 0),
    ("max mode", [0.5, 0.625, 0.625, 0.5, 0.75], "max", 0, 2, None, 0, 3, 1),
    ("max mode min_delta", [0.5, 0.625, 0.75, 0.875], "max", 0.125, 1, None, 0, 1, 0),
    ("baseline never beaten, still improving: no stop", [1, 0.875, 0.75, 0.625], "min", 0, 2, 0.5, 0, None, 3),
    ("baseline never beaten: first non-improvement after patience", [1, 0.875, 0.9375, 0.75], "min", 0, 2, 0.5, 0, 2, 1),
    ("baseline on a plateau stops after patience epochs from 0", [1, 1, 1, 1, 1], "min", 0, 3, 0.5, 0, 2, 0),
    ("baseline beaten resets wait", [1, 0.375, 0.4375, 0.40625, 0.25], "min", 0, 2, 0.5, 0, 3, 1),
    ("baseline beaten by less than min_delta does not reset", [1, 0.75, 0.875, 0.9375], "min", 0.125, 1, 0.8125, 0, 2, 1),
    ("start_from_epoch skips the warm-up", [5, 6, 7, 8, 9, 10], "min", 0, 1, None, 3, 4, 3),
    ("without start_from_epoch the same curve stops at once", [5, 6, 7, 8, 9, 10], "min", 0, 1, None, 0, 1, 0),
    ("start_from_epoch beyond the run", [1, 2, 3], "min", 0, 0, None, 5, None, None),
    ("one value never stops", [3], "min", 0, 0, None, 0, None, 0),
]


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_keras_rule_table(row):
    _, values, mode, min_delta, patience, baseline, start, stop, best = row
    rule = EarlyStopping("val/loss", mode=mode, min_delta=min_delta, patience=patience, baseline=baseline,
                         start_from_epoch=start)
    decision = feed(rule, values)
    assert (decision.step if decision else None) == stop
    assert rule.best_step == best
    if decision is not None:
        assert decision.kind == "patience" and decision.best_step == best


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_table_agrees_with_real_keras(row):
    _, values, mode, min_delta, patience, baseline, start, stop, best = row
    assert keras_run(values, mode, min_delta, patience, baseline, start) == (stop, 0 if best is None else best)


# ---------------------------------------------------------------- parity with the real Keras 3 callback

class _Model:
    """What EarlyStopping touches on a model: the stop flag, (for restore) the weights and (for mode auto) the
    compiled metrics, as Keras' own MetricsList."""

    def __init__(self, metrics=()):
        self.stop_training = False
        self.epoch = 0
        if metrics:
            from keras.src.trainers.compile_utils import MetricsList

            self.metrics = [MetricsList(list(metrics))]

    def get_weights(self):
        return [self.epoch]

    def set_weights(self, weights):
        self.epoch = weights[0]


def keras_metric_classes():
    """Keras' built-in metrics that take no required argument, by their default name (the declared one, else
    the class name in snake case, as Keras' auto_name before it makes names unique)."""
    import inspect

    import keras
    from keras.src.utils.naming import to_snake_case

    classes = {}
    for _, cls in inspect.getmembers(keras.metrics, inspect.isclass):
        parameters = inspect.signature(cls.__init__).parameters
        if "name" not in parameters:
            continue
        required = [p for p in list(parameters.values())[1:] if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        if not required:
            classes[parameters["name"].default or to_snake_case(cls.__name__)] = cls
    return classes


def keras_run(values, mode, min_delta, patience, baseline, start, restore=False, metric="loss"):
    """Stop epoch (or None) and best epoch of keras.callbacks.EarlyStopping on `values` as val_<metric>.

    A metric other than loss is compiled into the model (one of Keras' built-in metrics, by name), so
    that mode "auto" can find its direction as it does in a real fit.
    """
    import keras

    model = _Model([] if metric == "loss" else [keras_metric_classes()[metric](name=metric)])
    monitor = f"val_{metric}"
    callback = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, min_delta=min_delta, patience=patience,
                                             baseline=baseline, start_from_epoch=start, restore_best_weights=restore)
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, v in enumerate(values):
        model.epoch = epoch
        callback.on_epoch_end(epoch, {monitor: v})
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    if restore:
        return stopped, callback.best_epoch, model.epoch
    return stopped, callback.best_epoch


def lab_rule(s, **kwargs):
    return EarlyStopping(f"val/{s['metric']}", mode=s["mode"], min_delta=s["min_delta"], patience=s["patience"],
                         baseline=s["baseline"], start_from_epoch=s["start"], **kwargs)


# Keras compares through ops.less / ops.greater on the backend, which turns Python floats into float32
# tensors (ints into int32), after forming `value - min_delta` in Python. The values below are drawn to
# make that matter: float32 neighbours of a few anchors (exactly representable), float64 values between
# them (a quarter, half - the rounding tie - or three quarters of a float32 step away), exact ties,
# Python ints, values past float32's range (which round to inf) and multiples of 1/8 (exact in both).
def _float32_step(x):
    x = np.float32(x)
    return float(np.nextafter(x, np.float32(np.inf), dtype=np.float32)) - float(x)


anchor = st.sampled_from([0.0, 1.0, -1.0, 0.1, 1.3465310335159302, 1e-30, 1e-45, 3e38]) | st.floats(-4, 4, width=32)
near = st.tuples(anchor, st.integers(-2, 2), st.sampled_from([0.0, 0.0, 0.25, 0.5, -0.5, 0.75]) | st.floats(-1, 1)).map(
    lambda t: float(np.float32(t[0]) + t[1] * _float32_step(t[0])) + t[2] * _float32_step(t[0]))
grid = st.integers(-12, 12).map(lambda k: k / 8)
value = near | grid | st.integers(-3, 3) | st.sampled_from([3.4028235677973366e38, 3.402823669209385e38, 1e39, -1e300])
# Settings Keras accepts: min_delta of either sign, as an int or a float (exactly a float32 step, below it, ...).
min_delta = (st.sampled_from([0, 1, 0.0, 0.0, 0.1, 0.125, 0.25, -0.25, 1.0, 1e-9, 2.0 ** -24, 2.0 ** -23, 1.5e-7])
             | st.floats(0, 2))
keras_settings = st.fixed_dictionaries({
    "values": st.lists(value, min_size=1, max_size=30),
    "mode": st.sampled_from(["min", "max", "auto"]),
    "min_delta": min_delta,
    "patience": st.integers(0, 6),
    "baseline": st.none() | value,
    "start": st.integers(0, 5),
    "metric": st.just("loss"),
})
#: Keras' built-in metrics with a declared direction, which mode "auto" reads: a fit monitors them by name.
AUTO_METRICS = ["loss", "accuracy", "binary_accuracy", "auc", "precision", "recall", "f1_score", "r2_score",
                "mean_squared_error", "mean_absolute_error", "binary_crossentropy", "cosine_similarity", "hinge"]


@settings(max_examples=400, deadline=None)
@given(keras_settings)
def test_parity_with_keras_early_stopping(s):
    expected_stop, expected_best = keras_run(s["values"], s["mode"], s["min_delta"], s["patience"], s["baseline"], s["start"])
    rule = lab_rule(s)
    decision = feed(rule, s["values"])
    assert (decision.step if decision else None) == expected_stop
    # Keras starts best_epoch at 0 before any epoch is monitored; ours says None (nothing seen).
    assert (0 if rule.best_step is None else rule.best_step) == expected_best
    if decision is not None:
        assert decision.best_step == expected_best


@settings(max_examples=150, deadline=None)
@given(keras_settings, st.sampled_from(AUTO_METRICS))
def test_parity_with_keras_mode_auto_on_a_compiled_metric(s, metric):
    """Mode "auto": Keras finds the direction on the compiled metric, the lab from its name (mode_of)."""
    s = {**s, "mode": "auto", "metric": metric}
    expected = keras_run(s["values"], "auto", s["min_delta"], s["patience"], s["baseline"], s["start"], metric=metric)
    rule = lab_rule(s)
    decision = feed(rule, s["values"], monitor=f"val/{metric}")
    assert (decision.step if decision else None, 0 if rule.best_step is None else rule.best_step) == expected


def test_mode_auto_agrees_with_every_keras_metric_direction():
    """Keras' mode "auto" reads a compiled metric's _direction; `mode_of` gives the same for every built-in one."""
    directions = {}
    for name, cls in keras_metric_classes().items():
        direction = getattr(cls(name=name), "_direction", None)
        if direction in ("up", "down"):
            directions[name] = "max" if direction == "up" else "min"
    assert len(directions) > 20
    assert {name: EarlyStopping(f"val/{name}", mode="auto").mode for name in directions} == directions
    assert EarlyStopping("val/loss", mode="auto").mode == "min" == EarlyStopping("loss", mode="auto").mode
    # The labs' StoppingConfig derives the mode the same way.
    for monitor in ("val/loss", "val/accuracy", "episode/return", "kmeans/shift", "val/f1_score"):
        assert StoppingConfig(monitor=monitor).mode == EarlyStopping(monitor, mode="auto").mode


# The issue's cases: differences below float32's resolution, where a float64 comparison disagrees with Keras.
ISSUE_CASES = [
    # values, min_delta, patience, stop step
    ([1 + 1e-9, 1.0], 0.0, 0, 1),                             # 1.0 rounds to the same float32: no gain
    ([1.3465310335159302, 1.2465310096740723], 0.1, 0, 1),    # a gain of min_delta within one float32 step
    ([1.0, 1.0 - 2.0 ** -25], 0.0, 0, 1),                     # half a float32 step: rounds to even, back to 1.0
    ([1.0, 1.0 - 2.0 ** -24], 0.0, 0, None),                  # a whole float32 step below 1.0: a gain
]


@pytest.mark.parametrize("values, min_delta, patience, stop", ISSUE_CASES)
def test_float32_resolution_cases_decide_as_keras(values, min_delta, patience, stop):
    assert keras_run(values, "min", min_delta, patience, None, 0)[0] == stop
    decision = feed(EarlyStopping("val/loss", min_delta=min_delta, patience=patience), values)
    assert (decision.step if decision else None) == stop


@settings(max_examples=150, deadline=None)
@given(keras_settings, st.lists(st.sampled_from([math.nan, math.inf, -math.inf]) | value, min_size=1, max_size=20))
def test_parity_with_keras_on_non_finite_values_without_check_finite(s, values):
    """With check_finite=False the rule sees NaN and inf as Keras does: NaN never compares better."""
    expected = keras_run(values, s["mode"], s["min_delta"], s["patience"], s["baseline"], s["start"])
    rule = lab_rule(s, check_finite=False)
    decision = feed(rule, values)
    assert (decision.step if decision else None, 0 if rule.best_step is None else rule.best_step) == expected


@settings(max_examples=60, deadline=None)
@given(keras_settings)
def test_restore_best_goes_back_to_keras_best_epoch(s):
    """Through lab.run, restore_best returns to the epoch Keras restores its weights from."""
    stop, best, restored = keras_run(s["values"], s["mode"], s["min_delta"], s["patience"], s["baseline"], s["start"],
                                     restore=True)
    rule = EarlyStopping("loss", mode=s["mode"], min_delta=s["min_delta"], patience=s["patience"],
                         baseline=s["baseline"], start_from_epoch=s["start"], restore_best=True)
    result = lab.run(_Replay(tuple(s["values"])), stopping=rule)
    if s["start"] >= len(s["values"]):
        assert result.artifacts["model"] == len(s["values"]) - 1  # nothing monitored, nothing to restore
        return
    assert result.artifacts["model"] == restored == best
    assert result.decision.best_step == best


class _Replay(Config):
    """A config whose experiment replays values as `loss`; its 'model' is the step index."""

    budget = None

    def __init__(self, values):
        self.values = values

    def experiment(self):
        return self

    def steps(self):
        for i, v in enumerate(self.values):
            self.model = i
            yield Step(i, {"loss": v})

    def snapshot(self):
        return self.model

    def restore(self, snap):
        self.model = snap

    def artifacts(self, decision):
        return {"model": self.model}


# ---------------------------------------------------------------- Lightning's order and the reasons

def test_non_finite_comes_first():
    rule = EarlyStopping("val/loss", stopping_threshold=0.5, divergence_threshold=10.0)
    for bad in (math.nan, math.inf, -math.inf):
        decision = feed(rule, [1.0, bad])
        assert (decision.kind, decision.step) == ("non_finite", 1)
        assert decision.reason.startswith("diverged at step 1")


def test_without_check_finite_inf_is_a_divergence_and_nan_just_waits():
    rule = EarlyStopping("val/loss", divergence_threshold=10.0, check_finite=False)
    assert feed(rule, [1.0, math.inf]).kind == "diverged"
    rule = EarlyStopping("val/loss", patience=2, check_finite=False)
    assert feed(rule, [1.0, math.nan, math.nan]).step == 2  # NaN never improves (Keras' comparison too)
    assert rule.best == 1.0


def test_stopping_threshold_before_divergence_threshold():
    # A contradictory pair (stop below 5, diverged above 1): the stopping threshold is asked first.
    rule = EarlyStopping("val/loss", stopping_threshold=5.0, divergence_threshold=1.0)
    assert feed(rule, [3.0]).kind == "threshold"


@pytest.mark.parametrize("kwargs, values, kind, step", [
    ({"stopping_threshold": 1.5}, [1.0, 1.0], "threshold", 0),         # 1.0 < 1.5 before patience 0 sees the tie
    ({"divergence_threshold": 10.0}, [1.0, 20.0], "diverged", 1),      # past 10: diverged, not patience
    ({"stopping_threshold": 0.5}, [1.0, 0.5, 0.5], "patience", 2),     # 0.5 is not below 0.5: strict
    ({"mode": "max", "divergence_threshold": 1.5}, [1.0, 1.0], "diverged", 0),  # max: below 1.5 is worse
    ({"mode": "max", "stopping_threshold": 10.0, "divergence_threshold": 1.5}, [2.0, 20.0], "threshold", 1),
])
def test_thresholds_come_before_patience(kwargs, values, kind, step):
    decision = feed(EarlyStopping("val/loss", patience=0, **kwargs), values)
    assert (decision.kind, decision.step) == (kind, step)


def test_thresholds_act_during_the_warm_up():
    rule = EarlyStopping("val/loss", start_from_epoch=5, divergence_threshold=10.0, stopping_threshold=0.1)
    assert feed(rule, [1.0, 50.0]).kind == "diverged"
    assert feed(rule, [1.0, 0.05]).kind == "threshold"


def test_threshold_does_not_count_as_best():
    rule = EarlyStopping("val/loss", stopping_threshold=0.5)
    decision = feed(rule, [2.0, 1.0, 0.25])
    assert (decision.step, decision.best_step, rule.best) == (2, 1, 1.0)


def test_reasons_name_what_happened():
    decision = feed(EarlyStopping("val/loss", patience=2), [2.0, 1.5, 1.75, 1.625])
    assert decision.kind == "patience"
    assert "best 1.5 at step 1" in decision.reason and "step 3" in decision.reason
    decision = feed(EarlyStopping("val/loss", divergence_threshold=3.0), [2.0, 4.0])
    assert decision.reason.startswith("diverged at step 1") and "4" in decision.reason
    decision = feed(EarlyStopping("val/acc", mode="max", stopping_threshold=0.9), [0.5, 0.95], monitor="val/acc")
    assert "0.95" in decision.reason and "0.9" in decision.reason and "step 1" in decision.reason


def test_missing_metric_is_ignored_and_reset_forgets():
    rule = EarlyStopping("val/loss", patience=0)
    assert rule.update(Step(0, {"train/loss": 1.0})) is None
    assert rule.best is None
    feed(rule, [1.0, 2.0])
    rule.reset()
    assert (rule.best, rule.best_step, rule.wait, rule.improved) == (None, None, 0, False)


def test_improved_flag_marks_each_improvement():
    rule = EarlyStopping("val/loss", patience=5)
    flags = []
    for i, v in enumerate([3.0, 2.0, 2.5, 1.0, 1.0]):
        rule.update(Step(i, {"val/loss": v}))
        flags.append(rule.improved)
    assert flags == [True, True, False, True, False]


# ---------------------------------------------------------------- the other rules

def test_tolerance_window():
    rule = Tolerance("kmeans/shift", tol=0.1, window=3, what="centre shift")
    decision = feed(rule, [1.0, 0.05, 0.2, 0.1, 0.01, 0.09, 0.5], monitor="kmeans/shift")
    assert (decision.kind, decision.step) == (Kind.CONVERGED, 5)  # 0.1 counts (<= tol), three in a row end at 5
    assert "centre shift" in decision.reason and "3 steps in a row" in decision.reason
    assert feed(Tolerance("x", tol=0.1), [0.5, 0.1], monitor="x").step == 1
    assert feed(Tolerance("x", tol=0.1, window=2), [0.05, 0.5, 0.05], monitor="x") is None


def test_divergence_rule():
    rule = Divergence("loss", threshold=100.0)
    assert feed(rule, [1.0, -50.0, 100.0], monitor="loss") is None  # |value| must pass the threshold
    for values, kind in (([1.0, -101.0], "diverged"), ([1.0, math.nan], "non_finite"), ([1.0, -math.inf], "non_finite")):
        decision = feed(rule, values, monitor="loss")
        assert (decision.kind, decision.step) == (kind, 1)
        assert decision.reason.startswith("diverged at step 1")
        assert decision.failed and not decision.converged


def test_step_budget_and_never_stop():
    decision = feed(StepBudget(3), [5.0] * 10)
    assert (decision.kind, decision.step) == (Kind.BUDGET, 2)
    assert "3 steps" in decision.reason
    assert feed(NeverStop(), [math.nan, 1e300, -1.0]) is None


@pytest.mark.parametrize("make, field", [
    (lambda: Tolerance("x", tol=-1.0), "tol"),
    (lambda: Tolerance("x", tol=0.1, window=0), "window"),
    (lambda: Divergence("x", threshold=0.0), "threshold"),
    (lambda: StepBudget(0), "max_steps"),
    (lambda: StepBudget(2.5), "max_steps"),
])
def test_other_rules_validate(make, field):
    with pytest.raises(ValueError, match=field):
        make()


def test_decision_kind_is_checked():
    with pytest.raises(ValueError, match="kind"):
        Decision("bored", "no", 0)


# ---------------------------------------------------------------- constructor fuzz

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5), st.sampled_from(["min", "max", "auto", "val/loss"]), st.lists(st.integers(), max_size=2),
)
FIELDS = ["monitor", "mode", "min_delta", "patience", "baseline", "start_from_epoch", "restore_best",
          "stopping_threshold", "divergence_threshold", "check_finite"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), anything, min_size=1, max_size=4))
def test_constructor_raises_naming_the_field_or_works(kwargs):
    kwargs.setdefault("monitor", "val/loss")
    try:
        rule = EarlyStopping(**kwargs)
    except ValueError as exc:
        assert any(f"{name}=" in str(exc) for name in kwargs), str(exc)
        return
    decision = feed(rule, [1.0, 0.5, 0.75, 0.75, 0.25])
    assert decision is None or decision.kind in ("patience", "threshold", "diverged")
    assert rule.min_delta >= 0


@pytest.mark.parametrize(("unit", "words"), [("steps", "step budget (50 steps)"), ("epochs", "epoch budget (50 epochs)"),
                                            ("episodes", "episode budget (50 episodes)")])
def test_the_budget_reason_names_the_labs_unit(unit, words):
    decision = budget_decision(49, 50, unit)
    assert decision.kind is Kind.BUDGET and decision.step == 49
    assert decision.reason == f"ran its whole {words} without another rule firing"
    name = words.split()[0]
    assert budget_decision(7, None, unit).reason.startswith(f"ran to the {name} budget at {name} 7")
