"""The Optimizers and Schedules labs: one optimizer descending a 2-D surface.

The point (x, y) is kept as two Python floats and each coordinate gets its own optimizer
instance from `lab.optim`. That is exact, not an approximation: every update there acts
on each coordinate independently (the tests hold the float path to the numpy-array path),
and a float update costs far less than a numpy call on a 2-element array. The inner loop
binds everything to locals and builds each step's metrics as one dict literal, because the
Optimizers page races all eight optimizers for thousands of steps on every widget change.

Step 0 is the start point, before any update; step t is the point after t updates, with
the lr that update used. ``grad/norm`` is the norm of the exact gradient at the point
(the added noise is what the optimizer sees, not what the surface has).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

import lab
from lab import surfaces
from lab.config import Config, field
from lab.optim import LABELS as OPTIMIZER_LABELS
from lab.optim import OPTIMIZERS, make
from lab.presets import Preset
from lab.records import RunResult, Step
from lab.schedules import ScheduleConfig
from lab.stopping import Decision, Divergence, Tolerance
from lab.validation import check_choice, check_number, check_vector

#: Coordinates past this magnitude count as diverged, whatever the loss says (Beale is
#: flat along x = 0, so a point can run off to infinity there with a bounded loss).
COORDINATE_LIMIT = 1e6

#: Which DescentConfig fields each optimizer takes (the rest are ignored for it).
HYPER: dict[str, tuple[str, ...]] = {
    "gd": ("lr", "weight_decay"),
    "sgd": ("lr", "weight_decay"),
    "momentum": ("lr", "momentum", "weight_decay"),
    "nesterov": ("lr", "momentum", "weight_decay"),
    "adagrad": ("lr", "eps", "weight_decay"),
    "rmsprop": ("lr", "alpha", "eps", "momentum", "weight_decay"),
    "adam": ("lr", "betas", "eps", "weight_decay"),
    "adamw": ("lr", "betas", "eps", "weight_decay"),
}


@dataclass(frozen=True)
class DescentConfig(Config):
    """One optimizer on one surface, from one start point, for a budget of steps."""

    lab: ClassVar[str] = "descent"

    surface: str = field("quadratic", help="loss surface: " + ", ".join(surfaces.SURFACES))
    optimizer: str = field("gd", help="optimizer: " + ", ".join(OPTIMIZERS) + " (nesterov is its own name)")
    lr: float = field(0.1, help="learning rate eta (the base lr when a schedule is set)")
    momentum: float | None = field(
        None, help="momentum mu for momentum, nesterov and rmsprop; None = the optimizer's default (0.9, 0.9, 0)"
    )
    alpha: float = field(0.99, help="rmsprop: decay of the running average of squared gradients")
    betas: tuple[float, float] = field((0.9, 0.999), help="adam/adamw: decays of the first and second moment averages")
    eps: float | None = field(None, help="adagrad/rmsprop/adam: added to the denominator; None = default (1e-10 adagrad, 1e-8 others)")
    weight_decay: float | None = field(None, help="L2 penalty (decoupled for adamw); None = default (0.01 adamw, 0 others)")
    steps: int = field(200, help="step budget: the most updates the run makes")
    start: tuple[float, float] | None = field(None, help="start point (x, y); None = the surface's default start")
    noise: float = field(0.0, help="std of Gaussian noise added to each gradient coordinate (sgd is meant with noise > 0)")
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule (default constant)")
    tol: float = field(0.0, help="stop once the distance to the nearest known minimum is within tol; 0 disables")
    divergence: float = field(1e10, help="stop as diverged once |loss| passes this")
    seed: int = field(0, help="seed of the gradient noise")

    def __post_init__(self) -> None:
        check_choice("surface", self.surface, surfaces.SURFACES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_number("lr", self.lr, 0, 100, low_open=True)
        if self.momentum is not None:
            if self.optimizer in ("momentum", "nesterov"):
                check_number("momentum", self.momentum, 0, 1, low_open=True, high_open=True)
            else:
                check_number("momentum", self.momentum, 0, 1, high_open=True)
        check_number("alpha", self.alpha, 0, 1, high_open=True)
        check_vector("betas", self.betas, 2, 0, 1)
        for i, beta in enumerate(self.betas):
            check_number(f"betas[{i}]", beta, 0, 1, high_open=True)
        if self.eps is not None:
            check_number("eps", self.eps, 0, 1, low_open=True)
        if self.weight_decay is not None:
            check_number("weight_decay", self.weight_decay, 0, 10)
        check_number("steps", self.steps, 1, 1_000_000, integer=True)
        if self.start is not None:
            (xmin, xmax), (ymin, ymax) = self.box
            check_vector("start", self.start, 2)
            check_number("start[0]", self.start[0], xmin, xmax)
            check_number("start[1]", self.start[1], ymin, ymax)
        check_number("noise", self.noise, 0, 1e4)
        if not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(f"schedule={self.schedule!r} is not allowed; give a lab.schedules.ScheduleConfig")
        check_number("tol", self.tol, 0, 1e3)
        check_number("divergence", self.divergence, 0, 1e100, low_open=True)
        check_number("seed", self.seed, 0, 2**32 - 1, integer=True)

    @property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where a start point may lie: the surface's plot bounds widened by their width on each side."""
        (xmin, xmax), (ymin, ymax) = surfaces.get(self.surface).bounds
        w, h = xmax - xmin, ymax - ymin
        return (xmin - w, xmax + w), (ymin - h, ymax + h)

    @property
    def budget(self) -> int:
        return self.steps

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else surfaces.get(self.surface).default_start

    def hyper(self) -> dict[str, Any]:
        """The keyword arguments for `lab.optim.make`: only those the optimizer takes, None left out."""
        values = {"lr": self.lr, "momentum": self.momentum, "alpha": self.alpha, "betas": self.betas,
                  "eps": self.eps, "weight_decay": self.weight_decay}
        return {k: values[k] for k in HYPER[self.optimizer] if values[k] is not None}

    def experiment(self) -> Descent:
        return Descent(self)

    def rules(self) -> list[Any]:
        rules: list[Any] = [Runaway("loss", self.divergence)]
        if self.tol > 0:
            rules.append(Tolerance("gap/optimum", self.tol, what="the distance to the nearest minimum (gap/optimum)"))
        return rules


class Runaway(Divergence):
    """`Divergence` on the loss that also stops once x or y passes `COORDINATE_LIMIT`."""

    def update(self, step: Step) -> Decision | None:
        m = step.metrics
        value = m[self.monitor]
        limit = self.threshold
        if -limit <= value <= limit and -COORDINATE_LIMIT <= m["x"] <= COORDINATE_LIMIT and -COORDINATE_LIMIT <= m["y"] <= COORDINATE_LIMIT:
            return None
        decision = super().update(step)
        if decision is not None:
            return decision
        n = step.step
        return Decision(
            True, "diverged",
            f"diverged at step {n}: the point ({m['x']:.4g}, {m['y']:.4g}) is past |x|, |y| <= {COORDINATE_LIMIT:g}", n,
        )


class Descent:
    """The experiment: yields one Step per update; see the module docstring for the conventions."""

    def __init__(self, config: DescentConfig) -> None:
        self.config = config
        self.surface = surfaces.get(config.surface)
        hyper = config.hyper()
        self.opt_x = make(config.optimizer, **hyper)
        self.opt_y = make(config.optimizer, **hyper)
        self.policy = config.schedule.policy(config.lr, config.steps)
        self.point = config.start_point
        self.first_within_tol: int | None = None

    def steps(self):
        cfg = self.config
        surface = self.surface
        value_grad = surface.value_grad
        one_minimum = len(surface.minima) == 1
        mx, my = surface.minima[0]
        nearest = surface.nearest_minimum
        hypot = math.hypot
        new = tuple.__new__
        step_cls = Step
        inf = math.inf
        opt_x, opt_y = self.opt_x, self.opt_y
        step_x, step_y = opt_x.step, opt_y.step
        fixed_lr = cfg.schedule.name == "constant" and cfg.schedule.warmup_steps == 0
        plateau = cfg.schedule.name == "plateau"
        lr_of = self.policy.lr
        observe = self.policy.observe
        n = cfg.steps
        if cfg.noise > 0:
            draws = cfg.noise * np.random.default_rng(cfg.seed).standard_normal((2, n))
            noise_x, noise_y = draws[0].tolist(), draws[1].tolist()
        else:
            noise_x, noise_y = itertools.repeat(0.0, n), itertools.repeat(0.0, n)
        tol = cfg.tol if cfg.tol > 0 else -1.0
        hit = None

        x, y = float(self.point[0]), float(self.point[1])
        f, gx, gy = value_grad(x, y)
        gap = hypot(x - mx, y - my) if one_minimum else nearest(x, y)[1]
        lr = lr_of(0)
        if gap <= tol:
            hit = 0
        try:
            yield new(step_cls, (0, {"loss": f, "gap/optimum": gap, "grad/norm": hypot(gx, gy), "x": x, "y": y, "lr": lr}))
            for t, ex, ey in zip(range(1, n + 1), noise_x, noise_y):
                if not fixed_lr:
                    lr = lr_of(t - 1)
                    opt_x.lr = opt_y.lr = lr
                x = step_x(x, gx + ex)
                y = step_y(y, gy + ey)
                f, gx, gy = value_grad(x, y)
                gap = hypot(x - mx, y - my) if one_minimum else nearest(x, y)[1]
                gnorm = hypot(gx, gy)
                if f - f != 0.0:
                    f, gnorm, gap, x, y = (inf if v != v else v for v in (f, gnorm, gap, x, y))
                if gap <= tol and hit is None:
                    hit = t
                if plateau:
                    observe(f)
                yield new(step_cls, (t, {"loss": f, "gap/optimum": gap, "grad/norm": gnorm, "x": x, "y": y, "lr": lr}))
        finally:
            self.point = (x, y)
            self.first_within_tol = hit

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        x, y = self.point
        minimum, gap = self.surface.nearest_minimum(x, y)
        return {
            "final": (x, y),
            "nearest_minimum": minimum,
            "gap": gap,
            "steps_to_tol": self.first_within_tol,
            "formula": type(self.opt_x).FORMULA,
            "optimizer": OPTIMIZER_LABELS[self.config.optimizer],
            "lr_cuts": self.policy.cuts,
        }
