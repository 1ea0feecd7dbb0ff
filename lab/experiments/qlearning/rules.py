"""The Q-learning lab's own stop rules: Q settled while the agent reaches the goal; the env's reward threshold."""

from __future__ import annotations

from collections import deque

from lab.records import Decision, Kind, Step
from lab.stopping.rules import Rule, _fmt, count
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
                Kind.THRESHOLD,
                f"solved at {self.unit} {step.step}: the mean {self.what} over the last {count(self.window, self.unit)} "
                f"is {_fmt(mean)}, at or above the threshold {_fmt(self.threshold)}",
                step.step,
            )
        return None


class Settled(Rule):
    """Converged once the largest Q change stays within `q_tol` for `window` episodes in a row,
    in a window where the agent reached the goal at least once.

    Before the agent has ever seen the goal's reward (FrozenLake pays only there), every target
    is 0 + gamma * 0, so Q does not change: a bare tolerance on the change would call an agent
    that has learned nothing converged. Zero change counts only while the agent is reaching the goal.
    """

    def __init__(self, monitor: str, q_tol: float, window: int, success: str = "rolling/success",
                 what: str | None = None) -> None:
        check_number("q_tol", q_tol, 0)
        check_number("window", window, 1, integer=True)
        self.monitor, self.q_tol, self.window, self.success = monitor, q_tol, window, success
        self.what = what or monitor
        self.reset()

    def _params(self) -> dict:
        return {"monitor": self.monitor, "q_tol": self.q_tol, "window": self.window, "success": self.success}

    def reset(self) -> None:
        self.run = 0

    def update(self, step: Step) -> Decision | None:
        value = step.metrics.get(self.monitor)
        if value is None:
            return None
        self.run = self.run + 1 if value <= self.q_tol else 0
        reached = step.metrics.get(self.success, 0.0)
        if self.run >= self.window and reached > 0:
            return Decision(
                Kind.CONVERGED,
                f"converged at {self.unit} {step.step}: {self.what} = {_fmt(value)} is within tol {_fmt(self.q_tol)} "
                f"for {count(self.window, self.unit)} in a row, in which the goal was reached "
                f"{_fmt(100 * reached)}% of the time",
                step.step,
            )
        return None
