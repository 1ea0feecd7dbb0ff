"""StoppingConfig: the one early-stopping shape. It builds the EarlyStopping rule it describes, derives
its mode from the monitor, declares its constraints, round-trips through dicts, and reads older shapes."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.constraints import Interval
from lab.experiments.classifier import ClassifierConfig
from lab.experiments.cnn import CNNConfig
from lab.experiments.curve import CurveConfig
from lab.experiments.regression import RegressionConfig
from lab.metrics import mode_of
from lab.records import Step
from lab.stopping import EarlyStopping
from lab.stopping.config import StoppingConfig, StoppingOn, current_setting, nest_flat_fields

NESTING = (CurveConfig, RegressionConfig, ClassifierConfig, CNNConfig)


def test_disabled_gives_no_rule():
    assert StoppingConfig().rule() is None
    assert StoppingConfig().rules() == []


def test_rule_carries_every_setting():
    config = StoppingConfig(enabled=True, monitor="val/accuracy", patience=3, min_delta=0.01, restore_best=False,
                            baseline=0.5, start_from_epoch=2, stopping_threshold=0.99, divergence_threshold=0.2)
    rule = config.rule()
    assert isinstance(rule, EarlyStopping)
    assert repr(config.rules()) == repr([rule])
    assert (rule.monitor, rule.mode, rule.patience, rule.min_delta, rule.restore_best, rule.baseline, rule.start_from_epoch,
            rule.stopping_threshold, rule.divergence_threshold) == ("val/accuracy", "max", 3, 0.01, False, 0.5, 2, 0.99, 0.2)


def test_rule_stops_where_patience_runs_out():
    rule = StoppingConfig(enabled=True, patience=2).rule()
    decisions = [rule.update(Step(i, {"val/loss": v})) for i, v in enumerate([3.0, 2.0, 2.5, 2.4, 1.0])]
    assert decisions[:3] == [None, None, None]
    assert decisions[3].kind == "patience" and decisions[3].best_step == 1


def test_accuracy_is_maximised_so_a_rise_is_an_improvement():
    rule = StoppingConfig(enabled=True, monitor="val/accuracy", patience=1).rule()
    decisions = [rule.update(Step(i, {"val/accuracy": v})) for i, v in enumerate([0.5, 0.6, 0.7, 0.65, 0.6])]
    assert decisions[:3] == [None, None, None] and rule.best_step == 2
    assert decisions[3].kind == "patience" and decisions[3].best_step == 2


def test_lightning_thresholds_stop_first():
    good = StoppingConfig(enabled=True, stopping_threshold=0.5, patience=100).rule()
    assert [good.update(Step(i, {"val/loss": v})) is None for i, v in enumerate([1.0, 0.6, 0.4])] == [True, True, False]
    bad = StoppingConfig(enabled=True, divergence_threshold=5.0, patience=100).rule()
    assert bad.update(Step(0, {"val/loss": 6.0})).kind == "diverged"


@pytest.mark.parametrize("metric, mode", [
    ("val/loss", "min"), ("train/loss", "min"), ("loss", "min"), ("gap/optimum", "min"), ("grad/norm", "min"),
    ("kmeans/inertia", "min"), ("kmeans/shift", "min"), ("q/max_delta", "min"), ("td/abs_error", "min"),
    ("val/accuracy", "max"), ("train/accuracy", "max"), ("accuracy", "max"), ("val/balanced_accuracy", "max"),
    ("episode/return", "max"), ("episode/success", "max"), ("test/roc_auc", "max"), ("Val/Accuracy", "max"),
    ("accuracy/loss", "min"),  # the last part of the name decides
])
def test_mode_is_derived_from_the_metric_name(metric, mode):
    assert mode_of(metric) == mode
    assert StoppingConfig(monitor=metric).mode == mode


def test_round_trip():
    config = StoppingConfig(enabled=True, baseline=1.0, patience=4, stopping_threshold=0.1)
    assert StoppingConfig.from_dict(config.to_dict()) == config
    assert set(StoppingConfig.field_docs()) == {f.name for f in dataclasses.fields(StoppingConfig)}
    assert "mode" not in config.to_dict()


def test_every_field_declares_its_constraint():
    assert set(StoppingConfig.constraints()) == {f.name for f in dataclasses.fields(StoppingConfig)}


@pytest.mark.parametrize(
    "changes, field",
    [({"enabled": 1}, "enabled"), ({"monitor": ""}, "monitor"), ({"monitor": 3}, "monitor"), ({"patience": -1}, "patience"),
     ({"patience": 1_000_001}, "patience"), ({"min_delta": -0.1}, "min_delta"), ({"restore_best": None}, "restore_best"),
     ({"baseline": float("nan")}, "baseline"), ({"start_from_epoch": 1.5}, "start_from_epoch"),
     ({"stopping_threshold": float("inf")}, "stopping_threshold"), ({"divergence_threshold": "1"}, "divergence_threshold")],
)
def test_bad_values_name_the_field(changes, field):
    with pytest.raises(ValueError, match=f"^{field}="):
        StoppingConfig(**changes)


@pytest.mark.parametrize("name", ["patience", "start_from_epoch"])
def test_integer_bounds_are_in_and_one_past_is_out(name):
    allowed = StoppingConfig.constraints()[name]
    assert isinstance(allowed, Interval) and (allowed.low, allowed.high) == (0, 1_000_000)
    for inside in (allowed.low, allowed.high):
        assert getattr(StoppingConfig(**{name: inside}), name) == inside
    for outside in (allowed.low - 1, allowed.high + 1):
        with pytest.raises(ValueError, match=rf"^{name}={outside} is out of range; allowed: an integer in \[0, 1e\+06\]"):
            StoppingConfig(**{name: outside})


@pytest.mark.parametrize("cls", NESTING)
def test_every_lab_that_stops_early_nests_one_stopping_config(cls):
    allowed = cls.constraints()["stopping"]
    assert isinstance(allowed, StoppingOn) and allowed.monitors
    assert isinstance(cls().stopping, StoppingConfig)
    assert cls().stopping.monitor in allowed.monitors
    with pytest.raises(ValueError, match=r"^stopping\.monitor='nope' is not allowed; choose one of '(val|train)/loss'"):
        cls(stopping=StoppingConfig(monitor="nope"))
    with pytest.raises(ValueError, match=r"^stopping=.* is not allowed; give a StoppingConfig"):
        cls(stopping={"enabled": True})


#: The rules a lab always applies, in order, before early stopping: the divergence guard, then the
#: lab's own convergence rule where it has one (regression: the gap to the least-squares optimum).
_OWN_RULES = {RegressionConfig: ["Divergence", "Tolerance"], ClassifierConfig: ["Divergence"], CNNConfig: ["Divergence"]}


@pytest.mark.parametrize("cls", [RegressionConfig, ClassifierConfig, CNNConfig])
def test_rules_put_the_divergence_guard_first_then_early_stopping(cls):
    on = cls(stopping=StoppingConfig(enabled=True, monitor="train/loss", patience=2)).rules()
    assert [type(r).__name__ for r in on] == [*_OWN_RULES[cls], "EarlyStopping"]
    assert (on[0].monitor, on[-1].monitor, on[-1].patience) == ("train/loss", "train/loss", 2)
    assert [type(r).__name__ for r in cls(stopping=StoppingConfig()).rules()] == _OWN_RULES[cls]


# ---------------------------------------------------------------- older saved runs and links

_FLAT = {"early_stopping": False, "stop_monitor": "val/accuracy", "stop_patience": 7, "stop_min_delta": 0.01, "restore_best": False}


@pytest.mark.parametrize("cls", [ClassifierConfig, CNNConfig])
def test_a_saved_config_with_the_old_flat_fields_loads_nested(cls):
    old = {k: v for k, v in cls().to_dict().items() if k != "stopping"} | _FLAT
    config = cls.from_dict(old)
    assert config.stopping == StoppingConfig(enabled=False, monitor="val/accuracy", patience=7, min_delta=0.01, restore_best=False)
    assert config == cls.from_dict(config.to_dict())
    assert cls.from_dict({"stop_patience": 3}).stopping == cls().stopping.replace(patience=3)


def test_nesting_the_flat_fields():
    default = StoppingConfig(monitor="val/accuracy", patience=20)
    assert nest_flat_fields({"epochs": 3}, default) == {"epochs": 3}
    nested = nest_flat_fields({"epochs": 3, "stop_patience": 2, "early_stopping": True}, default)
    assert nested == {"epochs": 3, "stopping": {**default.to_dict(), "patience": 2, "enabled": True}}
    # a nested key wins over a flat one
    assert nest_flat_fields({"stop_patience": 2, "stopping": {"patience": 9}}, default)["stopping"]["patience"] == 9


def test_a_saved_stopping_config_with_a_mode_loads_with_the_mode_derived():
    data = {"stopping": {"__config__": "StoppingConfig", "enabled": True, "monitor": "val/loss", "mode": "min", "patience": 4}}
    assert RegressionConfig.from_dict(data).stopping == StoppingConfig(enabled=True, patience=4)


@pytest.mark.parametrize("old, new", [
    ("stop_patience", "stopping.patience"), ("early_stopping", "stopping.enabled"), ("stop_monitor", "stopping.monitor"),
    ("stop_min_delta", "stopping.min_delta"), ("restore_best", "stopping.restore_best"), ("rule.patience", "stopping.patience"),
    ("rule.start_from_epoch", "stopping.start_from_epoch"), ("rule.use_baseline", "rule.use_baseline"), ("lr", "lr"),
    ("stopping.patience", "stopping.patience"),
])
def test_old_link_names_map_to_the_nested_ones(old, new):
    assert current_setting(old) == new


@given(st.builds(StoppingConfig, enabled=st.booleans(), monitor=st.sampled_from(["val/loss", "val/accuracy", "x"]),
                 patience=st.integers(0, 1_000_000), min_delta=st.floats(0, 1e300),
                 baseline=st.one_of(st.none(), st.floats(-1e300, 1e300)), start_from_epoch=st.integers(0, 1_000_000),
                 restore_best=st.booleans(), stopping_threshold=st.one_of(st.none(), st.floats(-1e3, 1e3)),
                 divergence_threshold=st.one_of(st.none(), st.floats(-1e3, 1e3))))
def test_any_valid_config_round_trips_and_its_rule_agrees(config):
    assert StoppingConfig.from_dict(config.to_dict()) == config
    rule = config.rule()
    assert (rule is None) == (not config.enabled)
    if rule is not None:
        assert (rule.mode, rule.patience, rule.baseline) == (mode_of(config.monitor), config.patience, config.baseline)


@pytest.mark.parametrize("cls", [ClassifierConfig, CNNConfig])
@pytest.mark.parametrize("monitor, mode", [("val/loss", "min"), ("train/loss", "min"), ("val/accuracy", "max"), ("train/accuracy", "max")])
def test_the_torch_labs_watch_accuracies_as_higher_is_better(cls, monitor, mode):
    early = cls(stopping=StoppingConfig(enabled=True, monitor=monitor)).rules()[-1]
    assert (early.monitor, early.mode) == (monitor, mode)
