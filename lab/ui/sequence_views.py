"""Views of the Sequences lab: accuracy per sentence kind, the gradient norm against the clip line,
the sample sentence tokenized and padded, a typed sentence read word by word, the wrong sentences.

The loss and accuracy curves are the Classifier's (`nets_views.curves`). Everything is drawn
from the run's steps and artifacts; a typed sentence is read by the run's own `Reader`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lab.experiments.sequences.grammar import KINDS
from lab.records import RunResult
from lab.ui import charts

NUM_WORDS = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]
SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
KIND_PREFIX, KIND_SUFFIX = "val/", "/accuracy"


def kind_of(metric: str) -> str | None:
    """"val/negated/accuracy" -> "negated"; None for any other metric."""
    if metric.startswith(KIND_PREFIX) and metric.endswith(KIND_SUFFIX) and metric.count("/") == 2:
        return metric.split("/")[1]
    return None


def kind_metrics(result: RunResult) -> dict[str, str]:
    """The run's per-kind accuracy metrics, by kind, in `KINDS` order (then any other kind)."""
    names = {kind_of(m): m for m in (result.steps[-1].metrics if result.steps else {}) if kind_of(m)}
    order = [k for k in KINDS if k in names] + sorted(k for k in names if k not in KINDS)
    return {k: names[k] for k in order}


def figures(result: RunResult) -> list[tuple[str, str, str]]:
    """(label, value, help) for the metric row: validation accuracy overall and per kind, epochs run."""
    last = result.steps[-1].metrics
    items = [("val accuracy", f"{last['val/accuracy']:.0%}", "share of the held-out 20% classified right")]
    items += [(kind, f"{last[m]:.0%}", f"validation accuracy on the {kind} sentences") for kind, m in kind_metrics(result).items()]
    items.append(("epochs run", str(len(result.steps)), result.decision.reason if result.decision else ""))
    return items


def kinds_chart(result: RunResult) -> alt.LayerChart:
    metrics = kind_metrics(result)
    frame = charts.select_metrics(result.history(), list(metrics.values()), {m: k for k, m in metrics.items()})
    last = max(1, result.steps[-1].step) if result.steps else 1
    return charts.line_chart(frame, title="validation accuracy per kind of sentence", decision=result.decision, x_title="epoch",
                             height=280, x_domain=(0, last), y_domain=(0.0, 1.0))


def grad_chart(result: RunResult) -> alt.LayerChart:
    """Every batch's gradient norm before clipping (the epochs' largest while running), the clip line across."""
    saved = result.artifacts.get("grad_norms")
    if saved:
        frame = pd.DataFrame({"step": saved["step"], "value": saved["norm"], "metric": "per batch"})
    else:
        steps, values = result.series("grad/norm_max") if result.steps else ([], [])
        frame = pd.DataFrame({"step": list(steps), "value": list(values), "metric": "largest in the epoch"})
    clip = result.config.clip
    extra = [charts.floor_line(clip, f"clip at {clip:g}")] if clip is not None else []
    title = "gradient norm per batch" + ("" if clip is not None else " (no clip)")
    return charts.line_chart(frame, title=title, log=True, extra=extra, x_title="epoch", height=280)


def sample_table(sample: dict) -> pd.DataFrame:
    """The sample sentence's padded row: position, the word there (blank for padding) and its index."""
    shown = (sample["shown"] + [""] * len(sample["padded"]))[:len(sample["padded"])]
    return pd.DataFrame([shown, [str(i) for i in sample["padded"]]], index=["word", "index"],
                        columns=[str(i + 1) for i in range(len(shown))])


def running_chart(read: dict) -> alt.Chart:
    frame = pd.DataFrame({"position": range(1, len(read["running"]) + 1), "word": read["shown"][:len(read["running"])],
                          "positive so far": read["running"]})
    frame["label"] = [f"{i}. {w}" for i, w in zip(frame["position"], frame["word"])]
    base = alt.Chart(frame).encode(x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=-40)),
                                   y=alt.Y("positive so far:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                                   tooltip=[alt.Tooltip("word:N"), alt.Tooltip("positive so far:Q", format=".1%")])
    half = alt.Chart(pd.DataFrame({"y": [0.5]})).mark_rule(color=charts.GREY, strokeDash=[3, 3]).encode(y=alt.Y("y:Q", title=None))
    return alt.layer(half, base.mark_line(color=charts.PALETTE[0]), base.mark_point(filled=True, size=60, color=charts.PALETTE[0])
                     ).properties(title="positive so far, read from the hidden state after each word", height=260)


def typed_sentence(prefix: str, result: RunResult) -> None:
    """A text box; the run's prediction for what is typed and, for a recurrent model, positive-so-far per word."""
    reader = result.artifacts.get("reader")
    if reader is None:
        return
    text = st.text_input("Type a sentence for the trained model", key=f"{prefix}.typed",
                         placeholder="the acting was not very good", max_chars=500)
    read = reader.read(text)
    if not read["words"]:
        return
    verdict = "positive" if read["positive"] > 0.5 else "negative"
    st.metric("prediction", f"{verdict} ({read['positive']:.1%} positive)",
              help="sigmoid of the model's logit for the padded sentence")
    unknown = [w for w, s in zip(read["words"], read["shown"]) if s != w]
    if unknown:
        st.caption(f"Read as the OOV token (not in the vocabulary): {', '.join(unknown)}")
    if read["running"] is not None:
        st.altair_chart(running_chart(read), width="stretch")
    else:
        st.caption("This model reads the whole sentence at once (a bag, a mean or both directions): no running reading.")


def wrong_table(result: RunResult) -> pd.DataFrame:
    return pd.DataFrame(result.artifacts.get("wrong", []), columns=["sentence", "kind", "label", "positive"])
