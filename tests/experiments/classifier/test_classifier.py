"""Classifier lab: hand-written gradients against autograd, metrics against sklearn, restore, determinism."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics

import lab
from lab import optim
from lab.experiments import config_from_dict
from lab.experiments.classifier import ACTIVATIONS, PRESETS, ClassifierConfig, split_data
from lab.experiments.classifier.numpy_mlp import NumpyMLP
from lab.experiments.classifier.torch_engine import build_mlp
from lab.records import Kind
from lab.schedules import SCHEDULES, ReduceLROnPlateau, ScheduleConfig
from lab.stopping.config import StoppingConfig
from lab.torch_utils import make_optimizer

FAST = {"epochs": 4, "hidden": (8,)}


def _stopping(**changes):
    """The lab's default early stopping with some settings changed."""
    return ClassifierConfig().stopping.replace(**changes)


def _numpy_twin(model: torch.nn.Sequential, activation: str) -> NumpyMLP:
    """The same network as a torch MLP (Linear and BatchNorm1d layers in order), with its weights."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    net = NumpyMLP(sizes, activation, bool(norms), 0.0, np.random.default_rng(0))
    as_array = lambda t: t.detach().double().numpy().copy()  # noqa: E731
    for i, m in enumerate(linears):
        net.params[f"W{i}"], net.params[f"b{i}"] = as_array(m.weight).T.copy(), as_array(m.bias)
    for i, m in enumerate(norms):
        net.params[f"gamma{i}"], net.params[f"beta{i}"] = as_array(m.weight), as_array(m.bias)
        net.buffers[f"mean{i}"], net.buffers[f"var{i}"] = as_array(m.running_mean), as_array(m.running_var)
    return net

def _torch_loss(model: torch.nn.Sequential, X, y, l1: float, masks) -> torch.Tensor:
    """The training loss, applying each layer in turn and a given dropout mask after each activation."""
    h, k = X, 0
    for layer in model:
        h = layer(h)
        if isinstance(layer, (torch.nn.ReLU, torch.nn.Tanh, torch.nn.Sigmoid, torch.nn.LeakyReLU)) and masks is not None:
            h = h * torch.as_tensor(masks[k])
            k += 1
    loss = torch.nn.functional.binary_cross_entropy_with_logits(h.squeeze(1), y)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    return loss + l1 * sum(w.abs().sum() for w in weights)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("l1, dropout, train", [(0.0, 0.0, True), (0.01, 0.0, True), (0.0, 0.3, True), (0.01, 0.0, False)])
def test_numpy_gradients_equal_autograd(activation, batch_norm, l1, dropout, train):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(13, 6))
    y = (rng.random(13) < 0.5).astype(float)
    model = build_mlp(6, (7, 5), activation, batch_norm, 0.0, torch.Generator().manual_seed(1)).double()
    if batch_norm:
        with torch.no_grad():
            for m in model:
                if isinstance(m, torch.nn.BatchNorm1d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
    masks = None
    if dropout:
        masks = [(rng.random((13, w)) >= dropout) / (1 - dropout) for w in (7, 5)]
    if batch_norm and not train:
        model.train()
        with torch.no_grad():
            model(torch.as_tensor(rng.normal(1.0, 2.0, size=(20, 6))))
    net = _numpy_twin(model, activation)
    model.train(train)
    loss_t = _torch_loss(model, torch.as_tensor(X), torch.as_tensor(y), l1, masks)
    loss_t.backward()
    loss_n, grads = net.loss_and_grads(X, y, l1, masks=masks, train=train)
    assert loss_n == pytest.approx(loss_t.item(), abs=1e-12)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    norms = [m for m in model if isinstance(m, torch.nn.BatchNorm1d)]
    for i, m in enumerate(linears):
        np.testing.assert_allclose(grads[f"W{i}"], m.weight.grad.numpy().T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(grads[f"b{i}"], m.bias.grad.numpy(), rtol=0, atol=1e-10)
    for i, m in enumerate(norms):
        np.testing.assert_allclose(grads[f"gamma{i}"], m.weight.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(grads[f"beta{i}"], m.bias.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(net.buffers[f"mean{i}"], m.running_mean.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(net.buffers[f"var{i}"], m.running_var.numpy(), rtol=0, atol=1e-12)
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(net.logits(X), model(torch.as_tensor(X)).squeeze(1).numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("engine", ["torch", "numpy"])
def test_reported_auc_and_ap_are_sklearn_on_the_test_predictions(engine):
    result = lab.run(ClassifierConfig(engine=engine, **FAST))
    test = result.artifacts["test"]
    y_true, y_score = np.array(test["y_true"]), np.array(test["y_score"])
    np.testing.assert_array_equal(y_true, split_data(0, True).y_test)
    assert test["roc_auc"] == metrics.roc_auc_score(y_true, y_score)
    assert test["average_precision"] == metrics.average_precision_score(y_true, y_score)
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert test["roc_auc"] == pytest.approx(pairs, abs=1e-12)
    (tn, fp), (fn, tp) = test["confusion"]
    assert tp + fn == y_true.sum() and tn + fp == (1 - y_true).sum()
    assert test["accuracy"] == pytest.approx((tp + tn) / len(y_true))
    assert len(test["roc"]["fpr"]) == len(test["roc"]["tpr"]) and test["roc"]["tpr"][-1] == 1.0
    assert len(test["pr"]["precision"]) == len(test["pr"]["recall"])
    assert json.loads(json.dumps(result.artifacts, allow_nan=False)) == result.artifacts


@pytest.mark.parametrize("engine", ["torch", "numpy"])
def test_restore_best_goes_back_to_the_best_epoch(engine):
    config = ClassifierConfig(engine=engine, hidden=(32, 32), epochs=40, stopping=_stopping(patience=5))
    result = lab.run(config)
    _, val = result.series("val/loss")
    best = int(np.argmin(val))
    assert result.decision.best_step == best
    assert best < len(val) - 1, "the run should stop past its best epoch for this test to mean anything"
    assert result.artifacts["val"]["loss"] == pytest.approx(val[best], rel=1e-6)
    assert result.artifacts["val"]["loss"] != pytest.approx(val[-1], rel=1e-3)


def test_without_restore_the_last_weights_stay():
    result = lab.run(ClassifierConfig(hidden=(32, 32), epochs=40, stopping=_stopping(patience=5, restore_best=False)))
    assert result.artifacts["val"]["loss"] == pytest.approx(result.last("val/loss"), rel=1e-6)


@pytest.mark.parametrize("engine", ["torch", "numpy"])
def test_same_seed_same_history_and_global_rng_untouched(engine):
    config = ClassifierConfig(engine=engine, dropout=0.2, batch_norm=engine == "torch", **FAST)
    state = torch.random.get_rng_state()
    a, b = lab.run(config), lab.run(config)
    assert torch.equal(state, torch.random.get_rng_state())
    assert a.steps == b.steps
    c = lab.run(config.replace(seed=1))
    assert c.steps != a.steps


def test_threads_set_during_the_run_and_restored():
    before = torch.get_num_threads()
    seen = []
    lab.run(ClassifierConfig(threads=2, **FAST), on_step=lambda s: seen.append(torch.get_num_threads()))
    assert set(seen) == {2}
    assert torch.get_num_threads() == before


def test_step_schedule_drives_the_lr_each_epoch():
    config = ClassifierConfig(lr=0.1, optimizer="sgd", schedule=ScheduleConfig(name="step", factor=0.5, every=2),
                              stopping=_stopping(enabled=False), epochs=6)
    _, lrs = lab.run(config).series("lr")
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_plateau_schedule_follows_torchs_rule_on_the_val_loss():
    config = ClassifierConfig(hidden=(64, 64), epochs=25, stopping=_stopping(enabled=False),
                              schedule=ScheduleConfig(name="plateau", patience=1, factor=0.5, threshold=0.0))
    result = lab.run(config)
    _, val = result.series("val/loss")
    _, lrs = result.series("lr")
    reference = ReduceLROnPlateau(config.lr, factor=0.5, patience=1, threshold=0.0)
    expected = [config.lr] + [reference.update(v) for v in val[:-1]]
    assert lrs == expected
    assert min(lrs) < config.lr


@pytest.mark.parametrize("batch_norm", [False, True])
def test_grad_norm_is_the_full_training_gradient_at_the_epochs_weights(batch_norm):
    config = ClassifierConfig(batch_norm=batch_norm, l1=0.001, dropout=0.1, **FAST)
    experiment = config.experiment()
    step = next(experiment.steps())
    model = experiment.model
    model.eval()
    model.zero_grad(set_to_none=True)
    z = model(experiment.X_train).squeeze(1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, experiment.y_train)
    loss = loss + 0.001 * sum(m.weight.abs().sum() for m in model if isinstance(m, torch.nn.Linear))
    loss.backward()
    norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in model.parameters()))
    assert step.metrics["grad/norm"] == pytest.approx(norm, rel=1e-5)


def test_metrics_per_epoch_and_accuracy_matches_predictions():
    result = lab.run(ClassifierConfig(**FAST))
    assert [s.step for s in result.steps] == list(range(4))
    assert set(result.steps[0].metrics) == {"train/loss", "val/loss", "train/accuracy", "val/accuracy", "lr", "grad/norm"}
    assert all(0 <= s.metrics["val/accuracy"] <= 1 and s.metrics["grad/norm"] > 0 for s in result.steps)


@pytest.mark.parametrize("engine", ["torch", "numpy"])
def test_diverging_lr_ends_as_diverged_with_a_finite_last_point(engine):
    result = lab.run(ClassifierConfig(engine=engine, hidden=(), standardize=False, optimizer="sgd", lr=5.0, epochs=20))
    assert result.decision.kind in ("diverged", "non_finite")
    assert result.decision.reason.startswith(f"diverged at epoch {result.decision.step}")
    assert all(math.isfinite(v) for v in result.steps[-1].metrics.values())


def test_round_trip_through_json_and_labs():
    config = ClassifierConfig(hidden=(4, 3, 2), schedule=ScheduleConfig(name="cosine"), l1=0.001, engine="numpy")
    data = json.loads(json.dumps(config.to_dict()))
    assert ClassifierConfig.from_dict(data) == config
    assert config_from_dict("classifier", data) == config


@pytest.mark.parametrize("field, value", [
    ("hidden", [16]), ("hidden", (0,)), ("hidden", (1, 2, 3, 4, 5, 6)), ("hidden", (2.5,)), ("activation", "gelu"),
    ("batch_norm", 1), ("dropout", 0.95), ("weight_decay", -1.0), ("l1", float("nan")), ("optimizer", "lbfgs"),
    ("lr", 0), ("schedule", "cosine"), ("batch_size", 0), ("epochs", 10.5), ("standardize", "yes"),
    ("engine", "jax"), ("stopping", None), ("stopping", {"enabled": True}), ("seed", -1), ("threads", 0),
])
def test_every_field_is_validated_by_name(field, value):
    with pytest.raises(ValueError, match=field):
        ClassifierConfig(**{field: value})


@pytest.mark.parametrize("field, value", [
    ("enabled", None), ("enabled", 1), ("monitor", "loss"), ("monitor", "val/acc"), ("patience", -1), ("patience", 1.5),
    ("min_delta", -0.1), ("min_delta", float("inf")), ("restore_best", 0), ("restore_best", None),
])
def test_every_early_stopping_setting_is_validated_by_name(field, value):
    """Saved as a dict (a run file, a link) or built in Python, a bad setting names itself."""
    name = f"stopping.{field}"  # by the dotted path the user set
    with pytest.raises(ValueError, match="^" + name.replace(".", r"\.") + "="):
        ClassifierConfig.from_dict({"stopping": {field: value}})


def test_batch_norm_needs_batches_of_two():
    with pytest.raises(ValueError, match="batch_size"):
        ClassifierConfig(batch_norm=True, batch_size=1)
    assert ClassifierConfig(batch_norm=False, batch_size=1).batch_size == 1


_ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 600), st.floats(allow_nan=True), st.text(max_size=5))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.one_of(st.tuples(st.integers(-1, 9)), st.tuples(st.integers(1, 9), st.integers(1, 9)), st.just(()), _ANY),
    activation=st.one_of(st.sampled_from(ACTIVATIONS), _ANY),
    batch_norm=st.one_of(st.booleans(), _ANY), dropout=st.one_of(st.floats(0, 0.9), _ANY),
    weight_decay=st.one_of(st.floats(0, 1), _ANY), l1=st.one_of(st.floats(0, 1), _ANY),
    optimizer=st.one_of(st.sampled_from(("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")), _ANY),
    lr=st.one_of(st.floats(1e-6, 100), _ANY), batch_size=st.one_of(st.integers(1, 400), _ANY),
    schedule=st.one_of(st.builds(ScheduleConfig, name=st.sampled_from(SCHEDULES), every=st.integers(1, 3)), _ANY),
    epochs=st.one_of(st.integers(1, 3), _ANY), standardize=st.one_of(st.booleans(), _ANY),
    engine=st.one_of(st.sampled_from(("torch", "numpy")), _ANY), stopping=st.one_of(st.builds(
        StoppingConfig, enabled=st.booleans(), monitor=st.sampled_from(("val/loss", "val/accuracy", "train/loss", "val/acc")),
        patience=st.integers(0, 3), min_delta=st.floats(0, 1), restore_best=st.booleans()), _ANY),
    seed=st.one_of(st.integers(0, 5), _ANY),
    threads=st.one_of(st.integers(1, 2), _ANY),
)
def test_fuzz_ends_in_a_decision_or_names_the_field(**fields):
    if isinstance(fields["epochs"], int) and not isinstance(fields["epochs"], bool) and fields["epochs"] > 3:
        fields["epochs"] = 3
    try:
        config = ClassifierConfig(**fields)
    except ValueError as error:
        assert any(name in str(error) for name in fields)
        return
    result = lab.run(config)
    assert result.decision.kind in Kind and result.decision.reason
    assert all(math.isfinite(v) for v in result.steps[-1].metrics.values())
    assert 0 <= result.artifacts["test"]["roc_auc"] <= 1


def _first(values, predicate):
    return next((i for i, v in enumerate(values) if predicate(v)), None)


@pytest.mark.slow
def test_preset_overfitting_then_rescued_by_early_stopping():
    overfit = lab.run(PRESETS["overfit"].config)
    _, val = overfit.series("val/loss")
    best = int(np.argmin(val))
    assert best < len(val) // 2 and val[-1] > 1.5 * val[best], "validation loss should rise after its minimum"
    rescued = lab.run(PRESETS["early_stopping"].config)
    assert rescued.decision.kind == "patience" and rescued.decision.best_step is not None
    assert rescued.artifacts["test"]["log_loss"] < overfit.artifacts["test"]["log_loss"]


@pytest.mark.slow
def test_preset_batch_norm_tolerates_a_larger_lr():
    preset = PRESETS["batch_norm_high_lr"].config
    with_bn = lab.run(preset)
    without = lab.run(preset.replace(batch_norm=False))
    assert max(with_bn.series("val/accuracy")[1]) >= 0.95
    assert max(without.series("val/accuracy")[1]) < 0.95
    working = lab.run(preset.replace(batch_norm=False, lr=preset.lr / 10))
    assert max(working.series("val/accuracy")[1]) >= 0.95


@pytest.mark.slow
def test_preset_sigmoid_trains_slower_than_relu():
    preset = PRESETS["sigmoid_slow"].config
    _, sig = lab.run(preset).series("val/accuracy")
    _, relu = lab.run(preset.replace(activation="relu")).series("val/accuracy")
    first_relu = _first(relu, lambda v: v >= 0.95)
    first_sig = _first(sig, lambda v: v >= 0.95)
    assert first_relu is not None
    assert first_sig is None or first_sig > first_relu + 5


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_numpy_engine_training_steps_match_torch_optim(name):
    """Same weights, same batches: lab.optim + hand-written gradients track torch.optim + autograd (float64)."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 6)), (rng.random(40) < 0.5).astype(float)
    model = build_mlp(6, (5, 4), "tanh", True, 0.0, torch.Generator().manual_seed(0)).double()
    net = _numpy_twin(model, "tanh")
    optimizer = make_optimizer(name, model.parameters(), lr=0.05, weight_decay=0.01)
    opts = {key: optim.make(name, lr=0.05, weight_decay=0.01) for key in net.params}
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for step in range(6):
        rows = slice(10 * (step % 4), 10 * (step % 4) + 10)
        optimizer.zero_grad()
        _torch_loss(model, Xt[rows], yt[rows], 0.0, None).backward()
        optimizer.step()
        _, grads = net.loss_and_grads(X[rows], y[rows])
        for key, g in grads.items():
            net.params[key] = opts[key].step(net.params[key], g)
    mirrored = _numpy_twin(model, "tanh")
    # Adam divides by sqrt(v): rounding-level gradients (the Linear bias before batch norm has a
    # true gradient of 0) become visible steps, so the two roundings part at ~1e-10 there.
    atol = 1e-8 if name.startswith("adam") else 1e-10
    for key, value in net.params.items():
        np.testing.assert_allclose(value, mirrored.params[key], rtol=0, atol=atol)
