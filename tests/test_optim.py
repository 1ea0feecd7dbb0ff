"""lab.optim against torch.optim in float64, step for step, and the float path against the array path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lab import optim

# (id, lab.optim name, hyperparameters, torch class, torch keyword arguments). The learning rates keep
# every run out of the regime where adaptive steps bounce around the minimum chaotically: there a
# one-ulp rounding difference (torch's sqrt vs pow) grows to 1e-4 within a few hundred steps.
CASES = [
    ("sgd", "gd", {"lr": 1e-3}, torch.optim.SGD, {"lr": 1e-3}),
    ("sgd-momentum", "momentum", {"lr": 5e-4, "momentum": 0.9}, torch.optim.SGD, {"lr": 5e-4, "momentum": 0.9}),
    ("sgd-nesterov", "nesterov", {"lr": 5e-4, "momentum": 0.8}, torch.optim.SGD, {"lr": 5e-4, "momentum": 0.8, "nesterov": True}),
    ("sgd-wd", "gd", {"lr": 1e-3, "weight_decay": 0.1}, torch.optim.SGD, {"lr": 1e-3, "weight_decay": 0.1}),
    ("sgd-momentum-wd", "momentum", {"lr": 5e-4, "weight_decay": 0.05}, torch.optim.SGD, {"lr": 5e-4, "momentum": 0.9, "weight_decay": 0.05}),
    ("adagrad", "adagrad", {"lr": 0.05}, torch.optim.Adagrad, {"lr": 0.05}),
    ("adagrad-wd", "adagrad", {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-8}, torch.optim.Adagrad, {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-8}),
    ("rmsprop", "rmsprop", {"lr": 1e-3}, torch.optim.RMSprop, {"lr": 1e-3}),
    ("rmsprop-momentum", "rmsprop", {"lr": 3e-4, "momentum": 0.5}, torch.optim.RMSprop, {"lr": 3e-4, "momentum": 0.5}),
    ("adam", "adam", {"lr": 1e-2}, torch.optim.Adam, {"lr": 1e-2}),
    ("adam-l2", "adam", {"lr": 2e-3, "weight_decay": 0.1, "betas": (0.8, 0.99)}, torch.optim.Adam, {"lr": 2e-3, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("adamw", "adamw", {"lr": 1e-2}, torch.optim.AdamW, {"lr": 1e-2}),
    ("adamw-wd", "adamw", {"lr": 1e-2, "weight_decay": 0.3, "eps": 1e-6}, torch.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.3, "eps": 1e-6}),
]


def _rosenbrock(p):
    return (100 * (p[1:] - p[:-1] ** 2) ** 2 + (1 - p[:-1]) ** 2).sum()


def _quadratic_problem(seed=0, n=5):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, n))
    a = torch.tensor(q @ q.T / n + 0.1 * np.eye(n))
    b = torch.tensor(rng.normal(size=n))
    return lambda p: 0.5 * p @ a @ p - b @ p


PROBLEMS = {
    "rosenbrock5": (_rosenbrock, np.array([-1.2, 1.0, 0.5, -0.5, 0.8])),
    "quadratic5": (_quadratic_problem(), np.array([1.0, -2.0, 0.5, 3.0, -1.0])),
}


def _grad(f, params: np.ndarray) -> np.ndarray:
    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    f(p).backward()
    return p.grad.numpy().copy()


@pytest.mark.slow
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trajectory_equals_torch_optim(case, problem):
    _, name, hyper, torch_cls, torch_kwargs = case
    f, start = PROBLEMS[problem]
    ours = optim.make(name, **hyper)
    params = start.copy()
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    reference = torch_cls([p], foreach=False, **torch_kwargs)
    for _ in range(1000):
        params = ours.step(params, _grad(f, params))
        reference.zero_grad()
        f(p).backward()
        reference.step()
        np.testing.assert_allclose(params, p.detach().numpy(), rtol=1e-10, atol=1e-10)
    assert np.all(np.isfinite(params))
    assert float(f(torch.tensor(params))) < float(f(torch.tensor(start)))  # it did descend


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_float_per_coordinate_equals_the_array_path(name):
    hyper = {"lr": 0.01, "weight_decay": 0.05} if name not in ("adamw",) else {"lr": 0.01}
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(300, 3))
    array_opt = optim.make(name, **hyper)
    float_opts = [optim.make(name, **hyper) for _ in range(3)]
    params = np.array([0.5, -1.0, 2.0])
    floats = params.tolist()
    for g in grads:
        params = array_opt.step(params, g + params)  # the gradient depends on the point, as in descent
        floats = [o.step(x, gi + x) for o, x, gi in zip(float_opts, floats, g.tolist())]
        assert all(isinstance(x, float) for x in floats)
        np.testing.assert_allclose(floats, params, rtol=1e-14, atol=1e-15)


def test_reset_forgets_the_state():
    opt = optim.make("adam", lr=0.1)
    first = opt.step(1.0, 2.0)
    opt.step(first, 3.0)
    opt.reset()
    assert opt.step(1.0, 2.0) == first


def test_make_names_the_bad_argument():
    with pytest.raises(ValueError, match="optimizer"):
        optim.make("lbfgs", lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        optim.make("adam", lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        optim.make("nesterov", lr=0.1, momentum=0.0)
    with pytest.raises(ValueError, match="betas"):
        optim.make("adam", lr=0.1, betas=(0.9, 1.0))


def test_every_optimizer_has_a_formula():
    assert all(cls.FORMULA for cls, _ in optim.OPTIMIZERS.values())
