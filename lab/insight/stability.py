"""The stability map: every (lr, momentum) or (lr, β₂) setting of a grid run at once on a surface,
or on a least-squares problem (the Regression lab's, full batch).

Each cell of the grid is one run of the optimizer from the page's start for the page's steps; all
cells advance together as numpy arrays of shape (rows, columns), so the grid costs about as many
numpy calls as one run has steps. The heavy-ball family is written here over arrays of settings in
lab.optim's (torch's) form (``b ← μb + g``, ``θ ← θ − ηb``; Nesterov ``θ ← θ − η(g + μb)``); the
Adam family runs lab.optim's own `Adam` step, whose settings may be arrays. The tests hold a cell
to `lab.run` of the same config.

Each cell ends as one of `OUTCOMES`: converged (with the step it came within `tol` of a known
minimum), oscillating (not converged, and the last updates flip sign most steps), slow (not
converged, moving one way) or diverged (a coordinate past `COORDINATE_LIMIT`, or not finite).
On a quadratic the theory's edges (`lab.insight.theory`) bound the stable region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lab.experiments.descent import surfaces
from lab.experiments.descent.experiment import COORDINATE_LIMIT
from lab.optim import ADAM_FAMILY, make

OUTCOMES = ("converged", "oscillating", "slow", "diverged")
#: The optimizers with a map, and the setting on its second axis.
HEAVY_BALL = ("gd", "sgd", "momentum", "nesterov")
SECOND_AXIS = {**{name: "momentum" for name in HEAVY_BALL}, **{name: "beta2" for name in ADAM_FAMILY}}
#: The last share of the steps in which the update's sign flips are counted (oscillation).
OSCILLATION_WINDOW = 20


@dataclass(frozen=True)
class StabilityMap:
    """Outcomes over the grid: arrays of shape (len(second), len(lrs))."""

    lrs: np.ndarray
    second: np.ndarray
    axis: str
    outcome: np.ndarray  # index into OUTCOMES
    steps_to_tol: np.ndarray  # -1 where never within tol
    final_gap: np.ndarray


def lr_grid(centre: float, columns: int = 36, decades: float = 2.5) -> np.ndarray:
    """`columns` learning rates evenly spaced on a log scale, `decades` wide, `centre` 2/3 of the way up."""
    low = np.log10(centre) - decades * 2 / 3
    return 10.0 ** np.linspace(low, low + decades, columns)


def momentum_grid(rows: int = 25) -> np.ndarray:
    """μ from 0 to 0.96 in steps the page's momentum slider can show."""
    return np.round(np.linspace(0.0, 0.96, rows), 2)


def beta2_grid(rows: int = 16) -> np.ndarray:
    """β₂ from 0.9 to 0.9999, evenly on log(1 − β₂)."""
    return np.round(1.0 - 10.0 ** np.linspace(-1, -4, rows), 4)


def stability_map(surface_name: str, optimizer: str, lrs: np.ndarray, second: np.ndarray, *, start: tuple[float, float],
                  steps: int, tol: float, beta1: float = 0.9) -> StabilityMap:
    """Run every (second[i], lrs[j]) cell for `steps` steps from `start` on a surface; see the module docstring."""
    surface = surfaces.get(surface_name)
    minima = np.asarray(surface.minima, dtype=float)

    def gradient(p: np.ndarray) -> np.ndarray:
        _, gx, gy = surface.value_grad_arrays(p[0], p[1])
        return np.stack([gx, gy])

    return _sweep(np.asarray(start, dtype=float), gradient, lambda p: _gap(p[0], p[1], minima),
                  lambda p, gap: np.any(np.abs(p) > COORDINATE_LIMIT, axis=0), np.array([1.0, 0.0]),
                  optimizer, lrs, second, steps=steps, tol=tol, beta1=beta1)


#: The Adam family's steps are per coordinate, so its map runs in θ's own coordinates, a matrix product
#: per step: at most this many parameters (the bias included) keep it within about a second.
MAX_ADAM_PARAMETERS = 32


def regression_map(gram: np.ndarray, theta_star: np.ndarray, optimizer: str, lrs: np.ndarray, second: np.ndarray, *,
                   steps: int, tol: float, diverged_above: float, optimum_mse: float = 0.0, beta1: float = 0.9) -> StabilityMap:
    """Every cell's full-batch descent on a least-squares problem, from θ = 0 as the Regression lab starts.

    The MSE is ``f(θ) = f* + (θ − θ*)ᵀ G (θ − θ*)`` with ``G = XᵀX/m`` (the bias a column of ones), so its
    gradient is ``2G(θ − θ*)`` and its gap to the optimum ``(θ − θ*)ᵀG(θ − θ*)``: the lab's own epochs at
    batch size "full", without the data. The heavy-ball family's steps are linear and the same in any
    orthonormal basis, so they run in G's eigenbasis, where G is diagonal (the cost of a run per cell
    does not grow with the square of the features); the Adam family's run in θ's coordinates (at most
    `MAX_ADAM_PARAMETERS`). A cell diverged once ``f`` passes `diverged_above` (the lab's divergence
    threshold); the sign flips are counted along G's stiffest direction, where overshooting starts.
    """
    gram = np.asarray(gram, dtype=float)
    star = np.asarray(theta_star, dtype=float)
    curvatures, basis = np.linalg.eigh(gram)
    if optimizer in ADAM_FAMILY:
        if len(star) > MAX_ADAM_PARAMETERS:
            raise ValueError(f"the map of {optimizer} covers at most {MAX_ADAM_PARAMETERS} parameters; this problem has {len(star)}")
        along, at = basis[:, -1], star[:, None, None]

        def gradient(p: np.ndarray) -> np.ndarray:
            return 2.0 * np.tensordot(gram, p - at, axes=1)
    else:
        along, at = np.eye(len(star))[-1], (basis.T @ star)[:, None, None]
        diagonal = curvatures[:, None, None]

        def gradient(p: np.ndarray) -> np.ndarray:
            return 2.0 * diagonal * (p - at)

    def gap(p: np.ndarray) -> np.ndarray:  # eᵀGe = ½ eᵀ∇f
        return 0.5 * np.sum((p - at) * gradient(p), axis=0)

    return _sweep(np.zeros_like(star), gradient, gap, lambda p, g: ~(g + optimum_mse <= diverged_above), along,
                  optimizer, lrs, second, steps=steps, tol=tol, beta1=beta1)


def _sweep(start: np.ndarray, gradient, gap, too_far, along: np.ndarray, optimizer: str, lrs: np.ndarray,
           second: np.ndarray, *, steps: int, tol: float, beta1: float) -> StabilityMap:
    """The grid's runs together: parameters of shape (len(start), rows, columns), one optimizer step over all.

    `gradient` and `gap` take those parameters; `too_far(params, gap)` says which cells diverged; the
    update's sign flips (oscillation) are counted on its component along the vector `along`."""
    if optimizer not in SECOND_AXIS:
        raise ValueError(f"optimizer={optimizer!r} has no stability map; choose one of {', '.join(SECOND_AXIS)}")
    lr = np.asarray(lrs, dtype=float)[None, :]
    s = np.asarray(second, dtype=float)[:, None]
    shape = (len(second), len(lrs))
    params = np.broadcast_to(np.asarray(start, dtype=float)[:, None, None], (len(start), *shape)).copy()
    hit = np.full(shape, -1)
    flips = np.zeros(shape, dtype=int)
    last = np.zeros(shape)
    if optimizer in ADAM_FAMILY:
        opt = make(optimizer, lr=1.0, betas=(beta1, 0.999))
        opt.lr, opt.betas = lr, (beta1, s)
        step = opt.step
    else:
        step = _heavy_ball(lr, s, nesterov=optimizer == "nesterov")
    g = gap(params)
    hit[g <= tol] = 0
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            new = step(params, gradient(params))
            moved = np.tensordot(along, new - params, axes=1)
            if t > steps - OSCILLATION_WINDOW:
                flips += (moved * last) < 0
            last = moved
            params = new
            g = gap(params)
            hit[(hit < 0) & (g <= tol)] = t
        diverged = ~np.all(np.isfinite(params), axis=0) | too_far(params, g)
    outcome = np.where(hit >= 0, 0, np.where(flips > OSCILLATION_WINDOW // 2, 1, 2))
    outcome = np.where(diverged, 3, outcome)
    hit = np.where(diverged, -1, hit)
    return StabilityMap(np.asarray(lrs, dtype=float), np.asarray(second, dtype=float), SECOND_AXIS[optimizer], outcome, hit,
                        np.where(diverged, np.inf, g))


def _gap(x: np.ndarray, y: np.ndarray, minima: np.ndarray) -> np.ndarray:
    return np.min([np.hypot(x - a, y - b) for a, b in minima], axis=0)


def _heavy_ball(lr: np.ndarray, momentum: np.ndarray, nesterov: bool):
    """The SGD family's step over arrays of lr and μ (μ = 0 is plain gradient descent)."""
    buf = None

    def step(params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        nonlocal buf
        buf = grad if buf is None else momentum * buf + grad
        return params - lr * (grad + momentum * buf if nesterov else buf)

    return step
