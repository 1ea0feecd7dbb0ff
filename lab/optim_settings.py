"""The optimizer settings a lab config carries: one field per `lab.optim` hyperparameter, declared there.

A config that trains with `lab.optim`'s optimizers inherits `OptimizerSettings` and declares its own
``optimizer`` (the names it offers) and ``lr`` (its default); a lab that shows weight decay as a
penalty of its own (0 = none, for every optimizer) redeclares ``weight_decay``. Every hyperparameter is a field here whose constraint and meaning are
`lab.optim.PARAMETERS`' and whose default is None: the chosen optimizer's own default (Lion's betas
are (0.9, 0.99), the Adam family's (0.9, 0.999)). Validation, the widgets' ranges, links and the
sweep space read those fields as they read any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

from lab.config import Config, field
from lab.constraints import Interval, Nested, Options
from lab.optim import HYPER, OPTIMIZERS, PARAMETERS
from lab.schedules import ScheduleConfig


def optimizer_field(offered: tuple[str, ...], default: str = "adam") -> Any:
    """A trained lab's ``optimizer`` field: one of the names it offers."""
    return field(default, help="optimizer: " + ", ".join(offered), allowed=Options(offered))


def lr_field(default: float) -> Any:
    """A trained lab's ``lr`` field: the base learning rate the schedule starts from."""
    return field(default, help="base learning rate", allowed=Interval(Real, 0, 100, closed="right"))


def schedule_field() -> Any:
    """A trained lab's ``schedule`` field: the learning-rate schedule over its epochs."""
    return field(ScheduleConfig(), help="learning-rate schedule over epochs (plateau watches val/loss)", allowed=Nested(ScheduleConfig))


def own_defaults(name: str) -> str:
    """Each optimizer's default of hyperparameter `name`, in words ("1e-10 adagrad, 1e-06 adadelta, 1e-08 others")."""
    by_value: dict[Any, list[str]] = {}
    for optimizer, (cls, fixed) in OPTIMIZERS.items():
        if name in HYPER[optimizer]:
            by_value.setdefault(repr({**cls.DEFAULTS, **fixed}[name]), []).append(optimizer)
    if len(by_value) == 1:
        return next(iter(by_value))
    common = max(by_value, key=lambda v: len(by_value[v]))
    return ", ".join([f"{v} {'/'.join(names)}" for v, names in by_value.items() if v != common] + [f"{common} others"])


def setting(name: str) -> Any:
    """The config field of hyperparameter `name`: None = the optimizer's own default."""
    return field(None, help=f"{PARAMETERS[name].help}; None = the optimizer's own ({own_defaults(name)})",
                 allowed=PARAMETERS[name].allowed)


@dataclass(frozen=True)
class OptimizerSettings(Config):
    """The hyperparameters of every offered optimizer, as config fields (each used only by the optimizers that take it)."""

    momentum: float | None = setting("momentum")
    dampening: float | None = setting("dampening")
    alpha: float | None = setting("alpha")
    centered: bool | None = setting("centered")
    rho: float | None = setting("rho")
    betas: tuple[float, float] | None = setting("betas")
    amsgrad: bool | None = setting("amsgrad")
    momentum_decay: float | None = setting("momentum_decay")
    lr_decay: float | None = setting("lr_decay")
    initial_accumulator_value: float | None = setting("initial_accumulator_value")
    eps: float | None = setting("eps")
    weight_decay: float | None = setting("weight_decay")

    def optimizer_hyper(self) -> dict[str, Any]:
        """The keyword arguments for `lab.optim.make`: those `lab.optim.HYPER` says the optimizer takes, None left out."""
        values = {k: getattr(self, k) for k in HYPER[self.optimizer]}  # type: ignore[attr-defined]
        return {k: v for k, v in values.items() if v is not None}

    def optimizer_setting(self, name: str) -> Any:
        """Hyperparameter `name` as the chosen optimizer runs it: this config's value, else the optimizer's own default."""
        value = getattr(self, name)
        if value is not None:
            return value
        cls, fixed = OPTIMIZERS[self.optimizer]  # type: ignore[attr-defined]
        return {**cls.DEFAULTS, **fixed}.get(name)
