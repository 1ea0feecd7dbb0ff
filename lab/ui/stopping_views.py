"""Views of the Early-stopping lab: the curve with best step, stop step and patience window; the logs.

Each view reads the rule from the run's own config (``result.config.stopping``), so a kept or
saved run is drawn with the rule that decided it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from lab.experiments.curve import CurveConfig
from lab.records import Kind, RunResult
from lab.stopping.config import StoppingConfig
from lab.stopping.conventions import STOP_TESTS, compare, decision_log
from lab.ui import charts, form

NAMES = {"val/loss": "validation loss", "train/loss": "training loss"}


def upload_config(prefix: str) -> CurveConfig | None:
    """The config for an uploaded curve: the rule from the widgets (the synthetic settings are not used),
    or None with the message shown."""
    stopping = form.values(prefix, CurveConfig)["stopping"]
    return form.checked(lambda: CurveConfig(source="upload", stopping=StoppingConfig.from_dict(stopping)), prefix)


def curve_chart(result: RunResult) -> alt.LayerChart:
    """Both curves over every epoch; what comes after the stop is faded, as the rule never saw it."""
    decision = result.decision
    full = result.artifacts.get("curves")
    if full is None or decision is None:
        frame = charts.select_metrics(result.history(), list(NAMES), NAMES)
        return charts.line_chart(frame, title="loss by epoch", height=340, x_title="epoch", decision=decision)
    frame = charts.select_metrics(full, list(NAMES), NAMES)
    seen = frame[frame["step"] <= decision.step]
    unseen = frame[frame["step"] >= decision.step]
    names = list(NAMES.values())
    colour = alt.Color("metric:N", title=None, scale=charts.colour_scale(names), legend=alt.Legend(orient="bottom"))
    base = alt.Chart(seen).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="epoch"), y=alt.Y("value:Q", title="loss", scale=alt.Scale(zero=False)), color=colour,
        tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".4f")])
    after = alt.Chart(unseen).mark_line(strokeWidth=1.5, opacity=0.3, strokeDash=[4, 2]).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"), color=colour, tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".4f")])
    layers = [base, after]
    best = decision.best_step
    if best is not None and decision.kind is Kind.PATIENCE:
        patience = result.config.stopping.patience
        window = pd.DataFrame({"start": [best], "end": [decision.step], "what": [f"patience window ({patience})"]})
        layers.insert(0, alt.Chart(window).mark_rect(color="#ffbf00", opacity=0.15).encode(x=alt.X("start:Q"), x2=alt.X2("end:Q"), tooltip=[alt.Tooltip("what:N")]))
    minimum = pd.DataFrame({"step": [result.artifacts["val_min_step"]], "value": [result.artifacts["val_min"]], "what": ["true minimum of the whole curve"]})
    layers.append(alt.Chart(minimum).mark_point(shape="triangle-down", size=140, color="black", filled=True).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"), tooltip=[alt.Tooltip("what:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".4f")]))
    layers += charts.decision_marks(decision)
    return alt.layer(*layers).properties(title="loss by epoch (faded: what the rule never saw)", height=340)


def log_table(result: RunResult) -> pd.DataFrame:
    """The rule's reasoning step by step, newest first."""
    values = result.artifacts.get("val") or result.series("val/loss")[1]
    rows = decision_log(values, result.config.stopping.rule())
    frame = pd.DataFrame(rows).rename(columns={"step": "epoch"})
    return frame.iloc[::-1].reset_index(drop=True)


def conventions_table(result: RunResult) -> pd.DataFrame:
    """What Keras, Lightning and scikit-learn's MLP and SGD conventions would decide on the same validation curve
    (same patience and min_delta; scikit-learn's n_iter_no_change and tol)."""
    values = result.artifacts.get("val") or result.series("val/loss")[1]
    rule = result.config.stopping
    rows = []
    for name, outcome in compare(values, patience=rule.patience, min_delta=rule.min_delta).items():
        rows.append({"convention": name, "stops when": STOP_TESTS[name], "stops at epoch": outcome.stop_step,
                     "best epoch": outcome.best_step, "reason": outcome.reason})
    return pd.DataFrame(rows)
