"""Learning-rate schedules: pure functions of the step, and ReduceLROnPlateau.

Each schedule function returns ``t -> lr`` for integer ``t >= 0``; the formulas are the
ones the pages show. `ReduceLROnPlateau` follows ``torch.optim.lr_scheduler.ReduceLROnPlateau``
exactly. `ScheduleConfig` is what lab configs hold: it builds an `LRPolicy` that an
experiment asks for the lr of each step and tells the metric it saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from lab.config import Config, field
from lab.validation import check_bool, check_choice, check_number

Schedule = Callable[[int], float]


def constant(lr0: float) -> Schedule:
    """lr0 at every step."""
    return lambda t: lr0


def exponential(lr0: float, decay: float) -> Schedule:
    """lr0 * e^(-decay * t)."""
    return lambda t: lr0 * math.exp(-decay * t)


def time_based(lr0: float, decay: float) -> Schedule:
    """lr0 / (1 + decay * t)."""
    return lambda t: lr0 / (1 + decay * t)


def step_decay(lr0: float, factor: float, every: int) -> Schedule:
    """lr0 * factor^floor(t / every): drops by `factor` every `every` steps."""
    return lambda t: lr0 * factor ** (t // every)


def exponential_decay(lr0: float, decay_steps: int, decay_rate: float, staircase: bool = False) -> Schedule:
    """Keras' ExponentialDecay: lr0 * decay_rate^(t / decay_steps), the exponent floored if staircase."""

    def lr(t: int) -> float:
        p = t / decay_steps
        return lr0 * decay_rate ** (math.floor(p) if staircase else p)

    return lr


def cosine(lr0: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    """Half a cosine from lr0 down to min_lr over total_steps, then min_lr."""
    return lambda t: min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * min(t, total_steps) / total_steps)) / 2


def warmup(schedule: Schedule, warmup_steps: int) -> Schedule:
    """A linear ramp lr0 * (t + 1) / warmup_steps for the first steps, then `schedule` from its start."""
    if warmup_steps <= 0:
        return schedule
    return lambda t: schedule(0) * (t + 1) / warmup_steps if t < warmup_steps else schedule(t - warmup_steps)


class ReduceLROnPlateau:
    """Cut the lr by `factor` when the metric has not improved for more than `patience` steps.

    Same rule as torch's: improvement in "rel" mode is ``value < best * (1 - threshold)``
    (mode "min"), in "abs" mode ``value < best - threshold``; after a cut, `cooldown` steps
    count no bad steps; a cut smaller than `eps` is skipped; the lr never goes below min_lr.
    """

    def __init__(
        self,
        lr0: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        check_number("lr0", lr0, 0, low_open=True)
        check_choice("mode", mode, ("min", "max"))
        check_number("factor", factor, 0, 1, low_open=True, high_open=True)
        check_number("patience", patience, 0, integer=True)
        check_number("threshold", threshold, 0)
        check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        check_number("cooldown", cooldown, 0, integer=True)
        check_number("min_lr", min_lr, 0)
        check_number("eps", eps, 0)
        self.lr0, self.mode, self.factor, self.patience = lr0, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lr, self.eps = min_lr, eps
        self.reset()

    def reset(self) -> None:
        self.lr = self.lr0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.cuts: list[int] = []
        self.updates = 0

    def _better(self, value: float) -> bool:
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold)

    def update(self, value: float) -> float:
        """Tell the rule the metric of the step just done; returns the lr for the next one."""
        self.updates += 1
        if self._better(value):
            self.best = value
            self.num_bad = 0
        else:
            self.num_bad += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad = 0
        if self.num_bad > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
                self.cuts.append(self.updates)
            self.cooldown_counter = self.cooldown
            self.num_bad = 0
        return self.lr


class LRPolicy:
    """What an experiment asks: the lr of step t, and (for plateau) the metric after it."""

    def __init__(self, schedule: Schedule | None = None, plateau: ReduceLROnPlateau | None = None) -> None:
        self.schedule, self.plateau = schedule, plateau

    def lr(self, t: int) -> float:
        return self.plateau.lr if self.plateau is not None else self.schedule(t)

    def observe(self, value: float) -> None:
        if self.plateau is not None and math.isfinite(value):
            self.plateau.update(value)

    @property
    def cuts(self) -> list[int]:
        """Steps after which ReduceLROnPlateau cut the lr (empty for the other schedules)."""
        return list(self.plateau.cuts) if self.plateau is not None else []


SCHEDULES = ("constant", "exponential", "time_based", "step", "exponential_decay", "cosine", "plateau")

LABELS = {
    "constant": "Constant", "exponential": "Exponential  lr0·e^(−d·t)", "time_based": "Time-based  lr0/(1+d·t)",
    "step": "Step  lr0·f^⌊t/every⌋", "exponential_decay": "Staircase/exponential (Keras)",
    "cosine": "Cosine", "plateau": "Reduce on plateau",
}


@dataclass(frozen=True)
class ScheduleConfig(Config):
    """Which schedule, and its settings; the base lr and the run length come from the lab's config."""

    name: str = field("constant", help="schedule: " + ", ".join(SCHEDULES))
    decay: float = field(0.01, help="decay rate d of exponential and time-based schedules")
    factor: float = field(0.5, help="multiplier at each drop (step, exponential_decay rate, plateau cut)")
    every: int = field(100, help="steps between drops (step), or Keras' decay_steps (exponential_decay)")
    staircase: bool = field(False, help="exponential_decay: floor the exponent, so the lr drops in stairs")
    min_lr: float = field(0.0, help="floor of the cosine and plateau schedules")
    warmup_steps: int = field(0, help="linear warmup steps before the schedule starts")
    patience: int = field(10, help="plateau: bad steps tolerated before a cut")
    threshold: float = field(1e-4, help="plateau: relative improvement that counts")
    cooldown: int = field(0, help="plateau: steps after a cut during which no bad steps count")

    def __post_init__(self) -> None:
        check_choice("name", self.name, SCHEDULES)
        check_number("decay", self.decay, 0)
        check_number("factor", self.factor, 0, 1, low_open=True, high_open=True)
        check_number("every", self.every, 1, integer=True)
        check_bool("staircase", self.staircase)
        check_number("min_lr", self.min_lr, 0)
        check_number("warmup_steps", self.warmup_steps, 0, integer=True)
        check_number("patience", self.patience, 0, integer=True)
        check_number("threshold", self.threshold, 0)
        check_number("cooldown", self.cooldown, 0, integer=True)

    def function(self, lr0: float, total_steps: int) -> Schedule:
        """The schedule as t -> lr (plateau has none: it depends on the metric; it gives lr0)."""
        name = self.name
        if name == "exponential":
            base = exponential(lr0, self.decay)
        elif name == "time_based":
            base = time_based(lr0, self.decay)
        elif name == "step":
            base = step_decay(lr0, self.factor, self.every)
        elif name == "exponential_decay":
            base = exponential_decay(lr0, self.every, self.factor, self.staircase)
        elif name == "cosine":
            base = cosine(lr0, max(1, total_steps - self.warmup_steps), min(self.min_lr, lr0))
        else:
            base = constant(lr0)
        return warmup(base, self.warmup_steps)

    def policy(self, lr0: float, total_steps: int) -> LRPolicy:
        """A fresh policy for one run."""
        if self.name == "plateau":
            plateau = ReduceLROnPlateau(lr0, factor=self.factor, patience=self.patience, threshold=self.threshold,
                                        cooldown=self.cooldown, min_lr=min(self.min_lr, lr0))
            return LRPolicy(plateau=plateau)
        return LRPolicy(schedule=self.function(lr0, total_steps))
