"""Views of the K-means lab: the points with the centres' paths, the convergence charts, the restarts,
the elbow and silhouette scan, scikit-learn's result from the same start, and the upload."""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab.records import RunResult
from lab.ui import charts, form
from lab.ui.text import plain

#: Most points drawn in the scatter (a seeded subsample beyond; the centres use every point).
MAX_DRAWN = 5000
#: Most steps of each centre's path drawn.
MAX_PATH_STEPS = 200
#: Points the silhouette score is computed on (it costs n² distances).
SILHOUETTE_SAMPLE = 2000
KS = range(2, 11)
TOLS = [0.0, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
MAX_ITERS = [1, 2, 3, 5, 10, 20, 50, 100, 300, 1000]
DATASET_LABELS = {"blobs": "blobs", "anisotropic": "anisotropic (stretched blobs)", "moons": "two moons",
                  "circles": "two circles", "uniform": "uniform noise", "csv": "my CSV"}
NAMES = {"kmeans/inertia": "inertia", "kmeans/shift": "centre shift", "kmeans/changed": "points that changed cluster"}


@st.cache_data(show_spinner=False, max_entries=4)
def read_upload(raw: bytes) -> tuple[pd.DataFrame | None, list[str], str]:
    """The numeric columns of an uploaded CSV and notes for the user, or (None, [], the reason it cannot be used)."""
    from lab.experiments.kmeans import MAX_ROWS
    from lab.uploads import read_numeric_csv

    try:
        frame, notes = read_numeric_csv(raw, max_rows=MAX_ROWS)
    except ValueError as exc:
        return None, [], str(exc)
    return frame, notes, ""


def upload(prefix: str) -> tuple[pd.DataFrame | None, str]:
    """The upload widget and the column picker; the chosen data and its hash, or (None, "") with a message."""
    file = st.file_uploader("CSV with numeric columns (one row per point)", type=["csv", "txt"], key=f"{prefix}.file")
    if file is None:
        return None, ""
    raw = file.getvalue()
    frame, notes, error = read_upload(raw)
    if frame is None:
        st.error(f"This file cannot be used: {plain(error)}")
        return None, ""
    data_id = hashlib.sha256(raw).hexdigest()
    names, key = list(frame.columns), form.key(prefix, "columns")
    if st.session_state.get(f"{prefix}._data_id") != data_id:
        st.session_state[f"{prefix}._data_id"] = data_id
        st.session_state[key] = names
    form.store(key, [c for c in st.session_state.get(key, []) if c in names])
    st.multiselect("columns to cluster", names, key=key)
    if notes:
        st.caption(plain(f"{len(frame):,} rows; " + "; ".join(notes)))
    if not st.session_state[key]:
        st.error("Pick at least one numeric column to cluster.")
        return None, ""
    return frame, data_id


class Scene(NamedTuple):
    """What the scatter needs, projected to the plane once per result."""

    points: pd.DataFrame  # x, y of the drawn points
    drawn: np.ndarray  # indices of the drawn points
    paths: np.ndarray  # (iterations + 1, k, 2)
    labels_per_iter: np.ndarray | None  # (iterations, drawn)
    labels: np.ndarray  # final labels of the drawn points
    axes: list[str]
    explained: float
    total: int
    domain: tuple[tuple[float, float], tuple[float, float]]


@st.cache_data(show_spinner=False, max_entries=4)
def scene(X: np.ndarray, names: tuple[str, ...], paths: np.ndarray, labels: np.ndarray,
          labels_per_iter: np.ndarray | None, seed: int) -> Scene:
    from lab.experiments.kmeans import Projection

    n = len(X)
    drawn = np.arange(n) if n <= MAX_DRAWN else np.sort(np.random.default_rng(seed).choice(n, MAX_DRAWN, replace=False))
    proj = Projection(X, list(names))
    xy = proj.transform(X[drawn])
    flat = proj.transform(paths)
    both = np.vstack([xy, flat.reshape(-1, 2)])
    low, high = both.min(axis=0), both.max(axis=0)
    mid, half = (low + high) / 2, max(float((high - low).max()) / 2 * 1.05, 1e-9)
    domain = ((mid[0] - half, mid[0] + half), (mid[1] - half, mid[1] + half))
    per_iter = None if labels_per_iter is None else labels_per_iter[:, drawn]
    return Scene(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}), drawn, flat, per_iter, labels[drawn],
                 proj.axes, proj.explained, n, domain)


def scene_of(result: RunResult) -> Scene:
    a = result.artifacts
    return scene(a["X"], tuple(a["feature_names"]), a["center_paths"], a["labels"], a["labels_per_iter"], result.config.seed)


def _labels_at(sc: Scene, step: int) -> np.ndarray:
    """Colours at `step`: the assignment that moved the centres to their position at that step
    (step 0: the assignment to the initial centres); the final labels at the last step."""
    last = len(sc.paths) - 1
    if sc.labels_per_iter is None or step >= last or len(sc.labels_per_iter) == 0:
        return sc.labels
    return sc.labels_per_iter[max(step, 1) - 1]


def scatter(sc: Scene, step: int, size: int = 400) -> alt.LayerChart:
    """Points coloured by cluster at `step`, each centre's path up to there, initial centres hollow."""
    k = sc.paths.shape[1]
    names = [f"cluster {j + 1}" for j in range(k)]
    colour = charts.colour_scale(names)
    points = sc.points.assign(cluster=[names[j] for j in _labels_at(sc, step)])
    sx = alt.Scale(domain=list(sc.domain[0]), nice=False)
    sy = alt.Scale(domain=list(sc.domain[1]), nice=False)
    dots = alt.Chart(points).mark_circle(size=14, opacity=0.55).encode(
        x=alt.X("x:Q", title=sc.axes[0], scale=sx), y=alt.Y("y:Q", title=sc.axes[1] or None, scale=sy),
        color=alt.Color("cluster:N", scale=colour, legend=None))
    upto = sc.paths[: step + 1]
    stride = max(1, len(upto) // MAX_PATH_STEPS)
    picked = sorted(set(range(0, len(upto), stride)) | {len(upto) - 1})
    rows = [{"cluster": names[j], "step": t, "x": upto[t, j, 0], "y": upto[t, j, 1]} for t in picked for j in range(k)]
    path = pd.DataFrame(rows)
    tips = ["cluster:N", "step:Q", alt.Tooltip("x:Q", format=".4g"), alt.Tooltip("y:Q", format=".4g")]
    lines = alt.Chart(path).mark_line(strokeWidth=2, color="black").encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), detail=alt.Detail("cluster:N"), order=alt.Order("step:Q"))
    start = alt.Chart(path[path["step"] == 0]).mark_point(shape="circle", size=110, strokeWidth=2, color="black").encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), tooltip=tips)
    now = alt.Chart(path[path["step"] == picked[-1]]).mark_point(shape="diamond", size=240, filled=True, stroke="black",
                                                                 strokeWidth=1.5, opacity=1).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), color=alt.Color("cluster:N", scale=colour, legend=None), tooltip=tips)
    # Streamlit fits title and axes inside width x height: these margins leave a square plot.
    return alt.layer(dots, lines, start, now).properties(width=size + 55, height=size + 75, title=f"iteration {step}: centres ◆ and their paths from the start ○")


def scatter_caption(sc: Scene, per_iter: bool) -> str:
    parts = []
    if sc.total > len(sc.drawn):
        parts.append(f"Showing a random {len(sc.drawn):,} of {sc.total:,} points (the centres use all of them).")
    if sc.explained < 1:
        parts.append(f"More than two features: drawn on the first two principal components ({sc.explained:.0%} of the variance).")
    if not per_iter:
        parts.append("Above 20,000 points the labels of each iteration are not kept: points show their final cluster.")
    return " ".join(parts)


def convergence_charts(result: RunResult) -> list[alt.LayerChart]:
    """Inertia, centre shift against the tol line (log) and changed points, each with the decision marked."""
    history, decision = result.history(), result.decision
    tol = result.last("kmeans/tol") if result.steps else 0.0
    frame = lambda metric: charts.select_metrics(history, [metric], NAMES)  # noqa: E731
    extra = [charts.floor_line(tol, f"tol {tol:.3g}")] if tol and tol > 0 else []
    out = [
        charts.line_chart(frame("kmeans/inertia"), title="inertia", decision=decision, height=260, x_title="iteration"),
        charts.line_chart(frame("kmeans/shift"), title="centre shift (log) vs tol", log=True, decision=decision, extra=extra, height=260, x_title="iteration"),
        charts.line_chart(frame("kmeans/changed"), title="points changing cluster", symlog=True, decision=decision, height=260, x_title="iteration"),
    ]
    for chart in out:  # one line each, named by the title: the legend would only take height
        chart.layer[0].encoding.color.legend = None
    return out


def restarts_chart(result: RunResult) -> alt.LayerChart:
    """Final inertia of each restart, the kept one highlighted: different starts, different local optima."""
    rows = [{"restart": r["restart"] + 1, "inertia": r["inertia"], "iterations": r["n_iter"],
             "kept": "kept (lowest inertia)" if r["kept"] else "other restarts", "reason": r["reason"]}
            for r in result.artifacts["restarts"]]
    frame = pd.DataFrame(rows)
    colour = alt.Color("kept:N", title=None, scale=alt.Scale(domain=["kept (lowest inertia)", "other restarts"],
                                                             range=[charts.BEST_COLOUR, "#9aa5b1"]), legend=alt.Legend(orient="bottom"))
    low, high = frame["inertia"].min(), frame["inertia"].max()
    pad = max((high - low) * 0.15, abs(high) * 0.005, 1e-12)
    bars = alt.Chart(frame).mark_bar(clip=True).encode(
        x=alt.X("restart:O", title="restart", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("inertia:Q", title="final inertia", scale=alt.Scale(domain=[low - pad, high + pad], nice=False)), color=colour,
        tooltip=[alt.Tooltip("restart:O"), alt.Tooltip("inertia:Q", format=".6g"), alt.Tooltip("iterations:Q"), alt.Tooltip("reason:N")])
    return alt.layer(bars).properties(title="final inertia of each restart: different starts, different local optima (axis not from 0)", height=300)


def metrics_row(result: RunResult) -> None:
    a = result.artifacts
    columns = st.columns(4)
    value = a["inertia"]
    columns[0].metric("final inertia", f"{value:,.0f}" if 1e4 <= abs(value) < 1e9 else f"{value:.5g}", help=f"{value:.10g}")
    columns[1].metric("iterations", a["n_iter"])
    columns[2].metric("restarts", len(a["restarts"]))
    if a.get("y_true") is not None:
        from sklearn.metrics import adjusted_rand_score

        columns[3].metric("ARI vs true groups", f"{adjusted_rand_score(a['y_true'], a['labels']):.2f}",
                          help="Adjusted Rand index: 1 = the true groups exactly, about 0 = no better than chance.")


@st.cache_data(show_spinner=False, max_entries=8)
def reference(X: np.ndarray, init_centers: np.ndarray, tol: float, max_iter: int) -> dict[str, Any]:
    from lab.experiments.kmeans import sklearn_reference

    ref = sklearn_reference(X, init_centers, tol, max_iter)
    return {"inertia": ref["inertia"], "n_iter": ref["n_iter"]}


def sklearn_line(result: RunResult) -> str:
    """scikit-learn's inertia and iterations from the same initial centres, beside ours."""
    a, c = result.artifacts, result.config
    ref = reference(a["X"], a["init_centers"], c.tol, c.max_iter)
    same = ref["n_iter"] == a["n_iter"] and abs(ref["inertia"] - a["inertia"]) <= 1e-9 * max(1.0, abs(a["inertia"]))
    mark = "✅ same result" if same else "≠ differs"
    return (f"**Same as scikit-learn?** `KMeans(algorithm='lloyd', init=<the same initial centres>, tol={c.tol:g})` "
            f"reaches inertia {ref['inertia']:.8g} in {ref['n_iter']} iterations; this lab {a['inertia']:.8g} in "
            f"{a['n_iter']} iterations: {mark}.")


@st.cache_data(show_spinner=False, max_entries=4)
def k_scan(X: np.ndarray, seed: int, tol: float, max_iter: int) -> pd.DataFrame:
    """`lab.experiments.kmeans.elbow` for k = 2..10 with the silhouette on a seeded subsample, as a table."""
    from lab.experiments.kmeans import elbow

    points = elbow(X, KS, seed, tol=tol, max_iter=max_iter, silhouette_sample=SILHOUETTE_SAMPLE)
    return pd.DataFrame(points, columns=["k", "inertia", "silhouette"])


def k_scan_charts(frame: pd.DataFrame, k: int) -> tuple[alt.LayerChart, alt.LayerChart]:
    chosen = pd.DataFrame({"k": [k], "what": [f"your k = {k}"]})
    mark = alt.Chart(chosen).mark_rule(color=charts.STOP_COLOUR, strokeDash=[6, 4]).encode(x=alt.X("k:Q"), tooltip=[alt.Tooltip("what:N")])
    out = []
    for metric, title in (("inertia", "elbow: final inertia by k"), ("silhouette", "silhouette score by k (higher: better)")):
        line = alt.Chart(frame.dropna(subset=[metric])).mark_line(point=True, strokeWidth=2).encode(
            x=alt.X("k:Q", title="k", scale=alt.Scale(domain=[min(KS), max(KS)]), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{metric}:Q", title={"inertia": "final inertia", "silhouette": "silhouette"}[metric], scale=alt.Scale(zero=False)), tooltip=[alt.Tooltip("k:Q"), alt.Tooltip(f"{metric}:Q", format=".4g")])
        layers = [line, mark] if min(KS) <= k <= max(KS) else [line]
        out.append(alt.layer(*layers).properties(title=title, height=260))
    return out[0], out[1]


def build(prefix: str, dataset: str, data: pd.DataFrame | None) -> Any | None:
    """The page's config (columns only for an upload), or None: no usable upload, or a message shown."""
    from lab.experiments.kmeans import KMeansConfig

    if dataset == "csv" and data is None:
        return None
    columns = st.session_state.get(form.key(prefix, "columns"), []) if dataset == "csv" else []
    return form.build(prefix, KMeansConfig, whole=("columns",), columns=list(columns))


def choose_k(prefix: str, result: RunResult) -> None:
    """Elbow and silhouette for k = 2..10 in an expander that computes only while open."""
    box = st.expander("Choosing k: the elbow and the silhouette score for k = 2..10", key=f"{prefix}.choose_k", on_change="rerun")
    if not box.open:
        return
    a, c = result.artifacts, result.config
    with box, st.spinner("Running k-means for k = 2..10"):
        frame = k_scan(a["X"], c.seed, c.tol, c.max_iter)
        left, right = st.columns(2)
        elbow_chart, silhouette_chart = k_scan_charts(frame, c.k)
        left.altair_chart(elbow_chart, width="stretch")
        right.altair_chart(silhouette_chart, width="stretch")
        sample = f" (on a random {SILHOUETTE_SAMPLE:,} of the {len(a['X']):,} points)" if len(a["X"]) > SILHOUETTE_SAMPLE else ""
        st.caption("Inertia always falls as k grows; look for the bend where it stops falling fast. The silhouette "
                   f"score{sample} compares each point's distance to its own cluster with the nearest other one: "
                   "higher means better separated clusters. Both use k-means++ and one run per k.")
