"""The one early-stopping shape: `StoppingConfig`, nested as ``stopping`` in every lab config that can stop early.

A lab config declares the field with the metrics its runs record, once::

    stopping: StoppingConfig = field(StoppingConfig(), help="...", allowed=StoppingOn(MONITORS))

and its ``rules()`` puts its own divergence guard first, then ``*self.stopping.rules()``. The
settings travel with the config (``to_dict``, URLs, the run store), so a saved run keeps its
rule. Whether lower or higher is better is never a setting: `mode_of` derives it from the
monitored metric's name, the one place that knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from lab.config import Config, field
from lab.constraints import Boolean, Interval, Nested, Options, Text
from lab.metrics import mode_of
from lab.stopping.rules import EarlyStopping


@dataclass(frozen=True)
class StoppingConfig(Config):
    """Early stopping on one metric, off by default (then a run goes to its budget).

    Keras' settings (patience, min_delta, baseline, start_from_epoch, restore_best) and Lightning's
    two thresholds; the mode (min or max) follows from the monitor (`mode_of`).
    """

    enabled: bool = field(False, help="stop when the monitored metric stops improving", allowed=Boolean())
    monitor: str = field("val/loss", help="the metric watched, e.g. val/loss or val/accuracy (higher is better for accuracies)",
                         allowed=Text(example="val/loss"))
    patience: int = field(10, help="epochs without improvement tolerated before stopping",
                          allowed=Interval(Integral, 0, 1_000_000))
    min_delta: float = field(0.0, help="an improvement must beat the best by more than this", allowed=Interval(Real, 0, None))
    restore_best: bool = field(True, help="at the end, go back to the weights of the best epoch", allowed=Boolean())
    baseline: float | None = field(None, help="patience only resets once the metric beats this value (None: off)",
                                   allowed=Interval(Real))
    start_from_epoch: int = field(0, help="epochs before this one are not watched (warm-up)",
                                  allowed=Interval(Integral, 0, 1_000_000))
    stopping_threshold: float | None = field(None, help="Lightning: stop as soon as the metric is better than this (None: off)",
                                             allowed=Interval(Real))
    divergence_threshold: float | None = field(None, help="Lightning: stop as soon as the metric is worse than this (None: off)",
                                               allowed=Interval(Real))

    @property
    def mode(self) -> str:
        """min or max, derived from the monitor (see `mode_of`): what ``EarlyStopping(mode="auto")`` decides too."""
        return mode_of(self.monitor)

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Saved runs from before the mode was derived carry a ``mode`` key: it is dropped (the monitor decides)."""
        return {k: v for k, v in data.items() if k != "mode"}

    def rule(self) -> EarlyStopping | None:
        """The rule these settings describe, or None when early stopping is off."""
        if not self.enabled:
            return None
        return EarlyStopping(
            monitor=self.monitor, mode=self.mode, min_delta=self.min_delta, patience=self.patience,
            baseline=self.baseline, start_from_epoch=self.start_from_epoch, restore_best=self.restore_best,
            stopping_threshold=self.stopping_threshold, divergence_threshold=self.divergence_threshold,
        )

    def rules(self) -> list[EarlyStopping]:
        """The rule as a list (empty when off), for a lab config's ``rules()``."""
        rule = self.rule()
        return [] if rule is None else [rule]


@dataclass(frozen=True, init=False)
class StoppingOn(Nested):
    """A `StoppingConfig` whose monitor is one of the metrics the lab records (declared once per lab)."""

    monitors: tuple[str, ...] = ()

    def __init__(self, monitors: tuple[str, ...]) -> None:
        object.__setattr__(self, "cls", StoppingConfig)
        object.__setattr__(self, "monitors", tuple(monitors))

    def describe(self) -> str:
        return f"a StoppingConfig watching one of {', '.join(map(repr, self.monitors))}"

    def check(self, name: str, value: Any) -> None:
        super().check(name, value)
        Options(self.monitors).check(f"{name}.monitor", value.monitor)


#: The flat early-stopping fields of older Classifier and CNN configs (and links), by their nested name.
FLAT_FIELDS = {"early_stopping": "enabled", "stop_monitor": "monitor", "stop_patience": "patience",
               "stop_min_delta": "min_delta", "restore_best": "restore_best"}
#: The Early stopping page's older widget names (``rule.*``) that map one to one.
RULE_FIELDS = ("patience", "min_delta", "start_from_epoch", "restore_best")


def nest_flat_fields(data: dict[str, Any], default: StoppingConfig) -> dict[str, Any]:
    """An older config dict with flat ``early_stopping``/``stop_*``/``restore_best`` keys, in today's nested form.

    Settings the dict leaves out keep the lab's `default`; keys already nested win over flat ones.
    A dict without flat keys comes back unchanged.
    """
    flat = {FLAT_FIELDS[k]: v for k, v in data.items() if k in FLAT_FIELDS}
    if not flat:
        return data
    rest = {k: v for k, v in data.items() if k not in FLAT_FIELDS}
    return {**rest, "stopping": {**default.to_dict(), **flat, **rest.get("stopping", {})}}


def current_setting(name: str) -> str:
    """A page setting's name today, given the name an older link used (``stop_patience`` -> ``stopping.patience``)."""
    if name in FLAT_FIELDS:
        return f"stopping.{FLAT_FIELDS[name]}"
    if name.startswith("rule.") and name[5:] in RULE_FIELDS:
        return f"stopping.{name[5:]}"
    return name
