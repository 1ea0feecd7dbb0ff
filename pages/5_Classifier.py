"""Classifier: an MLP on the breast-cancer data; watch train and validation curves part, and what stops them."""

import streamlit as st

from lab.experiments.classifier import DEFAULT_VIEW, OPTIMIZERS, PRESETS, ClassifierConfig
from lab.ui import controls, form, links, live, page, runs, torch_start
from lab.ui import nets_views as views
from lab.ui import seed_views as spread

P = page.setup("classifier")
form.init(P, DEFAULT_VIEW, whole=("hidden",))
views.hidden_as_text(P)
links.restore(P)
page.presets(P, PRESETS, whole=("hidden",))
views.hidden_as_text(P)

settings, board = page.columns()
with settings:
    st.text_input("hidden layer sizes", key=form.key(P, "hidden"),
                  help="Units per hidden layer, comma-separated (e.g. 16,8; up to 5 layers). Empty: logistic regression.")
    form.selectbox("activation", key=form.key(P, "activation"))
    st.checkbox("batch norm", key=form.key(P, "batch_norm"))
    st.checkbox("standardize the features", key=form.key(P, "standardize"), help="StandardScaler fit on the training split")
    form.slider("dropout", key=form.key(P, "dropout"), step=0.05)
    form.select_slider("L2 weight decay", views.PENALTIES, key=form.key(P, "weight_decay"), format_func=lambda v: f"{v:g}")
    form.select_slider("L1 penalty", views.PENALTIES, key=form.key(P, "l1"), format_func=lambda v: f"{v:g}")
    views.optimizer_controls(P, OPTIMIZERS)
    form.select_slider("batch size", views.BATCHES, key=form.key(P, "batch_size"))
    form.slider("epochs", 1, 500, key=form.key(P, "epochs"))
    form.radio("engine", key=form.key(P, "engine"), horizontal=True,
               format_func={"torch": "torch", "numpy": "numpy (from scratch)"}.get)
    controls.stopping_controls(P, ClassifierConfig)
    form.number_input("seed", key=form.key(P, "seed"))
    config = views.build(P, ClassifierConfig)


def draw(result, final):
    page.decision_banner(result.decision)
    if final and "test" in result.artifacts:
        views.classifier_metrics(result)
    loss, accuracy = views.curves(result)
    left, right = st.columns(2)
    left.altair_chart(loss, width="stretch")
    right.altair_chart(accuracy, width="stretch")
    if final and "test" in result.artifacts:
        test = result.artifacts["test"]
        roc, pr, confusion = st.columns(3)
        roc.altair_chart(views.roc_chart(test), width="stretch")
        pr.altair_chart(views.pr_chart(test), width="stretch")
        confusion.altair_chart(views.confusion_chart(test["confusion"], ["benign", "malignant"]), width="stretch")
        st.caption(f"Held-out test split ({len(test['y_true'])} patients); the positive class is malignant.")
    if final:
        runs.compare_section(P, "classifier", {"run": result}, ["val/loss", "train/loss", "val/accuracy", "grad/norm"], log=True)


with board:
    if config is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
    else:
        torch_start.announce(config)
        live.live_run(P, config, draw)
spread.section(P, config, ["train/loss", "val/loss", "val/accuracy"])  # the seed spread: bands, box plots, rank tests
links.publish(P)
