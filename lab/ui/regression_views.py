"""Views of the Regression lab: MSE curves against the closed-form floor, weights, predictions, data controls."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.experiments.regression.data import MIN_ROWS, regression_data_from_csv
from lab.insight import theory
from lab.records import RunResult
from lab.ui import charts, form
from lab.ui.text import plain
from lab.uploads import read_header, read_numeric_csv

NAMES = {"train/loss": "train MSE", "val/loss": "validation MSE"}
DATASET_LABELS = {"synthetic": "generated", "diabetes": "diabetes", "csv": "my CSV"}
SCALING_LABELS = {"none": "none", "minmax": "min-max", "standard": "standard"}
BATCH_SIZES = [None, 1, 4, 16, 64, 256]
RANKS = [None, 1, 2, 3, 5, 10, 20, 50]
#: Tolerances on the gap to the optimum (training MSE units); 0 waits for the exact optimum.
TOLS = [0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2]
#: Above this many features the weights are a table rather than bars.
MAX_BARS = 20
HEIGHT = 300
CURVE_HEIGHT = 340


def batch_label(size: int | None) -> str:
    return "full batch" if size is None else "1 (SGD)" if size == 1 else str(size)


def rank_label(rank: int | None) -> str:
    return "full" if rank is None else str(rank)


def csv_target(prefix: str, data: bytes) -> list[str] | None:
    """The target selectbox over the file's numeric columns; the file's notes, or None after
    showing why the file (or the target kept from an earlier file) cannot be used."""
    try:
        frame, notes = read_numeric_csv(data, min_rows=MIN_ROWS)
    except ValueError as exc:
        st.error(f"This file cannot be used: {plain(exc)}.")
        return None
    columns = list(frame.columns)
    key = form.key(prefix, "target")
    problem = None
    kept = st.session_state.get(key)
    if kept not in columns:
        if kept and kept in _header(data):
            problem = f"the target column {kept!r} is text in this file, not numbers; choose a numeric column"
        st.session_state[key] = columns[-1]
    target = st.selectbox("target column (numeric columns only)", columns, key=key,
                          help="The column to predict; every other numeric column is a feature. Text columns are left out.")
    if problem is None:
        try:
            _, _, features, more = regression_data_from_csv(data, target)
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        st.error(f"This file cannot be used: {plain('; '.join([problem, *notes]))}.")
        return None
    return [*more, f"{len(features)} feature(s): {', '.join(features[:12])}{' ...' if len(features) > 12 else ''}"]


def _header(data: bytes) -> list[str]:
    try:
        return read_header(data)
    except ValueError:
        return []


def optimum_mse(result: RunResult) -> float | None:
    """The closed-form training MSE; while running, read off a step as train/loss - gap/optimum
    at the lowest loss seen (the gap is exactly that difference, so the floor shows before the run ends)."""
    optimum = result.artifacts.get("optimum")
    if optimum is not None:
        return optimum["train_mse"]
    best = None
    for step in result.steps:
        train, gap = step.metrics.get("train/loss"), step.metrics.get("gap/optimum")
        if train is not None and gap is not None and math.isfinite(train - gap) and (best is None or train < best[0]):
            best = (train, max(train - gap, 0.0))
    return best[1] if best else None


def _log_axis(chart: alt.LayerChart, frame: pd.DataFrame, title: str, also: float | None = None) -> alt.LayerChart:
    """Ticks at powers of ten only (at most about six), labelled as every axis is (`charts.AXIS_LABELS`):
    Vega's own log ticks label in-between values with one digit, which misleads."""
    values = np.append(frame["value"].to_numpy(dtype=float), np.nan if also is None else also)
    values = values[np.isfinite(values) & (values > 0)]
    if len(values):
        low, high = math.floor(math.log10(values.min())), math.ceil(math.log10(values.max()))
        stride = max(1, math.ceil((high - low + 1) / 6))
        ticks = [10.0**k for k in range(low, high + 1, stride)]
        chart.layer[0].encoding.y.axis = charts.axis(title=title, values=ticks)
    return chart


def floor(value: float, last_step: int, label: str) -> alt.LayerChart:
    """The optimum as a dotted line, labelled at the right end just under the line (the curves
    come down onto it from above at the left)."""
    data = pd.DataFrame({"step": [last_step], "value": [value], "label": [label]})
    text = alt.Chart(data).mark_text(align="right", baseline="top", dy=4, color="#444").encode(x=alt.X("step:Q"), y=alt.Y("value:Q"), text=alt.Text("label:N"))
    return alt.layer(charts.floor_line(value, ""), text)


def mse_chart(result: RunResult, log: bool) -> alt.LayerChart:
    """Train and validation MSE by epoch, the closed-form optimum as a floor, the decision marked."""
    frame = charts.select_metrics(result.history(), list(NAMES), NAMES)
    optimum = optimum_mse(result)
    extra = []
    if optimum is not None and (optimum > 0 or not log) and len(frame):
        extra.append(floor(optimum, int(frame["step"].max()), f"closed-form optimum {_fmt(optimum)}"))
    chart = charts.line_chart(frame, title="mean squared error by epoch", log=log, decision=result.decision, extra=extra,
                              height=CURVE_HEIGHT, x_title="epoch", y_title="MSE")
    return _log_axis(chart, frame, "MSE", optimum) if log else chart


def gap_chart(result: RunResult) -> alt.LayerChart:
    """How far the training MSE is above the optimum's, on a log scale."""
    frame = charts.select_metrics(result.history(), ["gap/optimum"], {"gap/optimum": "train MSE − optimum MSE"})
    chart = charts.line_chart(frame, title="gap to the closed-form optimum", log=True, decision=result.decision,
                              height=CURVE_HEIGHT, x_title="epoch")
    return _log_axis(chart, frame, "MSE − MSE* (log)")


def _fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}" if 1e3 <= abs(value) < 1e6 else f"{value:.4g}"


def _at(result: RunResult, metric: str, step: int | None) -> float | None:
    """A metric at a given step (the last one when `step` is None)."""
    if step is None:
        return result.last(metric)
    return next((s.metrics.get(metric) for s in result.steps if s.step == step), None)


def figures(result: RunResult) -> list[tuple[str, str, str]]:
    """(label, value, help) for the final figures; after a restore, those of the restored weights."""
    decision = result.decision
    epochs = decision.step + 1 if decision is not None else len(result.steps)
    best = decision.best_step if decision is not None else None
    which = f"the weights restored from epoch {best}" if best is not None else "the weights after the last epoch"
    return [
        ("train MSE", _fmt(_at(result, "train/loss", best)), f"MSE on the training split, {which}"),
        ("optimum MSE", _fmt(optimum_mse(result)), "the closed form: least squares on the same scaled training split (numpy.linalg.lstsq)"),
        ("validation MSE", _fmt(_at(result, "val/loss", best)), f"MSE on the held-out rows, {which}"),
        ("epochs run", f"{epochs}", "one epoch = one pass over the training rows" + (f"; best epoch {best}" if best is not None else "")),
    ]


def stability_caption(result: RunResult) -> str:
    """Why an lr diverges: the condition number and full-batch descent's largest stable lr."""
    art, config = result.artifacts, result.config
    cond = art.get("condition_number")
    cond_text = f"{cond:,.4g}" if cond is not None else "infinite (the features are linearly dependent)"
    limit = art["max_stable_lr"]
    if config.lr <= limit:
        verdict = "below it"
    elif config.optimizer == "gd" and config.batch_size is None:
        verdict = "above it: full-batch gradient descent diverges"
    elif config.optimizer in ("momentum", "nesterov") and config.batch_size is None:
        edge = theory.edge(config.optimizer, art["hessian_eigenvalues"], config.momentum)
        verdict = (f"above it, but this run uses {config.optimizer} μ = {config.momentum:g}, whose edge is "
                   f"{edge:.4g}: {'below that, it can converge' if config.lr < edge else 'above that too, it diverges'}")
    else:
        verdict = f"above it (that edge is gradient descent's; this run uses {config.optimizer})"
    return (f"Condition number of the loss's Hessian: **{cond_text}** (how stretched the valley is). "
            f"Largest stable lr for full-batch gradient descent, 2/λmax: **{limit:.4g}**; this run's lr = {config.lr:g} is {verdict}. "
            f"Training rows: {art['n_train']}, validation rows: {art['n_val']}.")


def weights_frame(result: RunResult) -> pd.DataFrame:
    """Learned and closed-form weights per feature (the bias first)."""
    art = result.artifacts
    return pd.DataFrame({
        "feature": ["(bias)", *art["feature_names"]],
        "learned": [art["bias"], *art["weights"]],
        "closed form": [art["optimum"]["bias"], *art["optimum"]["weights"]],
    })


def weights_chart(frame: pd.DataFrame) -> alt.Chart:
    """Grouped bars, one pair per feature (names read across): the learned weight and the closed-form one."""
    long = frame.melt(id_vars="feature", var_name="weights", value_name="value")
    long = long[np.isfinite(long["value"].to_numpy(dtype=float))]
    colour = alt.Color("weights:N", title=None, scale=charts.colour_scale(["learned", "closed form"]), legend=alt.Legend(orient="bottom"))
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("feature:N", sort=list(frame["feature"]), title=None),
        yOffset=alt.YOffset("weights:N", sort=["learned", "closed form"]),
        x=alt.X("value:Q", title="weight (on the scaled features)"),
        color=colour,
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("weights:N"), alt.Tooltip("value:Q", format=".4g")],
    ).properties(title="weights: learned and closed form", height=alt.Step(10))


def prediction_chart(result: RunResult) -> alt.LayerChart:
    """Predicted against actual on the validation split, the y = x line for perfect predictions.

    Both axes span the actual values, so a diverged model's wild predictions fall off the
    chart instead of flattening every other point."""
    y_true = np.asarray(result.artifacts["y_true"], dtype=float)
    y_pred = np.asarray(result.artifacts["y_pred"], dtype=float)
    low, high = float(y_true.min()), float(y_true.max())
    pad = 0.1 * (high - low or 1.0)
    domain = [low - pad, high + pad]
    inside = np.isfinite(y_pred) & (y_pred >= domain[0]) & (y_pred <= domain[1])
    points = pd.DataFrame({"actual": y_true[inside], "predicted": y_pred[inside]})
    scale = alt.Scale(domain=domain, nice=False)
    dots = alt.Chart(points).mark_circle(size=40, opacity=0.6, color=charts.PALETTE[0]).encode(
        x=alt.X("actual:Q", scale=scale), y=alt.Y("predicted:Q", scale=scale),
        tooltip=[alt.Tooltip("actual:Q", format=".4g"), alt.Tooltip("predicted:Q", format=".4g")])
    line = alt.Chart(pd.DataFrame({"actual": domain, "predicted": domain})).mark_line(color="#444", strokeDash=[4, 3]).encode(
        x=alt.X("actual:Q", scale=scale), y=alt.Y("predicted:Q", scale=scale))
    outside = len(y_true) - int(inside.sum())
    subtitle = "dashed: y = x (perfect)"
    if outside:
        subtitle = f"{outside} of {len(y_true)} off the chart; {subtitle}"
    return alt.layer(line, dots).properties(title=alt.TitleParams("predicted vs actual (validation)", subtitle=subtitle), height=HEIGHT)
