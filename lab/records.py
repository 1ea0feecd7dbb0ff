"""What a run produces: one `Step` per step, the `Decision` that ended it (of a `Kind`), and a `RunResult` at the end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd


class Step(NamedTuple):
    """One step of a run, immutable: its index (iteration, epoch or episode) and its metrics.

    Metric names are prefixed (`train/loss`, `val/accuracy`, `kmeans/shift`, ...), so a
    history of steps maps straight onto a long table and an Altair ``color="metric"``.
    A named tuple rather than a dataclass because a run makes tens of thousands of them and
    creating one must cost well under a microsecond. Treat `metrics` as read-only.
    """

    step: int
    metrics: Mapping[str, float]


class Role(StrEnum):
    """What a decision means for the run, read by every banner, chart and score."""

    SUCCESS = "success"  #: it reached what it was after
    FAILURE = "failure"  #: it blew up
    NEUTRAL = "neutral"  #: it ran out of steps, or a sweep cut it short
    USER = "user"  #: the person stopped it


class Kind(StrEnum):
    """Why a run ended. The value is what the run store, run files and sweeps hold; `word` is
    what every page, chart and table shows; `role` is what the decision means."""

    word: str
    role: Role

    def __new__(cls, value: str, word: str, role: Role) -> Kind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.word = word
        member.role = role
        return member

    CONVERGED = "converged", "converged", Role.SUCCESS  #: a tolerance reached (a shift, a gap, a Q change)
    THRESHOLD = "threshold", "threshold", Role.SUCCESS  #: a stopping or reward threshold reached
    PATIENCE = "patience", "patience", Role.SUCCESS  #: no improvement for `patience` steps
    DIVERGED = "diverged", "diverged", Role.FAILURE  #: past a divergence threshold
    NON_FINITE = "non_finite", "not finite", Role.FAILURE  #: a NaN or an infinity
    BUDGET = "budget", "budget", Role.NEUTRAL  #: every step of the budget used
    PRUNED = "pruned", "pruned", Role.NEUTRAL  #: a sweep's pruner judged it worse than earlier trials
    CANCELLED = "cancelled", "stopped by you", Role.USER  #: stopped from outside (a widget change, Ctrl-C)

    @classmethod
    def parse(cls, name: object) -> Kind:
        """The kind called `name`, also under the names older versions stored (`LEGACY_KINDS`)."""
        if isinstance(name, str):
            name = LEGACY_KINDS.get(name, name)
        try:
            return cls(name)
        except ValueError:
            raise ValueError(f"kind={name!r:.40} is not allowed; choose one of {', '.join(cls)}") from None


#: Kinds under the names saved runs and sweeps of older versions hold.
LEGACY_KINDS = {"max_steps": Kind.BUDGET, "tolerance": Kind.CONVERGED}


@dataclass(frozen=True)
class Decision:
    """Why and when a run ended. `best_step` is the step a restoring rule went back to.

    `kind` may be given by name ("patience"); it is kept as a `Kind`.
    """

    kind: Kind
    reason: str
    step: int
    best_step: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind.parse(self.kind))

    @property
    def converged(self) -> bool:
        """True when the run ended because it reached what it was after."""
        return self.kind.role is Role.SUCCESS

    @property
    def failed(self) -> bool:
        """True when the run blew up (a non-finite value or past the divergence threshold)."""
        return self.kind.role is Role.FAILURE


@dataclass
class RunResult:
    """A finished run: the config it ran, every step, the decision that ended it."""

    config: Any
    steps: list[Step]
    decision: Decision
    artifacts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def history(self) -> pd.DataFrame:
        """The long table (step, metric, value) that every chart draws from."""
        return history_frame(self.steps)

    def series(self, metric: str) -> tuple[list[int], list[float]]:
        """Steps and values of one metric, skipping steps that did not record it."""
        xs, ys = [], []
        for s in self.steps:
            if metric in s.metrics:
                xs.append(s.step)
                ys.append(s.metrics[metric])
        return xs, ys

    def last(self, metric: str, default: float | None = None) -> float | None:
        """The last recorded value of a metric."""
        for s in reversed(self.steps):
            if metric in s.metrics:
                return s.metrics[metric]
        return default


def history_frame(steps: list[Step]) -> pd.DataFrame:
    """Steps as a long table with columns step, metric, value."""
    import pandas as pd

    rows = [(s.step, name, float(value)) for s in steps for name, value in s.metrics.items()]
    return pd.DataFrame(rows, columns=["step", "metric", "value"])
