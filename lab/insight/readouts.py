"""The rate readout of each lab: which gap a run's rate is measured on, and the theory beside it.

Each function takes a finished (or partial) `RunResult` and gives a `Readout`: the fitted
`rates.Rate` (None when the run is not linear), the `rates.Theory` where one is known, and the
sentence `rates.verdict` writes. Theory is stated on the gap's own scale: a distance shrinks as
the error does (ρ), a squared error (the regression's MSE above the optimum) as ρ².
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.insight import rates, theory
from lab.insight.rates import Rate, Theory
from lab.records import RunResult


@dataclass(frozen=True)
class Readout:
    rate: Rate | None
    theory: Theory | None
    sentence: str


def _readout(result: RunResult, metric: str, found: Theory | None, *, scheduled: bool = False, unit: str = "step",
             shift: float = 0.0, unfitted=None) -> Readout:
    """`unfitted(steps, gaps)` gives the lab's reason when no rate is fitted ("" for the general one)."""
    steps, gaps = result.series(metric)
    gaps = [g - shift for g in gaps]
    measured = rates.measure(steps, gaps)
    floored = measured is None and rates.floor(gaps)
    why = unfitted(steps, gaps) if unfitted is not None and measured is None and not floored else ""
    return Readout(measured, found, rates.verdict(measured, found, floored=floored, scheduled=scheduled, unit=unit, unfitted=why))


def _scheduled(schedule) -> bool:
    return schedule.name != "constant" or getattr(schedule, "warmup_steps", 0) > 0


def descent_theory(config, end: tuple[float, float] | None = None) -> Theory | None:
    """Theory for one optimizer on a surface: exact on the quadratics, else the quadratic the run
    sees near the minimum it ends by (its Hessian there, by finite differences)."""
    from lab.experiments.descent import surfaces

    surface = surfaces.get(config.surface)
    minimum = surface.nearest_minimum(*(end or config.start_point))[0]
    curvatures = theory.hessian_curvatures(surface.grad, minimum)
    exact = np.allclose(curvatures, theory.hessian_curvatures(surface.grad, config.start_point), rtol=1e-6)
    if min(curvatures) <= 0:
        return None
    momentum, dampening = (config.optimizer_setting(k) or 0.0 for k in ("momentum", "dampening"))
    rho = theory.rate(config.optimizer, config.lr, curvatures, momentum, dampening)
    edge = theory.edge(config.optimizer, curvatures, momentum, dampening)
    lam = f"λ = {curvatures[0]:.4g}, {curvatures[1]:.4g}" + ("" if exact else " near the minimum")
    if rho is None:
        return Theory(None, edge, f"no closed-form rate for {config.optimizer}: its step adapts to the gradients ({lam})", exact,
                      curvatures)
    if config.optimizer in ("gd", "sgd"):
        basis = f"max |1 − ηλ| with {lam}; stable for η < 2/λmax = {edge:.4g}"
    else:
        _, _, best = theory.optimal_momentum(curvatures)
        basis = (f"spectral radius of the 2x2 {config.optimizer} matrix, {lam}; the best momentum reaches "
                 f"(√κ − 1)/(√κ + 1) = {best:.4g}")
    return Theory(rho, edge, basis, exact, curvatures)


def descent(result: RunResult) -> Readout:
    """Optimizers and Home: the distance to the nearest minimum."""
    config = result.config
    end = (result.last("x"), result.last("y")) if result.steps else None
    found = descent_theory(config, end if end and all(np.isfinite(end)) else None)
    return _readout(result, "gap/optimum", found, scheduled=_scheduled(config.schedule))


def curved(eigenvalues: Sequence[float]) -> list[float]:
    """The Hessian's eigenvalues above rounding (λ = 0 directions, e.g. linearly dependent features, do not
    count: the gap does not move along them)."""
    return [float(v) for v in eigenvalues if v > 1e-12 * max(eigenvalues)]


def regression_theory(config, eigenvalues: Sequence[float]) -> Theory | None:
    """Full-batch GD on the MSE, whose Hessian's eigenvalues are given: the gap (a squared error)
    shrinks as (max over λ > 0 of |1 − ηλ|)²; directions with λ = 0 do not count in the gap."""
    lam = curved(eigenvalues)
    if not lam:
        return None
    edge = 2.0 / max(lam)
    if config.batch_size is not None or config.optimizer != "gd":
        return Theory(None, edge, "theory here is for full-batch gradient descent; for GD, η < 2/λmax = "
                      f"{edge:.4g}", True)
    rho = theory.gd_rate(config.lr, lam)
    return Theory(rho * rho, edge, f"(max |1 − ηλ|)² over the Gram matrix's {len(lam)} curvatures, "
                  f"λ from {min(lam):.3g} to {max(lam):.3g}; stable for η < {edge:.4g}")


def regression(result: RunResult) -> Readout:
    """Regression: the training MSE above the least-squares optimum."""
    eigen = result.artifacts.get("hessian_eigenvalues")
    found = regression_theory(result.config, eigen) if eigen else None
    return _readout(result, "gap/optimum", found, scheduled=_scheduled(result.config.schedule), unit="epoch")


def kmeans(result: RunResult) -> Readout:
    """K-means: the inertia above the final inertia (no closed-form theory: Lloyd's rate depends on the data)."""
    final = result.last("kmeans/inertia")
    found = Theory(None, None, "Lloyd's iterations have no closed-form rate; no iteration can raise the inertia")
    return _readout(result, "kmeans/inertia", found, unit="iteration", shift=final or 0.0, unfitted=_lloyd_ended)


def _lloyd_ended(steps: Sequence[int], gaps: Sequence[float]) -> str:
    """Lloyd's iterations reach their final inertia exactly, in finitely many steps: say when."""
    reached = next((s for s, g in zip(steps, gaps) if g <= 0), None)
    if reached is None:
        return ""
    return (f"No rate to fit: the inertia reached its final value at iteration {reached} and stayed there. Lloyd's "
            "iterations end in finitely many steps (the assignment stops changing), so there is no linear phase.")


def qlearning(result: RunResult) -> Readout:
    """Q-learning: the gap to the optimal values, with value iteration's γ beside it for reference."""
    gamma = result.config.gamma
    found = Theory(None, None, f"for reference, value iteration on the same table contracts by γ = {gamma:g} per sweep")
    return _readout(result, "gap/optimum", found, unit="episode", unfitted=_sampled)


def _sampled(steps: Sequence[int], gaps: Sequence[float]) -> str:
    return ("Not linear: the gap moves in jumps, as sampled updates and exploration reach one state after another "
            "(Q-learning with a constant α has no fixed rate), so no rate is fitted.")


def value_iteration_gaps(table, gamma: float, sweeps: int) -> list[float]:
    """max_s |V_k(s) − V*(s)| after k = 1..sweeps sweeps of value iteration from V = 0."""
    from lab.experiments.qlearning import tables

    v_star = tables.value_iteration(table, gamma)[0]
    return [float(np.max(np.abs(tables.value_iteration(table, gamma, tol=-1.0, max_iter=k)[0] - v_star)))
            for k in range(1, sweeps + 1)]
