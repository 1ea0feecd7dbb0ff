"""Early-stopping lab: the synthetic curve's shape, uploads, presets keep their promises, fuzzed configs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lab
from lab.experiments import config_class, config_from_dict
from lab.experiments.curve import (
    FLOOR,
    HEIGHT,
    PRESETS,
    CurveConfig,
    curve_from_csv,
    curve_from_data,
    synthetic_curves,
)
from lab.records import Kind
from lab.stopping import EarlyStopping, NeverStop
from lab.stopping.config import StoppingConfig


def test_same_seed_same_curve_and_history():
    a = lab.run(CurveConfig(seed=3))
    b = lab.run(CurveConfig(seed=3))
    assert a.steps == b.steps
    assert a.steps != lab.run(CurveConfig(seed=4)).steps
    assert config_class("curve") is CurveConfig
    assert config_from_dict("curve", CurveConfig(noise=0.1, val_column="v").to_dict()) == CurveConfig(noise=0.1, val_column="v")


def test_steps_are_zero_based_epochs_with_both_losses_and_the_budget_is_the_epochs():
    result = lab.run(CurveConfig(epochs=12, onset=6))
    assert [s.step for s in result.steps] == list(range(12))
    assert set(result.steps[0].metrics) == {"train/loss", "val/loss"}
    assert result.decision.kind is Kind.BUDGET and "whole epoch budget (12 epochs)" in result.decision.reason


@pytest.mark.parametrize("onset", [20, 35, 60])
def test_without_noise_the_val_minimum_is_at_the_onset(onset):
    config = CurveConfig(epochs=100, onset=onset, noise=0.0, decay=0.15, rise=0.02)
    # The fall at the onset is slower than the rise, so the minimum is exactly there (module doc).
    assert HEIGHT * config.decay * np.exp(-config.decay * onset) <= config.rise
    val, train = synthetic_curves(config)
    assert int(np.argmin(val)) == onset
    assert np.all(np.diff(train) < 0)  # training loss keeps falling: overfitting, not a worse model
    assert val[-1] > val[onset] and train[-1] < val[-1]


def test_onset_moves_the_noisy_minimum_too():
    onsets = (25, 50, 90)
    minima = [int(np.argmin(synthetic_curves(CurveConfig(epochs=120, onset=o, noise=0.02, seed=1))[0])) for o in onsets]
    assert minima[0] < minima[1] < minima[2]
    # Noise-free, the minimum is where the fall slows to the rise, or the onset if that comes later.
    d, r = CurveConfig().decay, CurveConfig().rise
    expected = [max(o, np.log(HEIGHT * d / r) / d) for o in onsets]
    assert all(abs(m - e) <= 8 for m, e in zip(minima, expected)), (minima, expected)


def test_noise_is_the_asked_spread():
    config = CurveConfig(epochs=2000, onset=2000, noise=0.05, decay=1.0, seed=0)
    val, _ = synthetic_curves(config)
    residual = val - (FLOOR + HEIGHT * np.exp(-config.decay * np.arange(2000)))
    assert abs(np.std(residual[50:]) - 0.05) < 0.005


def test_artifacts_keep_the_curve_after_the_stop():
    result = lab.run(CurveConfig(), stopping=EarlyStopping("val/loss", patience=0))
    curves = result.artifacts["curves"]
    assert curves["step"].max() == 99 > result.decision.step == result.artifacts["stop_step"]
    assert set(curves["metric"]) == {"train/loss", "val/loss"}
    val = curves[curves.metric == "val/loss"]["value"].to_numpy()
    assert result.artifacts["val_min_step"] == int(np.argmin(val))
    assert result.series("val/loss")[1] == val[: result.decision.step + 1].tolist()
    assert result.artifacts["restored_step"] is None
    assert result.artifacts["val"] == val.tolist() and len(result.artifacts["train"]) == 100


# ---------------------------------------------------------------- presets keep their promises

def _with_rule(config, **settings):
    """The same curve judged by another rule (Keras' defaults otherwise)."""
    return config.replace(stopping=StoppingConfig(enabled=True, restore_best=False, **settings))


def _run(name):
    preset = PRESETS[name]
    result = lab.run(preset.config)  # the preset's rule travels in its config
    val = np.array(result.artifacts["curves"].query("metric == 'val/loss'")["value"])
    return preset, result, val


def test_preset_patience_0_stops_far_before_the_minimum():
    preset, result, val = _run("impatient")
    minimum = result.artifacts["val_min_step"]
    assert result.decision.kind == "patience"
    assert result.decision.step < minimum / 2
    assert val[result.decision.step - 1] - val.min() > 10 * preset.config.noise  # far above the minimum
    assert val[result.decision.step] >= val[result.decision.step - 1]  # the bump: not a new best


def test_preset_patience_10_finds_the_minimum_and_restores_it():
    _, result, val = _run("patient")
    minimum = result.artifacts["val_min_step"]
    assert result.decision.step > minimum
    assert result.decision.best_step == minimum == result.artifacts["restored_step"]
    assert result.decision.reason.endswith(f" at epoch {minimum}; restored the weights of epoch {minimum}")


def test_preset_min_delta_stops_while_still_improving():
    preset, result, val = _run("min_delta")
    stop, best = result.decision.step, result.decision.best_step
    assert result.decision.kind == "patience"
    assert stop < preset.config.onset  # the underlying curve is still falling
    assert val[stop + 1:].min() < val[best] - preset.config.stopping.min_delta  # and does fall by more than min_delta later
    assert lab.run(_with_rule(preset.config, patience=3)).decision.step > stop


def test_preset_baseline_stops_at_the_first_failure_after_patience():
    preset, result, val = _run("baseline")
    rule = preset.config.stopping
    assert val.min() > rule.baseline  # never reached
    running = np.minimum.accumulate(val)
    fails = [n for n in range(1, len(val)) if val[n] >= running[n - 1] and n + 1 >= rule.patience]
    assert result.decision.step == fails[0]  # wait = n + 1 at epoch n, never reset
    without = lab.run(_with_rule(preset.config, patience=rule.patience))
    assert result.decision.step < without.decision.step


def test_every_preset_has_words_and_a_valid_config():
    assert len(PRESETS) >= 3
    for preset in PRESETS.values():
        assert preset.title and len(preset.lesson) > 40
        assert CurveConfig.from_dict(preset.config.to_dict()) == preset.config


# ---------------------------------------------------------------- uploads

KERAS_LOG = b"epoch,loss,val_loss\n0,2.0,2.1\n1,1.5,1.7\n2,1.2,1.6\n3,1.0,1.65\n4,0.9,1.7\n"


def test_upload_keras_csv_log():
    frame, notes = curve_from_csv(KERAS_LOG)
    assert list(frame.columns) == ["train/loss", "val/loss"]
    assert frame["val/loss"].tolist() == [2.1, 1.7, 1.6, 1.65, 1.7]
    assert any("'val_loss'" in n and "'loss'" in n for n in notes)
    result = lab.run(CurveConfig(source="upload"), data=KERAS_LOG, stopping=EarlyStopping("val/loss", patience=1))
    assert (result.decision.step, result.decision.best_step) == (3, 2)
    assert result.steps[3].metrics == {"train/loss": 1.0, "val/loss": 1.65}
    assert result.decision.kind == "patience"


def test_upload_named_columns_dict_and_frame():
    data = {"a": [3.0, 2.0, 1.0], "b": [4.0, 3.0, 3.5]}
    for given_data in (data, pd.DataFrame(data), pd.DataFrame(data).to_csv(index=False).encode()):
        result = lab.run(CurveConfig(source="upload", val_column="b", train_column="a"), data=given_data)
        assert result.series("val/loss")[1] == [4.0, 3.0, 3.5]
        assert result.series("train/loss")[1] == [3.0, 2.0, 1.0]
        assert result.decision.kind is Kind.BUDGET


def test_upload_single_column_without_train():
    frame, _ = curve_from_csv(b"whatever\n1\n0.5\n0.7\n")
    assert list(frame.columns) == ["val/loss"]
    result = lab.run(CurveConfig(source="upload"), data=b"whatever\n1\n0.5\n0.7\n")
    assert set(result.steps[0].metrics) == {"val/loss"}


def test_upload_drops_infinite_rows_with_a_note():
    frame, notes = curve_from_data({"val_loss": [1.0, float("inf"), 0.5, float("nan")]})
    assert frame["val/loss"].tolist() == [1.0, 0.5]
    assert any("dropped 2 row" in n for n in notes)


@pytest.mark.parametrize("content, kwargs, message", [
    (b"", {}, "empty"),
    (b"a,b\nx,y\nz,w\n", {}, "no numeric column"),
    (b"val_loss\n1\n", {}, "1 complete row"),
    (b"epoch,loss,val_loss\n0,1,2\n1,1,2\n", {"val_column": "val_acc"}, r"val_column='val_acc'.*available: epoch, loss, val_loss"),
    (b"epoch,loss,val_loss\n0,1,2\n1,1,2\n", {"train_column": "acc"}, r"train_column='acc'.*available: epoch, loss"),
    (b"x,y\n0,1\n1,2\n", {}, r"set val_column to one of: x, y"),
    (b"val_loss\ninf\n1\n", {}, "1 usable value"),
    (b"epoch,loss,val_loss\n0,1,2\n1,1,2\n", {"val_column": "val_loss", "train_column": "val_loss"}, "train_column='val_loss' is the validation"),
])
def test_bad_uploads_say_why(content, kwargs, message):
    with pytest.raises(ValueError, match=message):
        curve_from_csv(content, **kwargs)


def test_bad_upload_through_run_and_missing_data():
    with pytest.raises(ValueError, match="val_column='nope'"):
        lab.run(CurveConfig(source="upload", val_column="nope"), data=KERAS_LOG)
    with pytest.raises(ValueError, match="source='upload' needs"):
        lab.run(CurveConfig(source="upload"))
    with pytest.raises(ValueError, match="source='synthetic'"):
        lab.run(CurveConfig(), data=KERAS_LOG)
    with pytest.raises(ValueError, match="not a curve"):
        curve_from_data([1.0, 2.0])
    with pytest.raises(ValueError, match="no numeric column"):
        curve_from_data(pd.DataFrame({"name": ["a", "b"]}))
    with pytest.raises(ValueError, match="no numeric column"):
        curve_from_data({})
    with pytest.raises(ValueError, match="cannot form a table"):
        curve_from_data({"val_loss": [1.0, 2.0], "loss": [1.0]})


def test_upload_too_large():
    with pytest.raises(ValueError, match="at most"):
        curve_from_data(pd.DataFrame({"val_loss": np.ones(20_001)}))
    with pytest.raises(ValueError, match="at most"):
        curve_from_csv(b"val_loss\n" + b"1\n" * 20_001)


# ---------------------------------------------------------------- fuzz every field

FIELDS = {
    "source": st.sampled_from(["synthetic", "upload", "both", 1]),
    "epochs": st.integers(-2, 400) | st.floats() | st.none(),
    "noise": st.floats(-0.5, 2) | st.just(float("nan")) | st.text(max_size=2),
    "onset": st.integers(-2, 450) | st.booleans(),
    "decay": st.floats(-1, 3) | st.just(0.0) | st.none(),
    "rise": st.floats(-0.1, 1) | st.integers(0, 2),
    "seed": st.integers(-1, 2**33) | st.floats(0, 5),
    "val_column": st.none() | st.sampled_from(["val_loss", "loss", "nope", "", 3]),
    "train_column": st.none() | st.sampled_from(["val_loss", "loss", "epoch", " ", 3.5]),
}


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional=FIELDS), st.integers(0, 3))
def test_fuzzed_config_runs_to_a_decision_or_names_the_field(kwargs, patience):
    try:
        config = CurveConfig(**kwargs)
    except ValueError as exc:
        assert any(f"{name}=" in str(exc) for name in kwargs), str(exc)
        return
    data = KERAS_LOG if config.source == "upload" else None
    try:
        result = lab.run(config, data=data, stopping=[EarlyStopping("val/loss", patience=patience), NeverStop()])
    except ValueError as exc:
        assert any(f"{name}=" in str(exc) for name in ("val_column", "train_column")), str(exc)
        return
    assert result.decision.kind in (Kind.PATIENCE, Kind.BUDGET)
    values = [v for s in result.steps for v in s.metrics.values()]
    assert all(np.isfinite(v) for v in values)
    if config.source == "synthetic":  # an uploaded column is the file's own numbers (an epoch column starts at 0)
        assert all(v > 0 for v in values)


# ---------------------------------------------------------------- the rule travels in the config

def test_the_rule_in_the_config_decides_as_the_same_rule_passed_beside_it():
    inside = lab.run(CurveConfig(stopping=StoppingConfig(enabled=True, patience=4, min_delta=0.001, restore_best=False)))
    beside = lab.run(CurveConfig(), stopping=EarlyStopping("val/loss", patience=4, min_delta=0.001))
    assert inside.decision == beside.decision and inside.steps == beside.steps


def test_a_saved_run_keeps_its_rule(tmp_path):
    from lab.runs.store import LOCAL, RunStore

    config = CurveConfig(stopping=StoppingConfig(enabled=True, patience=7, min_delta=0.001, baseline=0.5, start_from_epoch=3,
                                                 restore_best=False, stopping_threshold=0.2, divergence_threshold=5.0))
    result = lab.run(config)
    store = RunStore(tmp_path / "runs.db")
    again = store.get(LOCAL, store.save(LOCAL, "curve", result)).result()
    assert again.config == config
    assert repr(again.config.rules()) == repr(config.rules())
    assert lab.run(again.config).decision == result.decision
