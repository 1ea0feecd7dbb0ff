"""The stability map against theory's edges and lab.run; the basin map against Himmelblau's minima."""

from __future__ import annotations

import numpy as np
import pytest

import lab
from lab.experiments.descent import DescentConfig, default_hyper, surfaces
from lab.insight import basins, stability, theory


def test_gd_row_of_the_map_converges_below_two_over_lambda_max_and_diverges_above():
    edge = theory.gd_edge((2.0, 100.0))  # the ravine
    lrs = edge * np.array([0.5, 0.9, 0.97, 1.03, 1.1, 1.5])
    m = stability.stability_map("ravine", "gd", lrs, np.array([0.0]), start=(-2.5, 1.0), steps=1000, tol=1e-3)
    words = [stability.OUTCOMES[o] for o in m.outcome[0]]
    assert words == ["converged"] * 3 + ["diverged"] * 3


def test_heavy_ball_edge_moves_to_two_one_plus_mu_over_lambda_max():
    mu = 0.5
    edge = float(theory.heavy_ball_edge(mu, (2.0, 2.0)))  # the bowl: λ = 2, edge 1.5
    lrs = edge * np.array([0.95, 1.05])
    m = stability.stability_map("quadratic", "momentum", lrs, np.array([mu]), start=(1.5, 1.0), steps=1000, tol=1e-3)
    assert [stability.OUTCOMES[o] for o in m.outcome[0]] == ["converged", "diverged"]


@pytest.mark.parametrize(("optimizer", "second"), [("momentum", 0.8), ("nesterov", 0.6), ("adam", 0.99)])
def test_a_cell_is_the_lab_run_of_its_settings(optimizer, second):
    lr = 0.01
    m = stability.stability_map("ravine", optimizer, np.array([lr]), np.array([second]), start=(-2.5, 1.0), steps=800, tol=1e-3)
    extra = {"momentum": second} if optimizer != "adam" else {"betas": (0.9, second)}
    result = lab.run(DescentConfig(surface="ravine", optimizer=optimizer, lr=lr, steps=800, tol=1e-3, **extra))
    assert result.decision.kind.word == "converged"
    assert m.steps_to_tol[0, 0] == result.decision.step


def test_himmelblau_basins_assign_every_start_to_one_of_its_four_minima():
    hyper = default_hyper("himmelblau", "gd")
    b = basins.basins("himmelblau", "gd", {"lr": hyper["lr"]}, n=30, steps=1000, tol=1e-3)
    assert set(np.unique(b.end)) == {0, 1, 2, 3}
    minima = np.asarray(surfaces.get("himmelblau").minima)
    ends = minima[b.end]
    assert np.hypot(b.final_x - ends[..., 0], b.final_y - ends[..., 1]).max() <= 1e-3
    # a start of the grid runs as lab.run runs it from there
    i, j = 7, 21
    start = (float(b.xs[j]), float(b.ys[i]))
    result = lab.run(DescentConfig(surface="himmelblau", optimizer="gd", lr=hyper["lr"], steps=1000, start=start))
    assert result.artifacts["nearest_minimum"] == tuple(minima[b.end[i, j]])


def test_the_saddle_splits_by_the_sign_of_y_and_rastrigin_traps_in_local_minima():
    b = basins.basins("saddle", "gd", {"lr": 0.05}, n=20, steps=1000)
    assert (b.end[b.ys < 0] == 0).all() and (b.end[b.ys > 0] == 1).all()
    r = basins.basins("rastrigin", "gd", {"lr": 1e-3}, n=20, steps=1000)
    assert (r.end == basins.STUCK).mean() > 0.9


def test_vectorised_gradients_equal_the_float_ones_on_every_surface():
    rng = np.random.default_rng(0)
    for name in surfaces.SURFACES:
        s = surfaces.get(name)
        (x0, x1), (y0, y1) = s.bounds
        X, Y = rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)
        f, gx, gy = s.value_grad_arrays(X, Y)
        expected = np.array([s.value_grad(float(x), float(y)) for x, y in zip(X, Y)])
        np.testing.assert_allclose(np.stack([f, gx, gy], axis=1), expected, rtol=1e-12, atol=1e-12)


def test_kmeans_basins_group_the_starts_by_the_optimum_they_reach():
    from lab.experiments.kmeans import KMeansConfig

    config = KMeansConfig(dataset="anisotropic", init="random", k=3, n_samples=300)
    b = basins.kmeans_basins(config, 16)
    assert len(b.inertia) == 16 and (b.inertia >= b.inertia.min()).all()
    assert set(b.inertia[b.optimum == 0]) == {b.inertia.min()}
    assert all(b.inertia[b.optimum == k].min() > b.inertia[b.optimum == k - 1].max() for k in range(1, b.optimum.max() + 1))
    # the lab's own restarts from the same 16 starts keep the best of them
    kept = lab.run(config.replace(n_init=16, tol=0.0)).artifacts["inertia"]
    assert kept == pytest.approx(b.inertia.min(), rel=1e-12)


def _least_squares(config):
    from lab.experiments.regression.experiment import RegressionExperiment

    e = RegressionExperiment(config)
    return e.gram, e.theta_star, e.optimum_mse, float(np.linalg.eigvalsh(2.0 * e.gram)[-1])


def test_regression_map_gd_row_turns_at_two_over_lambda_max():
    from lab.experiments.regression import RegressionConfig

    config = RegressionConfig(feature_spread=1.0)
    gram, star, optimum, top = _least_squares(config)
    lrs = (2.0 / top) * np.array([0.5, 0.9, 0.97, 1.03, 1.1, 1.5])
    m = stability.regression_map(gram, star, "gd", lrs, np.array([0.0]), steps=2000, tol=1e-8,
                                 diverged_above=config.divergence_threshold, optimum_mse=optimum)
    assert [stability.OUTCOMES[o] for o in m.outcome[0]] == ["converged"] * 3 + ["diverged"] * 3


@pytest.mark.parametrize(("optimizer", "lr", "second"), [("gd", 0.3, 0.0), ("momentum", 0.1, 0.7), ("nesterov", 0.1, 0.5),
                                                        ("adam", 0.5, 0.99)])
def test_a_regression_cell_is_the_lab_run_of_its_settings(optimizer, lr, second):
    """The map's full-batch descent without the data is the lab's epochs with it: the same decision,
    at the same epoch (one update = one epoch; the map counts updates, the lab numbers epochs from 0),
    give or take one where the gap crosses the tolerance within the two computations' rounding."""
    from lab.experiments.regression import RegressionConfig

    extra = {"momentum": second} if optimizer in ("momentum", "nesterov") else {"betas": (0.9, second)} if optimizer == "adam" else {}
    config = RegressionConfig(optimizer=optimizer, lr=lr, epochs=600, **extra)
    gram, star, optimum, _ = _least_squares(config)
    m = stability.regression_map(gram, star, optimizer, np.array([lr]), np.array([second]), steps=config.epochs,
                                 tol=config.tol, diverged_above=config.divergence_threshold, optimum_mse=optimum)
    result = lab.run(config)
    assert result.decision.kind.word == "converged" == stability.OUTCOMES[m.outcome[0, 0]]
    assert abs((m.steps_to_tol[0, 0] - 1) - result.decision.step) <= 1
