"""The one loop every lab uses: pull steps from the experiment, ask the rules, report, stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from lab.config import Config
from lab.records import RunResult, Step
from lab.stopping import Decision, Rule, budget_decision, cancelled_decision, singular


class Experiment(Protocol):
    """What a config builds: a stream of steps, and the artifacts of the finished run.

    `snapshot` and `restore` are optional: an experiment whose model can go back to the
    best step (restore_best) provides them.
    """

    def steps(self) -> Iterator[Step]: ...

    def artifacts(self, decision: Decision) -> dict[str, Any]: ...


def _rules(config: Config, stopping: Rule | Iterable[Rule] | None) -> list[Rule]:
    rules = list(config.rules())
    if isinstance(stopping, Rule):
        rules.append(stopping)
    elif stopping is not None:
        rules.extend(stopping)
    return rules


def _cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return cancel.is_set()
    return bool(cancel())


def run(
    config: Config,
    *,
    data: Any = None,
    stopping: Rule | Iterable[Rule] | None = None,
    on_step: Callable[[Step], None] | None = None,
    cancel: Any = None,
) -> RunResult:
    """Run `config`'s experiment until a rule decides, the budget ends or `cancel` is set.

    `data` is what the user uploaded (a config names the dataset but cannot hold the file),
    handed to ``config.experiment(data)``; without it ``config.experiment()`` is called.
    The config's own rules (``config.rules()``: divergence guards, a lab's tolerance) come
    first, then `stopping`; their reasons name a step by the config's ``step_unit`` ("epoch 12").
    `on_step` sees every step as it arrives. `cancel` is a ``threading.Event`` or a callable
    returning True to stop.
    """
    experiment = config.experiment() if data is None else config.experiment(data)
    rules = _rules(config, stopping)
    units = config.step_unit
    unit = singular(units)
    for rule in rules:
        rule.reset()
        rule.unit = unit
    restoring = [r for r in rules if r.restore_best]
    can_restore = hasattr(experiment, "snapshot") and hasattr(experiment, "restore")
    best_snapshot = None

    steps: list[Step] = []
    decision: Decision | None = None
    start = time.perf_counter()
    stream = experiment.steps()
    append = steps.append
    watch_restore = can_restore and bool(restoring)
    try:
        # the descent lab pulls tens of thousands of steps per page run: keep this loop lean
        for step in stream:
            append(step)
            for rule in rules:
                decision = rule.update(step)
                if decision is not None:
                    break
            if watch_restore and any(r.improved for r in restoring):
                best_snapshot = experiment.snapshot()
            if on_step is not None:
                on_step(step)
            if decision is not None:
                break
            if cancel is not None and _cancelled(cancel):
                decision = cancelled_decision(step.step, units)
                break
    finally:
        stream.close()
    if decision is None:
        decision = budget_decision(steps[-1].step if steps else 0, config.budget, units)
    if best_snapshot is not None:
        experiment.restore(best_snapshot)
        decision = _with_best(decision, restoring[0])
    artifacts = experiment.artifacts(decision)
    return RunResult(config, steps, decision, artifacts, time.perf_counter() - start)


def _with_best(decision: Decision, rule: Rule) -> Decision:
    if rule.best_step is None:
        return decision
    reason = f"{decision.reason}; restored the weights of {rule.unit} {rule.best_step}"
    return Decision(decision.kind, reason, decision.step, rule.best_step)
