"""K-means: Lloyd's iterations on the points, when the centres stop moving, and local optima of restarts."""

import streamlit as st

from lab.experiments.kmeans import PRESETS, KMeansConfig
from lab.ui import form, links, live, page, runs, scrubber
from lab.ui import insight_views as insight
from lab.ui import kmeans_views as views
from lab.ui import seed_views as spread
from lab.ui.text import plain

P = page.setup("kmeans")
form.init(P, KMeansConfig(), whole=("columns",))
links.restore(P)
page.presets(P, PRESETS, whole=("columns",))

settings, board = page.columns()
data, data_id = None, ""
with settings:
    dataset = form.selectbox("data", list(views.DATASET_LABELS), key=form.key(P, "dataset"), format_func=views.DATASET_LABELS.get)
    if dataset == "csv":
        data, data_id = views.upload(P)
    else:
        form.slider("points", 100, 50_000, key=form.key(P, "n_samples"), step=100)
        if dataset in ("blobs", "anisotropic"):
            form.slider("true blobs", 1, 20, key=form.key(P, "centers"))
            form.slider("blob spread (std)", 0.1, 5.0, key=form.key(P, "cluster_std"), step=0.1)
        if dataset in ("moons", "circles"):
            form.slider("noise (std)", 0.0, 0.5, key=form.key(P, "noise"), step=0.01)
        else:
            form.slider("features", 1, 20, key=form.key(P, "n_features"))
    st.checkbox("standardize features (mean 0, variance 1)", key=form.key(P, "standardize"))
    form.slider("k (clusters to find)", 1, 20, key=form.key(P, "k"))
    form.selectbox("initial centres", ["k-means++", "random"], key=form.key(P, "init"))
    form.slider("n_init (restarts; the lowest inertia is kept)", 1, 20, key=form.key(P, "n_init"))
    form.select_slider("tol (× mean feature variance)", views.TOLS, key=form.key(P, "tol"), format_func=lambda v: f"{v:g}",
                     help="Stop when the summed squared centre shift is at most tol × the mean variance of the features (0: only when no point changes cluster).")
    form.select_slider("max_iter", views.MAX_ITERS, key=form.key(P, "max_iter"))
    form.number_input("seed", key=form.key(P, "seed"))
    config = views.build(P, dataset, data)


def draw(result, final):
    page.decision_banner(result.decision)
    done = final and bool(result.artifacts)
    if done:
        views.metrics_row(result)
        st.markdown(views.sklearn_line(result))
        sc = views.scene_of(result)
        scrubber.scrubber(f"{P}.scrub", len(sc.paths) - 1, lambda s: st.altair_chart(views.scatter(sc, s), width="content"),
                          label="iteration")
        if note := views.scatter_caption(sc, result.artifacts["labels_per_iter"] is not None):
            st.caption(plain(note))
    else:
        st.caption("Iterating… the points and centres are drawn when the run ends (with n_init > 1 every restart runs first).")
    for column, chart in zip(st.columns(3), views.convergence_charts(result)):
        column.altair_chart(chart, width="stretch")
    insight.rate_line(result, "kmeans")
    if done and len(result.artifacts["restarts"]) > 1:
        st.altair_chart(views.restarts_chart(result), width="stretch")
    elif done:
        st.caption("One start (n_init = 1): raise n_init to see restarts end in different local optima.")
    if done:
        runs.compare_section(P, "kmeans", {"run": result}, ["kmeans/inertia", "kmeans/shift", "kmeans/changed"], log=True)
        insight.kmeans_basins_view(P, result, data, data_id)


with board:
    if config is not None:
        live.live_run(P, config, draw, data=data, data_id=data_id)
    else:
        if dataset == "csv" and data is None:
            st.info("Upload a CSV: one row per point, numeric columns (you pick which ones to cluster). Below: the last result that ran.")
        if live.kept_results(P):
            draw(live.kept_results(P)["run"], True)
    kept = live.kept_results(P)
    if kept and kept["run"].artifacts:
        views.choose_k(P, kept["run"])
spread.section(P, config, ["kmeans/inertia", "kmeans/shift", "kmeans/changed"], data=data, data_id=data_id)  # the seed spread: bands, box plots, rank tests
links.publish(P)
