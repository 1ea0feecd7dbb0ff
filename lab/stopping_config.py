"""The early-stopping settings a lab config holds, and the `EarlyStopping` rule they build.

A lab config keeps a `StoppingConfig` as a nested field (so it travels through ``to_dict``
and URLs with the rest) and puts ``stopping.rule()`` at the end of its ``rules()``, after
its own divergence guard. The rule itself is `lab.stopping.EarlyStopping` (Keras' test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lab.config import Config, field
from lab.stopping import EarlyStopping
from lab.validation import check_bool, check_choice, check_number


@dataclass(frozen=True)
class StoppingConfig(Config):
    """Early stopping on one metric, off by default (then a run goes to its budget)."""

    enabled: bool = field(False, help="stop when the monitored metric stops improving")
    monitor: str = field("val/loss", help="the metric watched, e.g. val/loss or val/accuracy")
    mode: str = field("min", help="min: lower is better (a loss); max: higher is better (an accuracy)")
    patience: int = field(10, help="epochs without improvement tolerated before stopping")
    min_delta: float = field(0.0, help="an improvement must beat the best by more than this")
    restore_best: bool = field(True, help="at the end, go back to the weights of the best epoch")
    baseline: float | None = field(None, help="patience only resets once the metric beats this value (None: off)")
    start_from_epoch: int = field(0, help="epochs before this one are not watched (warm-up)")

    def __post_init__(self) -> None:
        check_bool("enabled", self.enabled)
        if not isinstance(self.monitor, str) or not self.monitor:
            raise ValueError(f"monitor={self.monitor!r} is not allowed; give a metric name such as 'val/loss'")
        check_choice("mode", self.mode, ("min", "max"))
        check_number("patience", self.patience, 0, 1_000_000, integer=True)
        check_number("min_delta", self.min_delta, 0)
        check_bool("restore_best", self.restore_best)
        if self.baseline is not None:
            check_number("baseline", self.baseline)
        check_number("start_from_epoch", self.start_from_epoch, 0, 1_000_000, integer=True)

    def rule(self) -> EarlyStopping | None:
        """The rule these settings describe, or None when early stopping is off."""
        if not self.enabled:
            return None
        return EarlyStopping(
            monitor=self.monitor, mode=self.mode, min_delta=self.min_delta, patience=self.patience,
            baseline=self.baseline, start_from_epoch=self.start_from_epoch, restore_best=self.restore_best,
        )


class EpochStoppingFields:
    """For configs that keep early stopping as flat fields (the torch labs' ``stop_*`` fields).

    The config declares `early_stopping`, `stop_monitor`, `stop_patience`, `stop_min_delta`,
    `restore_best` and `epochs`, and sets `MONITORS` and `DIVERGE_ABOVE` (the loss that counts
    as diverged). This supplies their validation, the rules (divergence guard first) and the budget.
    """

    MONITORS: tuple[str, ...] = ("val/loss", "val/accuracy", "train/loss", "train/accuracy")
    step_unit: ClassVar[str] = "epochs"
    DIVERGE_ABOVE: float = 1e10

    def check_stopping_fields(self) -> None:
        check_bool("early_stopping", self.early_stopping)
        check_choice("stop_monitor", self.stop_monitor, self.MONITORS)
        check_number("stop_patience", self.stop_patience, 0, 1000, integer=True)
        check_number("stop_min_delta", self.stop_min_delta, 0)
        check_bool("restore_best", self.restore_best)

    def rules(self) -> list:
        from lab.stopping import Divergence

        rules: list = [Divergence("train/loss", self.DIVERGE_ABOVE)]
        if self.early_stopping:
            rules.append(self.early_stopping_rule())
        return rules

    def early_stopping_rule(self) -> EarlyStopping:
        mode = "max" if self.stop_monitor.endswith("accuracy") else "min"
        return EarlyStopping(self.stop_monitor, mode=mode, min_delta=self.stop_min_delta,
                             patience=self.stop_patience, restore_best=self.restore_best)

    @property
    def budget(self) -> int:
        return self.epochs
