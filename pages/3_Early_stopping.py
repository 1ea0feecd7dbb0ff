"""Early stopping: a validation curve, a stopping rule, and where it decides to stop, explained."""

import hashlib

import streamlit as st

from lab.experiments.curve import DEFAULT_STOPPING, PRESETS, CurveConfig, curve_from_csv
from lab.ui import controls, form, links, live, page, runs
from lab.ui import seed_views as spread
from lab.ui import stopping_views as views
from lab.ui.text import plain

P = page.setup("early_stopping")
form.init(P, CurveConfig(stopping=DEFAULT_STOPPING))
links.restore(P)
page.presets(P, PRESETS)
settings, board = page.columns()
data, data_id, config = None, "", None
with settings:
    source = form.radio("curve", ["synthetic", "upload"], key=form.key(P, "source"), horizontal=True,
                      format_func={"synthetic": "synthetic (seeded)", "upload": "my CSV"}.get)
    if source == "synthetic":
        form.slider("epochs", 20, 400, key=form.key(P, "epochs"), step=10)
        form.slider("noise", 0.0, 0.2, key=form.key(P, "noise"), step=0.005, format="%.3f")
        form.slider("overfitting starts at epoch", 0, 400, key=form.key(P, "onset"))
        form.slider("how fast the loss falls", 0.01, 0.5, key=form.key(P, "decay"), step=0.01)
        form.slider("how fast validation loss rises after", 0.0, 0.05, key=form.key(P, "rise"), step=0.001, format="%.3f")
        form.number_input("seed", key=form.key(P, "seed"))
    else:
        upload = st.file_uploader("CSV with a validation-loss column (Keras' CSVLogger output works)", type=["csv", "txt"], key=f"{P}.file")
        if upload is not None:
            data = upload.getvalue()
            data_id = hashlib.sha256(data).hexdigest()
            try:
                _, notes = curve_from_csv(data)
                st.caption(plain("; ".join(notes)))
            except ValueError as exc:
                st.error(f"This file cannot be used: {plain(exc)}")
                data = None
    st.markdown("**Stopping rule** (on validation loss)")
    controls.stopping_controls(P, CurveConfig, toggle=False, advanced=True)
    if source == "synthetic":
        config = form.build(P, CurveConfig)
    elif data is not None:
        config = views.upload_config(P)


def draw(result, final):
    page.decision_banner(result.decision)
    st.altair_chart(views.curve_chart(result), width="stretch")
    if final and result.decision is not None and result.config.stopping.enabled:
        left, right = st.columns([3, 2])
        left.markdown("**Decision log** (newest first)")
        left.dataframe(views.log_table(result), hide_index=True, width="stretch", height=300)
        right.markdown("**What the common conventions decide on this curve** (same patience and min_delta)")
        right.dataframe(views.conventions_table(result), hide_index=True, width="stretch")
        runs.compare_section(P, "curve", {"run": result}, ["val/loss", "train/loss"])


with board:
    if config is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
        elif source == "upload":
            st.info("Upload a CSV with one row per epoch and a column of validation losses.")
    else:
        live.live_run(P, config, draw, data=data, data_id=data_id)
spread.section(P, config, ["val/loss", "train/loss"], data=data, data_id=data_id)  # the seed spread: bands, box plots, rank tests
links.publish(P)
