"""Views of the Schedules lab: the lr preview of several schedules, the loss beside the lr, plateau cuts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from lab.records import RunResult
from lab.schedules import LABELS, SCHEDULES, ScheduleConfig
from lab.ui import charts, numbers

#: The run the page sets beside the chosen schedule (a constant lr: the schedule's own colour).
CONSTANT_RUN = "constant lr"
#: The suffix of the chosen schedule's curve in the preview.
APPLIED = " (applied)"


def colours(names: Sequence[str]) -> dict[str, str]:
    """Each curve's colour by its schedule, the same on the preview, the loss and the lr chart."""
    palette = [*charts.PALETTE, "#393b79", "#ad494a"]
    by_label = {LABELS[name].split("  ")[0]: palette[i % len(palette)] for i, name in enumerate(SCHEDULES)}
    by_label[CONSTANT_RUN] = by_label[LABELS["constant"]]
    return {name: by_label[name.removesuffix(APPLIED)] for name in names if name.removesuffix(APPLIED) in by_label}


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
    return charts.line_chart(frame, color="schedule", log=log, title="learning rate by step (before training)", y_title="lr", height=280,
                             colours=colours(frame["schedule"].unique().tolist()))


def cuts(result: RunResult) -> list[int]:
    """Steps after which ReduceLROnPlateau cut the lr (none for the other schedules)."""
    return list(result.artifacts.get("lr_cuts") or [])


def cut_rules(result: RunResult) -> alt.Chart:
    frame = pd.DataFrame({"step": cuts(result), "what": "lr cut"})
    return alt.Chart(frame).mark_rule(color="#9467bd", strokeDash=[3, 3]).encode(x=alt.X("step:Q"), tooltip=[alt.Tooltip("what:N"), alt.Tooltip("step:Q")])


def training_charts(results: Mapping[str, RunResult], chosen: str) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The loss of each run (log) and its lr, with the chosen run's lr cuts marked on both."""
    names: Sequence[str] = list(results)
    fixed = colours(names)
    loss = charts.runs_chart(results, "loss", title="", log=True, names=names, smooth=25, colours=fixed)
    lr = charts.runs_chart(results, "lr", title="", log=True, names=names, colours=fixed)
    if chosen in results and results[chosen].decision is not None and cuts(results[chosen]):
        loss = alt.layer(loss, cut_rules(results[chosen]))
        lr = alt.layer(lr, cut_rules(results[chosen]))
    return loss.properties(title="loss of noisy SGD on x² + y²"), lr.properties(title="learning rate during training")


def floors(results: Mapping[str, RunResult], tail: int = 50) -> dict[str, tuple[float | None, float | None]]:
    """Each run's mean loss over its last `tail` steps (the noise floor it settled on) and its final lr."""
    out = {}
    for label, result in results.items():
        _, values = result.series("loss")
        last = values[-tail:]
        out[label] = (sum(last) / len(last) if last else None, result.last("lr"))
    return out


def floor_metrics(results: Mapping[str, RunResult], tail: int = 50) -> None:
    """The constant lr's noise floor beside the schedule's, as metrics (a person's numbers)."""
    for column, (label, (floor, lr)) in zip(st.columns(len(results)), floors(results, tail).items()):
        column.metric(f"{label} · mean loss, last {tail} steps", numbers.number(floor), border=True)
        column.metric(f"{label} · final lr", numbers.number(lr), border=True)


def label(config: ScheduleConfig) -> str:
    return LABELS[config.name].split("  ")[0]


def applied(preset) -> object:
    """The run of a preset that carries its schedule (the page adds the constant-lr run itself)."""
    return list(preset.config.values())[-1]
