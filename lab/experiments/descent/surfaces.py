"""Two-dimensional loss surfaces for the Optimizers lab, each with its known minima.

A `Surface` gives the loss and its gradient on plain Python floats (`value`, `grad`, and
`value_grad`, which shares the work of both: this is the descent lab's hot path, so it uses
``math`` and ``*`` only, never numpy and never ``**``, which raises on overflow where ``*``
gives inf), and `values` on numpy grids for contour plots. `value_grad_arrays` gives the loss
and gradient on numpy arrays of points at once (the basins of attraction and the stability map
run every start or setting of a grid together): every surface's `value_grad` but Rastrigin's is
arithmetic only and takes arrays as it is; Rastrigin's `value_grads` uses numpy's cos and sin.

The minima listed are the ones known in closed form or to machine precision; the distance
to the nearest of them is the lab's yardstick. Rastrigin's many local minima are not
listed: only its global minimum at the origin counts, so a run stuck in a local minimum
keeps a visible gap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """One loss surface f(x, y) with what the page and the yardstick need."""

    name: str
    label: str
    formula: str
    value: Callable[[float, float], float]
    grad: Callable[[float, float], tuple[float, float]]
    value_grad: Callable[[float, float], tuple[float, float, float]]
    values: Callable[[Any, Any], Any]
    minima: tuple[Point, ...]
    min_value: float
    bounds: tuple[Point, Point]
    default_start: Point
    note: str = ""
    value_grads: Callable[[Any, Any], tuple[Any, Any, Any]] | None = None

    def value_grad_arrays(self, X: Any, Y: Any) -> tuple[Any, Any, Any]:
        """The loss and its gradient at every point of the numpy arrays X, Y."""
        return (self.value_grads or self.value_grad)(X, Y)

    def gap(self, x: float, y: float) -> float:
        """The distance from (x, y) to the nearest known minimum."""
        hypot = math.hypot
        return min([hypot(x - a, y - b) for a, b in self.minima])

    def nearest_minimum(self, x: float, y: float) -> tuple[Point, float]:
        """The known minimum closest to (x, y), and the distance to it."""
        best = min(self.minima, key=lambda m: math.hypot(x - m[0], y - m[1]))
        return best, math.hypot(x - best[0], y - best[1])


# quadratic: f = x^2 + y^2 (the home page's GD demo relies on exactly this)
def _quadratic_value(x: float, y: float) -> float:
    return x * x + y * y


def _quadratic_grad(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, 2.0 * y


def _quadratic_value_grad(x: float, y: float) -> tuple[float, float, float]:
    return x * x + y * y, 2.0 * x, 2.0 * y


def _quadratic_values(X: Any, Y: Any) -> Any:
    return X * X + Y * Y


# ravine: f = x^2 + 50 y^2, Hessian diag(2, 100): condition number 50


def _ravine_value(x: float, y: float) -> float:
    return x * x + 50.0 * y * y


def _ravine_grad(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, 100.0 * y


def _ravine_value_grad(x: float, y: float) -> tuple[float, float, float]:
    return x * x + 50.0 * y * y, 2.0 * x, 100.0 * y


def _ravine_values(X: Any, Y: Any) -> Any:
    return X * X + 50.0 * Y * Y


# rosenbrock: f = (1 - x)^2 + 100 (y - x^2)^2
def _rosenbrock_value(x: float, y: float) -> float:
    a = 1.0 - x
    b = y - x * x
    return a * a + 100.0 * b * b


def _rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    a = 1.0 - x
    b = y - x * x
    return -2.0 * a - 400.0 * x * b, 200.0 * b


def _rosenbrock_value_grad(x: float, y: float) -> tuple[float, float, float]:
    a = 1.0 - x
    b = y - x * x
    return a * a + 100.0 * b * b, -2.0 * a - 400.0 * x * b, 200.0 * b


def _rosenbrock_values(X: Any, Y: Any) -> Any:
    return (1.0 - X) ** 2 + 100.0 * (Y - X * X) ** 2


# saddle: f = x^2 + y^4/4 - y^2/2: a saddle at the origin, minima at (0, +-1) with f = -1/4
def _saddle_value(x: float, y: float) -> float:
    y2 = y * y
    return x * x + 0.25 * y2 * y2 - 0.5 * y2


def _saddle_grad(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x, y * y * y - y


def _saddle_value_grad(x: float, y: float) -> tuple[float, float, float]:
    y2 = y * y
    return x * x + 0.25 * y2 * y2 - 0.5 * y2, 2.0 * x, y2 * y - y


def _saddle_values(X: Any, Y: Any) -> Any:
    return X * X + 0.25 * Y**4 - 0.5 * Y * Y


# beale: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2, minimum (3, 0.5)
def _beale_value_grad(x: float, y: float) -> tuple[float, float, float]:
    y2 = y * y
    y3 = y2 * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y3
    gx = 2.0 * (a * (y - 1.0) + b * (y2 - 1.0) + c * (y3 - 1.0))
    gy = 2.0 * x * (a + 2.0 * b * y + 3.0 * c * y2)
    return a * a + b * b + c * c, gx, gy


def _beale_value(x: float, y: float) -> float:
    return _beale_value_grad(x, y)[0]


def _beale_grad(x: float, y: float) -> tuple[float, float]:
    _, gx, gy = _beale_value_grad(x, y)
    return gx, gy


def _beale_values(X: Any, Y: Any) -> Any:
    return (1.5 - X + X * Y) ** 2 + (2.25 - X + X * Y**2) ** 2 + (2.625 - X + X * Y**3) ** 2


# himmelblau: (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four minima with f = 0
def _himmelblau_value_grad(x: float, y: float) -> tuple[float, float, float]:
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b, 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def _himmelblau_value(x: float, y: float) -> float:
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


def _himmelblau_grad(x: float, y: float) -> tuple[float, float]:
    _, gx, gy = _himmelblau_value_grad(x, y)
    return gx, gy


def _himmelblau_values(X: Any, Y: Any) -> Any:
    return (X * X + Y - 11.0) ** 2 + (X + Y * Y - 7.0) ** 2


# rastrigin: 20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y), global minimum at the origin
_TAU = 2.0 * math.pi


def _rastrigin_value_grad(x: float, y: float) -> tuple[float, float, float]:
    ax = _TAU * x
    ay = _TAU * y
    value = 20.0 + x * x - 10.0 * math.cos(ax) + y * y - 10.0 * math.cos(ay)
    return value, 2.0 * x + 10.0 * _TAU * math.sin(ax), 2.0 * y + 10.0 * _TAU * math.sin(ay)


def _rastrigin_value(x: float, y: float) -> float:
    return 20.0 + x * x - 10.0 * math.cos(_TAU * x) + y * y - 10.0 * math.cos(_TAU * y)


def _rastrigin_grad(x: float, y: float) -> tuple[float, float]:
    return 2.0 * x + 10.0 * _TAU * math.sin(_TAU * x), 2.0 * y + 10.0 * _TAU * math.sin(_TAU * y)


def _rastrigin_value_grads(X: Any, Y: Any) -> tuple[Any, Any, Any]:
    ax, ay = _TAU * X, _TAU * Y
    value = 20.0 + X * X - 10.0 * np.cos(ax) + Y * Y - 10.0 * np.cos(ay)
    return value, 2.0 * X + 10.0 * _TAU * np.sin(ax), 2.0 * Y + 10.0 * _TAU * np.sin(ay)


def _rastrigin_values(X: Any, Y: Any) -> Any:
    return 20.0 + X * X - 10.0 * np.cos(_TAU * X) + Y * Y - 10.0 * np.cos(_TAU * Y)


_ALL = (
    Surface(
        "quadratic", "Quadratic bowl", r"f(x, y) = x^2 + y^2",
        _quadratic_value, _quadratic_grad, _quadratic_value_grad, _quadratic_values,
        ((0.0, 0.0),), 0.0, ((-2.0, 2.0), (-2.0, 2.0)), (1.5, 1.0),
    ),
    Surface(
        "ravine", "Ravine (ill-conditioned quadratic)", r"f(x, y) = x^2 + 50\,y^2",
        _ravine_value, _ravine_grad, _ravine_value_grad, _ravine_values,
        ((0.0, 0.0),), 0.0, ((-3.0, 3.0), (-1.5, 1.5)), (-2.5, 1.0),
        note="curvature 2 along x, 100 along y: condition number 50",
    ),
    Surface(
        "rosenbrock", "Rosenbrock's banana", r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
        _rosenbrock_value, _rosenbrock_grad, _rosenbrock_value_grad, _rosenbrock_values,
        ((1.0, 1.0),), 0.0, ((-2.0, 2.0), (-1.0, 3.0)), (-1.5, 2.0),
    ),
    Surface(
        "saddle", "Saddle with two minima", r"f(x, y) = x^2 + \tfrac{1}{4}y^4 - \tfrac{1}{2}y^2",
        _saddle_value, _saddle_grad, _saddle_value_grad, _saddle_values,
        ((0.0, -1.0), (0.0, 1.0)), -0.25, ((-2.0, 2.0), (-2.0, 2.0)), (1.5, 1e-3),
        note="a saddle point at the origin; the start sits just off it",
    ),
    Surface(
        "beale", "Beale", r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        _beale_value, _beale_grad, _beale_value_grad, _beale_values,
        ((3.0, 0.5),), 0.0, ((-4.5, 4.5), (-4.5, 4.5)), (1.0, 1.5),
    ),
    Surface(
        "himmelblau", "Himmelblau", r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        _himmelblau_value, _himmelblau_grad, _himmelblau_value_grad, _himmelblau_values,
        (
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286169),
            (3.5844283403304917, -1.8481265269644034),
        ),
        0.0, ((-5.0, 5.0), (-5.0, 5.0)), (0.0, 0.0),
        note="four minima, all with f = 0; which one a run finds depends on the start",
    ),
    Surface(
        "rastrigin", "Rastrigin", r"f(x, y) = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y",
        _rastrigin_value, _rastrigin_grad, _rastrigin_value_grad, _rastrigin_values,
        ((0.0, 0.0),), 0.0, ((-5.12, 5.12), (-5.12, 5.12)), (2.2, -3.3),
        note="only the global minimum at the origin is listed; its many local minima trap descent and keep a gap",
        value_grads=_rastrigin_value_grads,
    ),
)

SURFACES: tuple[str, ...] = tuple(s.name for s in _ALL)
_BY_NAME = {s.name: s for s in _ALL}


def get(name: str) -> Surface:
    """The surface called `name`."""
    if not isinstance(name, str) or name not in _BY_NAME:
        raise ValueError(f"surface={name!r} is not known; choose one of {', '.join(SURFACES)}")
    return _BY_NAME[name]
