"""The regression lab: descent reaches the closed form, the gradient is the true one, the rules work."""

import dataclasses
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression

import lab
from lab.experiments import config_class
from lab.experiments.regression import METRICS, PRESETS, RegressionConfig, RegressionExperiment, mse_gradient
from lab.optim import make
from lab.records import Kind
from lab.schedules import ScheduleConfig
from lab.stopping import Decision
from lab.stopping.config import StoppingConfig

SMALL = {"n_samples": 80, "n_features": 5}


def test_full_batch_descent_reaches_the_least_squares_solution():
    config = RegressionConfig(**SMALL, lr=0.5, epochs=400)
    result = lab.run(config)
    experiment = RegressionExperiment(config)
    reference = LinearRegression().fit(experiment.X_train[:, 1:], experiment.y_train)
    expected = np.concatenate([[reference.intercept_], reference.coef_])
    learned = np.concatenate([[result.artifacts["bias"]], result.artifacts["weights"]])
    assert np.linalg.norm(learned - expected) / np.linalg.norm(expected) < 1e-6
    optimum = result.artifacts["optimum"]
    assert np.allclose(optimum["weights"], reference.coef_, rtol=1e-10)
    assert optimum["bias"] == pytest.approx(reference.intercept_, rel=1e-10)
    residual = reference.predict(experiment.X_train[:, 1:]) - experiment.y_train
    assert optimum["train_mse"] == pytest.approx(np.mean(residual**2), rel=1e-10)


def test_gap_is_the_training_loss_minus_the_optimum():
    result = lab.run(RegressionConfig(**SMALL, lr=0.05, epochs=20))
    optimum = result.artifacts["optimum"]["train_mse"]
    for step in result.steps:
        m = step.metrics
        assert m["gap/optimum"] >= 0
        assert m["gap/optimum"] == pytest.approx(m["train/loss"] - optimum, rel=1e-8)


def test_gradient_equals_torch_autograd():
    rng = np.random.default_rng(3)
    X_b = np.column_stack([np.ones(30), rng.normal(size=(30, 4)) * [1, 10, 0.1, 3]])
    y, theta = rng.normal(size=30), rng.normal(size=5)
    t = torch.tensor(theta, requires_grad=True)
    loss = torch.nn.functional.mse_loss(torch.tensor(X_b) @ t, torch.tensor(y))
    loss.backward()
    assert np.allclose(mse_gradient(X_b, y, theta), t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch_size, optimizer", [(None, "momentum"), (8, "adam"), (1, "sgd")])
def test_recorded_losses_and_gradient_norm_match_torch(batch_size, optimizer):
    config = RegressionConfig(**SMALL, batch_size=batch_size, optimizer=optimizer, lr=0.01, epochs=3)
    experiment = config.experiment()
    last = list(experiment.steps())[-1].metrics
    theta = torch.tensor(experiment.theta, requires_grad=True)
    loss = torch.nn.functional.mse_loss(torch.tensor(experiment.X_train) @ theta, torch.tensor(experiment.y_train))
    loss.backward()
    val = torch.nn.functional.mse_loss(torch.tensor(experiment.X_val) @ theta, torch.tensor(experiment.y_val))
    assert last["train/loss"] == pytest.approx(loss.item(), rel=1e-12)
    assert last["val/loss"] == pytest.approx(val.item(), rel=1e-12)
    assert last["grad/norm"] == pytest.approx(theta.grad.norm().item(), rel=1e-10)


def test_sgd_epoch_makes_one_update_per_row():
    """With batch 1, lr tiny and GD-like, an epoch of n updates moves about n times as far as one full-batch step."""
    sgd = RegressionConfig(**SMALL, optimizer="sgd", batch_size=1, lr=1e-6, epochs=1)
    gd = sgd.replace(batch_size=None)
    n = RegressionExperiment(sgd).y_train.size
    moved_sgd = np.linalg.norm(lab.run(sgd).artifacts["weights"])
    moved_gd = np.linalg.norm(lab.run(gd).artifacts["weights"])
    assert moved_sgd / moved_gd == pytest.approx(n, rel=0.01)


@pytest.mark.parametrize("batch_size", [1, 7])
def test_an_epoch_is_one_textbook_step_per_batch_in_seeded_shuffled_order(batch_size):
    config = RegressionConfig(**SMALL, batch_size=batch_size, optimizer="momentum", lr=0.001, epochs=2, seed=3)
    experiment = config.experiment()
    X, y = experiment.X_train, experiment.y_train
    rng = np.random.default_rng(config.seed)
    optimizer = make("momentum", lr=0.001, momentum=0.9)
    theta = np.zeros(X.shape[1])
    for _ in range(2):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            rows = order[start:start + batch_size]
            theta = optimizer.step(theta, mse_gradient(X[rows], y[rows], theta))
    list(experiment.steps())
    assert np.allclose(experiment.theta, theta, rtol=1e-12, atol=1e-12)


def test_lr_metric_follows_the_schedule():
    schedule = ScheduleConfig(name="step", factor=0.5, every=3)
    result = lab.run(RegressionConfig(**SMALL, lr=0.2, epochs=10, schedule=schedule))
    expected = schedule.function(0.2, 10)
    assert [s.metrics["lr"] for s in result.steps] == [expected(t) for t in range(10)]


def test_plateau_schedule_cuts_on_validation_loss():
    schedule = ScheduleConfig(name="plateau", patience=2, factor=0.5)
    config = RegressionConfig(**SMALL, batch_size=1, optimizer="sgd", lr=0.02, epochs=40, schedule=schedule)
    result = lab.run(config)
    lrs = [s.metrics["lr"] for s in result.steps]
    assert result.artifacts["lr_cuts"], "a noisy SGD run plateaus on val/loss"
    assert lrs[-1] < lrs[0]
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))


def test_restore_best_returns_the_best_epochs_weights():
    config = PRESETS["early_stopping"].config
    result = lab.run(config)
    decision = result.decision
    assert decision.kind == "patience" and decision.best_step is not None
    assert decision.best_step < decision.step
    _, vals = result.series("val/loss")
    assert vals[decision.best_step] == min(vals)
    y_true, y_pred = np.array(result.artifacts["y_true"]), np.array(result.artifacts["y_pred"])
    assert np.mean((y_pred - y_true) ** 2) == pytest.approx(vals[decision.best_step], rel=1e-12)


def test_without_restore_the_last_weights_stay():
    base = PRESETS["early_stopping"].config
    config = base.replace(stopping=dataclasses.replace(base.stopping, restore_best=False))
    result = lab.run(config)
    y_true, y_pred = np.array(result.artifacts["y_true"]), np.array(result.artifacts["y_pred"])
    assert np.mean((y_pred - y_true) ** 2) == pytest.approx(result.last("val/loss"), rel=1e-12)
    assert result.decision.best_step is not None and result.decision.best_step < result.decision.step


@pytest.mark.parametrize("batch_size", [None, 7])
def test_same_seed_same_history(batch_size):
    config = RegressionConfig(**SMALL, batch_size=batch_size, lr=0.05, epochs=15, seed=5)
    first, second = lab.run(config), lab.run(config)
    assert [s.metrics for s in first.steps] == [s.metrics for s in second.steps]
    other = lab.run(config.replace(seed=6))
    assert [s.metrics for s in other.steps] != [s.metrics for s in first.steps]


def test_divergence_ends_with_a_decision_and_no_non_finite_value():
    for config in (RegressionConfig(**SMALL, lr=50.0, epochs=500),
                   RegressionConfig(**SMALL, lr=100.0, batch_size=1, feature_spread=6.0, scaling="none", epochs=50)):
        result = lab.run(config)
        assert result.decision.kind == "diverged"
        assert result.decision.reason.startswith(f"diverged at epoch {result.decision.step}")
        assert result.steps[-1].step == result.decision.step
        assert all(math.isfinite(v) for s in result.steps for v in s.metrics.values())
        assert result.last("train/loss") > config.divergence_threshold


def test_round_trip_through_dicts():
    config = RegressionConfig(dataset="diabetes", scaling="minmax", batch_size=16, optimizer="adam", betas=(0.8, 0.99),
                              effective_rank=3, schedule=ScheduleConfig(name="cosine", min_lr=0.001),
                              stopping=StoppingConfig(enabled=True, patience=3, baseline=1.5))
    data = config.to_dict()
    assert RegressionConfig.from_dict(data) == config
    assert config_class("regression") is RegressionConfig
    with pytest.raises(ValueError, match="unknown"):
        RegressionConfig.from_dict({**data, "colour": 1})


def test_every_field_is_documented():
    docs = RegressionConfig.field_docs()
    assert set(docs) == {f.name for f in dataclasses.fields(RegressionConfig)}
    assert all(docs.values())


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"dataset": "iris"}, "dataset"),
        ({"n_samples": 5}, "n_samples"),
        ({"effective_rank": 11}, "effective_rank"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": 0.0}, "lr"),
        ({"optimizer": "nesterov", "momentum": 0.0}, "momentum"),
        ({"betas": (0.9, 1.0)}, "betas[1]"),
        ({"schedule": "cosine"}, "schedule"),
        ({"stopping": StoppingConfig(monitor="val/accuracy")}, "stopping.monitor"),
        ({"val_fraction": 0.9}, "val_fraction"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_values_name_the_field(changes, field):
    with pytest.raises(ValueError, match="^" + re.escape(field) + "="):
        RegressionConfig(**changes)


def test_every_regression_monitor_is_a_loss_so_early_stopping_minimises():
    monitors = RegressionConfig.constraints()["stopping"].monitors
    assert monitors == METRICS
    assert {StoppingConfig(enabled=True, monitor=m).rule().mode for m in monitors} == {"min"}


def test_csv_dataset_runs_on_uploaded_data_and_needs_it():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = 3 * x[:, 0] - x[:, 1] + 0.5
    rows = "\n".join(f"{a},{b},{t}" for (a, b), t in zip(x, y))
    csv = f"a,b,price\n{rows}\n".encode()
    config = RegressionConfig(dataset="csv", target="price", lr=0.5, epochs=300)
    result = lab.run(config, data=csv)
    assert result.artifacts["feature_names"] == ["a", "b"]
    assert result.artifacts["optimum"]["train_mse"] < 1e-20
    with pytest.raises(ValueError, match="dataset='csv'"):
        lab.run(config)


def test_diabetes_runs():
    result = lab.run(RegressionConfig(dataset="diabetes", epochs=5))
    assert result.artifacts["n_train"] + result.artifacts["n_val"] == 442
    assert len(result.artifacts["feature_names"]) == 10


FIELD_NAMES = [f.name for f in dataclasses.fields(RegressionConfig)]

fields = {
    "dataset": st.sampled_from(["synthetic", "diabetes"]),
    "n_samples": st.integers(9, 60),
    "n_features": st.integers(1, 6),
    "noise": st.floats(0, 100),
    "effective_rank": st.one_of(st.none(), st.integers(1, 3)),
    "feature_spread": st.floats(0, 6.5),
    "target": st.text(max_size=3),
    "scaling": st.sampled_from(["none", "minmax", "standard"]),
    "batch_size": st.one_of(st.none(), st.integers(-1, 70)),
    "optimizer": st.sampled_from(["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]),
    "lr": st.floats(1e-4, 120),
    "momentum": st.floats(0, 1),
    "betas": st.tuples(st.floats(0, 1), st.floats(0, 1)),
    "schedule": st.builds(ScheduleConfig, name=st.sampled_from(["constant", "cosine", "plateau", "step"]),
                          every=st.integers(1, 3), patience=st.integers(0, 2), warmup_steps=st.integers(0, 2)),
    "epochs": st.integers(1, 4),
    "val_fraction": st.floats(0.04, 0.5),
    "stopping": st.builds(StoppingConfig, enabled=st.booleans(), patience=st.integers(0, 2),
                          monitor=st.sampled_from(["val/loss", "train/loss", "gap/optimum", "grad/norm", "val/accuracy"]),
                          restore_best=st.booleans()),
    "divergence_threshold": st.floats(0, 1e12),
    "seed": st.integers(0, 2**32),
}
garbage = st.one_of(st.none(), st.text(max_size=3), st.floats(allow_nan=True), st.booleans(), st.integers(-3, 3),
                    st.lists(st.integers(), max_size=2))


def _run_or_refuse(changes, named):
    try:
        config = RegressionConfig(**changes)
        result = lab.run(config)
    except ValueError as exc:
        message = str(exc)
        assert any(name in message.split("=")[0] for name in named), message
        return
    assert isinstance(result.decision, Decision)
    assert result.steps and result.steps[-1].step == result.decision.step
    assert all(math.isfinite(v) for s in result.steps for v in s.metrics.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=fields))
def test_fuzz_every_field(changes):
    """Values across (and at the edges of) every range: the run ends with a Decision, or the constructor names a field."""
    _run_or_refuse(changes, list(changes) or FIELD_NAMES)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FIELD_NAMES), garbage)
def test_fuzz_wrong_types(name, value):
    """Any value of any type in one field: a Decision, or a ValueError naming that very field."""
    _run_or_refuse({name: value, "epochs": 2} if name != "epochs" else {name: value}, [name])


def _epochs_to(result, gap):
    values = result.series("gap/optimum")[1]
    return next((i for i, v in enumerate(values) if v <= gap), math.inf)


def test_preset_no_scaling_crawls_where_standard_scaling_converges():
    unscaled = PRESETS["no_scaling"].config
    stable = RegressionExperiment(unscaled).max_stable_lr()
    assert 0.5 * stable <= unscaled.lr < stable, "the preset runs at nearly the largest stable lr"
    scaled = unscaled.replace(scaling="standard")
    scaled = scaled.replace(lr=0.9 * RegressionExperiment(scaled).max_stable_lr())
    slow, fast = lab.run(unscaled), lab.run(scaled)
    assert (slow.decision.kind, fast.decision.kind) == (Kind.BUDGET, Kind.CONVERGED)
    first = slow.series("gap/optimum")[1][0]
    assert slow.last("gap/optimum") > 0.1 * first, "without scaling the gap has hardly shrunk"
    assert fast.last("gap/optimum") <= fast.config.tol < 1e-6 * slow.last("gap/optimum")


def test_preset_batch_one_is_noisy_but_gets_there_in_fewer_epochs():
    sgd = PRESETS["sgd_batch_1"].config
    full = sgd.replace(batch_size=None)
    noisy, smooth = lab.run(sgd), lab.run(full)
    target = 0.01 * noisy.artifacts["optimum"]["train_mse"]
    assert _epochs_to(noisy, target) < 5 and _epochs_to(smooth, target) == math.inf
    ups_noisy = np.mean(np.diff(noisy.series("train/loss")[1]) > 0)
    ups_smooth = np.mean(np.diff(smooth.series("train/loss")[1]) > 0)
    assert ups_smooth == 0, "full-batch descent at a stable lr lowers the loss every epoch"
    assert ups_noisy > 0.2


def test_preset_too_large_lr_diverges_and_says_so():
    config = PRESETS["too_large_lr"].config
    assert config.lr > RegressionExperiment(config).max_stable_lr()
    result = lab.run(config)
    assert result.decision.kind == "diverged" and "diverged at epoch" in result.decision.reason
    assert all(math.isfinite(v) for s in result.steps for v in s.metrics.values())
    calm = lab.run(config.replace(lr=0.9 * RegressionExperiment(config).max_stable_lr()))
    assert calm.decision.kind is Kind.CONVERGED


def test_preset_early_stopping_keeps_the_weights_that_generalise():
    config = PRESETS["early_stopping"].config
    stopped = lab.run(config)
    full = lab.run(config.replace(stopping=StoppingConfig()))
    assert stopped.decision.kind == "patience"
    assert len(stopped.steps) < 0.2 * len(full.steps)
    best_val = stopped.series("val/loss")[1][stopped.decision.best_step]
    assert full.last("val/loss") > 1.3 * best_val, "training on overfits: validation gets worse"
    assert full.last("train/loss") < stopped.series("train/loss")[1][stopped.decision.best_step]


def test_uploaded_frame_is_read_like_a_csv_and_ignored_by_other_datasets():
    import pandas as pd

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"size": rng.uniform(20, 200, 30), "rooms": rng.integers(1, 6, 30), "city": ["x"] * 30})
    frame["rent"] = 12 * frame["size"] + 50 * frame["rooms"] + rng.normal(0, 5, 30)
    result = lab.run(RegressionConfig(dataset="csv", target="rent", epochs=3), data=frame)
    assert result.artifacts["feature_names"] == ["size", "rooms"]
    assert any("city" in note for note in result.artifacts["notes"])
    other = lab.run(RegressionConfig(**SMALL, epochs=1), data=frame)
    assert any("not used" in note for note in other.artifacts["notes"])


def test_rules_guard_divergence_first_then_early_stopping():
    assert [type(r).__name__ for r in RegressionConfig().rules()] == ["Divergence", "Tolerance"]
    config = RegressionConfig(divergence_threshold=1e6, tol=1e-6, stopping=StoppingConfig(enabled=True, monitor="train/loss", patience=2))
    divergence, converged, early = config.rules()
    assert (divergence.monitor, divergence.threshold) == ("train/loss", 1e6)
    assert (converged.monitor, converged.tol) == ("gap/optimum", 1e-6)
    assert (early.monitor, early.patience, early.restore_best) == ("train/loss", 2, True)


def test_the_default_run_converges_to_the_closed_form_optimum():
    """The default reaches the least-squares optimum to rounding: the convergence rule ends it, not the budget."""
    config = RegressionConfig()
    result = lab.run(config)
    assert result.decision.kind is Kind.CONVERGED
    gaps = result.series("gap/optimum")[1]
    assert result.decision.step == _epochs_to(result, config.tol) < config.epochs - 1
    assert gaps[-1] <= config.tol < gaps[-2]
    assert "gap to the least-squares optimum" in result.decision.reason
    assert lab.run(config.replace(tol=0.0)).decision.kind is Kind.BUDGET  # exactly 0 is never reached here
