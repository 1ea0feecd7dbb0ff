"""CNN: a two-block convolutional network on the 8x8 digits; how fast it learns, and which digits it confuses."""

import streamlit as st

from lab.experiments.cnn import OPTIMIZERS, PRESETS, CNNConfig
from lab.ui import controls, form, links, live, page, runs, torch_start
from lab.ui import nets_views as views
from lab.ui import seed_views as spread

P = page.setup("cnn")
form.init(P, CNNConfig(epochs=8, batch_size=64))  # a light default view (about 1 s); presets train longer
links.restore(P)
page.presets(P, PRESETS)

settings, board = page.columns()
with settings:
    a, b = st.columns(2)
    form.slider("channels 1", key=form.key(P, "channels.0"), container=a, help="channels of the first conv block")
    form.slider("channels 2", key=form.key(P, "channels.1"), container=b, help="channels of the second conv block")
    form.radio("kernel size", key=form.key(P, "kernel_size"), horizontal=True, format_func=lambda k: f"{k}x{k}")
    st.checkbox("batch norm", key=form.key(P, "batch_norm"))
    st.checkbox("augment (±1 px shifts)", key=form.key(P, "augment"))
    form.slider("dropout", key=form.key(P, "dropout"), step=0.05)
    views.optimizer_controls(P, OPTIMIZERS)
    form.select_slider("batch size", views.BATCHES, key=form.key(P, "batch_size"))
    form.slider("epochs", 1, 100, key=form.key(P, "epochs"))
    controls.stopping_controls(P, CNNConfig)
    form.number_input("seed", key=form.key(P, "seed"))
    config = views.build(P, CNNConfig)


def draw(result, final):
    page.decision_banner(result.decision)
    done = final and "test" in result.artifacts
    if done:
        views.cnn_metrics(result)
    loss, accuracy = views.curves(result, batches=True)
    left, right = st.columns(2)
    left.altair_chart(loss, width="stretch")
    right.altair_chart(accuracy, width="stretch")
    if done:
        test = result.artifacts["test"]
        st.caption("Grey: the training loss of each mini-batch (noisy); lines: train and validation loss on the whole split after each epoch.")
        left, right = st.columns(2)
        left.altair_chart(views.confusion_chart(test["confusion"], [str(d) for d in range(10)], size=300), width="stretch")
        right.altair_chart(views.per_class_chart(test), width="stretch")
        grid = views.misclassified_chart(test)
        if grid is not None:
            st.altair_chart(grid)
    if final:
        runs.compare_section(P, "cnn", {"run": result}, ["val/loss", "train/loss", "val/accuracy"], log=True)


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
