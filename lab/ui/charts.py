"""Altair chart builders. Every convergence chart marks the decision's step and shows its reason.

Heights are of the whole chart (title, axes and legend included, in Streamlit 1.67), hence
the generous defaults. Encodings use channel objects (``alt.X("step:Q")``), never bare strings:
Altair 6.3 rebuilds a schema table for every string channel (~8 ms each here).

Charts take long tables (step, metric, value[, run]) as `RunResult.history()` gives them.
Non-finite values never reach a chart: a run that diverged is drawn up to its last finite
point and the decision rule says where and why it stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from lab.stopping import Decision

#: Stable colours for names that recur across charts (optimizers, train/val).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
STOP_COLOUR = "#d62728"
BEST_COLOUR = "#2ca02c"


def finite(frame: pd.DataFrame, log: bool = False) -> pd.DataFrame:
    """Rows whose value can be drawn (finite, and positive on a log scale)."""
    values = frame["value"].to_numpy(dtype=float)
    keep = np.isfinite(values)
    if log:
        keep &= values > 0
    return frame[keep]


def colour_scale(names: Sequence[str]) -> alt.Scale:
    names = list(dict.fromkeys(names))
    return alt.Scale(domain=names, range=[PALETTE[i % len(PALETTE)] for i in range(len(names))])


def kind_label(kind: str) -> str:
    """A decision kind as a chart names it: "max_steps" is the lab's budget (of steps, epochs or episodes)."""
    return "budget" if kind == "max_steps" else kind.replace("_", " ")


def decision_marks(decision: Decision | None, *, label: bool = True) -> list[alt.Chart]:
    """A dashed rule at the stop step (its reason as tooltip) and a rule at the best step."""
    if decision is None:
        return []
    marks = []
    stop = pd.DataFrame({"step": [decision.step], "reason": [decision.reason], "kind": [f"stop: {kind_label(decision.kind)}"]})
    rule = alt.Chart(stop).mark_rule(color=STOP_COLOUR, strokeDash=[6, 4], strokeWidth=2).encode(
        x=alt.X("step:Q"), tooltip=[alt.Tooltip("kind:N", title="decision"), alt.Tooltip("reason:N"), alt.Tooltip("step:Q")]
    )
    marks.append(rule)
    if label:
        marks.append(
            alt.Chart(stop).mark_text(align="left", dx=4, dy=-6, color=STOP_COLOUR, fontWeight="bold")
            .encode(x=alt.X("step:Q"), y=alt.value(8), text=alt.Text("kind:N"))
        )
    if decision.best_step is not None and decision.best_step != decision.step:
        best = pd.DataFrame({"step": [decision.best_step], "kind": ["best"]})
        marks.append(
            alt.Chart(best).mark_rule(color=BEST_COLOUR, strokeWidth=2).encode(x=alt.X("step:Q"), tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("step:Q")])
        )
        if label:
            marks.append(
                alt.Chart(best).mark_text(align="right", dx=-4, dy=-6, color=BEST_COLOUR, fontWeight="bold")
                .encode(x=alt.X("step:Q"), y=alt.value(8), text=alt.Text("kind:N"))
            )
    return marks


def line_chart(
    frame: pd.DataFrame,
    *,
    title: str = "",
    color: str = "metric",
    log: bool = False,
    decision: Decision | None = None,
    extra: Iterable[alt.Chart] = (),
    height: int = 300,
    x_title: str = "step",
    y_title: str = "",
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] | None = None,
    symlog: bool = False,
) -> alt.LayerChart:
    """Lines of `value` against `step`, one per `color` group, with the decision marked."""
    data = finite(frame, log)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    if y_domain is not None:
        scale = alt.Scale(type="log" if log else "linear", domain=list(y_domain))
    if symlog:
        scale = alt.Scale(type="symlog")
    x = alt.X("step:Q", title=x_title, scale=alt.Scale(domain=list(x_domain)) if x_domain else alt.Undefined)
    names = list(dict.fromkeys(frame[color].tolist())) if len(frame) else []
    lines = alt.Chart(data).mark_line(strokeWidth=2, clip=True, point=symlog).encode(
        x=x,
        y=alt.Y("value:Q", title=y_title or None, scale=scale),
        color=alt.Color(f"{color}:N", title=None, scale=colour_scale(names), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".4g")],
    )
    layers = [lines, *extra, *decision_marks(decision)]
    return alt.layer(*layers).properties(title=title, height=height)


def floor_line(value: float, label: str) -> alt.LayerChart:
    """A horizontal dotted line at `value` (an optimum, a tolerance) with its label at the left."""
    data = pd.DataFrame({"value": [value], "label": [label]})
    rule = alt.Chart(data).mark_rule(color="#444", strokeDash=[2, 3]).encode(
        y=alt.Y("value:Q"), tooltip=[alt.Tooltip("label:N"), alt.Tooltip("value:Q", format=".4g")]
    )
    text = alt.Chart(data).mark_text(align="left", dx=4, dy=-6, color="#444").encode(y=alt.Y("value:Q"), x=alt.value(0), text=alt.Text("label:N"))
    return alt.layer(rule, text)


def select_metrics(frame: pd.DataFrame, metrics: Sequence[str], rename: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The rows of some metrics, optionally renamed for the legend."""
    part = frame[frame["metric"].isin(list(metrics))].copy()
    if rename:
        part["metric"] = part["metric"].map(lambda m: rename.get(m, m))
    return part


def grid_cells(xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> pd.DataFrame:
    """Cells of a regular grid as rectangles (x, x2, y, y2, z) for `mark_rect`; z has shape (len(ys), len(xs))."""
    dx = (xs[1] - xs[0]) / 2 if len(xs) > 1 else 0.5
    dy = (ys[1] - ys[0]) / 2 if len(ys) > 1 else 0.5
    gx, gy = np.meshgrid(xs, ys)
    return pd.DataFrame({
        "x": (gx - dx).ravel(), "x2": (gx + dx).ravel(), "y": (gy - dy).ravel(), "y2": (gy + dy).ravel(),
        "cx": gx.ravel(), "cy": gy.ravel(), "z": z.ravel(),
    })


def grid_heatmap(cells: pd.DataFrame, *, z_title: str, scheme: str = "viridis", reverse: bool = False,
                 x_title: str = "x", y_title: str = "y", domain: tuple | None = None) -> alt.Chart:
    """A filled grid from `grid_cells` (a loss surface, an objective over two settings)."""
    sx = alt.Scale(domain=list(domain[0]), nice=False) if domain else alt.Scale(nice=False)
    sy = alt.Scale(domain=list(domain[1]), nice=False) if domain else alt.Scale(nice=False)
    return alt.Chart(cells).mark_rect(opacity=0.9).encode(
        x=alt.X("x:Q", title=x_title, scale=sx),
        x2=alt.X2("x2:Q"),
        y=alt.Y("y:Q", title=y_title, scale=sy),
        y2=alt.Y2("y2:Q"),
        color=alt.Color("z:Q", title=z_title, scale=alt.Scale(scheme=scheme, reverse=reverse), legend=alt.Legend(orient="right")),
        tooltip=[alt.Tooltip("cx:Q", title=x_title, format=".3g"), alt.Tooltip("cy:Q", title=y_title, format=".3g"),
                 alt.Tooltip("z:Q", title=z_title, format=".3g")],
    )


def runs_frame(results: Mapping[str, object], metrics: Sequence[str], max_points: int = 600) -> pd.DataFrame:
    """Long table (run, step, metric, value) of several runs, each thinned to about `max_points` steps."""
    parts = []
    for label, result in results.items():
        steps = result.steps
        stride = max(1, len(steps) // max_points)
        picked = steps[::stride]
        if steps and picked[-1] is not steps[-1]:
            picked = [*picked, steps[-1]]
        rows = [(label, s.step, m, s.metrics[m]) for s in picked for m in metrics if m in s.metrics]
        parts.append(pd.DataFrame(rows, columns=["run", "step", "metric", "value"]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["run", "step", "metric", "value"])


def stop_points(results: Mapping[str, object], metric: str, log: bool = False) -> alt.Chart:
    """One marker per run where its decision fired, on `metric`, with the reason as tooltip."""
    rows = []
    for label, result in results.items():
        decision = result.decision
        if decision is None:
            continue
        value = None
        for s in reversed(result.steps):
            v = s.metrics.get(metric)
            if v is not None and np.isfinite(v) and (v > 0 or not log):
                value = v
                break
        if value is not None:
            rows.append({"run": label, "step": decision.step, "value": value, "decision": kind_label(decision.kind), "reason": decision.reason})
    frame = pd.DataFrame(rows, columns=["run", "step", "value", "decision", "reason"])
    shapes = alt.Scale(domain=["tolerance", "diverged", "non finite", "budget", "patience", "threshold", "cancelled"],
                       range=["circle", "cross", "cross", "square", "diamond", "triangle-up", "square"])
    return alt.Chart(frame).mark_point(size=120, filled=True, stroke="black", strokeWidth=1).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"), color=alt.Color("run:N", legend=None),
        shape=alt.Shape("decision:N", scale=shapes, legend=alt.Legend(orient="bottom", title="stop")),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("decision:N"), alt.Tooltip("reason:N"), alt.Tooltip("step:Q")],
    )


def runs_chart(results: Mapping[str, object], metric: str, *, title: str, log: bool = False, height: int = 320,
               names: Sequence[str] | None = None, legend: bool = True, smooth: int = 1) -> alt.LayerChart:
    """One metric of several runs, a line each, with each run's stop marked by a point (reason as tooltip).

    `smooth` > 1 draws the rolling mean over that many steps (noisy losses), said in the axis title.
    """
    frame = runs_frame(results, [metric], max_points=600 if smooth == 1 else 100_000)
    if smooth > 1 and len(frame):
        frame["value"] = frame.groupby("run")["value"].transform(lambda v: v.rolling(smooth, min_periods=1).mean())
        frame = runs_frame_thin(frame, 600)
    data = finite(frame, log)
    names = list(names or results)
    lines = alt.Chart(data).mark_line(strokeWidth=2, clip=True).encode(
        x=alt.X("step:Q"),
        y=alt.Y("value:Q", title=metric if smooth == 1 else f"{metric} (mean of {smooth} steps)",
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("run:N", title=None, scale=colour_scale(names),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=220) if legend else None),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".4g")],
    )
    points = stop_points(results, metric, log).encode(color=alt.Color("run:N", scale=colour_scale(names), legend=None),
                                                      shape=alt.Shape("decision:N", legend=None))
    return alt.layer(lines, points).properties(title=title, height=height)


def runs_frame_thin(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Keep about `max_points` steps of each run (and each run's last step)."""
    parts = []
    for _, part in frame.groupby("run", sort=False):
        stride = max(1, len(part) // max_points)
        thin = part.iloc[::stride]
        if thin.index[-1] != part.index[-1]:
            thin = pd.concat([thin, part.iloc[[-1]]])
        parts.append(thin)
    return pd.concat(parts) if parts else frame
