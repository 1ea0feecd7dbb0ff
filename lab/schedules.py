"""Learning-rate schedules: pure functions of the step, and ReduceLROnPlateau.

Each schedule function returns ``t -> lr`` for integer ``t >= 0``, written as the formula is
taught (and as the pages show it); each equals the torch scheduler its docstring names, step by
step (tests/test_schedules.py). `ReduceLROnPlateau` follows ``torch.optim.lr_scheduler.ReduceLROnPlateau``
exactly. `ScheduleConfig` is what lab configs hold: it builds an `LRPolicy` that an
experiment asks for the lr of each step and tells the metric it saw.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

from lab.config import Config, field
from lab.constraints import Boolean, Interval, Items, Options
from lab.validation import check_choice, check_number

Schedule = Callable[[int], float]


def constant(lr0: float) -> Schedule:
    """lr0 at every step (torch: no scheduler, or LambdaLR(lambda t: 1))."""
    return lambda t: lr0


def exponential(lr0: float, decay: float) -> Schedule:
    """ExponentialLR with gamma = e^(-decay): lr0 * e^(-decay * t)."""
    return lambda t: lr0 * math.exp(-decay * t)


def time_based(lr0: float, decay: float) -> Schedule:
    """lr0 / (1 + decay * t) (torch: LambdaLR(lambda t: 1 / (1 + decay * t)))."""
    return lambda t: lr0 / (1 + decay * t)


def step_decay(lr0: float, factor: float, every: int) -> Schedule:
    """StepLR: lr0 * factor^floor(t / every), a drop by `factor` every `every` steps."""
    return lambda t: lr0 * factor ** (t // every)


def exponential_decay(lr0: float, decay_steps: int, decay_rate: float, staircase: bool = False) -> Schedule:
    """Keras' ExponentialDecay: lr0 * decay_rate^(t / decay_steps), the exponent floored if staircase.

    torch: StepLR(step_size=decay_steps, gamma=decay_rate) with staircase, else LambdaLR.
    """

    def lr(t: int) -> float:
        p = t / decay_steps
        return lr0 * decay_rate ** (math.floor(p) if staircase else p)

    return lr


def cosine(lr0: float, t_max: int, min_lr: float = 0.0) -> Schedule:
    """CosineAnnealingLR: min_lr + (lr0 - min_lr) * (1 + cos(pi * t / t_max)) / 2.

    Half a cosine from lr0 down to min_lr over t_max steps; past t_max the cosine goes on, back
    up to lr0 at 2 * t_max, as torch's recursive formula does (t=6, t_max=5, lr0=0.05: 0.0047746).
    That recursion restarts at each trough with its own rounding: past t_max the two agree to
    1e-12 relative for t_max up to 150 (about t_max^2 x 2e-17 beyond).
    """
    return lambda t: min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * t / t_max)) / 2


def multistep(lr0: float, milestones: tuple[int, ...], gamma: float) -> Schedule:
    """MultiStepLR: lr0 * gamma^(how many milestones are <= t); a milestone listed twice counts twice."""
    ordered = sorted(milestones)
    return lambda t: lr0 * gamma ** bisect.bisect_right(ordered, t)


def polynomial(lr0: float, total_iters: int, power: float = 1.0) -> Schedule:
    """PolynomialLR: lr0 * (1 - min(t, total_iters) / total_iters)^power, so 0 from total_iters on."""
    return lambda t: lr0 * (1.0 - min(t, total_iters) / total_iters) ** power


def cosine_restarts(lr0: float, t_0: int, t_mult: int = 1, min_lr: float = 0.0) -> Schedule:
    """CosineAnnealingWarmRestarts (SGDR): min_lr + (lr0 - min_lr) * (1 + cos(pi * t_cur / t_i)) / 2.

    t_cur counts the steps since the last restart; the first cycle is t_0 steps long, each next
    one t_mult times longer; at each restart the lr jumps back to lr0.
    """

    def lr(t: int) -> float:
        t_i, t_cur = t_0, t
        if t_mult == 1:
            t_cur = t % t_0
        while t_cur >= t_i:
            t_cur, t_i = t_cur - t_i, t_i * t_mult
        return min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * t_cur / t_i)) / 2

    return lr


CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def cyclic(lr0: float, max_lr: float, step_size_up: int, step_size_down: int | None = None,
           mode: str = "triangular", gamma: float = 1.0) -> Schedule:
    """CyclicLR: up from lr0 to max_lr in step_size_up steps, down in step_size_down, again and again.

    With cycle = floor(1 + t / L) (L = up + down steps) and x = 1 + t / L - cycle the place in
    the cycle (0 to 1), the height is x / r on the way up (x <= r = up / L) and (x - 1) / (r - 1)
    on the way down, and lr = lr0 + (max_lr - lr0) * height * scale, where scale is 1
    (triangular), 1 / 2^(cycle - 1) (triangular2: the amplitude halves each cycle) or gamma^t
    (exp_range). torch's CyclicLR also cycles the momentum; this is the lr only.
    """
    down = step_size_up if step_size_down is None else step_size_down
    length = float(step_size_up + down)
    ratio = step_size_up / length

    def lr(t: int) -> float:
        cycle = math.floor(1 + t / length)
        x = 1.0 + t / length - cycle
        height = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        # 2^(1 - cycle) is torch's 1 / 2.0 ** (cycle - 1), without its OverflowError after 1024 cycles
        scale = 1.0 if mode == "triangular" else math.ldexp(1.0, 1 - cycle) if mode == "triangular2" else gamma**t
        return lr0 + (max_lr - lr0) * height * scale

    return lr


ANNEALS = ("cos", "linear")


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3, anneal: str = "cos", div_factor: float = 25.0,
              final_div_factor: float = 1e4, three_phase: bool = False) -> Schedule:
    """OneCycleLR: from max_lr / div_factor up to max_lr, then down to (max_lr / div_factor) / final_div_factor.

    The climb ends at step pct_start * total_steps - 1, the descent at total_steps - 1; with
    three_phase the descent first returns to the initial lr (mirroring the climb), then falls to
    the final lr. Within a phase from a to b, at fraction p of it, the lr is
    b + (a - b) * (1 + cos(pi * p)) / 2 (anneal "cos") or a + (b - a) * p ("linear").
    torch's OneCycleLR also cycles the momentum; this is the lr only. torch raises past
    total_steps; here the lr holds its last value. Where a phase has no length (torch divides
    by zero: pct_start * total_steps = 1) it gives the phase's start.
    """
    initial = max_lr / div_factor
    final = initial / final_div_factor
    climb = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [(climb, initial, max_lr), (float(2 * pct_start * total_steps) - 2, max_lr, initial),
                  (total_steps - 1, initial, final)]
    else:
        phases = [(climb, initial, max_lr), (total_steps - 1, max_lr, final)]

    def between(a: float, b: float, p: float) -> float:
        if anneal == "cos":
            return b + (a - b) / 2.0 * (math.cos(math.pi * p) + 1)
        return (b - a) * p + a

    def lr(t: int) -> float:
        t = min(t, total_steps - 1)
        start, phase = 0.0, phases[-1]
        for candidate in phases[:-1]:
            if t <= candidate[0]:
                phase = candidate
                break
            start = candidate[0]
        end, a, b = phase
        return between(a, b, (t - start) / (end - start) if end != start else 0.0)

    return lr


def warmup(schedule: Schedule, warmup_steps: int) -> Schedule:
    """A linear ramp schedule(0) * (t + 1) / warmup_steps for the first steps, then `schedule` from its start.

    torch writes it SequentialLR([LinearLR(start_factor=1 / w, total_iters=w - 1), schedule], milestones=[w]);
    its ramp climbs to the optimizer's initial lr, which is schedule(0) for every schedule here except a
    one-cycle whose climb ends before step 0 (pct_start * total_steps < 1).
    """
    if warmup_steps <= 0:
        return schedule
    return lambda t: schedule(0) * (t + 1) / warmup_steps if t < warmup_steps else schedule(t - warmup_steps)


class ReduceLROnPlateau:
    """Cut the lr by `factor` when the metric has not improved for more than `patience` steps.

    Same rule as torch's: improvement in "rel" mode is ``value < best * (1 - threshold)``
    (mode "min"), in "abs" mode ``value < best - threshold``; after a cut, `cooldown` steps
    count no bad steps; a cut smaller than `eps` is skipped; the lr never goes below min_lr.
    """

    def __init__(
        self,
        lr0: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        check_number("lr0", lr0, 0, low_open=True)
        check_choice("mode", mode, ("min", "max"))
        check_number("factor", factor, 0, 1, low_open=True, high_open=True)
        check_number("patience", patience, 0, integer=True)
        check_number("threshold", threshold, 0)
        check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        check_number("cooldown", cooldown, 0, integer=True)
        check_number("min_lr", min_lr, 0)
        check_number("eps", eps, 0)
        self.lr0, self.mode, self.factor, self.patience = lr0, mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lr, self.eps = min_lr, eps
        self.reset()

    def reset(self) -> None:
        self.lr = self.lr0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad = 0
        self.cooldown_counter = 0
        self.cuts: list[int] = []
        self.updates = 0

    def _better(self, value: float) -> bool:
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold)

    def update(self, value: float) -> float:
        """Tell the rule the metric of the step just done; returns the lr for the next one."""
        self.updates += 1
        if self._better(value):
            self.best = value
            self.num_bad = 0
        else:
            self.num_bad += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad = 0
        if self.num_bad > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
                self.cuts.append(self.updates)
            self.cooldown_counter = self.cooldown
            self.num_bad = 0
        return self.lr


class LRPolicy:
    """What an experiment asks: the lr of step t, and (for plateau) the metric after it."""

    def __init__(self, schedule: Schedule | None = None, plateau: ReduceLROnPlateau | None = None) -> None:
        self.schedule, self.plateau = schedule, plateau

    def lr(self, t: int) -> float:
        return self.plateau.lr if self.plateau is not None else self.schedule(t)

    def observe(self, value: float) -> None:
        if self.plateau is not None and math.isfinite(value):
            self.plateau.update(value)

    @property
    def cuts(self) -> list[int]:
        """Steps after which ReduceLROnPlateau cut the lr (empty for the other schedules)."""
        return list(self.plateau.cuts) if self.plateau is not None else []


SCHEDULES = ("constant", "exponential", "time_based", "step", "multistep", "exponential_decay", "polynomial",
             "cosine", "cosine_restarts", "cyclic", "onecycle", "plateau")

LABELS = {
    "constant": "Constant", "exponential": "Exponential  lr0·e^(−d·t)", "time_based": "Time-based  lr0/(1+d·t)",
    "step": "Step  lr0·f^⌊t/every⌋", "multistep": "Multi-step  lr0·f^(milestones passed)",
    "exponential_decay": "Staircase/exponential (Keras)", "polynomial": "Polynomial  lr0·(1−t/T)^p",
    "cosine": "Cosine", "cosine_restarts": "Cosine with warm restarts (SGDR)", "cyclic": "Cyclic (CLR)",
    "onecycle": "One cycle", "plateau": "Reduce on plateau",
}


@dataclass(frozen=True)
class ScheduleConfig(Config):
    """Which schedule, and its settings; the base lr and the run length come from the lab's config.

    The base lr lr0 is where each schedule starts, except for onecycle, whose peak it is (torch's max_lr).
    """

    name: str = field("constant", help="schedule: " + ", ".join(SCHEDULES), allowed=Options(SCHEDULES))
    decay: float = field(0.01, help="decay rate d of exponential and time-based schedules", allowed=Interval(Real, 0, None))
    factor: float = field(0.5, help="multiplier at each drop (step, multistep, exponential_decay rate, plateau cut)",
                          allowed=Interval(Real, 0, 1, closed="neither"))
    every: int = field(100, help="steps between drops (step), or Keras' decay_steps (exponential_decay)",
                       allowed=Interval(Integral, 1, None))
    milestones: tuple[int, ...] = field((50, 100, 150), help="multistep: the steps at which the lr is multiplied by factor",
                                        allowed=Items(Interval(Integral, 1, None), 1, 16))
    staircase: bool = field(False, help="exponential_decay: floor the exponent, so the lr drops in stairs", allowed=Boolean())
    span: int | None = field(None, help="steps the schedule spans: cosine's T_max, polynomial's total_iters, onecycle's "
                             "total_steps (None: the whole run after warmup)", allowed=Interval(Integral, 1, None))
    power: float = field(1.0, help="polynomial: the power of (1 - t/T)", allowed=Interval(Real, 0, 100, closed="right"))
    min_lr: float = field(0.0, help="floor of the cosine, cosine_restarts and plateau schedules", allowed=Interval(Real, 0, None))
    t_0: int = field(50, help="cosine_restarts: steps of the first cycle", allowed=Interval(Integral, 1, None))
    t_mult: int = field(1, help="cosine_restarts: each cycle is t_mult times longer than the one before",
                        allowed=Interval(Integral, 1, 16))
    max_factor: float = field(10.0, help="cyclic: the top of the cycle, max_lr = max_factor x lr0",
                              allowed=Interval(Real, 0, 1e6, closed="right"))
    step_size_up: int = field(50, help="cyclic: steps from lr0 up to max_lr", allowed=Interval(Integral, 1, None))
    step_size_down: int | None = field(None, help="cyclic: steps from max_lr back down (None: step_size_up)",
                                       allowed=Interval(Integral, 1, None))
    mode: str = field("triangular", help="cyclic: " + ", ".join(CYCLIC_MODES), allowed=Options(CYCLIC_MODES))
    gamma: float = field(0.999, help="cyclic exp_range: the amplitude shrinks by gamma each step",
                         allowed=Interval(Real, 0, 1, closed="right"))
    pct_start: float = field(0.3, help="onecycle: fraction of the steps spent climbing", allowed=Interval(Real, 0, 1))
    anneal: str = field("cos", help="onecycle: cos or linear between the phase ends", allowed=Options(ANNEALS))
    div_factor: float = field(25.0, help="onecycle: the first lr is lr0 / div_factor (at least 1: it climbs to lr0)",
                              allowed=Interval(Real, 1, 1e12))
    final_div_factor: float = field(1e4, help="onecycle: the last lr is the first lr / final_div_factor (at least 1)",
                                    allowed=Interval(Real, 1, 1e12))
    three_phase: bool = field(False, help="onecycle: come back down to the first lr, then anneal to the last", allowed=Boolean())
    warmup_steps: int = field(0, help="linear warmup steps before the schedule starts (not for plateau)",
                              allowed=Interval(Integral, 0, None))
    patience: int = field(10, help="plateau: bad steps tolerated before a cut", allowed=Interval(Integral, 0, None))
    threshold: float = field(1e-4, help="plateau: relative improvement that counts", allowed=Interval(Real, 0, None))
    cooldown: int = field(0, help="plateau: steps after a cut during which no bad steps count", allowed=Interval(Integral, 0, None))

    def function(self, lr0: float, total_steps: int) -> Schedule:
        """The schedule as t -> lr (plateau has none: it depends on the metric; it gives lr0)."""
        span = self.span if self.span is not None else max(1, total_steps - self.warmup_steps)
        min_lr = min(self.min_lr, lr0)
        build: dict[str, Callable[[], Schedule]] = {
            "exponential": lambda: exponential(lr0, self.decay),
            "time_based": lambda: time_based(lr0, self.decay),
            "step": lambda: step_decay(lr0, self.factor, self.every),
            "multistep": lambda: multistep(lr0, self.milestones, self.factor),
            "exponential_decay": lambda: exponential_decay(lr0, self.every, self.factor, self.staircase),
            "polynomial": lambda: polynomial(lr0, span, self.power),
            "cosine": lambda: cosine(lr0, span, min_lr),
            "cosine_restarts": lambda: cosine_restarts(lr0, self.t_0, self.t_mult, min_lr),
            "cyclic": lambda: cyclic(lr0, self.max_factor * lr0, self.step_size_up, self.step_size_down, self.mode, self.gamma),
            "onecycle": lambda: one_cycle(lr0, span, self.pct_start, self.anneal, self.div_factor, self.final_div_factor,
                                          self.three_phase),
        }
        return warmup(build.get(self.name, lambda: constant(lr0))(), self.warmup_steps)

    def policy(self, lr0: float, total_steps: int) -> LRPolicy:
        """A fresh policy for one run."""
        if self.name == "plateau":
            plateau = ReduceLROnPlateau(lr0, factor=self.factor, patience=self.patience, threshold=self.threshold,
                                        cooldown=self.cooldown, min_lr=min(self.min_lr, lr0))
            return LRPolicy(plateau=plateau)
        return LRPolicy(schedule=self.function(lr0, total_steps))
