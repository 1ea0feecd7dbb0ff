"""Views of the Sweeps page: the search-space form, progress, and the study's charts and table."""

from __future__ import annotations

import math
import time
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.experiments import config_class
from lab.sweep import Space, searchable
from lab.sweep.space import parse_dimension, scalar_fields
from lab.ui import charts, runs
from lab.ui.runs_views import LAB_PAGES

#: Per lab: the base settings a sweep starts from, the fields searched by default, their ranges, and metrics.
DEFAULTS: dict[str, dict[str, Any]] = {
    "descent": {"base": {"surface": "rosenbrock", "steps": 500}, "fields": {"lr": "float:0.0001:0.1:log:5", "optimizer": "choice:gd,momentum,rmsprop,adam"},
                "metrics": ["gap/optimum", "loss"], "take": "last"},
    "regression": {"base": {}, "fields": {"lr": "float:0.001:1:log:5", "batch_size": "choice:1,16,64"}, "metrics": ["val/loss", "train/loss", "gap/optimum"], "take": "best"},
    "kmeans": {"base": {}, "fields": {"k": "int:2:8:4", "init": "choice:k-means++,random"}, "metrics": ["kmeans/inertia"], "take": "last"},
    "curve": {"base": {}, "fields": {"noise": "float:0.01:0.1:3", "onset": "int:20:60:3"}, "metrics": ["val/loss"], "take": "best"},
    "classifier": {"base": {"epochs": 15}, "fields": {"lr": "float:0.0001:0.1:log:4", "batch_norm": "choice:False,True"}, "metrics": ["val/loss", "val/accuracy"], "take": "best"},
    "cnn": {"base": {"epochs": 4}, "fields": {"lr": "float:0.0003:0.03:log:3", "batch_norm": "choice:False,True"}, "metrics": ["val/loss", "val/accuracy"], "take": "best"},
    "qlearning": {"base": {}, "fields": {"alpha": "float:0.05:0.9:log:4", "gamma": "choice:0.9,0.99"}, "metrics": ["episode/return", "gap/optimum"], "take": "last"},
}


def labs() -> list[str]:
    return [lab for lab in DEFAULTS if lab in LAB_PAGES]


def base_config(lab: str) -> Any:
    cls = config_class(lab)
    return cls.from_dict({**cls().to_dict(), **DEFAULTS[lab]["base"]})


def dimension_text(lab: str, field: str) -> str:
    """The default range of a field as text (``float:LOW:HIGH[:log][:POINTS]`` or ``choice:a,b``)."""
    return DEFAULTS[lab]["fields"].get(field) or searchable(config_class(lab))[field].text()


def space_from(lab: str, texts: dict[str, str]) -> Space:
    """The search space typed on the page; ValueError naming the field when a range is not usable."""
    cls = config_class(lab)
    hints = scalar_fields(cls)
    dims = {}
    for name, text in texts.items():
        try:
            dims[name] = parse_dimension(hints[name], text.strip(), name)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
    space = Space(dims)
    space.check(cls, base_config(lab))
    return space


def grid_points(space: Space) -> range:
    """The grid's points (ValueError past the cap, so a page can say so before running)."""
    space.grid()
    return range(space.grid_size())


def study_name(lab: str) -> str:
    return f"{lab}-{time.strftime('%Y%m%d-%H%M%S')}"


def progress(bar: Any, done: list[Any], total: int) -> Any:
    """An on_trial callback: a progress line with trials done, pruned and the best so far."""
    def on_trial(trial: Any) -> None:
        done.append(trial)
        pruned = sum(1 for t in done if t.state.name == "PRUNED")
        values = [t.value for t in done if t.value is not None and math.isfinite(t.value)]
        best = f"; best so far {min(values):.4g}" if values else ""
        bar.progress(min(1.0, len(done) / max(total, 1)), text=f"{len(done)} of {total} trials ({pruned} pruned){best}")
    return on_trial


def _drawable(frame: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_numeric(frame[column], errors="coerce").replace([np.inf, -np.inf], np.nan)
    return frame


def history_chart(history: pd.DataFrame) -> alt.LayerChart:
    data = _drawable(_drawable(history), "best")
    points = alt.Chart(data).mark_point(filled=True, size=50).encode(
        x=alt.X("number:Q", title="trial"), y=alt.Y("value:Q", title="objective", scale=alt.Scale(type="symlog")),
        tooltip=[alt.Tooltip("number:Q"), alt.Tooltip("value:Q", format=".4g")])
    best = alt.Chart(data).mark_line(color=charts.BEST_COLOUR, interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("number:Q"), y=alt.Y("best:Q"), tooltip=[alt.Tooltip("best:Q", format=".4g")])
    return alt.layer(points, best).properties(title="optimization history: each trial, and the best so far (green)", height=320)


def _order(column: pd.Series) -> str | list[str]:
    """Ranges (a binned field, see `lab.sweep.tables.bin_values`) in their own order, values ascending."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return "ascending"


def _x_axis(column: pd.Series) -> alt.Axis:
    """Ranges are long labels: slanted so that all of them show; numbers short, with 3 significant digits."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=160)
    return alt.Axis(labelAngle=0, format=".3~g") if column.dtype.kind == "f" else alt.Axis(labelAngle=0)


def _colour_scale(values: pd.Series) -> str:
    """Log where positive values span over 100x (1e-9 and 1e-3 must not share a colour), else symlog."""
    finite = values.dropna()
    return "log" if len(finite) and (finite > 0).all() and finite.max() > 100 * finite.min() else "symlog"


def heatmap_chart(grid: pd.DataFrame, x: str, y: str, direction: str) -> alt.LayerChart:
    """The objective over two settings (mean over the other settings and the trials that did not
    diverge); a grey cell is one where every trial diverged."""
    data = _drawable(grid)
    data["shown"] = data["value"].map(lambda v: "diverged" if pd.isna(v) else f"{v:.3g}")
    x_enc = alt.X(f"{x}:O", title=x, sort=_order(data[x]), axis=_x_axis(data[x]))
    y_enc = alt.Y(f"{y}:O", title=y, sort=_order(data[y]))
    tooltip = [alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{y}:O"), alt.Tooltip("shown:N", title="objective"),
               alt.Tooltip("count:Q", title="trials"), alt.Tooltip("diverged:Q", title="of them diverged")]
    cells = alt.Chart(data).mark_rect(stroke="white").encode(
        x=x_enc, y=y_enc, tooltip=tooltip,
        color=alt.Color("value:Q", title="objective", scale=alt.Scale(scheme="viridis", reverse=direction == "max", type=_colour_scale(data["value"]))))
    diverged = alt.Chart(data).transform_filter("!isValid(datum.value)").mark_rect(stroke="white", color="#cccccc").encode(
        x=x_enc, y=y_enc, tooltip=tooltip)
    text = alt.Chart(data).mark_text(fontSize=11).encode(
        x=x_enc, y=y_enc, text=alt.Text("shown:N"),
        color=alt.condition("isValid(datum.value)", alt.value("white"), alt.value("#333333")))
    return alt.layer(cells, diverged, text).properties(title=f"objective over {x} × {y}", height=320)


def parallel_chart(trials: pd.DataFrame, params: list[str]) -> alt.Chart:
    """Parallel coordinates: each trial a line across its settings (scaled 0..1), coloured by the objective."""
    rows = []
    for _, trial in _drawable(trials).iterrows():
        for p in params:
            column = trials[p]
            if column.dtype.kind in "if":
                values = column.astype(float)
                lo, hi = values.min(), values.max()
                logish = lo > 0 and hi / lo > 20
                f = (lambda v: math.log(v)) if logish else (lambda v: v)
                pos = 0.5 if hi == lo else (f(float(trial[p])) - f(lo)) / (f(hi) - f(lo))
            else:
                levels = sorted(map(str, column.unique()))
                pos = levels.index(str(trial[p])) / max(len(levels) - 1, 1)
            rows.append({"trial": int(trial["number"]), "setting": p, "position": pos, "label": str(trial[p]), "value": trial["value"]})
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_line(point=True, opacity=0.7).encode(
        x=alt.X("setting:N", sort=params, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("position:Q", title="low → high (each setting's own range)", axis=alt.Axis(labels=False)),
        detail=alt.Detail("trial:N"),
        color=alt.Color("value:Q", title="objective", scale=alt.Scale(scheme="viridis", type="symlog")),
        tooltip=[alt.Tooltip("trial:N"), alt.Tooltip("setting:N"), alt.Tooltip("label:N", title="value"), alt.Tooltip("value:Q", title="objective", format=".4g")],
    ).properties(title="parallel coordinates: each trial's settings", height=320)


def importance_chart(frame: pd.DataFrame) -> alt.Chart:
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("importance:Q", title="importance (fANOVA)"), y=alt.Y("param:N", sort="-x", title=None),
        tooltip=[alt.Tooltip("param:N"), alt.Tooltip("importance:Q", format=".3f")]).properties(title="parameter importances", height=200)


def trial_links(lab: str, trials: pd.DataFrame, limit: int = 10) -> None:
    """Links that open the best trials in their lab with their settings."""
    from lab.ui import runs_views

    shown = _drawable(trials).sort_values("value", na_position="last").head(limit)
    for _, trial in shown.iterrows():
        if not isinstance(trial.get("run_id"), str):
            continue
        try:
            run = runs.run_store().get(runs.workspace(), trial["run_id"])
        except KeyError:
            continue
        target = runs_views.link(run)
        if target:
            st.page_link(target[0], label=f"trial {int(trial['number'])}: objective {trial['value']:.4g} — open in its lab",
                         query_params=target[1], icon="↗️")


#: Columns of the trials table that are not searched settings.
NON_PARAMS = ("number", "state", "value", "metric", "steps", "decision", "run_id")
