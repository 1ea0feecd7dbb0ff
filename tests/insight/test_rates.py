"""The measured rate against theory where theory is exact, and the fit's edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lab
from lab.experiments.descent import DescentConfig
from lab.experiments.qlearning import QLearningConfig, tables
from lab.insight import rates, readouts, theory
from lab.optim import make


def _run_quadratic(name: str, curvatures, steps: int, **hyper) -> tuple[list[int], list[float]]:
    """lab.optim's optimizer on f = ½ Σ λ_i θ_i², from θ = 1: the distance to the minimum each step."""
    lam = np.asarray(curvatures, dtype=float)
    opt = make(name, **hyper)
    theta = np.ones_like(lam)
    gaps = [float(np.linalg.norm(theta))]
    for _ in range(steps):
        theta = opt.step(theta, lam * theta)
        gaps.append(float(np.linalg.norm(theta)))
    return list(range(steps + 1)), gaps


@pytest.mark.parametrize(("curvatures", "lr"), [((1.0, 10.0), 0.05), ((1.0, 10.0), 0.19), ((2.0, 100.0), 0.018)])
def test_gd_on_a_quadratic_matches_max_abs_one_minus_lr_lambda(curvatures, lr):
    steps, gaps = _run_quadratic("gd", curvatures, 600, lr=lr)
    measured = rates.measure(steps, gaps)
    assert measured is not None
    assert measured.rho == pytest.approx(theory.gd_rate(lr, curvatures), rel=0.01)


def test_heavy_ball_at_its_optimum_contracts_by_sqrt_kappa_rate():
    curvatures = (1.0, 1000.0)
    lr, mu, rho = theory.optimal_momentum(curvatures)
    assert rho == pytest.approx((math.sqrt(1000) - 1) / (math.sqrt(1000) + 1))
    steps, gaps = _run_quadratic("momentum", curvatures, 1500, lr=lr, momentum=mu)
    measured = rates.measure(steps, gaps)
    assert measured is not None
    assert measured.rho == pytest.approx(rho, rel=0.01)


@pytest.mark.parametrize(("name", "lr", "mu"), [("momentum", 0.01, 0.9), ("momentum", 0.02, 0.5), ("nesterov", 0.01, 0.8)])
def test_the_companion_matrix_rate_matches_any_setting(name, lr, mu):
    curvatures = (2.0, 100.0)
    steps, gaps = _run_quadratic(name, curvatures, 1500, lr=lr, momentum=mu)
    measured = rates.measure(steps, gaps)
    expected = theory.rate(name, lr, curvatures, mu)
    assert measured is not None and measured.rho == pytest.approx(expected, rel=0.01)


def test_companion_radius_is_the_spectral_radius_of_the_update_matrix():
    rng = np.random.default_rng(0)
    for lr, mu, lam in rng.uniform([1e-3, 0.0, 0.1], [0.1, 0.99, 100.0], size=(200, 3)):
        heavy = np.array([[1 - lr * lam, -lr * mu], [lam, mu]])  # (θ, b) after one torch-style step
        nest = np.array([[1 - lr * lam * (1 + mu), -lr * mu * mu], [lam, mu]])
        assert theory.heavy_ball_rate(lr, mu, [lam]) == pytest.approx(max(abs(np.linalg.eigvals(heavy))), rel=1e-9, abs=1e-12)
        assert theory.nesterov_rate(lr, mu, [lam]) == pytest.approx(max(abs(np.linalg.eigvals(nest))), rel=1e-9, abs=1e-12)


def test_stability_edges_are_where_the_rate_reaches_one():
    curvatures = (2.0, 100.0)
    for mu in (0.0, 0.3, 0.9):
        assert theory.heavy_ball_rate(theory.heavy_ball_edge(mu, curvatures) * (1 - 1e-9), mu, curvatures) < 1
        assert theory.heavy_ball_rate(theory.heavy_ball_edge(mu, curvatures) * (1 + 1e-6), mu, curvatures) > 1
        if mu > 0:
            assert theory.nesterov_rate(theory.nesterov_edge(mu, curvatures) * (1 - 1e-9), mu, curvatures) < 1
            assert theory.nesterov_rate(theory.nesterov_edge(mu, curvatures) * (1 + 1e-6), mu, curvatures) > 1
    assert theory.gd_edge(curvatures) == 0.02


def test_value_iteration_contracts_by_gamma():
    table = tables.table_for(QLearningConfig().key)
    gamma = 0.9
    gaps = readouts.value_iteration_gaps(table, gamma, 40)
    for before, after in zip(gaps, gaps[1:]):
        assert after <= gamma * before + 1e-12
    measured = rates.measure(range(1, len(gaps) + 1), gaps)
    assert measured is None or measured.rho <= gamma * 1.001


def test_the_descent_readout_holds_the_lab_run_to_theory():
    result = lab.run(DescentConfig(surface="ravine", optimizer="momentum", lr=0.0304, momentum=0.57, steps=1500))
    readout = readouts.descent(result)
    assert readout.theory.exact
    assert readout.rate.rho == pytest.approx(readout.theory.rho, rel=0.01)
    assert readout.rate.rho == pytest.approx(theory.optimal_momentum((2.0, 100.0))[2], rel=0.01)
    assert "matches" in readout.sentence


def test_zeros_noise_and_sublinear_runs_give_no_rate():
    assert rates.measure(range(20), [1.0, *[0.0] * 19]) is None  # lands on the minimum
    assert rates.measure(range(1, 400), [1.0 / t for t in range(1, 400)]) is None  # sublinear
    rng = np.random.default_rng(1)
    noisy = np.abs(0.1 + 0.05 * rng.standard_normal(400))
    assert rates.measure(range(400), noisy) is None
    assert rates.floor(noisy)
    assert not rates.floor([0.9**t for t in range(400)])


def test_words_say_rho_and_steps_per_decade():
    rate = rates.Rate(0.93, 0, 10)
    assert rate.words() == "contracting by ρ = 0.93 per step, 31.7 steps per decade"


def test_kmeans_readout_says_when_lloyd_reached_its_final_inertia():
    from lab.experiments.kmeans import KMeansConfig
    from lab.insight import readouts

    for seed in range(3):
        result = lab.run(KMeansConfig(seed=seed))
        steps, inertia = result.series("kmeans/inertia")
        reached = next(s for s, v in zip(steps, inertia) if v <= inertia[-1])
        readout = readouts.kmeans(result)
        assert readout.rate is None
        assert readout.sentence.startswith(f"No rate to fit: the inertia reached its final value at iteration {reached} ")
