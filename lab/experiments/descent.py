"""The Optimizers and Schedules labs: one optimizer descending a 2-D surface.

The point (x, y) is kept as two Python floats and each coordinate gets its own optimizer
instance from `lab.optim`. That is exact, not an approximation: every update there acts
on each coordinate independently (the tests hold the float path to the numpy-array path),
and a float update costs far less than a numpy call on a 2-element array. The inner loop
binds everything to locals and builds each step's metrics as one dict literal, because the
Optimizers page races all eight optimizers for thousands of steps on every widget change.

Step 0 is the start point, before any update (its ``lr`` is the one the first update will
use); step t is the point after t updates, with the lr that update used. ``grad/norm`` is
the norm of the exact gradient at the point (the added noise is what the optimizer sees,
not what the surface has). A reduce-on-plateau schedule watches ``loss``.

Presets: `OPTIMIZER_PRESETS` and `SCHEDULE_PRESETS` (both in `PRESETS`) hold in
``Preset.config`` a dict name -> DescentConfig, one run per curve; `run_preset` runs them.
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

#: Coordinates past this magnitude count as diverged, whatever the loss says (Beale stays
#: near 20.5 along the curve x * y^3 = 1 as y grows, so a point can run off with a bounded loss).
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
            f"diverged at {self.unit} {n}: the point ({m['x']:.4g}, {m['y']:.4g}) is past |x|, |y| <= {COORDINATE_LIMIT:g}", n,
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
            "formula": type(self.opt_x).FORMULA,
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

#: Gradient-noise std for "sgd", scaled to each surface's typical gradient.
_DEFAULT_NOISE = {"quadratic": 1.0, "ravine": 1.0, "rosenbrock": 5.0, "saddle": 0.5, "beale": 0.5, "himmelblau": 2.0, "rastrigin": 2.0}


def default_hyper(surface: str, optimizer: str) -> dict[str, Any]:
    """DescentConfig fields (lr, and noise for sgd) that suit `optimizer` on `surface`."""
    check_choice("surface", surface, surfaces.SURFACES)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    table = _DEFAULT_LR[surface]
    if optimizer in ("gd", "sgd"):
        hyper: dict[str, Any] = {"lr": table["gd"]}
    elif optimizer == "adamw":
        hyper = {"lr": table["adam"]}
    else:
        hyper = {"lr": table[optimizer]}
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
            "gd": DescentConfig(surface="rosenbrock", optimizer="gd", lr=1e-3, steps=1500),
            "adam": DescentConfig(surface="rosenbrock", optimizer="adam", lr=0.05, steps=1500),
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
    "optimizers/saddle-noise": Preset(
        "Saddle: GD lingers, noise escapes",
        "Started on the ridge line y = 0, GD slides into the saddle point at the origin and stays: the gradient "
        "vanishes there although it is no minimum. A little gradient noise pushes SGD off the ridge into a minimum.",
        {
            "gd": DescentConfig(surface="saddle", optimizer="gd", lr=0.05, steps=600, start=(1.5, 0.0)),
            "sgd": DescentConfig(surface="saddle", optimizer="sgd", lr=0.05, steps=600, start=(1.5, 0.0), noise=0.1),
        },
    ),
}

#: "Try this" presets of the Schedules page: noisy SGD on the bowl, one dict name -> DescentConfig each.
SCHEDULE_PRESETS: dict[str, Preset] = {
    "schedules/noise-floor": Preset(
        "A constant lr stalls at a noise floor; a decaying one keeps converging",
        "With noisy gradients a constant lr makes every step jitter by about lr × noise, so the distance to the "
        "minimum stops shrinking. Decaying the lr (time-based, lr0 / (1 + d·t)) shrinks the jitter and the gap.",
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


def run_preset(preset: Preset) -> dict[str, RunResult]:
    """Run each config of a preset through `lab.run` (with the preset's stop rule, if any)."""
    return {name: lab.run(config, stopping=preset.stopping) for name, config in preset.config.items()}
