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

from lab.stopping import Decision, Kind

#: Stable colours for names that recur across charts (optimizers, train/val).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
GREEN, AMBER, RED, GREY, INDIGO = "#2ca02c", "#e69f00", "#d62728", "#8a8a8a", "#5b5bd6"
STOP_COLOUR = RED
#: The best step a restoring rule went back to (not green: green says "converged").
BEST_COLOUR = "#333333"
#: Each decision kind as every chart marks it: a colour for what it means (reached its tolerance green,
#: stopped early by patience or a threshold amber, blew up red, ran out of steps or pruned grey,
#: stopped by you indigo) and a shape of its own (failures are crosses), in legend order.
KIND_COLOURS = {
    Kind.CONVERGED: GREEN, Kind.THRESHOLD: AMBER, Kind.PATIENCE: AMBER, Kind.DIVERGED: RED, Kind.NON_FINITE: RED,
    Kind.BUDGET: GREY, Kind.PRUNED: GREY, Kind.CANCELLED: INDIGO,
}
KIND_SHAPES = {
    Kind.CONVERGED: "circle", Kind.DIVERGED: "cross", Kind.NON_FINITE: "cross", Kind.BUDGET: "square",
    Kind.PATIENCE: "diamond", Kind.THRESHOLD: "triangle-up", Kind.PRUNED: "triangle-down", Kind.CANCELLED: "wedge",
}
#: The same looks as Streamlit's coloured badges (``:green-badge[converged]``), for decisions in text.
KIND_BADGES = {
    Kind.CONVERGED: "green", Kind.THRESHOLD: "orange", Kind.PATIENCE: "orange", Kind.DIVERGED: "red", Kind.NON_FINITE: "red",
    Kind.BUDGET: "gray", Kind.PRUNED: "gray", Kind.CANCELLED: "violet",
}


def decision_lines(results: Mapping[str, object]) -> str:
    """Markdown: each run's decision as a badge of its kind's colour and its reason in words."""
    lines = []
    for label, result in results.items():
        d = result.decision
        if d is not None:
            lines.append(f"- **{label}** :{KIND_BADGES[d.kind]}-badge[{d.kind.word}] {d.reason}")
    return "\n".join(lines)


#: One label format on every numeric axis: plain with thousands separators in between, powers of ten
#: (1e-14, 1e10) beyond, as `lab.ui.numbers` writes them, so a chart never shows "1e+14" beside "10,000,000,000".
#: A tick Vega leaves unlabelled (the 2..9 between decades of a log axis) stays unlabelled.
AXIS_LABELS = ("datum.label === '' ? '' : abs(datum.value) >= 1e9 || (abs(datum.value) < 1e-4 && datum.value != 0)"
               " ? replace(format(datum.value, '.2~e'), 'e+', 'e') : format(datum.value, ',~g')")


@alt.theme.register("convergence_lab", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    """`AXIS_LABELS` on every quantitative axis of every chart, also those drawn without `axis()`.

    Streamlit keeps an enabled theme other than Altair's default (it swaps only "default" for "none"),
    and this one adds nothing else, so its own styling is unchanged."""
    return {"config": {"axisQuantitative": {"labelExpr": AXIS_LABELS}}}


def axis(**kwargs) -> alt.Axis:
    """A numeric axis with `AXIS_LABELS`."""
    return alt.Axis(labelExpr=AXIS_LABELS, **kwargs)


def finite(frame: pd.DataFrame, log: bool = False) -> pd.DataFrame:
    """The rows a chart can draw, with the true value kept in ``actual`` (for tooltips).

    Non-finite values are left out. On a log scale a value <= 0 (a Q change of exactly 0, a gap
    of exactly 0) is drawn at the floor, a decade below the smallest positive value, rather than
    vanishing from the chart.
    """
    values = frame["value"].to_numpy(dtype=float)
    data = frame[np.isfinite(values)].copy()
    data["actual"] = data["value"]
    if log and len(data):
        positive = data["value"] > 0
        floor = data.loc[positive, "value"].min() / 10 if positive.any() else 1e-12
        data.loc[~positive, "value"] = floor
    return data


def value_tooltip(fmt: str = ".4g") -> alt.Tooltip:
    """The tooltip of a value as recorded (``actual`` from `finite`: a zero on a log chart says 0, not its floor)."""
    return alt.Tooltip("actual:Q", title="value", format=fmt)


def colour_scale(names: Sequence[str], fixed: Mapping[str, str] | None = None) -> alt.Scale:
    """Colours for `names` in order; a name in `fixed` keeps its own colour on every chart."""
    names = list(dict.fromkeys(names))
    fixed = fixed or {}
    return alt.Scale(domain=names, range=[fixed.get(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)])


def kind_scales(kinds: Iterable[Kind]) -> tuple[alt.Scale, alt.Scale]:
    """The colour and shape scales of the kinds present (each kind's own look, `KIND_COLOURS`/`KIND_SHAPES`)."""
    kinds = set(kinds)
    present = [kind for kind in KIND_SHAPES if kind in kinds]
    words = [kind.word for kind in present]
    return (alt.Scale(domain=words, range=[KIND_COLOURS[k] for k in present]),
            alt.Scale(domain=words, range=[KIND_SHAPES[k] for k in present]))


def decision_marks(decision: Decision | None, *, label: bool = True) -> list[alt.Chart]:
    """A dashed rule at the stop step in the kind's colour (its reason as tooltip), the kind's marker
    and word at its top, and a rule at the best step."""
    if decision is None:
        return []
    marks = []
    colour = KIND_COLOURS[decision.kind]
    stop = pd.DataFrame({"step": [decision.step], "reason": [decision.reason], "kind": [f"stop: {decision.kind.word}"]})
    tooltip = [alt.Tooltip("kind:N", title="decision"), alt.Tooltip("reason:N"), alt.Tooltip("step:Q")]
    marks.append(alt.Chart(stop).mark_rule(color=colour, strokeDash=[6, 4], strokeWidth=2).encode(x=alt.X("step:Q"), tooltip=tooltip))
    if label:
        marks.append(alt.Chart(stop).mark_point(shape=KIND_SHAPES[decision.kind], size=90, filled=True, color=colour, stroke="black",
                                                strokeWidth=1).encode(x=alt.X("step:Q"), y=alt.value(8), tooltip=tooltip))
        marks.append(
            alt.Chart(stop).mark_text(align="left", dx=9, dy=0, color=colour, fontWeight="bold")
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
    colours: Mapping[str, str] | None = None,
) -> alt.LayerChart:
    """Lines of `value` against `step`, one per `color` group (`colours` fixes some), with the decision marked."""
    data = finite(frame, log)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    if y_domain is not None:
        scale = alt.Scale(type="log" if log else "linear", domain=list(y_domain))
    if symlog:
        scale = alt.Scale(type="symlog")
    x = alt.X("step:Q", title=x_title, axis=axis(), scale=alt.Scale(domain=list(x_domain)) if x_domain else alt.Undefined)
    names = list(dict.fromkeys(frame[color].tolist())) if len(frame) else []
    lines = alt.Chart(data).mark_line(strokeWidth=2, clip=True, point=symlog).encode(
        x=x,
        y=alt.Y("value:Q", title=y_title or None, scale=scale, axis=axis()),
        color=alt.Color(f"{color}:N", title=None, scale=colour_scale(names, colours), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("step:Q"), value_tooltip()],
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


def stop_points(results: Mapping[str, object], metric: str, log: bool = False, names: Sequence[str] | None = None,
                colours: Mapping[str, str] | None = None, shift: float = 0.0) -> alt.Chart:
    """One marker per run where its decision fired, on `metric`: filled and shaped by the decision's
    kind (`KIND_COLOURS`, `KIND_SHAPES`, with a legend), ringed in the run's colour, the reason as tooltip."""
    rows = []
    for label, result in results.items():
        decision = result.decision
        if decision is None:
            continue
        value = None
        for s in reversed(result.steps):
            v = s.metrics.get(metric)
            v = None if v is None else v - shift
            if v is not None and np.isfinite(v) and (v > 0 or not log):
                value = v
                break
        if value is not None:
            rows.append({"run": label, "step": decision.step, "value": value, "decision": decision.kind.word,
                         "reason": decision.reason, "kind": decision.kind})
    frame = pd.DataFrame(rows, columns=["run", "step", "value", "decision", "reason", "kind"])
    fill, shapes = kind_scales(frame["kind"])
    legend = alt.Legend(orient="top", direction="horizontal", title="stop")
    return alt.Chart(frame.drop(columns="kind")).mark_point(size=130, filled=True, strokeWidth=2).encode(
        x=alt.X("step:Q"), y=alt.Y("value:Q"),
        fill=alt.Fill("decision:N", scale=fill, legend=legend), shape=alt.Shape("decision:N", scale=shapes, legend=legend),
        stroke=alt.Stroke("run:N", scale=colour_scale(list(names or results), colours), legend=None),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("decision:N"), alt.Tooltip("reason:N"), alt.Tooltip("step:Q")],
    )


def runs_chart(results: Mapping[str, object], metric: str, *, title: str, log: bool = False, height: int = 420,
               names: Sequence[str] | None = None, legend: bool = True, smooth: int = 1,
               colours: Mapping[str, str] | None = None, shift: float = 0.0) -> alt.LayerChart:
    """One metric of several runs, a line each (`colours` fixes some runs' colours), with each run's stop
    marked by its kind's marker (reason as tooltip).

    `smooth` > 1 draws the rolling mean over that many steps (noisy losses), said in the axis title.
    `shift` is subtracted from every value: a loss drawn above its known minimum f* stays positive on a log scale.
    """
    frame = runs_frame(results, [metric], max_points=600 if smooth == 1 else 100_000)
    frame["value"] = frame["value"] - shift
    if smooth > 1 and len(frame):
        frame["value"] = frame.groupby("run")["value"].transform(lambda v: v.rolling(smooth, min_periods=1).mean())
        frame = runs_frame_thin(frame, 600)
    data = finite(frame, log)
    names = list(names or results)
    lines = alt.Chart(data).mark_line(strokeWidth=2, clip=True).encode(
        x=alt.X("step:Q", axis=axis()),
        y=alt.Y("value:Q", title=metric if smooth == 1 else f"{metric} (mean of {smooth} steps)", axis=axis(),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
        color=alt.Color("run:N", title=None, scale=colour_scale(names, colours),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=220) if legend else None),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), value_tooltip()],
    )
    return alt.layer(lines, stop_points(results, metric, log, names, colours, shift)).properties(title=title, height=height)


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
