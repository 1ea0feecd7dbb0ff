"""CNN lab: shifts, artifacts against sklearn, restore, determinism, validation, fuzz, presets."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab.experiments import config_from_dict
from lab.experiments.cnn import PRESETS, CNNConfig, split_digits
from lab.experiments.cnn.torch_engine import build_cnn, shift
from lab.records import Kind
from lab.schedules import SCHEDULES, ScheduleConfig
from lab.stopping.config import StoppingConfig

FAST = {"epochs": 2, "channels": (4, 8)}


def _stopping(**changes):
    """The lab's default early stopping with some settings changed."""
    return CNNConfig().stopping.replace(**changes)


def test_shift_moves_each_image_by_at_most_one_pixel_with_zero_fill():
    images = torch.rand(200, 1, 8, 8) + 0.1
    out = shift(images, torch.Generator().manual_seed(0))
    seen = set()
    for i in range(200):
        a, b = images[i, 0].numpy(), out[i, 0].numpy()
        match = None
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                expected = np.zeros_like(a)
                expected[max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = a[max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
                if np.array_equal(b, expected):
                    match = (dy, dx)
        assert match is not None
        seen.add(match)
    assert len(seen) == 9


def test_build_cnn_maps_8x8_to_10_logits_and_uses_the_generator_only():
    state = torch.random.get_rng_state()
    a = build_cnn((3, 5), 5, True, 0.5, torch.Generator().manual_seed(2))
    b = build_cnn((3, 5), 5, True, 0.5, torch.Generator().manual_seed(2))
    assert torch.equal(state, torch.random.get_rng_state())
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert a(torch.rand(7, 1, 8, 8)).shape == (7, 10)


def test_artifacts_agree_with_the_test_labels_and_serialise():
    result = lab.run(CNNConfig(**FAST))
    test = result.artifacts["test"]
    confusion = np.array(test["confusion"])
    y = split_digits(0).y_test
    assert confusion.shape == (10, 10) and confusion.sum() == len(y)
    np.testing.assert_array_equal(confusion.sum(axis=1), np.bincount(y, minlength=10))
    assert test["accuracy"] == pytest.approx(np.trace(confusion) / len(y))
    np.testing.assert_allclose(test["per_class_accuracy"], confusion.diagonal() / confusion.sum(axis=1))
    wrong = test["misclassified"]
    assert len(wrong) == min(32, len(y) - np.trace(confusion))
    assert all(w["true"] != w["pred"] and np.array(w["image"]).shape == (8, 8) for w in wrong)
    batch = result.artifacts["batch_loss"]
    batches_per_epoch = math.ceil(len(split_digits(0).y_train) / 32)
    assert len(batch["loss"]) == len(batch["epoch"]) == batches_per_epoch * len(result.steps)
    assert [s.metrics["batch/loss_last"] for s in result.steps] == batch["loss"][batches_per_epoch - 1::batches_per_epoch]
    assert json.loads(json.dumps(result.artifacts, allow_nan=False)) == result.artifacts


def test_restore_best_goes_back_to_the_best_epoch():
    result = lab.run(CNNConfig(channels=(4, 8), epochs=30, stopping=_stopping(patience=1), lr=0.03))
    _, val = result.series("val/loss")
    best = int(np.argmin(val))
    assert result.decision.best_step == best and best < len(val) - 1
    assert result.artifacts["val"]["loss"] == pytest.approx(val[best], rel=1e-6)


def test_same_seed_same_history():
    config = CNNConfig(augment=True, dropout=0.3, batch_norm=True, **FAST)
    a, b = lab.run(config), lab.run(config)
    assert a.steps == b.steps
    assert lab.run(config.replace(seed=1)).steps != a.steps


def test_metrics_and_schedule():
    config = CNNConfig(schedule=ScheduleConfig(name="step", every=1, factor=0.5), lr=0.01, **FAST)
    result = lab.run(config)
    assert [s.step for s in result.steps] == [0, 1]
    assert set(result.steps[0].metrics) == {"train/loss", "val/loss", "train/accuracy", "val/accuracy", "lr", "batch/loss_last"}
    assert result.series("lr")[1] == [0.01, 0.005]


def test_diverging_lr_ends_as_diverged_with_a_finite_last_point():
    result = lab.run(CNNConfig(optimizer="sgd", lr=100.0, epochs=10, channels=(4, 8)))
    assert result.decision.kind in ("diverged", "non_finite")
    assert result.decision.reason.startswith(f"diverged at epoch {result.decision.step}")
    assert all(math.isfinite(v) for v in result.steps[-1].metrics.values())


def test_round_trip_through_json_and_labs():
    config = CNNConfig(channels=(3, 4), schedule=ScheduleConfig(name="plateau", patience=2), augment=True)
    data = json.loads(json.dumps(config.to_dict()))
    assert CNNConfig.from_dict(data) == config
    assert config_from_dict("cnn", data) == config


@pytest.mark.parametrize("field, value", [
    ("channels", (16,)), ("channels", [16, 32]), ("channels", (0, 4)), ("channels", (4, 200)), ("kernel_size", 4),
    ("batch_norm", "no"), ("dropout", 1.0), ("augment", 1), ("optimizer", "lbfgs"), ("lr", -1.0),
    ("schedule", None), ("batch_size", 2000), ("epochs", 0), ("stopping", True), ("seed", "0"), ("threads", 100),
])
def test_every_field_is_validated_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        CNNConfig(**{field: value})


@pytest.mark.parametrize("field, value", [
    ("enabled", None), ("enabled", 1), ("monitor", "loss"), ("monitor", "val/acc"), ("patience", -1), ("patience", 1.5),
    ("min_delta", -0.1), ("min_delta", float("inf")), ("restore_best", 0), ("restore_best", None),
])
def test_every_early_stopping_setting_is_validated_by_name(field, value):
    """Saved as a dict (a run file, a link) or built in Python, a bad setting names itself."""
    name = f"stopping.{field}"  # by the dotted path the user set
    with pytest.raises(ValueError, match="^" + name.replace(".", r"\.") + "="):
        CNNConfig.from_dict({"stopping": {field: value}})


_ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(allow_nan=True), st.text(max_size=5))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channels=st.one_of(st.tuples(st.integers(0, 4), st.integers(1, 4)), _ANY),
    kernel_size=st.one_of(st.sampled_from((1, 3, 5)), _ANY),
    batch_norm=st.one_of(st.booleans(), _ANY), dropout=st.one_of(st.floats(0, 0.9), _ANY),
    augment=st.one_of(st.booleans(), _ANY),
    optimizer=st.one_of(st.sampled_from(("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")), _ANY),
    lr=st.one_of(st.floats(1e-6, 100), _ANY), batch_size=st.one_of(st.integers(64, 1024), _ANY),
    schedule=st.one_of(st.builds(ScheduleConfig, name=st.sampled_from(SCHEDULES), every=st.integers(1, 3)), _ANY),
    epochs=st.one_of(st.integers(1, 2), _ANY), stopping=st.one_of(st.builds(
        StoppingConfig, enabled=st.booleans(), monitor=st.sampled_from(("val/loss", "val/accuracy", "train/loss", "val/acc")),
        patience=st.integers(0, 3), min_delta=st.floats(0, 1), restore_best=st.booleans()), _ANY),
    seed=st.one_of(st.integers(0, 5), _ANY),
    threads=st.one_of(st.integers(1, 2), _ANY),
)
def test_fuzz_ends_in_a_decision_or_names_the_field(**fields):
    if isinstance(fields["epochs"], int) and not isinstance(fields["epochs"], bool) and fields["epochs"] > 2:
        fields["epochs"] = 2
    if isinstance(fields["batch_size"], int) and not isinstance(fields["batch_size"], bool) and 0 < fields["batch_size"] < 64:
        fields["batch_size"] = 64
    try:
        config = CNNConfig(**fields)
    except ValueError as error:
        assert any(name in str(error) for name in fields)
        return
    result = lab.run(config)
    assert result.decision.kind in Kind and result.decision.reason
    assert all(math.isfinite(v) for v in result.steps[-1].metrics.values())
    assert 0 <= result.artifacts["test"]["accuracy"] <= 1


def _first(values, predicate):
    return next((i for i, v in enumerate(values) if predicate(v)), None)


@pytest.mark.slow
def test_preset_augmentation_narrows_the_gap():
    preset = PRESETS["augment"].config

    def gap(result):
        _, val = result.series("val/loss")
        _, train = result.series("train/loss")
        return float(np.mean(np.subtract(val, train)[-5:]))

    assert gap(lab.run(preset)) < 0.5 * gap(lab.run(preset.replace(augment=False)))


@pytest.mark.slow
def test_preset_too_few_channels_underfits():
    preset = PRESETS["too_few_channels"].config
    few = lab.run(preset)
    enough = lab.run(preset.replace(channels=(16, 32)))
    assert few.last("train/accuracy") < 0.9 < enough.last("train/accuracy")


@pytest.mark.slow
def test_preset_batch_norm_with_a_higher_lr_converges_in_fewer_epochs():
    preset = PRESETS["batch_norm_fast"].config
    fast = _first(lab.run(preset).series("val/accuracy")[1], lambda v: v >= 0.97)
    plain = _first(lab.run(preset.replace(batch_norm=False, lr=0.003)).series("val/accuracy")[1], lambda v: v >= 0.97)
    assert fast is not None and (plain is None or fast < plain)
