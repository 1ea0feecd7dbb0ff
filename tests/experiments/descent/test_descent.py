"""The descent lab: hand-computed GD, oscillation, divergence, tolerance, seeds, round trip, fuzz."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab.experiments import config_class
from lab.experiments.descent import OPTIMIZER_PRESETS, PRESETS, SCHEDULE_PRESETS, DescentConfig, default_hyper, race
from lab.experiments.descent.surfaces import SURFACES
from lab.optim import OPTIMIZERS
from lab.records import Kind, Step
from lab.schedules import ScheduleConfig


def _xs(result):
    return [s.metrics["x"] for s in result.steps], [s.metrics["y"] for s in result.steps]


def test_registered_as_the_descent_lab():
    assert config_class("descent") is DescentConfig


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.3, 0.45])
def test_gd_on_the_bowl_is_the_hand_computed_geometric_sequence(lr):
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=lr, steps=40, start=(1.5, -0.7)))
    xs, ys = _xs(result)
    assert xs[0] == 1.5 and ys[0] == -0.7
    for t in range(41):
        assert xs[t] == pytest.approx(1.5 * (1 - 2 * lr) ** t, rel=1e-12, abs=1e-300)
        assert ys[t] == pytest.approx(-0.7 * (1 - 2 * lr) ** t, rel=1e-12, abs=1e-300)
    step = result.steps[7].metrics
    assert step["loss"] == pytest.approx(xs[7] ** 2 + ys[7] ** 2)
    assert step["grad/norm"] == pytest.approx(2 * math.hypot(xs[7], ys[7]))
    assert step["gap/optimum"] == pytest.approx(math.hypot(xs[7], ys[7]))
    assert step["lr"] == lr


def test_lr_half_jumps_to_the_minimum_in_one_step():
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.5, steps=5, tol=1e-12))
    assert result.decision.kind is Kind.CONVERGED
    assert result.decision.step == 1
    assert result.steps[1].metrics["loss"] == 0.0


def test_lr_one_oscillates_with_constant_loss():
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=1.0, steps=50))
    assert result.decision.kind is Kind.BUDGET
    xs, _ = _xs(result)
    losses = result.series("loss")[1]
    assert all(loss == losses[0] for loss in losses)
    assert all(xs[t] == -xs[t - 1] for t in range(1, len(xs)))


def test_lr_above_one_diverges_without_nan():
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=1.1, steps=10_000))
    d = result.decision
    assert d.kind == "diverged" and d.reason.startswith(f"diverged at step {d.step}")
    losses = result.series("loss")[1]
    assert all(math.isfinite(v) for s in result.steps for v in s.metrics.values())
    assert losses[-1] > 1e10 >= losses[-2]
    # loss grows by (1 - 2 lr)^2 = 1.44 per step from 3.25: crosses 1e10 at the first t with 3.25 * 1.44^t > 1e10
    assert d.step == math.ceil(math.log(1e10 / 3.25) / math.log(1.44))


def test_point_running_off_counts_as_diverged_even_with_a_bounded_loss():
    rule = DescentConfig().rules()[0]
    assert rule.update(Step(3, {"loss": 14.2, "x": 0.0, "y": 2e6})).kind == "diverged"
    decision = rule.update(Step(4, {"loss": 14.2, "x": -3e6, "y": 0.0}))
    assert decision.reason.startswith("diverged at step 4") and "-3e+06" in decision.reason
    assert rule.update(Step(5, {"loss": 14.2, "x": -3.0, "y": 1e5})) is None
    assert rule.update(Step(6, {"loss": -2e10, "x": 0.0, "y": 0.0})).kind == "diverged"
    result = lab.run(DescentConfig(surface="rosenbrock", optimizer="gd", lr=1.0, divergence=1e100, steps=50))
    assert result.decision.kind == "diverged" and "the point" in result.decision.reason


def test_overflow_ends_as_non_finite_without_nan_in_the_history(monkeypatch):
    import dataclasses

    from lab.experiments.descent import surfaces

    bowl = surfaces.get("quadratic")
    nan = float("nan")
    broken = dataclasses.replace(bowl, value_grad=lambda x, y: (nan, nan, nan) if abs(x) < 1.4 else bowl.value_grad(x, y))
    monkeypatch.setitem(surfaces._BY_NAME, "quadratic", broken)
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.01, steps=50))
    assert result.decision.kind == "non_finite" and result.decision.reason.startswith(f"diverged at step {result.decision.step}")
    assert all(not math.isnan(v) for s in result.steps for v in s.metrics.values())
    assert result.steps[-1].metrics["loss"] == math.inf


def test_tolerance_fires_at_the_first_step_within_tol():
    tol = 1e-3
    free = lab.run(DescentConfig(surface="rosenbrock", optimizer="momentum", lr=1e-3, steps=3000))
    gaps = free.series("gap/optimum")[1]
    first = next(t for t, g in enumerate(gaps) if g <= tol)
    stopped = lab.run(DescentConfig(surface="rosenbrock", optimizer="momentum", lr=1e-3, steps=3000, tol=tol))
    assert stopped.decision.kind is Kind.CONVERGED
    assert stopped.decision.step == first == stopped.artifacts["steps_to_tol"]
    assert f"converged at step {first}" in stopped.decision.reason and "within tol" in stopped.decision.reason
    assert free.artifacts["steps_to_tol"] is None


def test_artifacts_name_the_nearest_minimum_and_formula():
    result = lab.run(DescentConfig(surface="himmelblau", optimizer="adam", lr=0.05, steps=2000, start=(-4.0, -4.0)))
    art = result.artifacts
    assert art["nearest_minimum"] == pytest.approx((-3.779310253377747, -3.283185991286169))
    assert art["final"] == (result.last("x"), result.last("y"))
    assert art["gap"] == pytest.approx(result.last("gap/optimum"))
    assert r"\beta_1" in art["formula"]


def test_same_seed_same_history_and_seeds_differ_with_noise():
    config = DescentConfig(surface="ravine", optimizer="sgd", lr=0.01, noise=1.0, steps=200, seed=3)
    a, b = lab.run(config), lab.run(config)
    assert a.steps == b.steps
    c = lab.run(config.replace(seed=4))
    assert c.steps != a.steps
    assert lab.run(config.replace(noise=0.0)).steps == lab.run(config.replace(noise=0.0, seed=9)).steps


def test_noise_has_the_given_std():
    # on GD with lr 0.5 on the bowl the exact part cancels: x_t = -0.5 * noise_t
    result = lab.run(DescentConfig(surface="quadratic", optimizer="sgd", lr=0.5, noise=2.0, steps=4000))
    xs, ys = _xs(result)
    assert np.std(np.array(xs[1:]) / -0.5) == pytest.approx(2.0, rel=0.05)


def test_only_the_optimizers_own_hyperparameters_are_passed():
    assert DescentConfig(optimizer="gd", momentum=0.5, alpha=0.9).optimizer_hyper() == {"lr": 0.1}
    assert DescentConfig(optimizer="rmsprop", momentum=0.5).optimizer_hyper() == {"lr": 0.1, "momentum": 0.5}
    assert DescentConfig(optimizer="adamw", eps=1e-6, alpha=0.9).optimizer_hyper() == {"lr": 0.1, "eps": 1e-6}


def test_each_optimizer_gets_its_own_betas_by_default():
    """betas=None is the optimizer's own default: Lion's (0.9, 0.99), the Adam family's (0.9, 0.999);
    a config, a link and the command line alike, and a link keeps it None."""
    from lab.cli.settings import parse_settings
    from lab.share import from_query, to_query

    for config in (DescentConfig(optimizer="lion"), parse_settings(DescentConfig, ["optimizer=lion"]),
                   from_query(DescentConfig, to_query(DescentConfig(optimizer="lion")), strict=True)[0]):
        assert config == DescentConfig(optimizer="lion") and config.betas is None
        assert config.experiment().opt_x.betas == (0.9, 0.99)
    assert DescentConfig(optimizer="adam").experiment().opt_x.betas == (0.9, 0.999)
    chosen = DescentConfig(optimizer="lion", betas=(0.95, 0.98))
    assert from_query(DescentConfig, to_query(chosen), strict=True)[0] == chosen and chosen.experiment().opt_x.betas == (0.95, 0.98)


def test_nesterov_config_runs_nesterov():
    # first update: heavy ball steps by lr * g, Nesterov by lr * (1 + mu) * g (torch's convention)
    a = lab.run(DescentConfig(surface="ravine", optimizer="nesterov", lr=0.01, steps=5, start=(-2.0, 1.0)))
    b = lab.run(DescentConfig(surface="ravine", optimizer="momentum", lr=0.01, steps=5, start=(-2.0, 1.0)))
    assert b.steps[1].metrics["x"] == pytest.approx(-2.0 - 0.01 * -4.0)
    assert a.steps[1].metrics["x"] == pytest.approx(-2.0 - 0.01 * 1.9 * -4.0)
    assert a.steps[1].metrics["y"] == pytest.approx(1.0 - 0.01 * 1.9 * 100.0)


def test_schedule_sets_the_lr_of_each_update():
    sched = ScheduleConfig(name="step", factor=0.5, every=3)
    result = lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.2, steps=9, schedule=sched))
    lrs = result.series("lr")[1]
    assert lrs == [0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05]
    xs, _ = _xs(result)
    for t in range(1, 10):
        assert xs[t] == pytest.approx(xs[t - 1] * (1 - 2 * lrs[t]))


def test_round_trip():
    config = DescentConfig(surface="saddle", optimizer="rmsprop", momentum=0.5, start=(0.5, -0.25), noise=0.1,
                           schedule=ScheduleConfig(name="plateau", patience=3), tol=1e-4, seed=7)
    assert DescentConfig.from_dict(config.to_dict()) == config
    assert DescentConfig.from_dict(DescentConfig().to_dict()) == DescentConfig()


@pytest.mark.parametrize(
    "field, value",
    [("surface", "bowl"), ("optimizer", "lbfgs"), ("lr", 0.0), ("lr", "0.1"), ("momentum", 1.0), ("alpha", -0.1),
     ("betas", (0.9,)), ("betas", (0.9, 1.0)), ("eps", 0.0), ("weight_decay", -1.0), ("steps", 0), ("steps", 1.5),
     ("start", (100.0, 0.0)), ("start", (0.0,)), ("noise", -1.0), ("schedule", "cosine"), ("tol", -1.0),
     ("divergence", 0.0), ("seed", -1), ("seed", True)],
)
def test_bad_fields_are_named(field, value):
    with pytest.raises(ValueError, match=field):
        DescentConfig(**{field: value})


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match="momentum"):
        DescentConfig(optimizer="nesterov", momentum=0.0)


@pytest.mark.parametrize("surface", SURFACES)
def test_defaults_do_not_diverge_on_any_surface(surface):
    results = race(surface, {name: {} for name in OPTIMIZERS}, steps=5000)
    for name, result in results.items():
        assert result.decision.kind is Kind.BUDGET, (surface, name, result.decision.reason)


def test_default_hyper_gives_noise_to_sgd_only():
    assert default_hyper("ravine", "sgd")["noise"] > 0
    assert "noise" not in default_hyper("ravine", "gd")
    with pytest.raises(ValueError, match="surface"):
        default_hyper("moon", "gd")


def test_race_takes_named_variants():
    results = race("quadratic", {"slow": {"optimizer": "gd", "lr": 0.01}, "fast": {"optimizer": "gd", "lr": 0.4}}, steps=50)
    assert results["fast"].last("gap/optimum") < results["slow"].last("gap/optimum")


_ANY = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=3))
_FIELDS = {
    "surface": st.one_of(st.sampled_from(SURFACES), _ANY),
    "optimizer": st.one_of(st.sampled_from(list(OPTIMIZERS)), _ANY),
    "lr": st.one_of(st.floats(1e-4, 2.0), _ANY),
    "momentum": st.one_of(st.none(), st.floats(0, 0.99), _ANY),
    "alpha": st.one_of(st.floats(0, 0.999), _ANY),
    "betas": st.one_of(st.tuples(st.floats(0, 0.999), st.floats(0, 0.9999)), _ANY, st.tuples(_ANY, _ANY)),
    "eps": st.one_of(st.none(), st.floats(1e-12, 1e-2), _ANY),
    "weight_decay": st.one_of(st.none(), st.floats(0, 1), _ANY),
    "steps": st.one_of(st.integers(1, 60), _ANY),
    "start": st.one_of(st.none(), st.tuples(st.floats(-8, 8), st.floats(-8, 8)), _ANY),
    "noise": st.one_of(st.floats(0, 10), _ANY),
    "schedule": st.one_of(st.builds(ScheduleConfig, name=st.sampled_from(["constant", "cosine", "plateau", "step"])), _ANY),
    "tol": st.one_of(st.floats(0, 1), _ANY),
    "divergence": st.one_of(st.floats(1.0, 1e12), _ANY),
    "seed": st.one_of(st.integers(0, 2**32 - 1), _ANY),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional=_FIELDS))
def test_fuzz_every_field_ends_in_a_decision_or_a_named_error(fields):
    try:
        config = DescentConfig(**fields)
    except ValueError as error:
        assert any(name in str(error) for name in fields), (fields, error)
        return
    result = lab.run(config)
    assert result.decision.kind in Kind and result.decision.reason
    assert all(not math.isnan(v) for s in result.steps for v in s.metrics.values())


def test_presets_cover_both_pages():
    assert len(OPTIMIZER_PRESETS) >= 3 and len(SCHEDULE_PRESETS) >= 3
    assert set(PRESETS) == set(OPTIMIZER_PRESETS) | set(SCHEDULE_PRESETS)
    for preset in PRESETS.values():
        assert preset.title and preset.lesson
        assert all(isinstance(c, DescentConfig) for c in preset.config.values())


def _run(key):
    """Each config of a preset through `lab.run` (a preset's stop rules live in its configs)."""
    return {name: lab.run(config) for name, config in PRESETS[key].config.items()}


def test_preset_momentum_overshoots_then_wins_in_the_ravine():
    runs = _run("optimizers/momentum-ravine")
    gd, momentum = runs["gd"], runs["momentum"]
    x0 = momentum.steps[0].metrics["x"]
    assert x0 < 0 and max(momentum.series("x")[1]) > 0.1  # crossed the minimum along the floor
    assert max(gd.series("x")[1]) <= 0  # GD never does
    assert momentum.decision.kind == gd.decision.kind is Kind.CONVERGED
    assert momentum.artifacts["steps_to_tol"] < gd.artifacts["steps_to_tol"] / 1.5


def test_preset_adam_beats_gd_on_rosenbrock():
    runs = _run("optimizers/adam-vs-gd-rosenbrock")
    assert runs["adam"].last("gap/optimum") < runs["gd"].last("gap/optimum") / 100
    assert runs["gd"].decision.kind is Kind.BUDGET and runs["adam"].decision.kind is Kind.CONVERGED


def test_preset_too_large_lr():
    runs = _run("optimizers/too-large-lr")
    assert runs["gd"].decision.kind == "diverged"
    assert runs["gd"].decision.step < 20
    assert runs["adam"].decision.kind is Kind.CONVERGED
    assert runs["adam"].config.lr == runs["gd"].config.lr


def test_preset_saddle_gd_lingers_noise_escapes():
    runs = _run("optimizers/saddle-noise")
    gd, sgd = runs["gd"], runs["sgd"]
    assert gd.last("gap/optimum") == pytest.approx(1.0)  # sitting on the saddle at the origin
    assert gd.last("grad/norm") < 1e-6
    assert sgd.last("gap/optimum") < 0.2
    assert sgd.decision.kind is Kind.CONVERGED and gd.decision.kind is Kind.BUDGET


def _floor(result, last=300):
    return float(np.mean(result.series("gap/optimum")[1][-last:]))


def test_preset_decaying_lr_goes_below_the_noise_floor():
    runs = _run("schedules/noise-floor")
    assert _floor(runs["decaying"]) < _floor(runs["constant"]) / 2


def test_preset_step_decay_lowers_the_floor_at_each_drop():
    result = _run("schedules/step-decay")["step"]
    gaps = result.series("gap/optimum")[1]
    floors = [np.mean(gaps[a:a + 300]) for a in (200, 700, 1200, 1700)]
    assert all(b < 0.75 * a for a, b in zip(floors, floors[1:]))
    lrs = result.series("lr")[1]
    assert lrs[500] == 0.1 and lrs[501] == pytest.approx(0.025)


def test_preset_plateau_cuts_once_the_loss_flattens():
    runs = _run("schedules/plateau")
    result = runs["plateau"]
    cuts = result.artifacts["lr_cuts"]
    assert cuts
    losses = np.array(result.series("loss")[1])
    first = cuts[0]
    assert losses[50:100].mean() < losses[0:50].mean() / 10  # still falling fast early on: no cut there
    assert first > 100
    assert losses[first - 50:first].mean() > losses[first - 100:first - 50].mean() / 2  # flat before the cut
    lrs = result.series("lr")[1]
    assert lrs[first] == 0.01 and lrs[first + 1] == pytest.approx(0.005)
    assert _floor(result) < _floor(runs["constant"]) / 2


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_per_coordinate_floats_equal_one_optimizer_on_the_point_array(optimizer):
    from lab import optim
    from lab.experiments.descent import surfaces

    config = DescentConfig(surface="rosenbrock", optimizer=optimizer, steps=300, **default_hyper("rosenbrock", optimizer))
    result = lab.run(config)
    surface = surfaces.get("rosenbrock")
    noise = config.noise * np.random.default_rng(config.seed).standard_normal((2, config.steps))
    opt = optim.make(optimizer, **config.optimizer_hyper())
    point = np.array(surface.default_start)
    for t in range(1, config.steps + 1):
        point = opt.step(point, np.array(surface.grad(*point)) + noise[:, t - 1])
        m = result.steps[t].metrics
        np.testing.assert_allclose((m["x"], m["y"]), point, rtol=1e-12, atol=1e-14)
