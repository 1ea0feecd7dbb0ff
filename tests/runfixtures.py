"""A tiny lab for the store, share and CLI tests: a seeded decaying loss, sparse metrics, odd artifacts.

Imported as ``tests.runfixtures`` (also by the subprocesses of the reliability tests), and
registered in ``lab.experiments.LABS`` as "tiny" by `register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lab.config import Config, field
from lab.records import Step
from lab.schedules import ScheduleConfig
from lab.stopping import Divergence
from lab.validation import check_bool, check_choice, check_number

LAB = "tiny"
SPEC = "tests.runfixtures:TinyConfig"


class _Tiny:
    def __init__(self, config: TinyConfig, start: float = 1.0) -> None:
        self.config = config
        self.loss = start

    def steps(self):
        c = self.config
        rng = np.random.default_rng(c.seed)
        policy = c.schedule.policy(c.lr, c.steps)
        for t in range(c.steps):
            lr = policy.lr(t)
            self.loss = self.loss * (1 - lr) + c.noise * float(rng.standard_normal())
            if c.blow_up_at is not None and t >= c.blow_up_at:
                self.loss = float("inf")
            metrics = {"train/loss": self.loss, "lr": lr}
            if t % c.val_every == 0:
                metrics["val/loss"] = self.loss * 1.1
            policy.observe(self.loss)
            yield Step(t, metrics)

    def artifacts(self, decision):
        return {
            "final_loss": self.loss,
            "weights": np.arange(3.0),
            "huge": np.zeros(100_000),
            "model": object(),
            "note": "tiny",
        }


@dataclass(frozen=True)
class TinyConfig(Config):
    lab: ClassVar[str] = LAB

    optimizer: str = field("sgd", help="name shown in run names")
    lr: float = field(0.1, help="learning rate")
    steps: int = field(20, help="number of steps")
    noise: float = field(0.0, help="noise added to the loss each step")
    val_every: int = field(5, help="steps between validation metrics")
    blow_up_at: int | None = field(None, help="step from which the loss is infinite")
    seed: int = field(0, help="random seed")
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule")
    verbose: bool = field(False, help="an unused flag")

    def __post_init__(self) -> None:
        check_choice("optimizer", self.optimizer, ("sgd", "adam"))
        check_number("lr", self.lr, 0, 1, low_open=True)
        check_number("steps", self.steps, 1, 10_000_000, integer=True)
        check_number("noise", self.noise, 0)
        check_number("val_every", self.val_every, 1, integer=True)
        if self.blow_up_at is not None:
            check_number("blow_up_at", self.blow_up_at, 0, integer=True)
        check_number("seed", self.seed, 0, integer=True)
        if not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(f"schedule={self.schedule!r} is not a ScheduleConfig")
        check_bool("verbose", self.verbose)

    def experiment(self, data=None):
        """With uploaded data (a numeric DataFrame), the loss starts at the first column's mean."""
        return _Tiny(self) if data is None else _Tiny(self, float(data.iloc[:, 0].mean()))

    def rules(self):
        return [Divergence("train/loss", 1e6)]

    @property
    def budget(self):
        return self.steps


def register(monkeypatch) -> None:
    """Make "tiny" a lab for the duration of a test."""
    from lab import experiments

    monkeypatch.setitem(experiments.LABS, LAB, SPEC)


def scalar(store, sql: str):
    """The one value `sql` selects, read through the store's own database (SQLite or PostgreSQL)."""
    con = store._db.connect()
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()
