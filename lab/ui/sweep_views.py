"""Views of the Sweeps page: the search-space form, progress, and the study's charts and table."""

from __future__ import annotations

import math
import time
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from lab import registry
from lab.experiments import config_class
from lab.records import Kind
from lab.sweep import SAMPLERS, Objective, Space, load_sweep, run_sweep, searchable, trials_table
from lab.sweep.space import parse_dimension, scalar_fields
from lab.ui import charts, runs
from lab.ui.text import plain


def base_config(lab: str) -> Any:
    """The config every trial starts from: the lab's defaults with its registry's sweep `base`."""
    cls = config_class(lab)
    return cls.from_dict({**cls().to_dict(), **registry.LABS[lab].sweep.base})


def offered(lab: str) -> list[str]:
    """The fields the page offers to search: those `searchable` proposes a range for, then any of
    the registry's default fields it does not (such as a field whose default is None)."""
    proposed = list(searchable(config_class(lab)))
    return proposed + [f for f in registry.LABS[lab].sweep.fields if f not in proposed]


def dimension_text(lab: str, field: str) -> str:
    """The default range of a field as text (``float:LOW:HIGH[:log][:POINTS]`` or ``choice:a,b``)."""
    return registry.LABS[lab].sweep.fields.get(field) or searchable(config_class(lab))[field].text()


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


def describe_base(base: dict[str, Any]) -> str:
    """The settings a lab's sweep changes from its defaults, for a person ("surface rosenbrock, steps 500")."""
    return ", ".join(f"{name} {value}" for name, value in base.items())


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


def run(key: str, lab: str, space: Space, objective: Objective, sampler: str, n_trials: int, **options: Any) -> None:
    """Run a sweep under a progress bar and a Stop button, and keep the study for `kept`.

    A click (Stop, or any widget) reaches the running script as a control exception at its next
    ``st.*`` call: the progress line drawn when a trial finishes. The sweep then ends there, after
    that trial, keeps the trials finished so far (saved runs, analysis), and lets the exception
    go on; the run the click starts draws them, "stopped by you after N trials" if it was Stop.
    With several worker processes their trials in progress are given back (see `run_sweep`).
    Once a click is pending every ``st.*`` call raises it again, session state included, so the
    study is noted in a dict put in session state before the sweep starts and filled in after.
    """
    stop_slot = st.empty()
    stop_slot.button("Stop", key=f"{key}.stop", help="End the sweep after the trial running now and keep the trials done",
                     on_click=lambda: st.session_state.__setitem__(f"{key}.stopped", True))
    bar, done, interrupt = st.progress(0.0, text="starting…"), [], []
    show = progress(bar, done, n_trials)

    def on_trial(trial: Any) -> None:
        if interrupt:
            return
        try:
            show(trial)
        except ScriptControlException as exc:
            interrupt.append(exc)

    st.session_state.pop(f"{key}.stopped", None)
    before = st.session_state.get(f"{key}.study")
    study = {"lab": lab, "name": study_name(lab), "direction": objective.direction, "cut_short": True}
    st.session_state[f"{key}.study"] = study
    try:
        run_sweep(lab, space, objective, sampler, n_trials=n_trials, study_name=study["name"], base=base_config(lab),
                  workspace=runs.workspace(), on_trial=on_trial, stop=lambda: bool(interrupt), **options)
        study["cut_short"] = bool(interrupt)
    except ValueError as exc:
        if interrupt:
            raise interrupt[0] from None
        st.session_state[f"{key}.study"] = before
        st.error(f"The sweep could not run: {plain(exc)}")
    if interrupt:
        raise interrupt[0]
    bar.empty()
    stop_slot.empty()


def kept(key: str) -> tuple[str, Any, str] | None:
    """The last sweep this session ran (lab, study, direction), saying how it ended if it was cut short."""
    found = st.session_state.get(f"{key}.study")
    if found is None:
        return None
    try:
        study, _ = load_sweep(None, found["name"])
    except ValueError:  # cut short before its study was made
        st.session_state[f"{key}.study"] = None
        return None
    if found["cut_short"]:
        n = len(trials_table(study))
        trials = f"{n} trial{'' if n == 1 else 's'}"
        why = "Stopped by you" if st.session_state.get(f"{key}.stopped") else "The sweep ended when a setting changed,"
        st.warning(f"{why} after {trials}; the trials done are kept below.", icon="⏹")
    return found["lab"], study, found["direction"]


def _drawable(frame: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_numeric(frame[column], errors="coerce").replace([np.inf, -np.inf], np.nan)
    return frame


def history_chart(history: pd.DataFrame) -> alt.LayerChart:
    """Every trial (pruned ones where they were cut; diverged ones as crosses along the top) and the best so far."""
    data = _drawable(_drawable(history), "best")
    finite = data["value"].dropna()
    data["y"] = data["value"].fillna(finite.max() if len(finite) else 1.0)
    data["shown"] = data["value"].map(lambda v: "—" if pd.isna(v) else f"{v:.4g}")
    colours, shapes = charts.kind_scales([k for k in Kind if k.word in set(data["outcome"])])
    points = alt.Chart(data).mark_point(filled=True, size=60).encode(
        x=alt.X("number:Q", title="trial"), y=alt.Y("y:Q", title="objective", scale=alt.Scale(type="symlog")),
        color=alt.Color("outcome:N", title="trial", scale=colours, legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("outcome:N", title="trial", scale=shapes, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("number:Q", title="trial"), alt.Tooltip("outcome:N"), alt.Tooltip("shown:N", title="objective")])
    best = alt.Chart(data).mark_line(color=charts.BEST_COLOUR, interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("number:Q"), y=alt.Y("best:Q"), tooltip=[alt.Tooltip("best:Q", format=".4g")])
    return alt.layer(points, best).properties(
        title="optimization history: every trial, and the best so far (dark line)", height=320)


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


def parallel_chart(trials: pd.DataFrame, params: list[str]) -> alt.LayerChart:
    """Parallel coordinates: each trial a line across its settings (scaled 0..1), coloured by the
    objective; each axis labelled with its setting's values (low and high, or every choice)."""
    rows, ticks = [], []
    for p in params:
        column = trials[p]
        if column.dtype.kind in "if":
            values = column.astype(float)
            lo, hi = values.min(), values.max()
            f = math.log if lo > 0 and hi / lo > 20 else (lambda v: v)
            place = {v: 0.5 if hi == lo else (f(v) - f(lo)) / (f(hi) - f(lo)) for v in values.unique()}
            ticks += [{"setting": p, "position": place[v], "label": f"{v:.3g}"} for v in {lo, hi}]
        else:
            levels = sorted(map(str, column.unique()))
            place = {level: i / max(len(levels) - 1, 1) for i, level in enumerate(levels)}
            ticks += [{"setting": p, "position": pos, "label": level} for level, pos in place.items()]
        for _, trial in _drawable(trials).iterrows():
            key = float(trial[p]) if column.dtype.kind in "if" else str(trial[p])
            rows.append({"trial": int(trial["number"]), "setting": p, "position": place.get(key, math.nan), "label": str(trial[p]),
                         "value": trial["value"]})
    x = alt.X("setting:N", sort=params, title=None, axis=alt.Axis(labelAngle=0, orient="top"))
    lines = alt.Chart(pd.DataFrame(rows)).mark_line(point=True, opacity=0.7).encode(
        x=x, y=alt.Y("position:Q", title="low → high (each setting's own range)", axis=alt.Axis(labels=False, ticks=False)),
        detail=alt.Detail("trial:N"),
        color=alt.Color("value:Q", title="objective", scale=alt.Scale(scheme="viridis", type="symlog")),
        tooltip=[alt.Tooltip("trial:N"), alt.Tooltip("setting:N"), alt.Tooltip("label:N", title="value"), alt.Tooltip("value:Q", title="objective", format=".4g")],
    )
    labels = alt.Chart(pd.DataFrame(ticks)).mark_text(align="left", dx=6, fontSize=11, color="#333333").encode(
        x=x, y=alt.Y("position:Q"), text=alt.Text("label:N"))
    return alt.layer(lines, labels).properties(title="parallel coordinates: each trial's settings", height=320)


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


#: The trial-count slider of the Sweeps page: its range and default (its URL says ``trials=N`` only when N differs).
TRIALS_RANGE, TRIALS_DEFAULT = (2, 100), 20


def _lab_defaults(lab: str, fields: list[str], metric: str) -> dict[str, str]:
    """The page's settings for `lab` before a person changes them, as URL text (the direction is the metric's own)."""
    defaults = registry.LABS[lab].sweep
    monitors = {m.metric: m.direction for m in registry.LABS[lab].monitors}
    return {"fields": ",".join(defaults.fields), **{f"range.{f}": dimension_text(lab, f) for f in fields},
            "metric": next(iter(monitors)), "direction": monitors[metric], "take": defaults.take}


def _widget(key: str, lab: str, name: str, metric: str) -> str:
    """The widget key a URL name sets (lab-specific settings sit under the lab)."""
    if name in ("lab", "sampler", "trials", "seed"):
        return f"{key}.{name}"
    if name == "direction":
        return f"{key}.{lab}.{metric}.direction"
    return f"{key}.{lab}.{name}"


def _parse(lab: str, name: str, text: str, metric: str) -> Any:
    """A URL value as the widget holds it; ValueError saying what it allows."""
    choices = {"sampler": SAMPLERS, "direction": ("min", "max"), "take": ("best", "last"),
               "metric": [m.metric for m in registry.LABS[lab].monitors]}
    if name in choices:
        if text not in choices[name]:
            raise ValueError(f"choose one of {', '.join(choices[name])}")
        return text
    if name == "fields":
        fields = [f for f in text.split(",") if f]
        unknown = [f for f in fields if f not in offered(lab)]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} cannot be searched in the {lab} lab")
        return fields
    if name in ("trials", "seed"):
        low, high = TRIALS_RANGE if name == "trials" else (0, 2**31 - 1)
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"give a whole number in [{low}, {high}]")
        return int(text)
    if name.startswith("range.") and name[len("range."):] in offered(lab):
        return text
    raise KeyError(name)


def restore(key: str) -> None:
    """On a session's first run, the settings and the study the page's link holds (a note for what it cannot use)."""
    if f"{key}._restored" in st.session_state:
        return
    st.session_state[f"{key}._restored"] = True
    params, notes = dict(st.query_params), []
    params.pop(runs.WS_PARAM, None)
    lab = params.pop("lab", next(iter(registry.LABS)))
    if lab not in registry.LABS:
        notes.append(f"ignored lab={lab} (no such lab)")
        lab = next(iter(registry.LABS))
    st.session_state[f"{key}.lab"] = lab
    metric = params.get("metric", registry.LABS[lab].monitors[0].metric)
    study = params.pop("study", None)
    for name, text in params.items():
        try:
            st.session_state[_widget(key, lab, name, metric)] = _parse(lab, name, text, metric)
        except KeyError:
            notes.append(f"ignored the unknown setting '{name}'")
        except ValueError as exc:
            notes.append(f"ignored '{name}={text}' ({exc})")
    if study is not None:
        try:
            _, spec = load_sweep(None, study)
            st.session_state[f"{key}.study"] = {"lab": spec.lab, "name": study, "direction": spec.objective.direction,
                                                 "cut_short": False}
        except ValueError:
            notes.append(f"the study '{study}' is not on this server")
    if notes:
        st.warning("This link is out of date: " + plain("; ".join(notes)) + ".")


def publish(key: str, lab: str, settings: dict[str, Any]) -> None:
    """Keep the page's URL in step: the settings that differ from the defaults, and the study on show."""
    fields = settings["fields"]
    defaults = {"lab": next(iter(registry.LABS)), "sampler": SAMPLERS[0], "trials": str(TRIALS_DEFAULT), "seed": "0",
                **_lab_defaults(lab, fields, settings["metric"])}
    texts = {"fields": ",".join(fields), **{name: str(value) for name, value in settings.items() if name != "fields"}}
    wanted = {name: text for name, text in {"lab": lab, **texts}.items() if text != defaults.get(name)}
    shown = st.session_state.get(f"{key}.study")
    if shown is not None:
        wanted["study"] = shown["name"]
    if runs.WS_PARAM in st.query_params:
        wanted[runs.WS_PARAM] = st.query_params[runs.WS_PARAM]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
