"""Views of the Q-learning lab: curves with a band across agents, the greedy policy on the map
beside the optimal one, the policy's quality in numbers, and one greedy episode replayed."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.experiments.qlearning import QLearningConfig
from lab.records import RunResult
from lab.ui import charts, form

DEFAULT = QLearningConfig(is_slippery=False, episodes=1000, n_agents=4, eval_every=10, stop_on=("start",))
WHOLE = ("stop_on",)
MAX_POINTS = 500
ARROWS = {"left": "←", "down": "↓", "right": "→", "up": "↑"}
MAPS = {"4x4": "4x4", "8x8": "8x8", "random": "random map"}
RATES = [0.0, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
TOLS = [0.0, 1e-4, 1e-3, 0.01, 0.05, 0.1]
Q_TOLS = [0.0, 1e-5, 1e-4, 1e-3, 0.01]
EVALS = [1, 5, 10, 20, 50, 100, 200, 500]
LIMITS = [None, 25, 50, 100, 200, 500, 1000]
#: Each stop rule in a chip's few characters (the settings column cuts longer ones); `STOP_HELP` says them whole.
STOPS = {"optimal": "all optimal", "start": "start optimal", "q_change": "Q settled", "reward": "reward met"}
STOP_HELP = ("all optimal: the largest gap |V*(s) − V^greedy(s)| over reachable states is within gap tol; "
             "start optimal: the gap V*(start) − V^greedy(start) is within gap tol; "
             "Q settled: the largest Q change in an episode stays within Q-change tol for a rolling window, "
             "while the agent reaches the goal; reward met: the mean return over the rolling window reaches "
             "the environment's reward threshold. With several agents, the worst agent decides.")
TAXI_PLACES = ("R", "G", "Y", "B", "in taxi")


def env_controls(p: str) -> None:
    """Which environment: FrozenLake's map and ice, or Taxi, or CliffWalking; the step limit."""
    env = form.selectbox("environment", key=form.key(p, "env"))
    if env == "FrozenLake-v1":
        kind = form.radio("map", list(MAPS), key=form.key(p, "map_name"), horizontal=True, format_func=MAPS.get)
        if kind == "random":
            a, b = st.columns(2)
            form.slider("size", 2, 16, key=form.key(p, "map_size"), container=a)
            form.number_input("map seed", key=form.key(p, "map_seed"), container=b)
            form.slider("share of frozen cells", 0.05, 1.0, key=form.key(p, "map_p"), step=0.05,
                        help="Holes take the rest; with too few frozen cells no map has a path from S to G.")
        st.toggle("slippery ice", key=form.key(p, "is_slippery"), help="The ice sends you sideways 2 times in 3.")
    form.select_slider("step limit per episode", LIMITS, key=form.key(p, "max_steps"),
                       format_func=lambda v: "env's own" if v is None else str(v),
                       help="Episodes end here (truncated, not terminated). CliffWalking has no limit of its own: 200.")


def learning_controls(p: str) -> None:
    """Algorithm, alpha, gamma, the epsilon schedule, budget, agents, stop rules, seed."""
    form.radio("algorithm", key=form.key(p, "algorithm"), horizontal=True,
               format_func={"q_learning": "Q-learning", "sarsa": "SARSA"}.get)
    a, b = st.columns(2)
    form.slider("alpha (learning rate)", key=form.key(p, "alpha"), step=0.01, container=a)
    form.slider("gamma (discount)", key=form.key(p, "gamma"), step=0.01, container=b)
    st.markdown("**Exploration: epsilon-greedy**")
    decay = form.radio("epsilon schedule", key=form.key(p, "epsilon_decay"), horizontal=True)
    a, b = st.columns(2)
    form.number_input("epsilon start", step=0.05, key=form.key(p, "epsilon_start"), format="%.2f", container=a)
    if decay != "constant":
        form.number_input("epsilon end", step=0.05, key=form.key(p, "epsilon_end"), format="%.2f", container=b)
        form.select_slider("decay rate per episode", RATES, key=form.key(p, "epsilon_rate"), format_func=lambda v: f"{v:g}",
                           help="linear: epsilon falls by this much per episode; exponential: epsilon = end + (start − end)·e^(−rate·k)")
    form.slider("episodes", 100, 20000, key=form.key(p, "episodes"), step=100)
    form.slider("agents (seeds learning side by side)", 1, 32, key=form.key(p, "n_agents"))
    st.markdown("**Stop when**")
    form.multiselect("stop rules", key=form.key(p, "stop_on"), format_func=STOPS.get, label_visibility="collapsed", help=STOP_HELP)
    a, b = st.columns(2)
    form.select_slider("gap tol", TOLS, key=form.key(p, "tol"), format_func=lambda v: f"{v:g}", container=a)
    form.select_slider("Q-change tol", Q_TOLS, key=form.key(p, "q_tol"), format_func=lambda v: f"{v:g}", container=b)
    a, b = st.columns(2)
    form.select_slider("evaluate every (episodes)", EVALS, key=form.key(p, "eval_every"), container=a)
    form.slider("rolling window", 10, 1000, key=form.key(p, "window"), step=10, container=b)
    form.number_input("seed", 0, 2**31 - 1, key=form.key(p, "seed"))  # the declared 2**63 - 1 is past what a browser holds exactly


# --- curves --------------------------------------------------------------------------------------

def _wide(result: RunResult) -> pd.DataFrame:
    """Every metric by episode (NaN where a metric was not measured)."""
    if not result.steps:
        return pd.DataFrame()
    return pd.DataFrame.from_records([s.metrics for s in result.steps], index=[s.step for s in result.steps])


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    stride = max(1, len(frame) // MAX_POINTS)
    thin = frame.iloc[::stride]
    return thin if thin.index[-1] == frame.index[-1] else pd.concat([thin, frame.iloc[[-1]]])


def _long(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    cols = [c for c in names if c in frame]
    out = frame[cols].rename(columns=names).rename_axis("step").reset_index()
    out = out.melt(id_vars="step", var_name="metric", value_name="value")
    return out.dropna()


def _chart(lines: pd.DataFrame, band: pd.DataFrame | None, decision, *, title: str, log: bool = False,
           symlog: float | None = None, extra: list | tuple = (), height: int = 210, domain=None,
           dashed: pd.DataFrame | None = None, label: bool = False) -> alt.LayerChart:
    """Mean lines, a min–max band under them, an optional dashed grey line (epsilon), the decision."""
    lines = charts.finite(lines, log)
    names = list(dict.fromkeys(lines["metric"].tolist()))
    if symlog is not None:
        scale = alt.Scale(type="symlog", constant=symlog)
    elif log:
        scale = alt.Scale(type="log")
    else:
        scale = alt.Scale(zero=False, domain=list(domain)) if domain else alt.Scale(zero=False)
    layers = []
    if band is not None and len(band):
        if log:
            band = band[(band["low"] > 0) & (band["high"] > 0)]
        layers.append(alt.Chart(band).mark_area(opacity=0.22, color=charts.PALETTE[0], clip=True).encode(
            x=alt.X("step:Q"), y=alt.Y("low:Q", scale=scale), y2=alt.Y2("high:Q")))
    colour = alt.Color("metric:N", title=None, scale=charts.colour_scale(names), legend=alt.Legend(orient="bottom"))
    layers.append(alt.Chart(lines).mark_line(strokeWidth=2, clip=True).encode(
        x=alt.X("step:Q", title="episode"), y=alt.Y("value:Q", title=None, scale=scale), color=colour,
        tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q"), charts.value_tooltip()]))
    if dashed is not None and len(dashed):
        layers.append(alt.Chart(dashed).mark_line(strokeWidth=1.5, strokeDash=[5, 3], color="#555", clip=True).encode(
            x=alt.X("step:Q"), y=alt.Y("value:Q"), tooltip=[alt.Tooltip("metric:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".3f")]))
    layers += [*extra, *charts.decision_marks(decision, label=label)]
    return alt.layer(*layers).properties(title=title, height=height)


def _band(frame: pd.DataFrame, metric: str, smooth: int = 1) -> pd.DataFrame | None:
    if f"{metric}_min" not in frame:
        return None
    part = frame[[f"{metric}_min", f"{metric}_max"]].dropna()
    if smooth > 1:
        part = part.rolling(smooth, min_periods=1).mean()
    part.columns = ["low", "high"]
    return _thin(part).rename_axis("step").reset_index() if len(part) else None


def curve_charts(result: RunResult, final: bool = True) -> list[alt.LayerChart]:
    """Return, success with epsilon, episode length, Q change (log) and the gap to the optimum.

    While the run goes on (`final` False) only the first two, as Altair takes ~0.05 s a chart.
    """
    frame = _wide(result)
    if frame.empty:
        return []
    config, decision = result.config, result.decision
    w = config.window
    smooth = frame[["episode/length"]].rolling(w, min_periods=1).mean().rename(columns={"episode/length": "length"})
    thin = _thin(pd.concat([frame, smooth], axis=1))
    out = [
        _chart(_long(thin, {"rolling/return": "return"}), _band(frame, "episode/return", w), decision, label=True,
               title=f"return (mean of the last {w} episodes)"),
        _chart(_long(thin, {"rolling/success": "success rate"}), _band(frame, "episode/success", w), decision,
               domain=(0, 1), dashed=_long(thin, {"epsilon": "epsilon"}),
               title="success rate, and epsilon (dashed)"),
    ]
    if not final:
        return out
    gaps = frame[[c for c in frame if c.startswith("gap/")]].dropna(how="all") if "gap/optimum" in frame else pd.DataFrame()
    if len(gaps):
        g_extra = [charts.floor_line(config.tol, f"tol {config.tol:g}")] if {"optimal", "start"} & set(config.stop_on) and config.tol > 0 else []
        out.append(_chart(_long(_thin(gaps), {"gap/optimum": "largest over states", "gap/start": "at the start"}),
                          _band(gaps, "gap/optimum"), decision, symlog=max(config.tol, 1e-3), extra=g_extra,
                          title="gap to the optimal values |V* − V^greedy|"))
    q_extra = [charts.floor_line(config.q_tol, f"q_tol {config.q_tol:g}")] if "q_change" in config.stop_on and config.q_tol > 0 else []
    out.append(_chart(_long(thin, {"q/max_delta": "largest |ΔQ| in the episode"}), _band(frame, "q/max_delta"), decision,
                      log=True, extra=q_extra, title="largest Q change per episode (log)"))
    out.append(_chart(_long(thin, {"length": "episode length"}), _band(frame, "episode/length", w), decision,
                      title=f"episode length (mean of the last {w})"))
    return out


def curves_note(result: RunResult) -> str:
    """What the lines and bands of the curves are."""
    c = result.config
    band = f" Bands: the lowest to the highest of the {c.n_agents} agents; lines: their mean." if c.n_agents > 1 else ""
    return (f"Per episode; return, success and length averaged over the last {c.window} episodes; the gap is measured "
            f"exactly every {c.eval_every} episodes on the states the agent can reach.{band}")


# --- the policy ----------------------------------------------------------------------------------

def optimal_actions(art: dict[str, Any]) -> np.ndarray:
    """(S, A) mask of the actions that are optimal (ties included) by value iteration's Q*."""
    q_star, v_star = art["q_star"], art["v_star"]
    return q_star >= v_star[:, None] - 1e-9 * (1 + np.abs(v_star[:, None]))


def policy_summary(art: dict[str, Any]) -> dict[str, str]:
    """How good agent 1's greedy policy is, in three numbers, on the states it can reach."""
    reach = art["reachable"]
    greedy = art["greedy_policy"][0]
    good = optimal_actions(art)[np.arange(len(greedy)), greedy]
    gap = np.abs(art["v_star"] - art["v_greedy"][0])[reach]
    return {
        f"greedy action optimal (in {int(reach.sum())} states)": f"{good[reach].mean():.0%}",
        "largest value gap": f"{gap.max():.3g}",
        "mean V greedy / V*": f"{art['v_greedy'][0][reach].mean():.3g} / {art['v_star'][reach].mean():.3g}",
    }


def _cells(art: dict[str, Any], values: np.ndarray, policy: np.ndarray, wrong: np.ndarray | None) -> pd.DataFrame:
    grid = art["grid"]
    rows, cols = grid["shape"]
    names = art["action_names"]
    special = {c: "hole" for c in grid["holes"]} | {c: "cliff" for c in grid["cliff"]} | {c: "goal" for c in grid["goal"]}
    lo, hi = float(values.min()), float(values.max())
    records = []
    for s in range(rows * cols):
        cell = (s // cols, s % cols)
        kind = special.get(cell, "start" if cell == grid["start"] else "frozen")
        text = {"hole": "H", "cliff": "✕", "goal": "G"}.get(kind, ARROWS[names[policy[s]]])
        light = (values[s] - lo) / (hi - lo) > 0.55 if hi > lo else False
        records.append({"row": cell[0], "col": cell[1], "state": s, "value": float(values[s]), "kind": kind, "text": text,
                        "action": names[policy[s]] if kind in ("frozen", "start") else kind,
                        "ink": "black" if light else "white", "wrong": bool(wrong is not None and wrong[s] and kind in ("frozen", "start"))})
    return pd.DataFrame(records)


def _cell_px(shape: tuple[int, int]) -> int:
    return int(max(22, min(64, 400 // max(shape))))


def map_height(art: dict[str, Any]) -> int:
    """Pixels a map chart needs (cells, title, legend): Streamlit squashes layered charts otherwise."""
    rows, cols = art["grid"]["shape"]
    return _cell_px((rows, cols)) * rows + 100


def map_chart(art: dict[str, Any], values: np.ndarray, policy: np.ndarray, *, title: str, domain: tuple[float, float],
              wrong: np.ndarray | None = None, path: list | None = None) -> alt.LayerChart:
    """Arrows of a policy over a heatmap of values; holes, cliff, goal filled, start outlined, suboptimal arrows boxed red."""
    rows, cols = art["grid"]["shape"]
    px = _cell_px((rows, cols))
    cells = _cells(art, values, policy, wrong)
    x = alt.X("col:O", axis=None, scale=alt.Scale(domain=list(range(cols))))
    y = alt.Y("row:O", axis=None, scale=alt.Scale(domain=list(range(rows))))
    tip = ["state:Q", "row:Q", "col:Q", alt.Tooltip("value:Q", format=".4g"), "action:N"]
    fill = alt.Chart(cells).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, tooltip=tip,
        color=alt.Color("value:Q", title="value", scale=alt.Scale(scheme="viridis", domain=list(domain)),
                        legend=alt.Legend(orient="bottom", gradientLength=max(120, px * cols - 40))))
    palette = alt.Scale(domain=["hole", "cliff", "goal"], range=["#1b1b1b", "#8b1a1a", "#f2c200"])
    marks = alt.Chart(cells[cells["kind"].isin(["hole", "cliff", "goal"])]).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, color=alt.Color("kind:N", scale=palette, legend=None))
    cells["box"] = np.where(cells["kind"] == "start", "start", np.where(cells["wrong"], "not optimal", ""))
    boxes = alt.Chart(cells[cells["box"] != ""]).mark_rect(fillOpacity=0, strokeWidth=4).encode(
        x=x, y=y, stroke=alt.Stroke("box:N", scale=alt.Scale(domain=["start", "not optimal"], range=["#00e0ff", "#ff2d2d"]), legend=None))
    ink = alt.Scale(domain=["black", "white"], range=["black", "white"])
    cells.loc[cells["kind"] == "goal", "ink"] = "black"
    cells.loc[cells["kind"].isin(["hole", "cliff"]), "ink"] = "white"
    text = alt.Chart(cells).mark_text(fontSize=int(px * 0.6), fontWeight="bold").encode(
        x=x, y=y, text=alt.Text("text:N"), color=alt.Color("ink:N", scale=ink, legend=None))
    layers = [fill, marks, boxes, text]
    if path:
        trail = pd.DataFrame([{"t": t, "row": r, "col": c} for t, (r, c) in enumerate(path)])
        layers.append(alt.Chart(trail).mark_line(color="#ff7f0e", strokeWidth=3, opacity=0.8).encode(x=x, y=y, order=alt.Order("t:Q")))
        layers.append(alt.Chart(trail.iloc[[-1]]).mark_circle(size=px * px * 0.35, color="#ff7f0e", stroke="white", strokeWidth=2, opacity=1)
                      .encode(x=x, y=y, tooltip=[alt.Tooltip("t:Q"), alt.Tooltip("row:Q"), alt.Tooltip("col:Q")]))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=title, width=px * cols, height=px * rows)


MAP_NOTE = ("Colour: the value of each cell; arrows: the action taken there; red box: a greedy action that is not optimal; "
            "cyan box: the start; H: hole, G: goal, ✕: cliff; orange: the greedy episode up to the chosen step.")


def value_maps(art: dict[str, Any], path: list | None = None) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Agent 1's greedy policy over max_a Q (with the replayed episode's `path`), and the optimal policy over V*."""
    learned = art["q"][0].max(axis=1)
    both = np.concatenate([learned, art["v_star"]])
    domain = (float(both.min()), float(both.max()) if both.max() > both.min() else float(both.min()) + 1)
    wrong = ~optimal_actions(art)[np.arange(len(learned)), art["greedy_policy"][0]]
    left = map_chart(art, learned, art["greedy_policy"][0], domain=domain, wrong=wrong, path=path,
                     title="learned: greedy policy, max Q")
    right = map_chart(art, art["v_star"], art["optimal_policy"], domain=domain, title="optimal: policy over V*")
    return left, right


def replay_view(art: dict[str, Any], t: int) -> None:
    """The greedy episode at step t: the agent on the learned map beside V* (grid envs), or the steps so far (Taxi)."""
    rep = art["replay"]
    names = art["action_names"]
    done = sum(rep["rewards"][:t])
    if rep["cells"] is not None:
        for column, chart in zip(st.columns(2), value_maps(art, rep["cells"][: t + 1])):
            column.altair_chart(chart, width="content", height=map_height(art))
        st.caption(MAP_NOTE)
    else:
        st.dataframe(taxi_steps(rep, names).iloc[: t + 1], hide_index=True, width="stretch", height=280)
    action = names[rep["actions"][t]] if t < len(rep["actions"]) else ("goal reached" if rep["success"] else "episode over")
    st.caption(f"greedy episode, step {t} of {len(rep['actions'])}: next action **{action}** · return so far {done:g} · "
               f"episode return {rep['return']:g}")


def taxi_steps(rep: dict[str, Any], names: tuple[str, ...]) -> pd.DataFrame:
    """Taxi's replay as a table: taxi cell, passenger, destination, action, reward."""
    rows = []
    for t, s in enumerate(rep["states"]):
        s, dest = divmod(s, 4)
        s, passenger = divmod(s, 5)
        row, col = divmod(s, 5)
        rows.append({"step": t, "taxi (row, col)": f"({row}, {col})", "passenger": TAXI_PLACES[passenger],
                     "destination": TAXI_PLACES[dest], "action": names[rep["actions"][t]] if t < len(rep["actions"]) else "",
                     "reward": rep["rewards"][t] if t < len(rep["rewards"]) else None})
    return pd.DataFrame(rows)
