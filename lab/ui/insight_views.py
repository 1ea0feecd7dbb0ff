"""Views of `lab.insight`: the rate readout, the stability map, basins of attraction, phase notes.

Each page adds them with a line or two: `rate_table` (several runs) or `rate_line` (one run)
inside its draw, `descent_maps` below the Optimizers board, `with_phases` around a chart.
Clicking a cell of the stability map sets the clicked optimizer's lr and momentum (or β₂) on the
Optimizers page; clicking a start of the basin map sets the start point; either runs the race again.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.insight import basins, phases, readouts, stability, theory
from lab.records import RunResult
from lab.ui import charts, form, numbers

OUTCOME_COLOURS = {"oscillating": charts.AMBER, "slow": charts.GREY, "diverged": charts.RED}
END_WORDS = {basins.STUCK: "another stationary point", basins.MOVING: "still moving", basins.DIVERGED: "diverged"}
END_COLOURS = {basins.STUCK: "#bbbbbb", basins.MOVING: "#777777", basins.DIVERGED: charts.RED}
PHASE_COLOURS = {"oscillating": charts.AMBER, "plateau": charts.GREY, "diverging": charts.RED}


def _rho(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def rate_table(results: Mapping[str, RunResult], readout=readouts.descent) -> None:
    """The measured rate of each run beside theory, and each run's sentence."""
    rows, lines = [], []
    for label, result in results.items():
        if not result.steps:
            continue
        r = readout(result)
        rows.append({"run": label, "measured ρ": _rho(r.rate.rho) if r.rate else None,
                     "steps per decade": round(r.rate.steps_per_decade, 1) if r.rate else None,
                     "theory ρ": _rho(r.theory.rho) if r.theory else None,
                     "stable lr below": r.theory.edge if r.theory else None})
        lines.append(f"- **{label}**: {r.sentence}")
    if rows:
        st.markdown("**Rate of convergence** (slope of log gap over the recent steps)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.markdown("\n".join(lines))


#: Each lab's readout: which gap its rate is measured on, and its theory (`lab.insight.readouts`).
READOUTS = {"descent": readouts.descent, "regression": readouts.regression, "kmeans": readouts.kmeans,
            "qlearning": readouts.qlearning}


def rate_line(result: RunResult | None, lab: str = "descent") -> None:
    """One run's measured rate beside theory, in a line of text, and its sentence."""
    if result is None or not result.steps:
        return
    r = READOUTS[lab](result)
    measured = f"ρ = {numbers.number(r.rate.rho)}, {numbers.number(r.rate.steps_per_decade, 3)} per decade" if r.rate else "not linear"
    known = r.theory is not None and r.theory.rho is not None
    st.markdown(f"**Rate of convergence** · measured {measured} · theory ρ = {numbers.number(r.theory.rho) if known else '—'}")
    st.caption(r.sentence)


# ---- phase notes -----------------------------------------------------------------------------


def phase_marks(result: RunResult, metric: str) -> list[alt.Chart]:
    """Shaded spans where `metric` oscillates, plateaus or diverges, their words on hover."""
    steps, values = result.series(metric)
    found = phases.phases(steps, values, metric)
    if not found:
        return []
    frame = pd.DataFrame([{"step": p.start, "step2": p.end, "phase": p.kind, "note": p.words} for p in found])
    kinds = [k for k in phases.KINDS if k in set(frame["phase"])]
    fill = alt.Fill("phase:N", scale=alt.Scale(domain=kinds, range=[PHASE_COLOURS[k] for k in kinds]),
                    legend=alt.Legend(orient="top", title="phase"))  # fill, not color: the lines keep their own scale
    return [alt.Chart(frame).mark_rect(opacity=0.15).encode(
        x=alt.X("step:Q"), x2=alt.X2("step2:Q"), fill=fill,
        tooltip=[alt.Tooltip("phase:N"), alt.Tooltip("note:N")])]


def phase_strip(results: Mapping[str, RunResult], metric: str) -> alt.Chart | None:
    """One lane per run of a race: the spans where `metric` oscillates, plateaus or diverges, words on
    hover (shading them on the race's own chart would stack every run's spans on each other)."""
    rows = [{"run": label, "step": p.start, "step2": p.end, "phase": p.kind, "note": p.words}
            for label, result in results.items() for p in phases.phases(*result.series(metric), metric)]
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    kinds = [k for k in phases.KINDS if k in set(frame["phase"])]
    last = max((r.steps[-1].step for r in results.values() if r.steps), default=1)
    return alt.Chart(frame).mark_rect(opacity=0.7).encode(
        x=alt.X("step:Q", title="step", axis=charts.axis(), scale=alt.Scale(domain=[0, last], nice=False)), x2=alt.X2("step2:Q"),
        y=alt.Y("run:N", title=None, sort=list(results)),
        fill=alt.Fill("phase:N", scale=alt.Scale(domain=kinds, range=[PHASE_COLOURS[k] for k in kinds]),
                      legend=alt.Legend(orient="right", title="phase")),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("phase:N"), alt.Tooltip("note:N")],
    ).properties(title=f"phases of {metric}: where each run oscillates, plateaus or diverges", height=36 * len(results) + 70)


def with_phases(chart: alt.LayerChart, result: RunResult, metric: str) -> alt.LayerChart:
    """`chart` with `phase_marks` of `metric` underneath."""
    marks = phase_marks(result, metric)
    return alt.layer(*marks, chart) if marks else chart


# ---- the Optimizers page's maps ----------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def _stability(surface: str, optimizer: str, start: tuple, steps: int, tol: float, centre: float, beta1: float):
    second = stability.beta2_grid() if stability.SECOND_AXIS[optimizer] == "beta2" else stability.momentum_grid()
    return stability.stability_map(surface, optimizer, stability.lr_grid(centre), second, start=start, steps=steps, tol=tol,
                                   beta1=beta1)


@st.cache_data(show_spinner=False, max_entries=16)
def _basins(surface: str, optimizer: str, hyper: tuple, steps: int, tol: float, n: int):
    return basins.basins(surface, optimizer, dict(hyper), n=n, steps=steps, tol=tol)


#: The most steps a map runs (the race may run more): keeps every map within about a second.
MAP_STEPS = 1000
BASIN_GRID = 60


def descent_maps(prefix: str, configs: Mapping[str, object] | None) -> None:
    """The stability map and the basins of attraction of one optimizer of the race, in two tabs."""
    if not configs:
        return
    st.subheader("Insight: where each setting leads")
    labels = list(configs)
    key = form.key(prefix, "insight.optimizer")
    if st.session_state.get(key) not in labels:
        st.session_state[key] = labels[0]
    label = st.selectbox("optimizer to map", labels, key=key)
    config = configs[label]
    tol = config.tol if config.tol > 0 else 1e-3
    steps = min(config.steps, MAP_STEPS)
    stab, basin = st.tabs(["Stability map", "Basins of attraction"])
    with stab:
        stability_view(prefix, config, steps, tol)
    with basin:
        basins_view(prefix, config, steps, tol)


def stability_view(prefix: str, config, steps: int, tol: float) -> None:
    """The lr x momentum (or lr x β₂) map of the config's optimizer; a click runs that cell."""
    from lab.experiments.descent import default_hyper

    if config.optimizer not in stability.SECOND_AXIS:
        st.info(f"No stability map for {config.optimizer}: the map covers gradient descent, momentum, Nesterov and the Adam family.")
        return
    found = readouts.descent_theory(config)
    curvatures, exact = (found.curvatures, found.exact) if found else (None, False)
    heavy = stability.SECOND_AXIS[config.optimizer] == "momentum"
    centre = 1.0 / max(curvatures) if heavy and exact else default_hyper(config.surface, config.optimizer)["lr"] * 2
    m = _stability(config.surface, config.optimizer, tuple(config.start_point), steps, tol, centre,
                   0.9 if heavy else config.optimizer_setting("betas")[0])
    title = f"{config.optimizer} on {config.surface}: outcome after {steps} steps"
    second = (config.optimizer_setting("momentum") or 0.0) if heavy else config.optimizer_setting("betas")[1]
    frame = _map(prefix, m, config.optimizer, (config.lr, second), curvatures if heavy and exact else None, title,
                 on_click=lambda: _run_cell(prefix, config.optimizer, heavy))
    st.caption(_map_counts(frame) + " without gradient noise. "
               + (f"Dashed: theory's stability edge (GD: η < 2/λmax = {theory.gd_edge(curvatures):.4g}); ◆ the optimal momentum."
                  if heavy and exact else "Theory's edges are drawn on the quadratic surfaces only.")
               + " Click a cell to run it.")


def _map(prefix: str, m: stability.StabilityMap, optimizer: str, now: tuple[float, float], curvatures, title: str,
         on_click) -> pd.DataFrame:
    """Draw map `m` of `optimizer` with the run's own (lr, second setting) `now` marked, and theory's edges
    for `curvatures` (None: no edges); its cells."""
    heavy = m.axis == "momentum"
    second_title = "momentum μ" if heavy else "β₂"
    frame = _cells(m)
    lr_scale = alt.Scale(type="log", nice=False)
    if heavy:
        y_field, y_scale, y_title = "second", alt.Scale(nice=False), second_title
    else:
        y_field, y_scale, y_title = "one_minus", alt.Scale(type="log", nice=False, reverse=True), "1 − β₂ (log)"
    tooltip = [alt.Tooltip("lr:Q", format=".4g"), alt.Tooltip("second:Q", title=second_title, format=".4g"),
               alt.Tooltip("outcome:N"), alt.Tooltip("steps:Q", title="steps to tolerance")]
    base = alt.Chart(frame).encode(
        x=alt.X("lr_lo:Q", scale=lr_scale, title="learning rate η (log)", axis=charts.axis()), x2=alt.X2("lr_hi:Q"),
        y=alt.Y(f"{y_field}_lo:Q", scale=y_scale, title=y_title), y2=alt.Y2(f"{y_field}_hi:Q"), tooltip=tooltip)
    others = [o for o in stability.OUTCOMES[1:] if (frame["outcome"] == o).any()]
    layers = [
        base.transform_filter(alt.datum.outcome == "converged").mark_rect().encode(
            color=alt.Color("steps:Q", scale=alt.Scale(scheme="greens", reverse=True, type="log"), title="steps to tolerance")),
        base.transform_filter(alt.datum.outcome != "converged").mark_rect().encode(
            fill=alt.Fill("outcome:N", scale=alt.Scale(domain=others, range=[OUTCOME_COLOURS[o] for o in others]),
                          legend=alt.Legend(orient="bottom", title=None))),
    ]
    cell = alt.selection_point(name="cell", fields=["lr", "second"], on="click", clear=False)
    layers.append(base.mark_rect(opacity=0.01, color="white").add_params(cell))
    if curvatures is not None:
        layers.extend(_edges(optimizer, curvatures, m.second))
    lr, second = now
    here = pd.DataFrame({"lr": [lr], "second": [second], "one_minus": [1.0 - second]})
    layers.append(alt.Chart(here).mark_point(shape="cross", size=160, color="black", strokeWidth=2).encode(
        x=alt.X("lr:Q"), y=alt.Y(f"{y_field}:Q"), tooltip=[alt.Tooltip("lr:Q", title="this run's lr")]))
    chart = alt.layer(*layers).properties(height=380, title=title)
    st.altair_chart(chart, width="stretch", key=form.key(prefix, "insight.stability"), on_select=on_click, selection_mode="cell")
    return frame


def _map_counts(frame: pd.DataFrame) -> str:
    counts = {o: int((frame["outcome"] == o).sum()) for o in stability.OUTCOMES}
    return ", ".join(f"{n} {o}" for o, n in counts.items() if n) + f" of {len(frame)} settings,"


# ---- the Regression page's map -----------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _least_squares(config: dict, data: bytes | None) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """G = XᵀX/m, θ*, the optimum's MSE and the Hessian's eigenvalues of the config's training split, as the lab
    prepares them."""
    from lab.experiments.regression import RegressionConfig
    from lab.experiments.regression.experiment import RegressionExperiment

    problem = RegressionExperiment(RegressionConfig.from_dict(config), data)
    return problem.gram, problem.theta_star, problem.optimum_mse, problem.hessian_eigenvalues()


@st.cache_data(show_spinner=False, max_entries=8)
def _regression_map(gram, star, optimum: float, optimizer: str, lrs: tuple, second: tuple, steps: int, tol: float,
                    threshold: float, beta1: float) -> stability.StabilityMap:
    return stability.regression_map(gram, star, optimizer, np.array(lrs), np.array(second), steps=steps, tol=tol,
                                    diverged_above=threshold, optimum_mse=optimum, beta1=beta1)


def regression_stability(prefix: str, config, data: bytes | None) -> None:
    """The lr x momentum (or lr x β₂) map of full-batch descent on this regression problem; a click runs that cell.

    Nothing when the data cannot be prepared (the run's own message on the page says why)."""
    try:
        gram, star, optimum, eigen = _least_squares(config.to_dict(), data)
    except ValueError:
        return
    st.subheader("Stability map: where each setting leads on this problem")
    if config.optimizer not in stability.SECOND_AXIS:
        st.info(f"No stability map for {config.optimizer}: the map covers gradient descent, momentum, Nesterov and the Adam family.")
        return
    heavy = stability.SECOND_AXIS[config.optimizer] == "momentum"
    steps = min(config.epochs, MAP_STEPS)
    lam = readouts.curved(eigen)
    centre = 1.0 / max(lam) if heavy else config.lr * 2
    second = stability.momentum_grid() if heavy else stability.beta2_grid()
    beta1 = 0.9 if heavy else config.betas[0]
    now = (config.lr, config.momentum if config.optimizer in ("momentum", "nesterov") else 0.0) if heavy else (config.lr, config.betas[1])
    try:
        m = _regression_map(gram, star, optimum, config.optimizer, tuple(stability.lr_grid(centre)), tuple(second), steps,
                            config.tol, config.divergence_threshold, beta1)
    except ValueError as error:
        st.info(f"No stability map here: {error}.")
        return
    frame = _map(prefix, m, config.optimizer, now, lam if heavy else None, f"{config.optimizer}, full batch: outcome after {steps} epochs",
                 on_click=lambda: _run_regression_cell(prefix, config.optimizer, heavy))
    batch = "" if config.batch_size is None else f" (this run uses batches of {config.batch_size}: their noise is not in the map)"
    schedule = "" if config.schedule.name == "constant" else ", at a constant lr (the schedule is not in the map)"
    st.caption(_map_counts(frame) + f" each a full-batch descent from θ = 0 on this problem{schedule}{batch}. "
               + (f"Dashed: theory's stability edge (GD: η < 2/λmax = {theory.gd_edge(lam):.4g}; momentum: 2(1 + μ)/λmax); "
                  "◆ the optimal momentum." if heavy else "Adam's steps are per coordinate: no closed-form edge.")
               + " Click a cell to run it.")


def _clicked_cell(prefix: str, optimizer: str, heavy: bool) -> tuple[str, float, float] | None:
    """The stability map's clicked cell as (optimizer, lr, second setting): on the heavy-ball map the μ = 0
    row is gradient descent and the others momentum (Nesterov stays Nesterov). None without a click."""
    point = _selected(prefix, "insight.stability", "cell")
    if point is None:
        return None
    lr, second = float(point["lr"]), float(point["second"])
    if heavy:
        optimizer = "gd" if second == 0 else ("nesterov" if optimizer == "nesterov" else "momentum")
    return optimizer, lr, second


def _run_regression_cell(prefix: str, optimizer: str, heavy: bool) -> None:
    """A click on the Regression map: that cell's optimizer, lr and momentum (or β₂) on the page."""
    cell = _clicked_cell(prefix, optimizer, heavy)
    if cell is None:
        return
    optimizer, lr, second = cell
    if heavy:
        if optimizer != "gd":
            st.session_state[form.key(prefix, "momentum")] = second
    else:
        st.session_state[form.key(prefix, "betas.1")] = second
    st.session_state[form.key(prefix, "optimizer")] = optimizer
    st.session_state[form.key(prefix, "lr")] = lr


def _bounds(values: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's edges towards its previous and its next neighbour (midpoints, geometric on a log axis)."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    before = np.concatenate([[2 * v[0] - mid[0]], mid])
    after = np.concatenate([mid, [2 * v[-1] - mid[-1]]])
    return (np.exp(before), np.exp(after)) if log else (before, after)


def _cells(m: stability.StabilityMap) -> pd.DataFrame:
    lr_lo, lr_hi = _bounds(m.lrs, log=True)
    s = m.second
    s_lo, s_hi = _bounds(s, log=False)
    om_lo, om_hi = _bounds(1.0 - s, log=True)
    rows = []
    for i, second in enumerate(s):
        for j, lr in enumerate(m.lrs):
            outcome = stability.OUTCOMES[m.outcome[i, j]]
            rows.append({"lr": float(lr), "second": float(second), "lr_lo": lr_lo[j], "lr_hi": lr_hi[j],
                         "second_lo": s_lo[i], "second_hi": s_hi[i], "one_minus": 1 - second,
                         "one_minus_lo": om_lo[i], "one_minus_hi": om_hi[i], "outcome": outcome,
                         "steps": int(m.steps_to_tol[i, j]) if outcome == "converged" else None})
    frame = pd.DataFrame(rows)
    frame.loc[frame["steps"] == 0, "steps"] = 1
    return frame


def _edges(optimizer: str, curvatures, momenta: np.ndarray) -> list[alt.Chart]:
    mu = np.linspace(0.0, float(momenta[-1]), 50)
    if optimizer == "nesterov":
        edge = theory.nesterov_edge(mu, curvatures)
    else:
        edge = theory.heavy_ball_edge(mu, curvatures)
    line = pd.DataFrame({"lr": edge, "second": mu, "what": "theory's stability edge"})
    lr_opt, mu_opt, rho = theory.optimal_momentum(curvatures)
    best = pd.DataFrame({"lr": [lr_opt], "second": [mu_opt], "what": [f"optimal momentum: ρ = {rho:.4g}"]})
    return [
        alt.Chart(line).mark_line(color="black", strokeDash=[6, 4], strokeWidth=2).encode(
            x=alt.X("lr:Q"), y=alt.Y("second:Q"), order=alt.Order("second:Q"), tooltip=[alt.Tooltip("what:N")]),
        alt.Chart(best).mark_point(shape="diamond", size=160, filled=True, color="white", stroke="black").encode(
            x=alt.X("lr:Q"), y=alt.Y("second:Q"), tooltip=[alt.Tooltip("what:N"), alt.Tooltip("lr:Q", format=".4g"),
                                                            alt.Tooltip("second:Q", title="μ", format=".4g")]),
    ]


def _selected(prefix: str, chart: str, param: str) -> dict | None:
    """The point clicked on the page's chart `chart` (its selection parameter `param`), or None."""
    state = st.session_state.get(form.key(prefix, chart))
    points = (state or {}).get("selection", {}).get(param) or []
    return points[0] if points else None


def _run_cell(prefix: str, optimizer: str, heavy: bool) -> None:
    """A click on the stability map: that cell's lr and momentum (or β₂) on the page, run in the race."""
    cell = _clicked_cell(prefix, optimizer, heavy)
    if cell is None:
        return
    optimizer, lr, second = cell
    chosen = st.session_state.get(form.key(prefix, "optimizers"), [])
    if optimizer not in chosen:
        st.session_state[form.key(prefix, "optimizers")] = [*chosen, optimizer]
    own = f"{prefix}.{optimizer}"
    st.session_state[form.key(own, "lr")] = lr
    if heavy and optimizer != "gd":
        st.session_state[form.key(own, "momentum")] = second
    elif not heavy:
        st.session_state[form.key(own, "betas.1")] = second


def basins_view(prefix: str, config, steps: int, tol: float) -> None:
    """Every start of a grid coloured by the minimum the optimizer ends in; a click starts the race there."""
    from lab.experiments.descent import surfaces

    surface = surfaces.get(config.surface)
    if len(surface.minima) < 2 and surface.name != "rastrigin":
        st.info("One minimum only: every start that converges ends in it. Try Himmelblau, the saddle or Rastrigin.")
    b = _basins(config.surface, config.optimizer, tuple(sorted(config.optimizer_hyper().items())), steps, tol, BASIN_GRID)
    names = {i: f"minimum ({x:.3g}, {y:.3g})" for i, (x, y) in enumerate(surface.minima)}
    names.update(END_WORDS)
    frame = charts.grid_cells(b.xs, b.ys, b.end.astype(float))
    frame["end"] = [names[int(v)] for v in b.end.ravel()]
    frame["steps"] = [int(s) if s >= 0 else None for s in b.steps.ravel()]
    frame["final x"], frame["final y"] = b.final_x.ravel(), b.final_y.ravel()
    present = [names[k] for k in [*range(len(surface.minima)), *END_WORDS] if names[k] in set(frame["end"])]
    palette = {names[i]: charts.PALETTE[i % len(charts.PALETTE)] for i in range(len(surface.minima))}
    palette.update({END_WORDS[k]: END_COLOURS[k] for k in END_WORDS})
    start = alt.selection_point(name="start", fields=["cx", "cy"], on="click", clear=False)
    cells = alt.Chart(frame).mark_rect().encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=list(surface.bounds[0]), nice=False), title="start x"), x2=alt.X2("x2:Q"),
        y=alt.Y("y:Q", scale=alt.Scale(domain=list(surface.bounds[1]), nice=False), title="start y"), y2=alt.Y2("y2:Q"),
        color=alt.Color("end:N", scale=alt.Scale(domain=present, range=[palette[p] for p in present]),
                        legend=alt.Legend(orient="bottom", title="ends in", columns=3)),
        opacity=alt.condition("datum.steps == null", alt.value(0.85), alt.value(1.0)),
        tooltip=[alt.Tooltip("cx:Q", title="start x", format=".3g"), alt.Tooltip("cy:Q", title="start y", format=".3g"),
                 alt.Tooltip("end:N"), alt.Tooltip("steps:Q", title="steps to tolerance"),
                 alt.Tooltip("final x:Q", format=".4g"), alt.Tooltip("final y:Q", format=".4g")],
    ).add_params(start)
    minima = pd.DataFrame([{"x": x, "y": y} for x, y in surface.minima])
    stars = alt.Chart(minima).mark_point(shape="diamond", size=140, color="white", filled=True, stroke="black").encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"))
    here = pd.DataFrame({"x": [config.start_point[0]], "y": [config.start_point[1]]})
    mark = alt.Chart(here).mark_point(shape="cross", size=180, color="black", strokeWidth=2).encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    chart = alt.layer(cells, stars, mark).properties(height=420, title=f"{config.optimizer} on {surface.label}: where each start ends")
    st.altair_chart(chart, width="stretch", key=form.key(prefix, "insight.basins"), on_select=lambda: _run_start(prefix),
                    selection_mode="start")
    shares = frame["end"].value_counts()
    st.caption(f"{BASIN_GRID}×{BASIN_GRID} starts, {steps} steps each, without gradient noise: "
               + ", ".join(f"{n} {name}" for name, n in shares.items()) + ". Click a start to run the race from there.")


def _run_start(prefix: str) -> None:
    """A click on the basin map: the race starts from that start."""
    point = _selected(prefix, "insight.basins", "start")
    if point is not None:
        st.session_state[form.key(prefix, "start.0")] = round(float(point["cx"]), 6)
        st.session_state[form.key(prefix, "start.1")] = round(float(point["cy"]), 6)


# ---- k-means: basins over initial centres ------------------------------------------------------

KMEANS_STARTS = 64


@st.cache_data(show_spinner=False, max_entries=8)
def _kmeans_basins(config_dict: dict, data_id: str, _data):
    from lab.experiments.kmeans import KMeansConfig

    return basins.kmeans_basins(KMeansConfig.from_dict(config_dict), KMEANS_STARTS, _data)


def kmeans_basins_view(prefix: str, result: RunResult, data=None, data_id: str = "") -> None:
    """On request: 64 initial centre sets (8 x 8) coloured by the inertia of the local optimum each reaches."""
    if not st.toggle(f"Basins of attraction: run Lloyd from {KMEANS_STARTS} initial centre sets", key=form.key(prefix, "insight.basins")):
        return
    config = result.config
    try:
        b = _kmeans_basins(config.to_dict(), data_id, data)
    except ValueError as exc:
        st.error(str(exc))
        return
    side = int(np.sqrt(KMEANS_STARTS))
    frame = pd.DataFrame({"column": b.starts % side, "row": b.starts // side, "start": b.starts, "inertia": b.inertia,
                          "above the best": b.inertia - b.inertia.min(), "optimum": b.optimum + 1, "iterations": b.iterations})
    chart = alt.Chart(frame).mark_rect(stroke="white").encode(
        x=alt.X("column:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("above the best:Q", scale=alt.Scale(scheme="viridis"), title="inertia above the best"),
        tooltip=[alt.Tooltip("start:Q"), alt.Tooltip("inertia:Q", format=".6g"), alt.Tooltip("optimum:Q", title="local optimum (1 = best)"),
                 alt.Tooltip("iterations:Q")],
    ).properties(height=300, title=f"{config.init} starts, k = {config.k}: the local optimum each reaches")
    st.altair_chart(chart, width="stretch")
    best = int((b.optimum == 0).sum())
    st.caption(f"{len(set(b.optimum.tolist()))} distinct local optima (run to strict convergence); {best} of {KMEANS_STARTS} starts "
               f"reach the best found, inertia {b.inertia.min():.6g}; the worst ends at {b.inertia.max():.6g}.")
