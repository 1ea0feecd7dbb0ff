"""What a run produces: one `Step` per step, and a `RunResult` at the end."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

    from lab.stopping import Decision


class Step(NamedTuple):
    """One step of a run, immutable: its index (iteration, epoch or episode) and its metrics.

    Metric names are prefixed (`train/loss`, `val/accuracy`, `kmeans/shift`, ...), so a
    history of steps maps straight onto a long table and an Altair ``color="metric"``.
    A named tuple rather than a dataclass because a run makes tens of thousands of them and
    creating one must cost well under a microsecond. Treat `metrics` as read-only.
    """

    step: int
    metrics: Mapping[str, float]


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
