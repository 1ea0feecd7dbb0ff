"""The one loop: rules in order, budget, cancel, on_step, restore_best through snapshots."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import ClassVar

import pytest

import lab
from lab.config import Config
from lab.records import Kind, Step
from lab.stopping import Divergence, EarlyStopping, Tolerance


class _Values:
    """An experiment that replays given values as `loss`, with a 'model' that is the step index."""

    def __init__(self, values):
        self.values = values
        self.model = None

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


@dataclass(frozen=True)
class ValuesConfig(Config):
    values: tuple[float, ...] = (3.0, 2.0, 1.0)
    guard: bool = True

    def experiment(self):
        return _Values(self.values)

    def rules(self):
        return [Divergence("loss", 1e6)] if self.guard else []

    @property
    def budget(self):
        return len(self.values)


def test_budget_when_no_rule_fires():
    result = lab.run(ValuesConfig())
    assert result.decision.kind is Kind.BUDGET
    assert result.decision.step == 2
    assert "3 steps" in result.decision.reason
    assert [s.step for s in result.steps] == [0, 1, 2]


def test_config_rules_come_before_given_rules():
    result = lab.run(ValuesConfig(values=(1.0, float("nan"), 0.5)), stopping=Tolerance("loss", 0.6))
    assert result.decision.kind == "non_finite"
    assert result.decision.reason.startswith("diverged at step 1")
    assert len(result.steps) == 2


def test_divergence_threshold_names_the_step():
    result = lab.run(ValuesConfig(values=(1.0, 10.0, 1e7, 1.0)))
    assert (result.decision.kind, result.decision.step) == ("diverged", 2)
    assert "diverged at step 2" in result.decision.reason


@dataclass(frozen=True)
class EpochValuesConfig(ValuesConfig):
    step_unit: ClassVar[str] = "epochs"


def test_every_reason_names_the_labs_unit():
    diverged = lab.run(EpochValuesConfig(values=(1.0, float("nan"))))
    assert diverged.decision.reason.startswith("diverged at epoch 1: loss is nan")
    patience = lab.run(EpochValuesConfig(values=(3.0, 1.0, 2.0, 2.0)), stopping=EarlyStopping("loss", patience=2, restore_best=True))
    assert patience.decision.reason == ("stopped at epoch 3: loss has not improved by more than 0 for 2 epochs; "
                                        "best 1 at epoch 1; restored the weights of epoch 1")
    tolerance = lab.run(EpochValuesConfig(values=(3.0, 0.1, 0.1)), stopping=Tolerance("loss", 0.5, window=2))
    assert tolerance.decision.reason == "converged at epoch 2: loss = 0.1 is within tol 0.5 for 2 epochs in a row"
    cancelled = lab.run(EpochValuesConfig(), cancel=lambda: True)
    assert cancelled.decision.reason == "stopped by you at epoch 0"
    rule = EarlyStopping("loss", patience=1)
    lab.run(EpochValuesConfig(), stopping=rule)
    reused = lab.run(ValuesConfig(values=(1.0, 2.0, 3.0)), stopping=rule)  # the rule takes each run's unit
    assert reused.decision.reason == "stopped at step 1: loss has not improved by more than 0 for 1 step; best 1 at step 0"


def test_on_step_sees_every_step_and_cancel_stops():
    seen = []
    event = threading.Event()

    def on_step(step):
        seen.append(step.step)
        if step.step == 1:
            event.set()

    result = lab.run(ValuesConfig(values=(5.0, 4.0, 3.0, 2.0)), on_step=on_step, cancel=event)
    assert seen == [0, 1]
    assert result.decision.kind == "cancelled"
    assert result.decision.step == 1


def test_restore_best_goes_back_to_the_best_step():
    values = (5.0, 3.0, 1.0, 2.0, 4.0, 6.0)
    rule = EarlyStopping("loss", patience=2, restore_best=True)
    result = lab.run(ValuesConfig(values=values), stopping=rule)
    assert result.decision.kind == "patience"
    assert result.decision.step == 4
    assert result.decision.best_step == 2
    assert result.artifacts["model"] == 2
    assert "restored" in result.decision.reason


def test_without_restore_the_last_model_stays():
    rule = EarlyStopping("loss", patience=2)
    result = lab.run(ValuesConfig(values=(5.0, 3.0, 1.0, 2.0, 4.0, 6.0)), stopping=rule)
    assert result.artifacts["model"] == 4


def test_history_is_long_format():
    result = lab.run(ValuesConfig())
    frame = result.history()
    assert list(frame.columns) == ["step", "metric", "value"]
    assert frame["value"].tolist() == [3.0, 2.0, 1.0]
    assert result.last("loss") == 1.0
    assert result.series("loss") == ([0, 1, 2], [3.0, 2.0, 1.0])


def test_config_round_trip_and_unknown_field():
    config = ValuesConfig(values=(1.0, 2.5), guard=False)
    data = config.to_dict()
    assert data == {"values": [1.0, 2.5], "guard": False}
    assert ValuesConfig.from_dict(data) == config
    with pytest.raises(ValueError, match="unknown field"):
        ValuesConfig.from_dict({"nope": 1})
