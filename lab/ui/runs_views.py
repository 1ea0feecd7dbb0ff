"""Views of the Runs page: the runs table, a config diff, and links that reopen a run in its lab."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lab import store
from lab.share import diff_configs
from lab.ui import charts, form
from lab.ui.links import encode

#: The page that reopens a lab's runs. Descent runs with a schedule open in Schedules.
LAB_PAGES = {
    "descent": "pages/1_Optimizers.py",
    "curve": "pages/3_Early_stopping.py",
    "regression": "pages/4_Regression.py",
    "classifier": "pages/5_Classifier.py",
    "cnn": "pages/6_CNN.py",
    "kmeans": "pages/7_K-means.py",
    "qlearning": "pages/8_Q-learning.py",
}
SHOWN_METRICS = ("loss", "val/loss", "train/loss", "val/accuracy", "gap/optimum", "kmeans/inertia", "episode/return")


def table(summaries: list[store.RunSummary]) -> pd.DataFrame:
    rows = []
    for s in summaries:
        row = {"name": s.name, "lab": s.lab, "decision": charts.kind_label(s.decision_kind), "at step": s.decision_step,
               "steps": s.n_steps, "seconds": round(s.seconds, 3), "tags": ", ".join(s.tags), "saved": s.created_at[:19].replace("T", " ")}
        for metric in SHOWN_METRICS:
            if metric in s.final:
                row[metric] = s.final[metric]
        row["id"] = s.id
        rows.append(row)
    return pd.DataFrame(rows)


def table_columns() -> dict:
    """The run table's column settings: metrics to 4 significant digits (a long float is cut off
    at the column's left edge, so 1e-7 read as "0000001"), the id hidden."""
    number = st.column_config.NumberColumn(format="%.4g")
    return {"id": None, **{metric: number for metric in SHOWN_METRICS}}


def ordered(metrics: list[str]) -> list[str]:
    """The headline metrics first (loss, validation loss, ...), then the rest alphabetically."""
    return [m for m in SHOWN_METRICS if m in metrics] + sorted(m for m in metrics if m not in SHOWN_METRICS)


def differences(runs: list[store.StoredRun]) -> pd.DataFrame:
    """Only the settings that differ between the chosen runs: a row per setting, a column per run."""
    diff = diff_configs([r.config for r in runs])
    return pd.DataFrame({r.name: [str(values[i]) for values in diff.values()] for i, r in enumerate(runs)}, index=list(diff))


def link(run: store.RunSummary | store.StoredRun) -> tuple[str, dict[str, str]] | None:
    """The lab page and URL parameters that reproduce a run there (None: no page for that lab)."""
    page = LAB_PAGES.get(run.lab)
    if page is None:
        return None
    if run.lab == "descent":
        return _descent_link(run.config)
    params = form.flatten(dict(run.config))
    return page, {k: encode(v) for k, v in params.items()}


def _descent_link(config: dict[str, Any]) -> tuple[str, dict[str, str]]:
    from lab import surfaces
    from lab.experiments.descent import DescentConfig
    from lab.ui.descent_views import SHARED, hyper_values

    descent = DescentConfig.from_dict(config)
    start = descent.start or surfaces.get(descent.surface).default_start
    if descent.schedule.name != "constant":
        flat = form.flatten({**descent.to_dict(), "start": list(start)})
        return "pages/2_Schedules.py", {k: encode(v) for k, v in flat.items()}
    shared = {k: v for k, v in descent.to_dict().items() if k in SHARED}
    shared["start"] = list(start)
    params = {k: encode(v) for k, v in form.flatten(shared).items()}
    params["optimizers"] = descent.optimizer
    for field, value in form.flatten(hyper_values(descent)).items():
        params[f"{descent.optimizer}.{field}"] = encode(value)
    return "pages/1_Optimizers.py", params
