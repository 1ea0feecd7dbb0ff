"""Playground: a small network on 2-D data; watch its surface and every neuron form, and walk backpropagation."""

import hashlib

import streamlit as st

from lab.experiments.playground import DEFAULT_VIEW, OPTIMIZERS, PRESETS, Film, PlaygroundConfig
from lab.ui import controls, form, links, live, page
from lab.ui import playground_views as views
from lab.ui import seed_views as spread

P = page.setup("playground")
form.init(P, DEFAULT_VIEW)
links.restore(P)
page.presets(P, PRESETS)

settings, board = page.columns()
with settings:
    film = views.data_controls(P)
    views.feature_controls(P)
    views.network_controls(P)
    views.training_controls(P, OPTIMIZERS)
    controls.stopping_controls(P, PlaygroundConfig)
    form.number_input("seed", key=form.key(P, "seed"))
    config = form.build(P, PlaygroundConfig)


def draw(result, final):
    page.decision_banner(result.decision)
    if final:
        views.finished(P, result)
    else:
        views.live(P, result, film)


data_id = hashlib.sha256(film.upload).hexdigest() if film is not None and film.upload else ""
with board:
    if config is None or film is None:
        if film is None:
            st.info("Upload a CSV: two numeric columns for the coordinates and a label column.")
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
    else:
        live.live_run(P, config, draw, data=film, data_id=data_id)
spread.section(P, config if film is not None else None, ["train/loss", "val/loss", "val/accuracy"],
               data=Film(film.upload) if film is not None else None, data_id=data_id)  # the seed spread
links.publish(P)
