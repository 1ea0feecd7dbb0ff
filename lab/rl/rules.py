"""The Q-learning lab's own stop rule: the env's reward threshold reached on a rolling window."""

from __future__ import annotations

from collections import deque

from lab.records import Step
from lab.stopping import Decision, Rule, _fmt, count
from lab.validation import check_number


class RollingThreshold(Rule):
    """Stop once the mean of `monitor` over the last `window` steps is at least `threshold`.

    Gymnasium's specs call a task solved at a ``reward_threshold`` of the average return
    (FrozenLake 0.70, Taxi 8); the mean is taken only over a full window.
    """

    def __init__(self, monitor: str, threshold: float, window: int, what: str | None = None) -> None:
        check_number("reward_threshold", threshold)
        check_number("window", window, 1, integer=True)
        self.monitor, self.threshold, self.window = monitor, threshold, window
        self.what = what or monitor
        self.reset()

    def _params(self) -> dict:
        return {"monitor": self.monitor, "threshold": self.threshold, "window": self.window}

    def reset(self) -> None:
        self.values: deque[float] = deque(maxlen=self.window)

    def update(self, step: Step) -> Decision | None:
        value = step.metrics.get(self.monitor)
        if value is None:
            return None
        self.values.append(value)
        if len(self.values) < self.window:
            return None
        mean = sum(self.values) / self.window
        if mean >= self.threshold:
            return Decision(
                True, "threshold",
                f"solved at {self.unit} {step.step}: the mean {self.what} over the last {count(self.window, self.unit)} "
                f"is {_fmt(mean)}, at or above the threshold {_fmt(self.threshold)}",
                step.step,
            )
        return None
