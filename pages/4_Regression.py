"""Regression: linear regression by gradient descent, against the closed-form least-squares optimum."""

import hashlib

import streamlit as st

from lab.experiments.regression import PRESETS, RegressionConfig
from lab.optim import ADAM_FAMILY, LABELS, OFFERED
from lab.ui import controls, form, links, live, page, runs
from lab.ui import insight_views as insight
from lab.ui import regression_views as views
from lab.ui import seed_views as spread
from lab.ui.text import plain

P = page.setup("regression")
form.init(P, RegressionConfig())
st.session_state.setdefault(f"{P}.log", True)
links.restore(P)
page.presets(P, PRESETS)

settings, board = page.columns()
data, data_id, notes = None, "", []
with settings:
    dataset = form.radio("data", key=form.key(P, "dataset"), horizontal=True, format_func=views.DATASET_LABELS.get)
    if dataset == "synthetic":
        form.slider("samples", 20, 5000, key=form.key(P, "n_samples"), step=10)
        form.slider("features", 1, 50, key=form.key(P, "n_features"))
        form.slider("noise (std of y's noise)", 0.0, 100.0, key=form.key(P, "noise"), step=1.0)
        form.select_slider("effective rank (small: ill-conditioned)", views.RANKS, key=form.key(P, "effective_rank"), format_func=views.rank_label)
        form.slider("feature spread (decades between feature scales)", key=form.key(P, "feature_spread"), step=0.5)
    elif dataset == "csv":
        upload = st.file_uploader("CSV with a header row and numeric columns", type=["csv", "txt"], key=f"{P}.file")
        if upload is not None:
            data = upload.getvalue()
            data_id = hashlib.sha256(data).hexdigest()
            notes = views.csv_target(P, data)
            if notes:
                st.caption(plain("; ".join(notes)))
    form.radio("feature scaling", list(views.SCALING_LABELS), key=form.key(P, "scaling"), horizontal=True, format_func=views.SCALING_LABELS.get)
    form.select_slider("batch size", views.BATCH_SIZES, key=form.key(P, "batch_size"), format_func=views.batch_label)
    optimizer = form.selectbox("optimizer", OFFERED["regression"], key=form.key(P, "optimizer"), format_func=LABELS.get)
    controls.lr_slider("learning rate", P)
    if optimizer in ("momentum", "nesterov"):
        form.slider("momentum", 0.0, 0.99, key=form.key(P, "momentum"), step=0.01)
    if optimizer in ADAM_FAMILY:
        a, b = st.columns(2)
        form.slider("beta1", 0.0, 0.99, key=form.key(P, "betas.0"), step=0.01, container=a)
        form.slider("beta2", 0.9, 0.9999, key=form.key(P, "betas.1"), step=0.0001, format="%.4f", container=b)
    form.slider("epochs", 10, 2000, key=form.key(P, "epochs"), step=10)
    form.select_slider("converged once the gap to the optimum is at most", views.TOLS, key=form.key(P, "tol"), format_func=lambda v: f"{v:g}",
                       help="the training MSE above the closed-form least-squares optimum's")
    form.slider("validation fraction", key=form.key(P, "val_fraction"), step=0.05)
    form.number_input("seed", key=form.key(P, "seed"))
    with st.expander("learning-rate schedule"):
        controls.schedule_picker(P)
    controls.stopping_controls(P, RegressionConfig)

config = None
if dataset != "csv" or notes:
    config = form.build(P, RegressionConfig)


def draw(result, final):
    page.decision_banner(result.decision)
    left, right = st.columns(2)
    left.altair_chart(views.mse_chart(result, st.session_state[f"{P}.log"]), width="stretch")
    right.altair_chart(insight.with_phases(views.gap_chart(result), result, "gap/optimum"), width="stretch")
    insight.rate_line(result, "regression")
    if not final or not result.artifacts:
        return
    for column, (label, value, help) in zip(st.columns(4), views.figures(result)):
        column.metric(label, value, help=help)
    st.caption(views.stability_caption(result))
    left, right = st.columns(2)
    weights = views.weights_frame(result)
    if len(weights) <= views.MAX_BARS:
        left.altair_chart(views.weights_chart(weights), width="stretch")
    else:
        left.markdown("**Learned weights beside the closed-form ones**")
        left.dataframe(weights, hide_index=True, width="stretch", height=views.HEIGHT)
    right.altair_chart(views.prediction_chart(result), width="stretch")
    if result.artifacts["notes"]:
        st.caption(plain("; ".join(result.artifacts["notes"])))
    runs.compare_section(P, "regression", {"run": result}, ["val/loss", "train/loss", "gap/optimum"], log=True)


with board:
    st.toggle("log scale for the MSE", key=f"{P}.log")
    if config is None:
        if dataset == "csv" and data is None:
            st.info("Upload a CSV: one row per sample, numeric columns; then pick the column to predict.")
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
    else:
        live.live_run(P, config, draw, data=data, data_id=data_id)
        insight.regression_stability(P, config, data)
spread.section(P, config, ["train/loss", "val/loss", "gap/optimum"], data=data, data_id=data_id)  # the seed spread: bands, box plots, rank tests
links.publish(P)
