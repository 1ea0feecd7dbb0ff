"""What the common early-stopping conventions decide on the same curve, and a step-by-step log.

Three libraries, four rules for "the loss stopped improving":

- **Keras** (``keras.callbacks.EarlyStopping``; here `lab.stopping.EarlyStopping`): an
  improvement is strictly better than the best by more than ``|min_delta|``; ``wait`` grows by
  one every epoch and goes back to 0 on an improvement that also beats ``baseline``; stop once
  ``wait >= patience``. Epochs before ``start_from_epoch`` are not looked at. Keras compares in
  float32 (``current - min_delta`` is formed in Python, then both sides become float32 tensors),
  so values float32 cannot tell apart are ties; ``mode="auto"`` takes the direction from the
  monitor's name.
- **Lightning** (``lightning.pytorch.callbacks.EarlyStopping``; `LightningStopping`): the same
  improvement test, but the best starts at +inf (-inf in mode max) and the count only grows on a
  check that does not improve. In order, each check asks: is the value finite
  (``check_finite``)? past the ``stopping_threshold`` (good enough, stop)? worse than the
  ``divergence_threshold`` (hopeless, stop)? improved (reset)? else count, and stop once the
  count reaches ``patience``.
- **scikit-learn** has two, both mode min on a per-epoch loss, with ``tol`` an absolute gain: the
  count goes back to 0 when ``loss <= best - tol`` (not strict) and grows otherwise; the best
  follows every strict decrease, however small (``best`` starts at +inf, so the first epoch
  resets the count). They differ in when the count stops the run:

  - **scikit-learn MLP** (``MLPClassifier``/``MLPRegressor``, ``solver`` "sgd" or "adam",
    ``_update_no_improvement_count`` and the test in ``_fit_stochastic``; `SklearnNoImprovement`
    with ``estimator="MLP"``): stop once the count *exceeds* ``n_iter_no_change`` (``count > n``), i.e. after ``n + 1``
    epochs without a ``tol``-sized gain. An epoch is one pass of mini-batches; the loss is the
    epoch's mean training loss plus the L2 penalty.
  - **scikit-learn SGD** (``SGDClassifier``/``SGDRegressor``, the epoch loop of ``_sgd_fast``;
    ``estimator="SGD"``): stop once the count *reaches* ``n_iter_no_change`` (``count >= n``),
    one epoch sooner. An epoch is one pass over the training samples; the loss is the epoch's
    mean objective (loss plus penalty).

  Both stop at epoch index k with ``n_iter_ = k + 1``. With ``early_stopping=True`` both watch a
  validation score instead, the same test mirrored (``score < best + tol`` counts, higher is
  better), and ``learning_rate="adaptive"`` divides the learning rate by 5 and resets the count
  where the others stop (until it is tiny); neither is modelled here.

How Lightning differs from Keras, on the same curve:

- No ``baseline`` and no ``start_from_epoch``; instead the two thresholds and the finite check,
  which come before the improvement test.
- Its default ``patience`` is 3 (Keras: 0), and it counts validation checks, not epochs.
- For finite values, without baseline and warm-up, the two patience rules stop at the same step
  wherever float32 holds the values and ``value +- min_delta`` exactly (`LightningStopping`
  compares in float64, as Lightning does on a float64 metric):
  Keras' ``wait`` (incremented before the test, reset on improvement) equals Lightning's count
  of non-improving checks since the last improvement, and the first value always improves in
  both. They part ways on a NaN first value with ``check_finite=False``: Keras makes it the best
  (the first value is always "better" than nothing) and nothing improves on NaN afterwards;
  Lightning's NaN never beats +inf, so the next finite value is the first best.
- Lightning multiplies ``min_delta`` by the mode's sign without taking its absolute value (a
  negative ``min_delta`` would count small worsening as improvement); its docs describe an
  absolute change, which is what `LightningStopping` implements, like Keras' ``abs``.

How scikit-learn differs: a step that ties the best resets its count when ``tol`` is 0 (``<=``),
while Keras needs a strict gain; its best creeps down with sub-``tol`` gains, so a slow but
steady descent (each step better by less than ``tol``) stops it, where Keras' fixed best lets
small gains add up to one ``min_delta``. On ``n``: on a curve that only rises after its first
value, SGD's ``n_iter_no_change=n`` stops where Keras' ``patience=n`` does (epoch n) and the MLP's
one epoch later (its own message says "for n consecutive epochs" although n + 1 have
passed). scikit-learn compares in float64, as written.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from lab.records import Decision, Kind, Step
from lab.stopping.rules import EarlyStopping, Rule, _fmt, count
from lab.validation import check_bool, check_choice, check_number


class Outcome(NamedTuple):
    """What a convention decided on a curve: the step it stopped at (None: never), its best step, why."""

    stop_step: int | None
    best_step: int | None
    reason: str


class LightningStopping(Rule):
    """Lightning's ``EarlyStopping._evaluate_stopping_criteria``, as documented (see the module doc).

    Exposes `best` (None until a value beats the starting +-inf), `best_step`, `wait` (Lightning's
    ``wait_count``), `improved` and `limit` (the count that stops: ``patience``).
    """

    def __init__(
        self,
        monitor: str,
        mode: str = "min",
        min_delta: float = 0.0,
        patience: int = 3,
        check_finite: bool = True,
        stopping_threshold: float | None = None,
        divergence_threshold: float | None = None,
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor={monitor!r} is not allowed; give a metric name such as 'val/loss'")
        check_choice("mode", mode, ("min", "max"))
        check_number("min_delta", min_delta)
        check_number("patience", patience, 0, integer=True)
        check_bool("check_finite", check_finite)
        if stopping_threshold is not None:
            check_number("stopping_threshold", stopping_threshold)
        if divergence_threshold is not None:
            check_number("divergence_threshold", divergence_threshold)
        self.monitor, self.mode, self.min_delta, self.patience = monitor, mode, abs(min_delta), patience
        self.check_finite = check_finite
        self.stopping_threshold, self.divergence_threshold = stopping_threshold, divergence_threshold
        self.reset()

    def _params(self) -> dict:
        return {"monitor": self.monitor, "mode": self.mode, "min_delta": self.min_delta, "patience": self.patience,
                "check_finite": self.check_finite, "stopping_threshold": self.stopping_threshold,
                "divergence_threshold": self.divergence_threshold}

    @property
    def limit(self) -> int:
        return self.patience

    def reset(self) -> None:
        self.best: float | None = None
        self.best_step: int | None = None
        self.wait = 0
        self.improved = False

    def _beats(self, current: float, reference: float) -> bool:
        if self.mode == "min":
            return current < reference
        return current > reference

    def update(self, step: Step) -> Decision | None:
        self.improved = False
        current = step.metrics.get(self.monitor)
        if current is None:
            return None
        n, name = step.step, self.monitor
        if self.check_finite and not math.isfinite(current):
            return Decision(Kind.NON_FINITE, f"diverged at {self.unit} {n}: {name} is {current} (not finite); "
                            f"best so far {self._best_text()}", n, self.best_step)
        if self.stopping_threshold is not None and self._beats(current, self.stopping_threshold):
            return Decision(Kind.THRESHOLD, f"{name} = {_fmt(current)} passed the stopping threshold "
                            f"{_fmt(self.stopping_threshold)} at {self.unit} {n}", n, self.best_step)
        if self.divergence_threshold is not None and self._beats(self.divergence_threshold, current):
            return Decision(Kind.DIVERGED, f"diverged at {self.unit} {n}: {name} = {_fmt(current)} is worse than the "
                            f"divergence threshold {_fmt(self.divergence_threshold)}", n, self.best_step)
        start = math.inf if self.mode == "min" else -math.inf
        reference = start if self.best is None else self.best
        shifted = current + self.min_delta if self.mode == "min" else current - self.min_delta
        if self._beats(shifted, reference):
            self.best, self.best_step, self.wait, self.improved = current, n, 0, True
            return None
        self.wait += 1
        if self.wait >= self.patience:
            return Decision(Kind.PATIENCE, f"stopped at {self.unit} {n}: {name} did not improve by more than "
                            f"{_fmt(self.min_delta)} in the last {self.wait} check(s); best {self._best_text()}",
                            n, self.best_step)
        return None

    def _best_text(self) -> str:
        return "none yet" if self.best is None else f"{_fmt(self.best)} at {self.unit} {self.best_step}"


class SklearnConvention(NamedTuple):
    """One of scikit-learn's two stop tests on its no-improvement count."""

    estimators: str
    test: str  #: as scikit-learn writes it
    extra: int  #: the count that stops is ``n_iter_no_change + extra``


#: scikit-learn's conventions by name (see the module doc).
SKLEARN = {
    "MLP": SklearnConvention("MLPClassifier/MLPRegressor", "count > n_iter_no_change", 1),
    "SGD": SklearnConvention("SGDClassifier/SGDRegressor", "count >= n_iter_no_change", 0),
}


class SklearnNoImprovement(Rule):
    """scikit-learn's no-improvement count (early_stopping=False) and the stop test of `estimator`.

    Per step: ``count += 1 if loss > best - tol else count = 0``; then ``best = loss`` if
    ``loss < best``; stop when ``count > n_iter_no_change`` ("MLP") or ``count >= n_iter_no_change``
    ("SGD"). Exposes `best` (None before the first value; scikit-learn starts at +inf),
    `best_step`, `wait` (the count), `improved` (the count was reset) and `limit` (the count
    that stops: ``n_iter_no_change + 1`` for the MLP, ``n_iter_no_change`` for SGD).
    """

    def __init__(self, monitor: str, tol: float = 1e-4, n_iter_no_change: int = 10, estimator: str = "MLP") -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor={monitor!r} is not allowed; give a metric name such as 'train/loss'")
        check_number("tol", tol, 0)
        check_number("n_iter_no_change", n_iter_no_change, 1, integer=True)
        check_choice("estimator", estimator, tuple(SKLEARN))
        self.monitor, self.tol, self.n_iter_no_change, self.estimator = monitor, tol, n_iter_no_change, estimator
        self.reset()

    def _params(self) -> dict:
        return {"monitor": self.monitor, "tol": self.tol, "n_iter_no_change": self.n_iter_no_change,
                "estimator": self.estimator}

    @property
    def limit(self) -> int:
        return self.n_iter_no_change + SKLEARN[self.estimator].extra

    def reset(self) -> None:
        self._best = math.inf
        self.best_step: int | None = None
        self.wait = 0
        self.improved = False

    @property
    def best(self) -> float | None:
        return None if self.best_step is None else self._best

    def update(self, step: Step) -> Decision | None:
        loss = step.metrics.get(self.monitor)
        if loss is None:
            self.improved = False
            return None
        if loss > self._best - self.tol:
            self.wait += 1
            self.improved = False
        else:
            self.wait = 0
            self.improved = True
        if loss < self._best:
            self._best, self.best_step = loss, step.step
        if self.wait >= self.limit:
            n, convention = step.step, SKLEARN[self.estimator]
            return Decision(Kind.PATIENCE, f"stopped at {self.unit} {n}: {self.monitor} did not fall by at least tol="
                            f"{_fmt(self.tol)} for {count(self.wait, self.unit)} in a row ({convention.estimators}: "
                            f"{convention.test}, n_iter_no_change={self.n_iter_no_change}); best {_fmt(self._best)} "
                            f"at {self.unit} {self.best_step}", n, self.best_step)
        return None


def _fresh(rule: Rule, unit: str) -> Rule:
    rule = copy.deepcopy(rule)
    rule.reset()
    rule.unit = unit
    return rule


def outcome(values: Sequence[float], rule: Rule, unit: str = "epoch") -> Outcome:
    """Feed `values` as steps 0, 1, ... to a copy of `rule`; where it stops, its best step and why.

    `unit` names a step in the reason (the curves here are one value per epoch).
    """
    rule = _fresh(rule, unit)
    monitor = getattr(rule, "monitor", "value")
    for i, value in enumerate(values):
        decision = rule.update(Step(i, {monitor: float(value)}))
        if decision is not None:
            return Outcome(decision.step, rule.best_step, decision.reason)
    return Outcome(None, rule.best_step, f"did not stop in {count(len(values), unit)}")


def keras_style(values: Sequence[float], *, mode: str = "min", patience: int = 0, min_delta: float = 0.0,
                baseline: float | None = None, start_from_epoch: int = 0, monitor: str = "value") -> Outcome:
    """Keras' EarlyStopping on `values` as `monitor` (see the module doc); mode "auto" reads the monitor's name."""
    return outcome(values, EarlyStopping(monitor, mode=mode, min_delta=min_delta, patience=patience,
                                         baseline=baseline, start_from_epoch=start_from_epoch))


def lightning_style(values: Sequence[float], *, mode: str = "min", patience: int = 3, min_delta: float = 0.0,
                    check_finite: bool = True, stopping_threshold: float | None = None,
                    divergence_threshold: float | None = None, monitor: str = "value") -> Outcome:
    """Lightning's EarlyStopping on `values` as `monitor` (see the module doc)."""
    return outcome(values, LightningStopping(monitor, mode=mode, min_delta=min_delta, patience=patience,
                                             check_finite=check_finite, stopping_threshold=stopping_threshold,
                                             divergence_threshold=divergence_threshold))


def sklearn_style(values: Sequence[float], *, n_iter_no_change: int = 10, tol: float = 1e-4,
                  estimator: str = "MLP", monitor: str = "value") -> Outcome:
    """scikit-learn's n_iter_no_change / tol rule of `estimator` ("MLP" or "SGD") on `values` (losses) as `monitor`."""
    return outcome(values, SklearnNoImprovement(monitor, tol=tol, n_iter_no_change=n_iter_no_change,
                                                estimator=estimator))


#: Each convention's stop test in a few words, by the name `compare` gives it.
STOP_TESTS = {
    "Keras": "wait >= patience; better by more than min_delta, compared in float32",
    "Lightning": "count >= patience; better by more than min_delta",
    **{f"scikit-learn {name}": f"{c.test}; a gain of at least tol resets the count" for name, c in SKLEARN.items()},
}


def compare(values: Sequence[float], *, patience: int, min_delta: float = 0.0,
            monitor: str = "val/loss") -> dict[str, Outcome]:
    """The four conventions on one loss curve, named `monitor`, with the same patience and minimum gain.

    Keras runs in its default mode "auto", which finds "min" in a loss's name. Both scikit-learn
    conventions get ``n_iter_no_change=max(patience, 1)`` (they allow no 0) and ``tol=min_delta``.
    """
    n, tol = max(patience, 1), abs(min_delta)
    return {
        "Keras": keras_style(values, mode="auto", patience=patience, min_delta=min_delta, monitor=monitor),
        "Lightning": lightning_style(values, patience=patience, min_delta=min_delta, monitor=monitor),
        **{f"scikit-learn {name}": sklearn_style(values, n_iter_no_change=n, tol=tol, estimator=name, monitor=monitor)
           for name in SKLEARN},
    }


def decision_log(values: Sequence[float], rule: Rule, unit: str = "epoch") -> list[dict[str, Any]]:
    """One row per step up to the stop: step, value, best, wait, improved, verdict.

    The verdict is "improved", "waiting k/limit", "before start_from_epoch" or "stop: <reason>".
    `rule` is left untouched (a copy is fed). Rules without a best or a count (Tolerance,
    Divergence) get None there and the verdict "continue" until they stop.
    """
    rule = _fresh(rule, unit)
    monitor = getattr(rule, "monitor", "value")
    start = getattr(rule, "start_from_epoch", 0)
    limit = getattr(rule, "limit", getattr(rule, "patience", None))
    rows = []
    for i, value in enumerate(values):
        value = float(value)
        decision = rule.update(Step(i, {monitor: value}))
        improved = rule.improved
        wait = getattr(rule, "wait", None)
        if decision is not None:
            verdict = f"stop: {decision.reason}"
        elif i < start:
            verdict = "before start_from_epoch"
        elif improved:
            verdict = "improved"
        elif wait is not None and limit is not None:
            verdict = f"waiting {wait}/{limit}"
        else:
            verdict = "continue"
        rows.append({"step": i, "value": value, "best": getattr(rule, "best", None), "wait": wait,
                     "improved": improved, "verdict": verdict})
        if decision is not None:
            break
    return rows
