"""Views of the Schedules lab: the lr preview of several schedules, the loss beside the lr, plateau cuts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from lab.records import RunResult
from lab.schedules import LABELS, ScheduleConfig
from lab.ui import charts


def preview_frame(schedules: Mapping[str, ScheduleConfig], lr0: float, steps: int) -> pd.DataFrame:
    """lr against step for each pure schedule (plateau has no preview: it depends on the loss)."""
    ts = list(range(0, steps + 1, max(1, steps // 400)))
    rows = []
    for label, config in schedules.items():
        if config.name == "plateau":
            continue
        fn = config.function(lr0, steps)
        rows += [(label, t, "lr", fn(t)) for t in ts]
    return pd.DataFrame(rows, columns=["schedule", "step", "metric", "value"])


def preview_chart(frame: pd.DataFrame, log: bool) -> alt.LayerChart:
    return charts.line_chart(frame, color="schedule", log=log, title="learning rate by step (before training)", y_title="lr", height=280)


def cuts(result: RunResult) -> list[int]:
    """Steps after which ReduceLROnPlateau cut the lr (none for the other schedules)."""
    return list(result.artifacts.get("lr_cuts") or [])


def cut_rules(result: RunResult) -> alt.Chart:
    frame = pd.DataFrame({"step": cuts(result), "what": "lr cut"})
    return alt.Chart(frame).mark_rule(color="#9467bd", strokeDash=[3, 3]).encode(x=alt.X("step:Q"), tooltip=[alt.Tooltip("what:N"), alt.Tooltip("step:Q")])


def training_charts(results: Mapping[str, RunResult], chosen: str) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The loss of each run (log) and its lr, with the chosen run's lr cuts marked on both."""
    names: Sequence[str] = list(results)
    loss = charts.runs_chart(results, "loss", title="", log=True, names=names, smooth=25)
    lr = charts.runs_chart(results, "lr", title="", log=True, names=names)
    if chosen in results and results[chosen].decision is not None and cuts(results[chosen]):
        loss = alt.layer(loss, cut_rules(results[chosen]))
        lr = alt.layer(lr, cut_rules(results[chosen]))
    return loss.properties(title="loss of noisy SGD on x² + y²"), lr.properties(title="learning rate during training")


def floor_table(results: Mapping[str, RunResult], tail: int = 50) -> pd.DataFrame:
    """Mean loss over the last `tail` steps: the constant lr's noise floor against the schedule's."""
    rows = []
    for label, result in results.items():
        _, values = result.series("loss")
        last = values[-tail:]
        rows.append({"run": label, f"mean loss, last {len(last)} steps": sum(last) / len(last) if last else None,
                     "final lr": result.last("lr"), "decision": result.decision.reason if result.decision else ""})
    return pd.DataFrame(rows)


def label(config: ScheduleConfig) -> str:
    return LABELS[config.name].split("  ")[0]


def applied(preset) -> object:
    """The run of a preset that carries its schedule (the page adds the constant-lr run itself)."""
    return list(preset.config.values())[-1]
