"""Views of the Runs page: the runs table, a config diff, and links that reopen a run in its lab."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lab import registry
from lab.runs import store
from lab.share import diff_configs, format_value, lookup, to_query
from lab.ui import numbers

MAX_LINKS = 6  # "open in its lab" links shown at once; beyond that the page grows a link per run
MAX_LEGEND = 12  # runs named in the overlay's legend; beyond that the tooltip names them
SHOWN_METRICS = ("loss", "val/loss", "train/loss", "val/accuracy", "gap/optimum", "kmeans/inertia", "episode/return")


def table(summaries: list[store.RunSummary]) -> pd.DataFrame:
    rows = []
    for s in summaries:
        row = {"name": s.name, "lab": s.lab, "decision": s.decision_kind.word, "at step": s.decision_step,
               "steps": s.n_steps, "seconds": round(s.seconds, 3), "tags": ", ".join(s.tags), "saved": s.created_at[:19].replace("T", " ")}
        for metric in SHOWN_METRICS:
            if metric in s.final:
                row[metric] = s.final[metric]
        row["id"] = s.id
        rows.append(row)
    return pd.DataFrame(rows)


def shown_table(summaries: list[store.RunSummary]) -> pd.DataFrame:
    """`table` as a person reads it (`lab.ui.numbers`: "—" for no decision step, 1,476 steps,
    metrics to 4 significant digits), without the id."""
    return numbers.table(table(summaries).drop(columns=["id"]))


def ordered(metrics: list[str]) -> list[str]:
    """The headline metrics first (loss, validation loss, ...), then the rest alphabetically."""
    return [m for m in SHOWN_METRICS if m in metrics] + sorted(m for m in metrics if m not in SHOWN_METRICS)


def spans_decades(results: dict[str, Any], metric: str) -> bool:
    """Whether `metric` is positive and spans two decades or more across the runs: a linear axis
    would squash all but the largest values onto the floor, so the overlay opens on a log scale."""
    values = np.concatenate([np.asarray(r.series(metric)[1], dtype=float) for r in results.values()] or [np.zeros(0)])
    values = values[np.isfinite(values)]
    return bool(len(values)) and values.min() > 0 and values.max() >= 100 * values.min()


def differences(runs: list[store.StoredRun]) -> pd.DataFrame:
    """Only the settings that differ between the chosen runs: a row per setting, a column per run."""
    diff = diff_configs([r.config for r in runs])
    return pd.DataFrame({r.name: [numbers.number(values[i]) for values in diff.values()] for i, r in enumerate(runs)}, index=list(diff))


def link(run: store.RunSummary | store.StoredRun) -> tuple[str, dict[str, str]] | None:
    """The lab page and URL parameters that reproduce a run there (`lab.share.to_query` of its config).

    A lab's runs open in the first page that runs it (`lab.registry.page_of`); a descent run
    with a schedule opens in Schedules instead of Optimizers. None when no page runs that lab,
    or when the saved settings no longer make a valid config.
    """
    from lab.experiments import config_from_dict

    page = registry.page_of(run.lab)
    if page is None:
        return None
    try:
        config = config_from_dict(run.lab, dict(run.config))
    except ValueError:
        return None
    if run.lab == "descent":
        return _descent_link(config)
    return page.file, to_query(config)


def _descent_link(descent: Any) -> tuple[str, dict[str, str]]:
    """A schedule run opens in Schedules; a run at constant lr opens in the race, its optimizer
    alone with its settings under ``{optimizer}.{field}`` (the race's own parameter names)."""
    from lab.experiments.descent import surfaces
    from lab.ui.descent_views import SHARED, hyper_values

    descent = descent.replace(start=descent.start or surfaces.get(descent.surface).default_start)
    params = to_query(descent)
    if descent.schedule.name != "constant":
        return registry.PAGES["schedules"].file, params
    shared = {k: v for k, v in params.items() if k in SHARED}
    shared["optimizers"] = descent.optimizer
    for field, value in hyper_values(descent).items():
        shared[f"{descent.optimizer}.{field}"] = format_value(lookup(type(descent), field)[0], value)
    return registry.PAGES["optimizers"].file, shared


#: The Runs page's own link: ``?runs=ID,ID&metric=NAME`` (the chosen runs and the metric overlaid).
RUNS_PARAM, METRIC_PARAM = "runs", "metric"


def restore_choice(ids: list[str]) -> None:
    """On a session's first run, choose the runs the page's link names (those in this workspace;
    a note says how many are not)."""
    if "runs._restored" in st.session_state:
        return
    st.session_state["runs._restored"] = True
    wanted = [i for i in st.query_params.get(RUNS_PARAM, "").split(",") if i]
    chosen = [i for i in wanted if i in ids]
    if chosen:
        st.session_state["runs.chosen"] = chosen
    if len(chosen) < len(wanted):
        n = len(wanted) - len(chosen)
        st.warning(f"This link names {n} run{'s' if n > 1 else ''} that {'are' if n > 1 else 'is'} not in this workspace; left out.")
    st.session_state["runs._link_metric"] = st.query_params.get(METRIC_PARAM)


def restore_metric(metrics: list[str]) -> None:
    """Overlay the metric the page's link names, once, if the chosen runs record it."""
    wanted = st.session_state.pop("runs._link_metric", None)
    if wanted in metrics:
        st.session_state["runs.metric"] = wanted
    elif wanted:
        st.warning(f"The chosen runs do not record the metric '{wanted}' this link names; showing {metrics[0]}.")


def publish(chosen: list[str], metric: str | None) -> None:
    """Keep the page's link in step with the chosen runs and metric (the workspace stays)."""
    wanted = {k: v for k, v in st.query_params.items() if k not in (RUNS_PARAM, METRIC_PARAM)}
    if chosen:
        wanted[RUNS_PARAM] = ",".join(chosen)
        if metric:
            wanted[METRIC_PARAM] = metric
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
