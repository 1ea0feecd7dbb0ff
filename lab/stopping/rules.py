"""Stop rules: small policy objects that look at each step and may decide to stop.

Every rule has one method that matters, ``update(step) -> Decision | None``, and ``reset()``.
A `Decision` carries the step at which it fired and a reason in plain words that pages
show as they are and charts mark with a rule.

`EarlyStopping` stops at the same step, with the same best step, as Keras 3's ``EarlyStopping``
for any sequence of values, including values closer together than float32 can tell apart:
it compares as Keras does, in float32 (`keras_less`). Before that test it checks, in
Lightning's order, that the value is finite and whether it crossed the stopping or the
divergence threshold.
"""

from __future__ import annotations

import math
import struct
from numbers import Integral

from lab.metrics import mode_of
from lab.records import Decision, Kind, Step
from lab.validation import check_bool, check_choice, check_number

_FLOAT32 = struct.Struct("f")


def float32(x: float) -> float:
    """`x` rounded to the nearest float32 (ties to even; past float32's range: +-inf), as a Python float."""
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def keras_less(a: float, b: float) -> bool:
    """``a < b`` as Keras 3's ``ops.less`` decides it for two Python numbers.

    Keras turns each into a backend tensor: a float becomes a float32 (``floatx``), an integer an
    int32/int64, and a comparison of an integer with a float is made in float32. So two float64
    values that round to the same float32 are equal to Keras. Integers are held exactly up to 2**53.
    Rounding never reverses an order, so only ``a < b`` needs the rounding (the rule's common
    case, no improvement, costs one float comparison).
    """
    if not a < b:
        return False
    return float32(a) < float32(b) or (isinstance(a, Integral) and isinstance(b, Integral))


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def singular(unit: str) -> str:
    """A lab's step unit in the singular: "epochs" -> "epoch"."""
    return unit[:-1] if unit.endswith("s") else unit


def count(n: int, unit: str) -> str:
    """`n` of a singular unit in words: "1 epoch", "20 epochs"."""
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


class Rule:
    """Base class: a rule watches steps and may return a Decision to stop.

    The attributes below are everything `lab.run` reads or sets on a rule; a rule that tracks
    a best value keeps `improved` and `best_step` up to date in `update` (and clears them in
    `reset`), and one that can go back to its best step sets `restore_best`.
    """

    #: the word a reason uses for one step; `lab.run` sets the lab's own ("epoch", "episode",
    #: "iteration"), so a regression run reads "diverged at epoch 12"
    unit: str = "step"
    #: when the run stops, go back to the model of `best_step` (the loop snapshots it on `improved`)
    restore_best: bool = False
    #: whether the last `update` found a new best value
    improved: bool = False
    #: the step of the best value so far (None before one, or for a rule that keeps none)
    best_step: int | None = None

    def update(self, step: Step) -> Decision | None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget everything seen; called by the loop before a run."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}


class NeverStop(Rule):
    """The do-nothing rule: a run goes until its step budget."""

    def update(self, step: Step) -> Decision | None:
        return None


class EarlyStopping(Rule):
    """Stop when a monitored metric stops improving (Keras' rule) or crosses a threshold.

    Improvement, in mode "min", is ``current + |min_delta| < best`` exactly as Keras computes
    it: the sum in the value's own type (float64 for a Python float), then both sides rounded to
    float32 and compared (`keras_less`);
    mirrored in mode "max" (``current - |min_delta| > best``). Mode "auto" is Keras' default: it
    takes the direction from the monitor's name, here with `lab.metrics.mode_of` (Keras: "loss"
    and "val_loss" by name, other metrics by their declared direction; `mode_of` agrees on the
    names of Keras' built-in metrics; Keras falls back to "auto" on an unknown mode, the rule refuses
    it). ``wait`` grows by one at every step from ``start_from_epoch``
    on and goes back to 0 on an improvement that also beats ``baseline``; the rule stops when
    ``wait >= patience`` at a step other than 0. Before that, in Lightning's order: a
    non-finite value (``check_finite``), the ``stopping_threshold`` (good enough), the
    ``divergence_threshold`` (hopeless).
    """

    def __init__(
        self,
        monitor: str,
        mode: str = "min",
        min_delta: float = 0.0,
        patience: int = 0,
        baseline: float | None = None,
        start_from_epoch: int = 0,
        restore_best: bool = False,
        stopping_threshold: float | None = None,
        divergence_threshold: float | None = None,
        check_finite: bool = True,
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor={monitor!r} is not allowed; give a metric name such as 'val/loss'")
        check_choice("mode", mode, ("min", "max", "auto"))
        check_number("min_delta", min_delta)
        check_number("patience", patience, 0, integer=True)
        if baseline is not None:
            check_number("baseline", baseline)
        check_number("start_from_epoch", start_from_epoch, 0, integer=True)
        check_bool("restore_best", restore_best)
        if stopping_threshold is not None:
            check_number("stopping_threshold", stopping_threshold)
        if divergence_threshold is not None:
            check_number("divergence_threshold", divergence_threshold)
        check_bool("check_finite", check_finite)
        self.monitor = monitor
        self.mode = mode_of(monitor) if mode == "auto" else mode
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.restore_best = restore_best
        self.stopping_threshold = stopping_threshold
        self.divergence_threshold = divergence_threshold
        self.check_finite = check_finite
        self.reset()

    def _params(self) -> dict:
        return {
            "monitor": self.monitor, "mode": self.mode, "min_delta": self.min_delta,
            "patience": self.patience, "baseline": self.baseline,
            "start_from_epoch": self.start_from_epoch, "restore_best": self.restore_best,
            "stopping_threshold": self.stopping_threshold,
            "divergence_threshold": self.divergence_threshold, "check_finite": self.check_finite,
        }

    def reset(self) -> None:
        self.best: float | None = None
        self.best_step: int | None = None
        self.wait = 0
        self.improved = False

    def better(self, current: float, reference: float | None) -> bool:
        """Keras' improvement test: strict, by more than min_delta, in float32 (see `keras_less`)."""
        if reference is None:
            return True
        if self.mode == "min":
            return keras_less(current + self.min_delta, reference)
        return keras_less(reference, current - self.min_delta)

    def _beyond(self, current: float, threshold: float) -> bool:
        return current < threshold if self.mode == "min" else current > threshold

    def _worse_than(self, current: float, threshold: float) -> bool:
        return current > threshold if self.mode == "min" else current < threshold

    def update(self, step: Step) -> Decision | None:
        self.improved = False
        current = step.metrics.get(self.monitor)
        if current is None:
            return None
        n = step.step
        if self.check_finite and not math.isfinite(current):
            return Decision(Kind.NON_FINITE, f"diverged at {self.unit} {n}: {self.monitor} is {current} (not finite)",
                            n, self.best_step)
        if self.stopping_threshold is not None and self._beyond(current, self.stopping_threshold):
            return Decision(
                Kind.THRESHOLD,
                f"{self.monitor} = {_fmt(current)} reached the stopping threshold {_fmt(self.stopping_threshold)} at {self.unit} {n}",
                n, self.best_step,
            )
        if self.divergence_threshold is not None and self._worse_than(current, self.divergence_threshold):
            return Decision(
                Kind.DIVERGED,
                f"diverged at {self.unit} {n}: {self.monitor} = {_fmt(current)} is past the divergence threshold "
                f"{_fmt(self.divergence_threshold)}",
                n, self.best_step,
            )
        if n < self.start_from_epoch:
            return None
        self.wait += 1
        if self.better(current, self.best):
            self.best, self.best_step, self.improved = current, n, True
            if self.baseline is None or self.better(current, self.baseline):
                self.wait = 0
            return None
        if self.wait >= self.patience and n > 0:
            return Decision(
                Kind.PATIENCE,
                f"stopped at {self.unit} {n}: {self.monitor} has not improved by more than {_fmt(self.min_delta)} "
                f"for {count(self.wait, self.unit)}; best {_fmt(self.best)} at {self.unit} {self.best_step}",
                n, self.best_step,
            )
        return None


class Tolerance(Rule):
    """Converged once a metric is at or below `tol` (a shift, a Q change, a gap).

    With ``window > 1`` the metric must stay within tol for that many steps in a row.
    """

    def __init__(self, monitor: str, tol: float, window: int = 1, what: str | None = None) -> None:
        check_number("tol", tol, 0)
        check_number("window", window, 1, integer=True)
        self.monitor, self.tol, self.window = monitor, tol, window
        self.what = what or monitor
        self.reset()

    def _params(self) -> dict:
        return {"monitor": self.monitor, "tol": self.tol, "window": self.window}

    def reset(self) -> None:
        self.run = 0

    def update(self, step: Step) -> Decision | None:
        value = step.metrics.get(self.monitor)
        if value is None:
            return None
        self.run = self.run + 1 if value <= self.tol else 0
        if self.run >= self.window:
            span = "" if self.window == 1 else f" for {count(self.window, self.unit)} in a row"
            return Decision(
                Kind.CONVERGED,
                f"converged at {self.unit} {step.step}: {self.what} = {_fmt(value)} is within tol {_fmt(self.tol)}{span}",
                step.step,
            )
        return None


class Divergence(Rule):
    """Diverged once a metric is not finite or its magnitude passes `threshold`."""

    def __init__(self, monitor: str, threshold: float = 1e10) -> None:
        check_number("threshold", threshold, 0, low_open=True)
        self.monitor, self.threshold = monitor, threshold

    def _params(self) -> dict:
        return {"monitor": self.monitor, "threshold": self.threshold}

    def update(self, step: Step) -> Decision | None:
        value = step.metrics.get(self.monitor)
        if value is None:
            return None
        if not math.isfinite(value):
            return Decision(Kind.NON_FINITE, f"diverged at {self.unit} {step.step}: {self.monitor} is {value} (not finite)",
                            step.step)
        if abs(value) > self.threshold:
            return Decision(
                Kind.DIVERGED,
                f"diverged at {self.unit} {step.step}: {self.monitor} = {_fmt(value)} is past {_fmt(self.threshold)}",
                step.step,
            )
        return None


class StepBudget(Rule):
    """Stop after `max_steps` steps have been seen."""

    def __init__(self, max_steps: int) -> None:
        check_number("max_steps", max_steps, 1, integer=True)
        self.max_steps = max_steps
        self.reset()

    def _params(self) -> dict:
        return {"max_steps": self.max_steps}

    def reset(self) -> None:
        self.seen = 0

    def update(self, step: Step) -> Decision | None:
        self.seen += 1
        if self.seen >= self.max_steps:
            return budget_decision(step.step, self.max_steps, self.unit + "s")
        return None


def budget_decision(step: int, budget: int | None = None, unit: str = "steps") -> Decision:
    """The decision for a run that used its whole budget without another rule firing.

    `unit` names the lab's steps in the plural: "ran its whole epoch budget (100 epochs)". The
    reason leaves out the last step's number, which is 99 where steps count from 0 and 100 where
    step 0 is the start; the decision's `step` holds it.
    """
    name = singular(unit)
    if budget:
        return Decision(Kind.BUDGET, f"ran its whole {name} budget ({budget} {unit}) without another rule firing", step)
    return Decision(Kind.BUDGET, f"ran to the {name} budget at {name} {step} without another rule firing", step)


def cancelled_decision(step: int, unit: str = "steps") -> Decision:
    return Decision(Kind.CANCELLED, f"stopped by you at {singular(unit)} {step}", step)
