"""Linear rates known in closed form, per eigen-direction of a quadratic's Hessian.

On f(θ) = ½ θᵀHθ every update of the SGD family is linear in (θ, buffer), so along each
eigen-direction (curvature λ, h = ηλ) the error is multiplied each step by a fixed matrix and
shrinks (or grows) as its spectral radius. The rate of the whole run is the largest over the
directions. The formulas below follow lab.optim's (torch's) conventions:

- gradient descent: θ ← θ - ηg, factor 1 - h, rate max |1 - ηλ|; stable for η < 2/λmax;
- heavy ball (``b ← μb + (1-τ)g``, ``θ ← θ - ηb``): z² - (1 + μ - h')z + μ with h' = (1-τ)ηλ;
  stable for h' < 2(1 + μ); at η = 4/(√λmax + √λmin)², μ = ρ² its rate is ρ = (√κ - 1)/(√κ + 1),
  the best any method of this kind reaches (Polyak);
- Nesterov (``b ← μb + g``, ``θ ← θ - η(g + μb)``): z² - (1 + μ)(1 - h)z + μ(1 - h); stable for
  h < 2(1 + μ)/(1 + 2μ). Its own best rate on a quadratic is 1 - 2/√(3κ + 1) (Lessard, Recht and
  Packard 2016), a little slower than the heavy ball's optimum;
- value iteration contracts the sup-norm distance to Q* by γ per sweep (a γ-contraction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def gd_rate(lr: float, curvatures: Sequence[float]) -> float:
    """max_i |1 - ηλ_i|."""
    return max(abs(1.0 - lr * lam) for lam in curvatures)


def _root_radius(trace, det):
    """The larger |z| of z² - trace·z + det = 0, elementwise over numpy arrays."""
    trace, det = np.asarray(trace, dtype=float), np.asarray(det, dtype=float)
    disc = trace * trace - 4.0 * det
    sq = np.sqrt(np.abs(disc))
    real = np.maximum(np.abs(trace + sq), np.abs(trace - sq)) / 2.0
    return np.where(disc >= 0, real, np.sqrt(np.abs(det)))


def heavy_ball_rate(lr, momentum, curvatures: Sequence[float], dampening: float = 0.0):
    """The spectral radius of the heavy ball's 2x2 matrix, the largest over the curvatures (arrays broadcast)."""
    lr, momentum = np.asarray(lr, dtype=float), np.asarray(momentum, dtype=float)
    rates = [_root_radius(1.0 + momentum - (1.0 - dampening) * lr * lam, momentum) for lam in curvatures]
    return _scalar(np.maximum.reduce(rates))


def nesterov_rate(lr, momentum, curvatures: Sequence[float]):
    """The spectral radius of Nesterov's 2x2 matrix (torch's form), the largest over the curvatures."""
    lr, momentum = np.asarray(lr, dtype=float), np.asarray(momentum, dtype=float)
    rates = [_root_radius((1.0 + momentum) * (1.0 - lr * lam), momentum * (1.0 - lr * lam)) for lam in curvatures]
    return _scalar(np.maximum.reduce(rates))


def _scalar(value):
    return float(value) if np.ndim(value) == 0 else value


def condition_number(curvatures: Sequence[float]) -> float:
    low, high = min(curvatures), max(curvatures)
    return math.inf if low <= 0 else high / low


def optimal_momentum(curvatures: Sequence[float]) -> tuple[float, float, float]:
    """(η, μ, ρ) of the heavy ball at its optimum: ρ = (√κ - 1)/(√κ + 1)."""
    low, high = math.sqrt(min(curvatures)), math.sqrt(max(curvatures))
    rho = (high - low) / (high + low)
    return 4.0 / (high + low) ** 2, rho * rho, rho


def optimal_gd(curvatures: Sequence[float]) -> tuple[float, float]:
    """(η, ρ) of gradient descent at its best constant lr 2/(λmin + λmax): ρ = (κ - 1)/(κ + 1)."""
    low, high = min(curvatures), max(curvatures)
    return 2.0 / (low + high), (high - low) / (high + low)


def nesterov_best_rate(curvatures: Sequence[float]) -> float:
    """1 - 2/√(3κ + 1): Nesterov's best rate on a quadratic."""
    return 1.0 - 2.0 / math.sqrt(3.0 * condition_number(curvatures) + 1.0)


def gd_edge(curvatures: Sequence[float]) -> float:
    """2/λmax: gradient descent diverges at any larger lr."""
    return 2.0 / max(curvatures)


def heavy_ball_edge(momentum, curvatures: Sequence[float], dampening: float = 0.0):
    """The heavy ball's largest stable lr, 2(1 + μ)/((1 - τ)λmax)."""
    return 2.0 * (1.0 + np.asarray(momentum, dtype=float)) / ((1.0 - dampening) * max(curvatures))


def nesterov_edge(momentum, curvatures: Sequence[float]):
    """Nesterov's largest stable lr, 2(1 + μ)/((1 + 2μ)λmax)."""
    momentum = np.asarray(momentum, dtype=float)
    return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * max(curvatures))


def rate(optimizer: str, lr: float, curvatures: Sequence[float], momentum: float | None = None,
         dampening: float | None = None) -> float | None:
    """The theory's rate of `optimizer` at its settings on a quadratic with these curvatures, or None
    where no closed form is known (the adaptive optimizers' steps depend on the gradients' history)."""
    if optimizer in ("gd", "sgd"):
        return gd_rate(lr, curvatures)
    if optimizer == "momentum":
        return heavy_ball_rate(lr, 0.9 if momentum is None else momentum, curvatures, dampening or 0.0)
    if optimizer == "nesterov":
        return nesterov_rate(lr, 0.9 if momentum is None else momentum, curvatures)
    return None


def edge(optimizer: str, curvatures: Sequence[float], momentum: float | None = None, dampening: float | None = None) -> float | None:
    """The largest stable lr of `optimizer` on the quadratic, or None where theory gives none."""
    if optimizer in ("gd", "sgd"):
        return gd_edge(curvatures)
    if optimizer == "momentum":
        return float(heavy_ball_edge(0.9 if momentum is None else momentum, curvatures, dampening or 0.0))
    if optimizer == "nesterov":
        return float(nesterov_edge(0.9 if momentum is None else momentum, curvatures))
    return None


def hessian_curvatures(grad, point: tuple[float, float], h: float = 1e-5) -> tuple[float, float]:
    """The Hessian's eigenvalues at `point` by central differences of `grad(x, y)`, smallest first
    (exact up to rounding on a quadratic; on another surface, the quadratic a run sees near a minimum)."""
    x, y = point
    gxp, gyp = grad(x + h, y)
    gxm, gym = grad(x - h, y)
    hxp, hyp = grad(x, y + h)
    hxm, hym = grad(x, y - h)
    a = (gxp - gxm) / (2 * h)
    d = (hyp - hym) / (2 * h)
    b = ((gyp - gym) + (hxp - hxm)) / (4 * h)
    low, high = np.linalg.eigvalsh(np.array([[a, b], [b, d]]))
    return float(low), float(high)
