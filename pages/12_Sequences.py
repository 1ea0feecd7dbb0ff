"""Sequences: sentiment of generated sentences; which kinds (negated, contrast, long) each model ever learns."""

import hashlib

import streamlit as st

from lab.experiments.sequences import DEFAULT_VIEW, MODEL_LABELS, OPTIMIZERS, PRESETS, RECURRENT, SequenceConfig
from lab.ui import controls, form, links, live, page, runs, torch_start
from lab.ui import nets_views as nets
from lab.ui import seed_views as spread
from lab.ui import sequence_views as views

P = page.setup("sequences")
form.init(P, DEFAULT_VIEW)
links.restore(P)
page.presets(P, PRESETS)

settings, board = page.columns()
data, data_id = None, ""
with settings:
    dataset = form.radio("sentences", key=form.key(P, "dataset"), horizontal=True,
                         format_func={"generated": "generated", "csv": "my CSV"}.get)
    if dataset == "generated":
        form.slider("sentences", 100, 5000, key=form.key(P, "n_sentences"), step=100)
        for name in ("negated", "contrast", "long"):
            form.slider(f"share of {name} sentences", 0.0, 0.8, key=form.key(P, name), step=0.05)
        form.slider("label noise (share flipped)", key=form.key(P, "noise"), step=0.05)
    else:
        upload = st.file_uploader("CSV with a text column and a 0/1 label column", type=["csv", "txt"], key=f"{P}.file")
        st.text_input("text column", key=form.key(P, "text_column"))
        st.text_input("label column", key=form.key(P, "label_column"))
        if upload is not None:
            data = upload.getvalue()
            data_id = hashlib.sha256(data).hexdigest()
    form.slider("max length (words; pad_sequences maxlen)", key=form.key(P, "max_len"))
    form.select_slider("vocabulary cap (num_words)", views.NUM_WORDS, key=form.key(P, "num_words"))
    model = form.selectbox("model", key=form.key(P, "model"), format_func=MODEL_LABELS.get)
    if model != "bow":
        form.select_slider("embedding size", views.SIZES, key=form.key(P, "embedding"))
    if model in RECURRENT:
        form.select_slider("hidden units", views.SIZES, key=form.key(P, "hidden"))
        form.slider("layers", key=form.key(P, "layers"))
        st.checkbox("bidirectional", key=form.key(P, "bidirectional"))
    form.slider("dropout", 0.0, 0.9, key=form.key(P, "dropout"), step=0.05)
    form.number_input("clip the gradient norm at (empty: off)", key=form.key(P, "clip"), step=0.5, placeholder="off (empty)")
    nets.optimizer_controls(P, OPTIMIZERS)
    form.select_slider("batch size", nets.BATCHES, key=form.key(P, "batch_size"))
    form.slider("epochs", 1, 100, key=form.key(P, "epochs"))
    controls.stopping_controls(P, SequenceConfig)
    form.number_input("seed", key=form.key(P, "seed"))
    config = form.build(P, SequenceConfig) if dataset == "generated" or data is not None else None


def draw(result, final):
    page.decision_banner(result.decision)
    if result.steps:
        nets.metric_row(views.figures(result))
    loss, accuracy = nets.curves(result)
    left, right = st.columns(2)
    left.altair_chart(loss, width="stretch")
    right.altair_chart(accuracy, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(views.kinds_chart(result), width="stretch")
    right.altair_chart(views.grad_chart(result), width="stretch")
    if not final or "sample" not in result.artifacts:
        return
    st.markdown("**A validation sentence as the model reads it** (tokenized, then padded after its words)")
    st.dataframe(views.sample_table(result.artifacts["sample"]), width="stretch")
    views.typed_sentence(P, result)
    st.markdown(f"**Validation sentences still wrong** ({result.artifacts['n_wrong']})")
    st.dataframe(views.wrong_table(result), hide_index=True, width="stretch", height=240)
    runs.compare_section(P, "sequences", {"run": result}, ["val/loss", "val/accuracy", "grad/norm_max"])


with board:
    if config is None:
        if dataset == "csv" and data is None:
            st.info("Upload a CSV: one sentence per row, a text column and a 0/1 label column.")
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
    else:
        torch_start.announce(config)
        live.live_run(P, config, draw, data=data, data_id=data_id)
spread.section(P, config, ["train/loss", "val/loss", "val/accuracy"], data=data, data_id=data_id)  # the seed spread
links.publish(P)
