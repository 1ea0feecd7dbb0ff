"""What a sweep optimizes: one metric of a finished run, with steps-to-converge as a tie-break.

A single objective keeps the grid, random and TPE samplers and the median pruner all usable:
``value = metric + sign * TIE_BREAK * (1 + |metric|) * steps / budget``, where `steps` is the
step of the decision when the run converged (a kind whose role is success) and the budget
otherwise. The term is at most a billionth of (1 + |metric|), so it only orders runs
whose metric ties (say two configs that both reach the tolerance), favouring the faster
one. The raw metric and the steps are kept on each trial for tables and charts.

A run that failed (diverged or went non-finite) scores the worst value (inf when minimizing):
whatever its metric was before it blew up, the config is not a good one.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

from lab.records import RunResult, Step

#: Relative weight of steps-to-converge next to the metric (see the module docstring).
TIE_BREAK = 1e-9


@dataclass(frozen=True)
class Objective:
    """The `metric` to `direction` ("min"/"max"), taken as its best over the run or its `last` value."""

    metric: str = "loss"
    direction: str = "min"
    take: str = "best"

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise ValueError(f"metric={self.metric!r} is not allowed; give a metric name such as val/loss")
        if self.direction not in ("min", "max"):
            raise ValueError(f"direction={self.direction!r} is not allowed; choose 'min' or 'max'")
        if self.take not in ("best", "last"):
            raise ValueError(f"take={self.take!r} is not allowed; choose 'best' or 'last'")

    @property
    def sign(self) -> int:
        return 1 if self.direction == "min" else -1

    @property
    def worst(self) -> float:
        return math.inf * self.sign

    @property
    def optuna_direction(self) -> str:
        return "minimize" if self.direction == "min" else "maximize"

    def tracker(self) -> _Tracker:
        """Follows the metric step by step (what the pruner is shown)."""
        return _Tracker(self)

    def metric_value(self, result: RunResult) -> float:
        """The metric of a finished run (best or last); the worst value if it never appeared."""
        tracker = self.tracker()
        for step in result.steps:
            tracker.update(step)
        return tracker.value

    def steps(self, result: RunResult) -> int:
        """Steps to converge: the decision's step if the run converged, else its budget."""
        if result.decision.converged:
            return result.decision.step
        budget = getattr(result.config, "budget", None)
        if budget:
            return int(budget)
        return result.steps[-1].step + 1 if result.steps else 0

    def score(self, result: RunResult) -> tuple[float, float, int]:
        """(objective value, metric, steps) of a finished run."""
        steps = self.steps(result)
        metric = self.metric_value(result)
        if result.decision.failed or not math.isfinite(metric):
            return self.worst, metric, steps
        budget = getattr(result.config, "budget", None) or max(steps, 1)
        value = metric + self.sign * TIE_BREAK * (1 + abs(metric)) * steps / budget
        return value, metric, steps

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Objective:
        return cls(**json.loads(text))


class _Tracker:
    def __init__(self, objective: Objective) -> None:
        self.metric = objective.metric
        self.best = objective.take == "best"
        self.sign = objective.sign
        self.value = objective.worst
        self.seen = False

    def update(self, step: Step) -> bool:
        """Take one step's metric; True if the step recorded it."""
        value = step.metrics.get(self.metric)
        if value is None:
            return False
        value = float(value)
        if not self.best or not self.seen:
            self.value = value if math.isfinite(value) else self.sign * math.inf
        elif math.isfinite(value) and self.sign * value < self.sign * self.value:
            self.value = value
        self.seen = True
        return True
