"""StoppingConfig builds the EarlyStopping rule it describes, and round-trips through dicts."""

import dataclasses

import pytest

from lab.records import Step
from lab.stopping import EarlyStopping
from lab.stopping_config import StoppingConfig


def test_disabled_gives_no_rule():
    assert StoppingConfig().rule() is None


def test_rule_carries_every_setting():
    config = StoppingConfig(enabled=True, monitor="val/accuracy", mode="max", patience=3, min_delta=0.01,
                            restore_best=False, baseline=0.5, start_from_epoch=2)
    rule = config.rule()
    assert isinstance(rule, EarlyStopping)
    assert (rule.monitor, rule.mode, rule.patience, rule.min_delta, rule.restore_best, rule.baseline, rule.start_from_epoch) == (
        "val/accuracy", "max", 3, 0.01, False, 0.5, 2)


def test_rule_stops_where_patience_runs_out():
    rule = StoppingConfig(enabled=True, patience=2).rule()
    decisions = [rule.update(Step(i, {"val/loss": v})) for i, v in enumerate([3.0, 2.0, 2.5, 2.4, 1.0])]
    assert decisions[:3] == [None, None, None]
    assert decisions[3].kind == "patience" and decisions[3].best_step == 1


def test_round_trip():
    config = StoppingConfig(enabled=True, baseline=1.0, patience=4)
    assert StoppingConfig.from_dict(config.to_dict()) == config
    assert set(StoppingConfig.field_docs()) == {f.name for f in dataclasses.fields(StoppingConfig)}


@pytest.mark.parametrize(
    "changes, field",
    [({"enabled": 1}, "enabled"), ({"monitor": ""}, "monitor"), ({"mode": "up"}, "mode"), ({"patience": -1}, "patience"),
     ({"min_delta": -0.1}, "min_delta"), ({"restore_best": None}, "restore_best"), ({"baseline": float("nan")}, "baseline"),
     ({"start_from_epoch": 1.5}, "start_from_epoch")],
)
def test_bad_values_name_the_field(changes, field):
    with pytest.raises(ValueError, match=f"^{field}="):
        StoppingConfig(**changes)
