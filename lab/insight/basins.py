"""Basins of attraction: which minimum the chosen optimizer ends in from every start of a grid.

All starts run together: the point is a numpy array of shape (2, starts), the surface's
`value_grad_arrays` gives every gradient at once, and one `lab.optim` optimizer steps them all
(its updates act on each coordinate on its own, so an array of starts runs exactly as many
separate runs would). Each start ends in a known minimum (the index into the surface's
`minima`, with the step it came within `tol` of it), at another stationary point (a saddle,
one of Rastrigin's local minima: `STUCK`), still moving when the steps ran out (`MOVING`), or
diverged (`DIVERGED`). Gradient noise is left out: a basin is a property of the updates.

For k-means, `kmeans_basins` runs the lab's own Lloyd engine from a grid of initial centre sets
and groups the local optima reached by their inertia.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.experiments.descent import surfaces
from lab.experiments.descent.experiment import COORDINATE_LIMIT
from lab.optim import make

STUCK, MOVING, DIVERGED = -1, -2, -3
#: A start not in a known minimum counts as stuck once its gradient norm is below this.
STATIONARY = 1e-3
#: How often (in steps) the run checks whether every start has settled.
CHECK_EVERY = 50


@dataclass(frozen=True)
class Basins:
    """Per start of the grid (arrays of shape (len(ys), len(xs))): where it ends and when."""

    xs: np.ndarray
    ys: np.ndarray
    end: np.ndarray  # index of the known minimum, or STUCK, MOVING, DIVERGED
    steps: np.ndarray  # the step it came within tol of its minimum; -1 otherwise
    final_x: np.ndarray
    final_y: np.ndarray


def start_grid(surface_name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n x n starts over the surface's plot bounds (cell centres)."""
    (x0, x1), (y0, y1) = surfaces.get(surface_name).bounds
    dx, dy = (x1 - x0) / n, (y1 - y0) / n
    return np.linspace(x0 + dx / 2, x1 - dx / 2, n), np.linspace(y0 + dy / 2, y1 - dy / 2, n)


def basins(surface_name: str, optimizer: str, hyper: dict, *, n: int = 60, steps: int = 1000, tol: float = 1e-3) -> Basins:
    """Run `optimizer` (with `hyper`, as `lab.optim.make` takes them) from n x n starts; see the module docstring."""
    surface = surfaces.get(surface_name)
    xs, ys = start_grid(surface_name, n)
    gx, gy = np.meshgrid(xs, ys)
    p = np.stack([gx.ravel(), gy.ravel()])
    minima = np.asarray(surface.minima, dtype=float)
    opt = make(optimizer, **hyper)
    hit = np.full(p.shape[1], -1)
    nearest = np.zeros(p.shape[1], dtype=int)
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            _, dx, dy = surface.value_grad_arrays(p[0], p[1])
            p = opt.step(p, np.stack([dx, dy]))
            distances = np.hypot(p[0][None, :] - minima[:, 0:1], p[1][None, :] - minima[:, 1:2])
            nearest = distances.argmin(axis=0)
            within = distances.min(axis=0) <= tol
            hit[(hit < 0) & within] = t
            if t % CHECK_EVERY == 0 and (within | ~np.isfinite(p).all(axis=0)).all():
                break
        _, dx, dy = surface.value_grad_arrays(p[0], p[1])
    x, y = p
    diverged = ~(np.isfinite(x) & np.isfinite(y)) | (np.abs(x) > COORDINATE_LIMIT) | (np.abs(y) > COORDINATE_LIMIT)
    settled = np.hypot(x - minima[nearest, 0], y - minima[nearest, 1]) <= tol
    stationary = np.hypot(dx, dy) <= STATIONARY
    end = np.where(settled, nearest, np.where(stationary, STUCK, MOVING))
    end = np.where(diverged, DIVERGED, end)
    hit = np.where(settled & ~diverged, hit, -1)
    shape = (len(ys), len(xs))
    return Basins(xs, ys, end.reshape(shape), hit.reshape(shape), x.reshape(shape), y.reshape(shape))


@dataclass(frozen=True)
class KMeansBasins:
    """One k-means run per initial centre set: the inertia reached, which local optimum (0 = the best found) and its iterations."""

    starts: np.ndarray
    inertia: np.ndarray
    optimum: np.ndarray
    iterations: np.ndarray


def kmeans_basins(config, starts: int = 64, data=None) -> KMeansBasins:
    """Run Lloyd from `starts` initial centre sets (the config's init and seed, as n_init = starts
    would draw them) on the config's data to strict convergence, with the lab's own engine (`lloyd.run_restart`), and label
    each by the local optimum it reached: runs whose inertia agrees to 1e-9 share one, best first."""
    from lab.experiments.kmeans.lloyd import run_restart

    experiment = config.replace(n_init=starts, tol=0.0).experiment(data)  # tol 0: each run ends at its optimum exactly
    runs = [run_restart(experiment.Xc, C, experiment.tol_abs, config.max_iter) for C in experiment.inits]
    inertia = np.array([r.inertia for r in runs])
    levels: list[float] = []
    for value in np.sort(inertia):
        if not levels or value > levels[-1] * (1 + 1e-9) + 1e-12:
            levels.append(value)
    optimum = np.searchsorted(np.array(levels) * (1 + 1e-9) + 1e-12, inertia)
    return KMeansBasins(np.arange(starts), inertia, optimum, np.array([r.n_iter for r in runs]))
