"""Views shared by the Classifier and CNN labs: their settings widgets, live curves and test figures.

Early stopping is drawn by the shared `controls.stopping_controls`. Test figures are drawn from
the run's artifacts (computed by sklearn.metrics in the engines), never recomputed here.
"""

from __future__ import annotations

import dataclasses

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab import optim
from lab.optim_settings import OptimizerSettings
from lab.records import RunResult
from lab.ui import charts, controls, form

PENALTIES = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
LOSSES = {"train/loss": "train", "val/loss": "validation"}
ACCURACIES = {"train/accuracy": "train", "val/accuracy": "validation"}
BATCH_COLOUR = "#9e9e9e"
DOTS_UP_TO = 5  # a dot per epoch only where a line would be too short to see (Altair layers cost ~30 ms each)
#: Learning rates 1e-5 to 50 by factors of about 2 (1, 2, 3, 5 per decade): the CNN's default 0.003 is on it.
LR_GRID = [round(m * 10.0**e, 12) for e in range(-5, 2) for m in (1, 2, 3, 5)]


#: The optimizer settings these pages draw in the optimizer's expander (weight decay is a main setting of its own).
SETTINGS = tuple(f.name for f in dataclasses.fields(OptimizerSettings) if f.name != "weight_decay")


def optimizer_controls(prefix: str, optimizers: tuple[str, ...]) -> None:
    """Optimizer, learning rate on a 1-2-3-5 log grid (the engines' defaults and presets lie on it), the
    chosen optimizer's own settings (those the Optimizers page shows), and the schedule."""
    form.selectbox("optimizer", optimizers, key=form.key(prefix, "optimizer"), format_func=lambda n: optim.LABELS.get(n, n),
                   on_change=controls.forget_settings, args=(prefix, SETTINGS))
    form.select_slider("learning rate", LR_GRID, key=form.key(prefix, "lr"), format_func=lambda v: f"{v:g}")
    name = st.session_state[form.key(prefix, "optimizer")]
    shown = [f for f in controls.HYPER_FIELDS[name][1:] if f in SETTINGS]
    if shown:
        with st.expander(f"{optim.LABELS[name]} settings"):
            controls.setting_widgets(prefix, name, shown)
    with st.expander("learning-rate schedule (over epochs)"):
        controls.schedule_picker(prefix)


def hidden_as_text(prefix: str) -> None:
    """Keep the hidden layer sizes as text ("16,8") for the text box (presets write a list)."""
    k = form.key(prefix, "hidden")
    value = st.session_state.get(k)
    if isinstance(value, (list, tuple)):
        st.session_state[k] = ",".join(str(v) for v in value)


def parse_hidden(text: str) -> tuple[int, ...]:
    """ "16, 8" -> (16, 8); empty -> () (logistic regression); anything else -> ValueError."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"hidden={text!r} is not allowed; give layer widths separated by commas, e.g. 16,8") from None


def build(prefix: str, config_cls, **overrides):
    """The config from the widgets (hidden layers parsed from their text box), or None with the message shown."""
    if config_cls.__name__ == "ClassifierConfig":
        hidden = form.checked(lambda: parse_hidden(st.session_state[form.key(prefix, "hidden")]), prefix)
        if hidden is None:
            return None
        return form.build(prefix, config_cls, whole=("hidden",), hidden=hidden, **overrides)
    return form.build(prefix, config_cls, **overrides)


def curves(result: RunResult, batches: bool = False) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Loss (log scale) and accuracy by epoch, train and validation, the decision marked on both.

    With `batches`, the per-batch training loss is drawn faintly behind (the last batch of each
    epoch while running, every batch from the artifacts once finished). Short runs (a diverged
    one stops after an epoch or two) get a dot per epoch so that they still show.
    """
    history = result.history()
    last = max(1, result.steps[-1].step) if result.steps else 1
    frames = (charts.select_metrics(history, list(LOSSES), LOSSES), charts.select_metrics(history, list(ACCURACIES), ACCURACIES))
    dots = [[_dots(frame, log)] if len(result.steps) <= DOTS_UP_TO else [] for frame, log in zip(frames, (True, False))]
    loss = charts.line_chart(frames[0], title="loss (cross-entropy, log scale)", log=True, decision=result.decision,
                             extra=[batch_loss_layer(result)] * batches + dots[0], x_title="epoch", height=280, x_domain=(0, last))
    accuracy = charts.line_chart(frames[1], title="accuracy", decision=result.decision, extra=dots[1], x_title="epoch", height=280,
                                 x_domain=(0, last), y_domain=(_floor_tenth(frames[1]["value"]), 1.0))
    return loss, accuracy


def _floor_tenth(values: pd.Series) -> float:
    """The accuracy axis starts at the tenth below the lowest value (at most 0.9): 0.9 to 1 for a good run."""
    finite = values[np.isfinite(values)]
    return min(0.9, float(np.floor(finite.min() * 10) / 10)) if len(finite) else 0.0


def _dots(frame: pd.DataFrame, log: bool) -> alt.Chart:
    names = list(dict.fromkeys(frame["metric"]))
    return alt.Chart(charts.finite(frame, log)).mark_point(filled=True, size=40).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"), color=alt.Color("metric:N", scale=charts.colour_scale(names), legend=None),
        tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q"), charts.value_tooltip()])


def batch_loss_layer(result: RunResult) -> alt.Chart:
    saved = result.artifacts.get("batch_loss")
    if saved:
        frame = pd.DataFrame({"step": saved["epoch"], "value": saved["loss"]})
        frame["step"] -= frame["step"].iloc[0]  # batch i of B in epoch e drawn at e + i/B, from the epoch's point on
    else:
        steps, values = result.series("batch/loss_last") if result.steps else ([], [])
        frame = pd.DataFrame({"step": list(steps), "value": list(values)})
    frame["metric"] = "train, per batch"
    frame = charts.finite(frame, log=True)
    return alt.Chart(frame).mark_line(strokeWidth=1, opacity=0.6, color=BATCH_COLOUR, clip=True).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"), tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q", format=".2f"), charts.value_tooltip()])


def metric_row(items: list[tuple[str, str, str]]) -> None:
    """st.metric in a row: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items):
        column.metric(label, value, help=help_text)


def classifier_metrics(result: RunResult) -> None:
    test = result.artifacts["test"]
    metric_row([
        ("test accuracy", f"{test['accuracy']:.1%}", "share of the held-out 20% classified right at threshold 0.5"),
        ("ROC AUC", f"{test['roc_auc']:.3f}", "chance that a malignant case scores above a benign one"),
        ("average precision", f"{test['average_precision']:.3f}", "area under the precision-recall curve"),
        ("epochs run", str(len(result.steps)), result.decision.reason if result.decision else ""),
    ])


def cnn_metrics(result: RunResult) -> None:
    test, val = result.artifacts["test"], result.artifacts["val"]
    metric_row([
        ("test accuracy", f"{test['accuracy']:.1%}", "share of the held-out 20% of digits classified right"),
        ("validation accuracy", f"{val['accuracy']:.1%}", "after any restore of the best weights"),
        ("misclassified test digits", str(sum(map(sum, test["confusion"])) - int(np.trace(test["confusion"]))), ""),
        ("epochs run", str(len(result.steps)), result.decision.reason if result.decision else ""),
    ])


def _curve(frame: pd.DataFrame, x: str, y: str, titles: tuple[str, str]) -> alt.Chart:
    """A curve drawn in the order of its points (ROC and PR curves have vertical runs)."""
    frame = frame.assign(i=range(len(frame)))
    return alt.Chart(frame).mark_line(strokeWidth=2, color=charts.PALETTE[0], interpolate="step-after" if x == "recall" else "linear").encode(
        x=alt.X(f"{x}:Q", title=titles[0], scale=alt.Scale(domain=[0, 1])),
        y=alt.Y(f"{y}:Q", title=titles[1], scale=alt.Scale(domain=[0, 1])),
        order=alt.Order("i:Q"), tooltip=[alt.Tooltip(f"{x}:Q", title=titles[0], format=".3f"), alt.Tooltip(f"{y}:Q", title=titles[1], format=".3f")])


def roc_chart(test: dict) -> alt.LayerChart:
    chance = alt.Chart(pd.DataFrame({"fpr": [0, 1], "tpr": [0, 1]})).mark_line(color="#888", strokeDash=[4, 4]).encode(x=alt.X("fpr:Q"), y=alt.Y("tpr:Q"))
    curve = _curve(pd.DataFrame(test["roc"]), "fpr", "tpr", ("false positive rate", "true positive rate"))
    return alt.layer(chance, curve).properties(title=f"ROC curve (AUC {test['roc_auc']:.3f})", height=260)


def pr_chart(test: dict) -> alt.LayerChart:
    frame = pd.DataFrame(test["pr"]).iloc[::-1]
    curve = _curve(frame, "recall", "precision", ("recall", "precision"))
    return alt.layer(curve).properties(title=f"PR curve (AP {test['average_precision']:.3f})", height=260)


def confusion_chart(confusion: list[list[int]], labels: list[str], title: str = "confusion matrix (test)", size: int = 260) -> alt.LayerChart:
    """Counts of true (rows) against predicted (columns), with the count written in each cell.

    Cells sit on quantitative axes (a band scale would not stretch to the column's width).
    """
    matrix = np.asarray(confusion)
    n = len(labels)
    rows = [{"true": labels[i], "predicted": labels[j], "count": int(matrix[i, j]), "x": j, "x2": j + 1, "y": i, "y2": i + 1,
             "cx": j + 0.5, "cy": i + 0.5} for i in range(n) for j in range(n)]
    frame = pd.DataFrame(rows)
    frame["dark"] = frame["count"] > matrix.max() / 2
    names = "[" + ",".join(f"'{label}'" for label in labels) + "]"
    axis = lambda title: alt.Axis(title=title, values=[i + 0.5 for i in range(n)], labelExpr=f"{names}[floor(datum.value)]",  # noqa: E731
                                  labelAngle=0, labelOverlap=False, labelFlush=False, grid=False, ticks=False, domain=False)
    x = lambda name: alt.X(f"{name}:Q", axis=axis("predicted"), scale=alt.Scale(domain=[0, n], nice=False))  # noqa: E731
    y = lambda name: alt.Y(f"{name}:Q", axis=axis("true"), scale=alt.Scale(domain=[0, n], nice=False, reverse=True))  # noqa: E731
    cells = alt.Chart(frame).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x("x"), x2=alt.X2("x2:Q"), y=y("y"), y2=alt.Y2("y2:Q"), color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[alt.Tooltip("true:N"), alt.Tooltip("predicted:N"), alt.Tooltip("count:Q")])
    text = alt.Chart(frame).mark_text(fontSize=12 if n > 2 else 16).encode(
        x=x("cx"), y=y("cy"), text=alt.Text("count:Q"), color=alt.condition("datum.dark", alt.value("white"), alt.value("black")))
    return alt.layer(cells, text).properties(title=title, height=size)


def per_class_chart(test: dict) -> alt.LayerChart:
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)], "accuracy": test["per_class_accuracy"]})
    base = alt.Chart(frame).encode(x=alt.X("digit:O", axis=alt.Axis(labelAngle=0)),
                                   y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1.08]), axis=alt.Axis(format="%")))
    bars = base.mark_bar(color=charts.PALETTE[0]).encode(tooltip=[alt.Tooltip("digit:N"), alt.Tooltip("accuracy:Q", format=".1%")])
    text = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("accuracy:Q", format=".0%"))
    return alt.layer(bars, text).properties(title="test accuracy per digit", height=260)


def misclassified_chart(test: dict, columns: int = 8) -> alt.FacetChart | None:
    """The misclassified test digits as 8x8 grey images, titled "true → predicted"."""
    wrong = test["misclassified"]
    if not wrong:
        return None
    rows = []
    for n, item in enumerate(wrong):
        title = f"{n + 1:02d}: {item['true']} → {item['pred']}"
        for r, line in enumerate(item["image"]):
            for c, v in enumerate(line):
                rows.append((title, r, c, v))
    frame = pd.DataFrame(rows, columns=["digit", "row", "col", "ink"])
    image = alt.Chart(frame).mark_rect().encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("ink:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]), legend=None),
    ).properties(width=64, height=64)
    return image.facet(facet=alt.Facet("digit:N", title=None, header=alt.Header(labelFontSize=12, labelExpr="slice(datum.value, 4)")),
                       columns=columns).properties(title="misclassified test digits (true → predicted)")
