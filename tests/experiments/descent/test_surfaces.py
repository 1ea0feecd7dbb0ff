"""Surfaces: gradients against torch autograd, known minima, vectorised values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lab.experiments.descent import surfaces
from lab.experiments.descent.surfaces import SURFACES


def _torch_f(name, x, y):
    if name == "quadratic":
        return x**2 + y**2
    if name == "ravine":
        return x**2 + 50 * y**2
    if name == "rosenbrock":
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2
    if name == "saddle":
        return x**2 + y**4 / 4 - y**2 / 2
    if name == "beale":
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    if name == "himmelblau":
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
    if name == "rastrigin":
        return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)
    raise AssertionError(name)


def _points(surface, n=25, seed=0):
    (xmin, xmax), (ymin, ymax) = surface.bounds
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(xmin, xmax, n).tolist(), rng.uniform(ymin, ymax, n).tolist()))


def test_the_seven_surfaces():
    assert SURFACES == ("quadratic", "ravine", "rosenbrock", "saddle", "beale", "himmelblau", "rastrigin")
    with pytest.raises(ValueError, match="quadratic.*rastrigin"):
        surfaces.get("moon")


@pytest.mark.parametrize("name", SURFACES)
def test_value_and_grad_match_torch_autograd(name):
    surface = surfaces.get(name)
    for x, y in _points(surface):
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        f = _torch_f(name, tx, ty)
        f.backward()
        gx, gy = surface.grad(x, y)
        assert surface.value(x, y) == pytest.approx(f.item(), rel=1e-9, abs=1e-12)
        assert gx == pytest.approx(tx.grad.item(), rel=1e-9, abs=1e-9)
        assert gy == pytest.approx(ty.grad.item(), rel=1e-9, abs=1e-9)
        assert surface.value_grad(x, y) == pytest.approx((surface.value(x, y), gx, gy), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", SURFACES)
def test_known_minima_are_stationary_with_the_stated_value(name):
    surface = surfaces.get(name)
    assert surface.minima
    for mx, my in surface.minima:
        gx, gy = surface.grad(mx, my)
        assert math.hypot(gx, gy) < 1e-10
        assert surface.value(mx, my) == pytest.approx(surface.min_value, abs=1e-12)
        # a minimum, not a saddle: the value rises in every direction around it
        for angle in np.linspace(0, 2 * math.pi, 12, endpoint=False):
            assert surface.value(mx + 1e-3 * math.cos(angle), my + 1e-3 * math.sin(angle)) > surface.min_value
        (xmin, xmax), (ymin, ymax) = surface.bounds
        assert xmin <= mx <= xmax and ymin <= my <= ymax


@pytest.mark.parametrize("name", SURFACES)
def test_min_value_is_the_lowest_on_a_grid(name):
    surface = surfaces.get(name)
    (xmin, xmax), (ymin, ymax) = surface.bounds
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 301), np.linspace(ymin, ymax, 301))
    assert surface.values(X, Y).min() >= surface.min_value - 1e-12


@pytest.mark.parametrize("name", SURFACES)
def test_values_on_a_grid_match_value(name):
    surface = surfaces.get(name)
    points = _points(surface, 40, seed=1)
    X = np.array([p[0] for p in points]).reshape(5, 8)
    Y = np.array([p[1] for p in points]).reshape(5, 8)
    grid = surface.values(X, Y)
    assert grid.shape == (5, 8)
    expected = np.array([surface.value(x, y) for x, y in points]).reshape(5, 8)
    np.testing.assert_allclose(grid, expected, rtol=1e-12, atol=1e-12)


def test_quadratic_is_exactly_x2_plus_y2():
    q = surfaces.get("quadratic")
    assert q.value(3.0, -4.0) == 25.0 and q.grad(3.0, -4.0) == (6.0, -8.0)


def test_ravine_is_ill_conditioned():
    # Hessian by finite differences of the gradient: eigenvalues 2 and 100
    r = surfaces.get("ravine")
    h = 1e-6
    hess = np.array([[(r.grad(h, 0)[0] - r.grad(-h, 0)[0]) / (2 * h), 0], [0, (r.grad(0, h)[1] - r.grad(0, -h)[1]) / (2 * h)]])
    eig = np.linalg.eigvalsh(hess)
    assert 50 <= eig.max() / eig.min() <= 100


def test_saddle_has_a_saddle_at_the_origin_and_starts_near_it():
    s = surfaces.get("saddle")
    assert s.grad(0.0, 0.0) == (0.0, 0.0)
    assert s.value(0.1, 0.0) > 0 > s.value(0.0, 0.1)  # up along x, down along y
    assert s.minima == ((0.0, -1.0), (0.0, 1.0)) and s.min_value == -0.25
    assert abs(s.default_start[1]) < 0.01


def test_himmelblau_has_four_minima_and_nearest_picks_the_closest():
    h = surfaces.get("himmelblau")
    assert len(h.minima) == 4
    (mx, my), d = h.nearest_minimum(-3.0, -3.0)
    assert (mx, my) == pytest.approx((-3.779310253377747, -3.283185991286169))
    assert d == pytest.approx(math.hypot(-3.0 - mx, -3.0 - my))
    for x, y in _points(h, 50, seed=2):
        assert h.gap(x, y) == h.nearest_minimum(x, y)[1] == min(math.hypot(x - a, y - b) for a, b in h.minima)


def test_rastrigin_lists_only_its_global_minimum():
    r = surfaces.get("rastrigin")
    assert r.minima == ((0.0, 0.0),) and "local" in r.note
    # (1, 1) region holds a local minimum: a stationary point nearby with a higher value
    x, y = 0.995, 0.995
    for _ in range(100):
        gx, gy = r.grad(x, y)
        x, y = x - 1e-3 * gx, y - 1e-3 * gy
    assert math.hypot(*r.grad(x, y)) < 1e-6 and r.value(x, y) > 1.0


@pytest.mark.parametrize("name", SURFACES)
def test_hot_path_overflows_to_non_finite_instead_of_raising(name):
    # `*` overflows to inf where `**` would raise OverflowError; the experiment turns nan into inf
    f, gx, gy = surfaces.get(name).value_grad(1e200, -1e200)
    assert not math.isfinite(f)
