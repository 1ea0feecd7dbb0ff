"""The Optimizers and Schedules labs: one optimizer descending a 2-D surface.

The point (x, y) is kept as two Python floats and each coordinate gets its own optimizer
instance from `lab.optim`. That is exact, not an approximation: every update there acts
on each coordinate independently (the tests hold the float path to the numpy-array path),
and a float update costs far less than a numpy call on a 2-element array. The inner loop
binds everything to locals and builds each step's metrics as one dict literal, because the
Optimizers page races every optimizer for thousands of steps on every widget change.

Step 0 is the start point, before any update (its ``lr`` is the one the first update will
use); step t is the point after t updates, with the lr that update used. ``grad/norm`` is
the norm of the exact gradient at the point (the added noise is what the optimizer sees,
not what the surface has). A reduce-on-plateau schedule watches ``loss``.

Presets: `OPTIMIZER_PRESETS` and `SCHEDULE_PRESETS` (both in `PRESETS`) hold in
``Preset.config`` a dict name -> DescentConfig, one run per curve.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

import lab
from lab.config import field
from lab.constraints import Interval, Items, Nested, Options
from lab.experiments.descent import surfaces
from lab.optim import LABELS as OPTIMIZER_LABELS
from lab.optim import OPTIMIZERS, formula, make
from lab.optim_settings import OptimizerSettings
from lab.presets import Preset
from lab.records import RunResult, Step
from lab.schedules import ScheduleConfig
from lab.stopping import Decision, Divergence, Kind, Tolerance

#: Coordinates past this magnitude count as diverged, whatever the loss says (Beale stays
#: near 20.5 along the curve x * y^3 = 1 as y grows, so a point can run off with a bounded loss).
COORDINATE_LIMIT = 1e6

#: The momentum the momentum and nesterov optimizers take: above 0 (at 0 they are plain gd).
MOMENTUM_OF_MOMENTUM = Interval(Real, 0, 1, closed="neither")


@dataclass(frozen=True)
class DescentConfig(OptimizerSettings):
    """One optimizer on one surface, from one start point, for a budget of steps (the optimizer's settings: `OptimizerSettings`)."""

    lab: ClassVar[str] = "descent"

    surface: str = field("quadratic", help="loss surface: " + ", ".join(surfaces.SURFACES), allowed=Options(surfaces.SURFACES))
    optimizer: str = field("gd", help="optimizer: " + ", ".join(OPTIMIZERS) + " (nesterov is its own name)",
                           allowed=Options(OPTIMIZERS))
    lr: float = field(0.1, help="learning rate eta (the base lr when a schedule is set)", allowed=Interval(Real, 0, 100, closed="right"))
    steps: int = field(200, help="step budget: the most updates the run makes", allowed=Interval(Integral, 1, 1_000_000))
    start: tuple[float, float] | None = field(None, help="start point (x, y); None = the surface's default start",
                                              allowed=Items(Interval(Real), 2, 2))
    noise: float = field(0.0, help="std of Gaussian noise added to each gradient coordinate (sgd is meant with noise > 0)",
                         allowed=Interval(Real, 0, 1e4))
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule (default constant)", allowed=Nested(ScheduleConfig))
    tol: float = field(0.0, help="stop once the distance to the nearest known minimum is within tol; 0 disables",
                       allowed=Interval(Real, 0, 1e3))
    divergence: float = field(1e10, help="stop as diverged once |loss| passes this", allowed=Interval(Real, 0, 1e100, closed="right"))
    seed: int = field(0, help="seed of the gradient noise", allowed=Interval(Integral, 0, 2**32 - 1))

    def check(self) -> None:
        """Momentum and nesterov need momentum > 0 (`MOMENTUM_OF_MOMENTUM`); a start point lies inside `box`."""
        if self.momentum is not None and self.optimizer in ("momentum", "nesterov"):
            MOMENTUM_OF_MOMENTUM.check("momentum", self.momentum)
        if self.start is not None:
            for i, (value, (low, high)) in enumerate(zip(self.start, self.box)):
                Interval(Real, low, high).check(f"start[{i}]", value)

    @property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where a start point may lie: the surface's plot bounds widened by their width on each side."""
        (xmin, xmax), (ymin, ymax) = surfaces.get(self.surface).bounds
        w, h = xmax - xmin, ymax - ymin
        return (xmin - w, xmax + w), (ymin - h, ymax + h)

    def work(self) -> int:
        """Steps (one optimizer; a race of several counts each of its runs)."""
        return self.steps

    @property
    def budget(self) -> int:
        return self.steps

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else surfaces.get(self.surface).default_start

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
            Kind.DIVERGED,
            f"diverged at {self.unit} {n}: the point ({m['x']:.4g}, {m['y']:.4g}) is past |x|, |y| <= {COORDINATE_LIMIT:g}", n,
        )


class Descent:
    """The experiment: yields one Step per update; see the module docstring for the conventions."""

    def __init__(self, config: DescentConfig) -> None:
        self.config = config
        self.surface = surfaces.get(config.surface)
        hyper = config.optimizer_hyper()
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
        gap_of = surface.gap
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
        gap = hypot(x - mx, y - my) if one_minimum else gap_of(x, y)
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
                gap = hypot(x - mx, y - my) if one_minimum else gap_of(x, y)
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
            "formula": formula(self.config.optimizer),
            "optimizer": OPTIMIZER_LABELS[self.config.optimizer],
            "lr_cuts": self.policy.cuts,
        }


#: Per-surface learning rates that show each optimizer's character without diverging
#: (checked over 5000 steps from the surface's default start by the tests).
_DEFAULT_LR: dict[str, dict[str, float]] = {
    "quadratic": {"gd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05},
    "ravine": {"gd": 0.018, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05},
    "rosenbrock": {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 1.0, "rmsprop": 0.01, "adam": 0.05},
    "saddle": {"gd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.3, "rmsprop": 0.01, "adam": 0.01},
    "beale": {"gd": 0.01, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05},
    "himmelblau": {"gd": 0.01, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05},
    "rastrigin": {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.3, "rmsprop": 0.1, "adam": 0.05},
}

#: Optimizers whose defaults follow another's row of `_DEFAULT_LR`: sgd is gd with noise, and the
#: Adam family moves about lr per step as Adam does; RAdam's first steps (rho_t <= 5) are momentum SGD
#: on the bias-corrected average, so it takes the lr at which momentum is stable.
_LR_AS = {"sgd": "gd", "adamw": "adam", "adamax": "adam", "nadam": "adam", "radam": "momentum"}

#: Same on every surface: Adadelta's lr 1 is the method as published (its step sizes itself), and
#: Lion moves every coordinate by exactly lr, so a small lr keeps its final jitter small.
_FIXED_LR = {"adadelta": 1.0, "lion": 0.01}

#: Gradient-noise std for "sgd", scaled to each surface's typical gradient.
_DEFAULT_NOISE = {"quadratic": 1.0, "ravine": 1.0, "rosenbrock": 5.0, "saddle": 0.5, "beale": 0.5, "himmelblau": 2.0, "rastrigin": 2.0}


def default_hyper(surface: str, optimizer: str) -> dict[str, Any]:
    """DescentConfig fields (lr, and noise for sgd) that suit `optimizer` on `surface`."""
    DescentConfig.check_field("surface", surface)
    DescentConfig.check_field("optimizer", optimizer)
    if optimizer in _FIXED_LR:
        hyper: dict[str, Any] = {"lr": _FIXED_LR[optimizer]}
    else:
        hyper = {"lr": _DEFAULT_LR[surface][_LR_AS.get(optimizer, optimizer)]}
    if optimizer == "sgd":
        hyper["noise"] = _DEFAULT_NOISE[surface]
    return hyper


def race(
    surface: str,
    optimizers: dict[str, dict[str, Any]],
    steps: int = 1000,
    start: tuple[float, float] | None = None,
    tol: float = 0.0,
    seed: int = 0,
) -> dict[str, RunResult]:
    """Run several optimizers on one surface from one start, each through `lab.run`.

    `optimizers` maps a name to DescentConfig fields; the name is the optimizer unless the
    fields give ``"optimizer"`` (so {"gd, lr 1e-3": {"optimizer": "gd", "lr": 1e-3}} works).
    Fields not given come from `default_hyper`.
    """
    results = {}
    for name, fields in optimizers.items():
        fields = dict(fields)
        optimizer = fields.pop("optimizer", name)
        settings = {**default_hyper(surface, optimizer), **fields}
        config = DescentConfig(surface=surface, optimizer=optimizer, steps=steps, start=start, tol=tol, seed=seed, **settings)
        results[name] = lab.run(config)
    return results


_NOISY_BOWL = DescentConfig(surface="quadratic", optimizer="sgd", lr=0.1, noise=1.0, steps=2000, seed=0)
_SLOW_NOISY_BOWL = _NOISY_BOWL.replace(lr=0.01)

#: "Try this" presets of the Optimizers page. Their `config` is a dict name -> DescentConfig:
#: the page runs each (as `race` does) and overlays them.
OPTIMIZER_PRESETS: dict[str, Preset] = {
    "optimizers/momentum-ravine": Preset(
        "Momentum overshoots, then wins in the ravine",
        "GD at its largest stable lr zigzags across the steep wall and crawls along the floor. "
        "Momentum overshoots the minimum along the floor, swings back, and still arrives far sooner.",
        {
            "gd": DescentConfig(surface="ravine", optimizer="gd", lr=0.018, steps=1500, tol=1e-3),
            "momentum": DescentConfig(surface="ravine", optimizer="momentum", lr=0.01, steps=1500, tol=1e-3),
        },
    ),
    "optimizers/adam-vs-gd-rosenbrock": Preset(
        "Adam vs GD on Rosenbrock",
        "GD's lr must be small enough for the steep banana walls, so it creeps along the flat valley. "
        "Adam scales each coordinate's step by its gradient history and reaches the minimum first.",
        {
            "gd": DescentConfig(surface="rosenbrock", optimizer="gd", lr=1e-3, steps=1500, tol=1e-3),
            "adam": DescentConfig(surface="rosenbrock", optimizer="adam", lr=0.05, steps=1500, tol=1e-3),
        },
    ),
    "optimizers/too-large-lr": Preset(
        "The same lr: GD diverges, Adam does not",
        "GD's step is lr times the gradient, and Rosenbrock's walls are steep: at lr 0.02 the first steps fling the "
        "point out and GD diverges within a few steps. Adam divides by the gradient's own size, so each step moves "
        "about lr whatever the slope, and at the same lr it reaches the minimum.",
        {
            "gd": DescentConfig(surface="rosenbrock", optimizer="gd", lr=0.02, steps=3000, tol=1e-3),
            "adam": DescentConfig(surface="rosenbrock", optimizer="adam", lr=0.02, steps=3000, tol=1e-3),
        },
    ),
    "optimizers/momentum-optimum": Preset(
        "Momentum at its optimum",
        "In the ravine (curvatures 2 and 100, κ = 50) the best gradient descent can do is ρ = (κ − 1)/(κ + 1) = 0.96 per "
        "step. Momentum tuned near its optimum (η ≈ 4/(√λmax + √λmin)², μ ≈ ρ²) contracts by about (√κ − 1)/(√κ + 1) = 0.752: "
        "eight steps per decade instead of sixty. The rate readout holds each run to its theory.",
        {
            "gd": DescentConfig(surface="ravine", optimizer="gd", lr=0.0196, steps=1500, tol=0.0),
            "momentum": DescentConfig(surface="ravine", optimizer="momentum", lr=0.0304, momentum=0.57, steps=1500, tol=0.0),
        },
    ),
    "optimizers/stability-edge": Preset(
        "Past the stability edge",
        "Gradient descent is stable only for η < 2/λmax: 0.02 in the ravine, whose steep direction has curvature 100. At "
        "η = 0.021 each step multiplies the error along it by 1 − 2.1 = −1.1 and the run diverges. The stability map shows "
        "every lr past the edge diverging, and how momentum moves the edge to 2(1 + μ)/λmax.",
        {"gd": DescentConfig(surface="ravine", optimizer="gd", lr=0.021, steps=1000, tol=1e-3)},
    ),
    "optimizers/saddle-noise": Preset(
        "Saddle: GD lingers, noise escapes",
        "Started on the ridge line y = 0, GD slides into the saddle point at the origin and stays: the gradient "
        "vanishes there although it is no minimum. A little gradient noise pushes SGD off the ridge into a minimum.",
        {
            "gd": DescentConfig(surface="saddle", optimizer="gd", lr=0.05, steps=600, start=(1.5, 0.0), tol=0.1),
            "sgd": DescentConfig(surface="saddle", optimizer="sgd", lr=0.05, steps=600, start=(1.5, 0.0), noise=0.1, tol=0.1),
        },
    ),
}

#: "Try this" presets of the Schedules page: noisy SGD on the bowl, one dict name -> DescentConfig each.
SCHEDULE_PRESETS: dict[str, Preset] = {
    "schedules/noise-floor": Preset(
        "A constant lr stalls at a noise floor; a decaying one keeps converging",
        "With noisy gradients a constant lr makes every step jitter by about lr × noise, so the distance to the "
        "minimum stops shrinking. Decaying the lr (time-based, lr0 / (1 + d·t)) shrinks the jitter and the gap. "
        "Is that luck of the noise? Run 10 seeds in the seed spread below: the decaying lr ends closer on every "
        "seed, and the rank test says the difference holds across seeds.",
        {
            "constant": _NOISY_BOWL,
            "decaying": _NOISY_BOWL.replace(schedule=ScheduleConfig(name="time_based", decay=0.05)),
        },
    ),
    "schedules/step-decay": Preset(
        "Step decay: each drop lowers the floor",
        "Quartering the lr every 500 steps halves the jitter (its spread goes as √lr): the gap settles on a lower floor after each drop.",
        {"step": _NOISY_BOWL.replace(schedule=ScheduleConfig(name="step", factor=0.25, every=500))},
    ),
    "schedules/plateau": Preset(
        "Reduce on plateau cuts when the loss flattens",
        "The lr stays put while the loss falls; once the loss flattens at the noise floor and has not set a new best "
        "for `patience` steps, the lr is cut, and the floor drops below the constant lr's.",
        {
            "constant": _SLOW_NOISY_BOWL,
            "plateau": _SLOW_NOISY_BOWL.replace(schedule=ScheduleConfig(name="plateau", factor=0.5, patience=50, min_lr=1e-4)),
        },
    ),
}

#: Every preset of the two pages, keyed "optimizers/..." or "schedules/...".
PRESETS: dict[str, Preset] = {**OPTIMIZER_PRESETS, **SCHEDULE_PRESETS}

