"""The "Seed spread" section of every lab page: the page's settings run for seeds 0..n-1, as bands and box plots.

`section(P, config, curves)` is the one call a page makes (`config` may be ``{label: config}``
for a page that runs several, such as the Optimizers race). It draws an expander with a seeds
slider, "compare with" (a saved run of this lab, run for the same seeds), a Run button, then
the spread: a table of each setting's decisions and final yardstick, the comparisons in words
(`lab.insight.seeds.compare`), a band per curve and a box plot of the decision step and of the
final yardstick, each seed a point in its decision's colour.

The spread runs only when Run is clicked, inside the script run like the live runner
(`lab.ui.live`): a progress bar after every run and every `REDRAW_SECONDS`, where a click
(Stop, any widget) interrupts it; the run under way is dropped and the seeds that finished
are kept and drawn, "stopped after k of n seeds". With fast reruns the click's new script run
starts while the old one is still ending, so the seeds are kept as each one finishes (the
spread is built from them when drawn), not only at the end. The last spread is kept under the page's key with a fingerprint of what it ran, and
drawn again while the settings stay the same.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from lab import registry
from lab.experiments import config_from_dict
from lab.insight import seeds
from lab.records import Kind, RunResult
from lab.stopping import singular
from lab.ui import charts, live, runs
from lab.ui.numbers import number
from lab.ui.text import plain

DEFAULT_SEEDS = 10
REDRAW_SECONDS = live.REDRAW_SECONDS
#: The label of a page's one setting.
NOW = "this setting"
#: At most this many pairs of settings are compared in words (a race of 5 has 10).
MAX_PAIRS = 10
#: About this many steps of each band are drawn.
MAX_POINTS = 400


def section(prefix: str, configs: Any, curves: list[str], *, data: Any = None, data_id: str = "") -> None:
    """The seed spread of the page's setting(s) (None: the settings are invalid, nothing to run)."""
    groups = dict(configs) if isinstance(configs, Mapping) else {NOW: configs} if configs is not None else {}
    with st.expander("Seed spread: run several seeds, and tell a difference from luck"):
        if not groups:
            st.caption("Fix the settings above to run their seed spread.")
            return
        lab_id = seeds.lab_of(groups)
        left, right = st.columns([1, 2])
        n = left.slider("seeds", 2, seeds.MAX_SEEDS, DEFAULT_SEEDS, key=f"{prefix}.seeds.n",
                        help="Each setting runs for seeds 0, 1, ..., n-1 (the split, initial weights, batch order, noise).")
        saved = _saved_choice(prefix, lab_id, right, set(groups))
        if saved is not None:
            groups[saved[0]] = saved[1]
        start = st.button(f"Run {n} seeds", key=f"{prefix}.seeds.run", type="primary")
        fingerprint = live.fingerprint(groups, data_id=f"{data_id}|seeds={n}|curves={curves}")
        state = f"_seeds_{prefix}"
        if start:
            _run(state, groups, n, curves, data, fingerprint)
        kept = st.session_state.get(state)
        if kept is None:
            st.caption(f"Runs every setting above for seeds 0 to {n - 1} and draws the band each curve spans; "
                       "pick a saved run under “compare with” to test whether the difference holds across seeds.")
        elif kept["fingerprint"] != fingerprint:
            st.caption("The settings changed since the last spread: run it again to see these settings' spread.")
        else:
            spread = kept["spread"] or seeds.Spread.of(kept["runs"], kept["monitor"], kept["seeds"], kept["curves"])
            draw(spread, curves, saved[0] if saved else None, kept["stopped"], singular(registry.step_unit(lab_id)))


def _saved_choice(prefix: str, lab_id: str, container: Any, taken: set[str]) -> tuple[str, Any] | None:
    """The saved run of this lab picked under "compare with", as (label, config); None for none."""
    try:
        saved = runs.run_store().list(runs.workspace(), lab=lab_id, limit=200)
    except Exception as exc:  # the spread itself works without the store
        container.caption(f"Saved runs are not available: {plain(exc)}")
        return None
    names = {s.id: f"{s.name} · {s.decision_kind.word} at step {s.decision_step} · {s.created_at[11:19]}" for s in saved}
    chosen = container.selectbox("compare with (a saved run's setting, same seeds)", [None, *names], key=f"{prefix}.seeds.compare",
                                 format_func=lambda i: "nothing" if i is None else names[i])
    summary = next((s for s in saved if s.id == chosen), None)
    if summary is None:
        return None
    label = f"saved: {summary.name}"
    while label in taken:
        label += "'"
    try:
        return label, config_from_dict(lab_id, summary.config)
    except ValueError as exc:
        container.caption(f"This saved run's setting cannot run now: {plain(exc)}")
        return None


def _run(state: str, groups: dict[str, Any], n: int, curves: list[str], data: Any, fingerprint: str) -> None:
    """Run the spread with a progress bar and Stop; keep what finished (see the module's docstring)."""
    note = seeds.excess(groups, n)
    if note and runs.shared():
        st.error(f"Not run: {plain(note)}, on this shared deployment. Take fewer seeds or a lighter setting.")
        return
    if note:
        st.warning(f"Heavy spread: {plain(note)}; a shared deployment would refuse it. It runs here, and may take minutes.")
    bar = st.progress(0.0, text="starting…")
    stop = st.empty()
    stop.button("Stop", key=f"{state}.stop", help="End the spread here and keep the seeds that finished")
    interrupt: list[BaseException] = []
    # the seeds are kept as each finishes (a click's new script run reads them while this one ends);
    # without the artifacts, which a spread does not draw
    kept = {"fingerprint": fingerprint, "runs": [], "seeds": n, "monitor": seeds.monitor(seeds.lab_of(groups)),
            "curves": curves, "spread": None, "stopped": True}
    before, st.session_state[state] = st.session_state.get(state), kept

    shown = [-math.inf]
    total = n * len(groups)
    done = [0]

    def show(text: str) -> None:
        if interrupt:
            return
        try:
            bar.progress(done[0] / total, text=text)
        except ScriptControlException as exc:  # a click: stop here, keep what finished
            interrupt.append(exc)
        shown[0] = time.perf_counter()

    def on_step(step: Any) -> None:
        if time.perf_counter() - shown[0] >= REDRAW_SECONDS:
            show(f"{done[0]} of {total} runs done; step {step.step} of the next")

    def on_result(group: str, seed: int, result: Any, finished: int, _total: int) -> None:
        kept["runs"].append((group, seed, RunResult(result.config, result.steps, result.decision)))
        done[0] = finished
        show(f"{finished} of {total} runs done (last: {group}, seed {seed}, {result.decision.kind.word})")

    try:
        spread = seeds.run(groups, n, metrics=curves, data=data, on_step=on_step, on_result=on_result,
                           cancel=lambda: bool(interrupt))
    except Exception as exc:  # a bad saved setting or upload: say so, keep the last spread
        bar.empty()
        stop.empty()
        st.session_state[state] = before
        st.error(f"The spread could not run: {plain(exc)}")
        return
    kept.update(spread=spread, stopped=bool(interrupt))
    if interrupt:
        raise interrupt[0]
    bar.empty()
    stop.empty()


def draw(spread: seeds.Spread, curves: list[str], saved: str | None = None, stopped: bool = False, unit: str = "step") -> None:
    """The spread: its table, the comparisons in words, a band per curve and the two box plots."""
    if spread.finished == 0:
        st.info("The spread was stopped before any seed finished.")
        return
    if stopped:
        st.warning(f"Stopped after {spread.finished} of {spread.seeds} seeds; below: the seeds that finished.", icon="⏹")
    groups = spread.groups
    colours = {g: charts.PALETTE[i % len(charts.PALETTE)] for i, g in enumerate(groups)}
    st.dataframe(summary_table(spread), hide_index=True, width="stretch")
    same = [g for g in groups if spread.identical(g)]
    if same:
        st.caption(f"{', '.join(plain(g) for g in same)}: every seed gave exactly the same run, so nothing in "
                   f"{'this setting' if len(same) == 1 else 'these settings'} is random (the seed only drives what the "
                   "setting draws at random: here nothing); any difference from another setting is not luck.")
    lines = [c.words(number) for a, b in pairs(groups, saved) for c in seeds.compare(spread, a, b)]
    if lines:
        st.markdown("\n".join(f"- {plain(line)}" for line in lines))
    elif len(groups) == 1:
        st.caption("Pick a saved run under “compare with” to test whether a difference holds across seeds.")
    table = seeds.bands(spread.curves)
    shown = [m for m in curves if m in set(table["metric"])]
    for i in range(0, len(shown), 2):
        for column, metric in zip(st.columns(2), shown[i:i + 2]):
            column.altair_chart(band_chart(table, metric, colours, unit), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(box_chart(spread.outcomes, "step", f"decision {unit}, per seed", colours), width="stretch")
    right.altair_chart(box_chart(spread.outcomes, "final", f"final {spread.monitor}, per seed", colours), width="stretch")


def pairs(groups: list[str], saved: str | None) -> list[tuple[str, str]]:
    """The pairs compared in words: each setting against the saved one, else every pair of the page's settings."""
    if saved is not None:
        return [(g, saved) for g in groups if g != saved][:MAX_PAIRS]
    return list(itertools.combinations(groups, 2))[:MAX_PAIRS]


def _range(values: pd.Series) -> str:
    finite = values[values.map(math.isfinite)]
    if not len(finite):
        return "—"
    return f"{number(finite.median())} ({number(finite.min())} to {number(finite.max())})"


def summary_table(spread: seeds.Spread) -> pd.DataFrame:
    """A row per setting: its seeds, their decisions, the decision step and the final yardstick (median, range)."""
    rows = []
    for group, part in spread.outcomes.groupby("group", sort=False):
        kinds = part["kind"].value_counts()
        failed = int((~part["final"].map(math.isfinite)).sum())
        rows.append({
            "setting": group, "seeds": len(part),
            "decisions": ", ".join(f"{Kind(k).word} {c}" for k, c in kinds.items()),
            "decision step: median (min to max)": _range(part["step"].astype(float)),
            f"final {spread.monitor}: median (min to max)": _range(part["final"]) + (f"; {failed} failed" if failed else ""),
        })
    return pd.DataFrame(rows)


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    """About `MAX_POINTS` steps of each group's band (and its last step)."""
    parts = []
    for _, part in frame.groupby("group", sort=False):
        stride = max(1, len(part) // MAX_POINTS)
        parts.append(part.iloc[sorted({*range(0, len(part), stride), len(part) - 1})])
    return pd.concat(parts) if parts else frame


def band_chart(table: pd.DataFrame, metric: str, colours: Mapping[str, str], unit: str = "step") -> alt.LayerChart:
    """One curve's band: min to max over the seeds shaded, the median as a line, per setting (log when it spans decades)."""
    data = _thin(table[table["metric"] == metric])
    log = bool(len(data)) and data["min"].min() > 0 and data["max"].max() >= 100 * data["min"].min()
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    colour = alt.Color("group:N", title=None, scale=charts.colour_scale(list(colours), colours), legend=alt.Legend(orient="bottom"))
    x = alt.X("step:Q", title=unit, axis=charts.axis())
    tooltip = [alt.Tooltip("group:N", title="setting"), alt.Tooltip("step:Q"), alt.Tooltip("median:Q", format=".4g"),
               alt.Tooltip("min:Q", format=".4g"), alt.Tooltip("max:Q", format=".4g"), alt.Tooltip("seeds:Q", title="seeds running")]
    area = alt.Chart(data).mark_area(opacity=0.22).encode(x=x, y=alt.Y("min:Q", scale=scale, axis=charts.axis(), title=metric),
                                                          y2=alt.Y2("max:Q"), color=colour)
    line = alt.Chart(data).mark_line(strokeWidth=2).encode(x=x, y=alt.Y("median:Q", scale=scale), color=colour, tooltip=tooltip)
    return alt.layer(area, line).properties(title=f"{metric}: median and min–max over the seeds", height=280)


def box_chart(outcomes: pd.DataFrame, column: str, title: str, colours: Mapping[str, str]) -> alt.LayerChart:
    """A box (min to max, quartiles, median) per setting of one outcome, each seed a point in its decision's colour."""
    data = outcomes.assign(decision=outcomes["kind"].map(lambda k: Kind(k).word))
    data = data[data[column].map(math.isfinite)].drop(columns="kind")
    fill, shapes = charts.kind_scales([Kind(k) for k in outcomes["kind"]])
    x = alt.X("group:N", title=None, sort=list(colours), axis=alt.Axis(labelAngle=0, labelLimit=160))
    y = alt.Y(f"{column}:Q", title=title.split(",")[0], scale=alt.Scale(zero=False), axis=charts.axis())
    box = alt.Chart(data).mark_boxplot(extent="min-max", opacity=0.35, size=36).encode(
        x=x, y=y, color=alt.Color("group:N", scale=charts.colour_scale(list(colours), colours), legend=None))
    legend = alt.Legend(orient="bottom", title="decision")
    points = alt.Chart(data).mark_point(size=70, filled=True, stroke="black", strokeWidth=0.5).encode(
        x=x, y=y, fill=alt.Fill("decision:N", scale=fill, legend=legend), shape=alt.Shape("decision:N", scale=shapes, legend=legend),
        tooltip=[alt.Tooltip("group:N", title="setting"), alt.Tooltip("seed:Q"), alt.Tooltip("decision:N"),
                 alt.Tooltip(f"{column}:Q", format=".4g")])
    return alt.layer(box, points).properties(title=title, height=280)
