"""Schedules: preview learning-rate schedules, then apply one to noisy SGD and see the loss beside the lr."""

import streamlit as st

from lab.experiments import descent
from lab.experiments.descent import DescentConfig
from lab.schedules import SCHEDULES, ScheduleConfig
from lab.ui import charts, controls, form, links, live, page, runs
from lab.ui import schedule_views as views
from lab.ui import seed_views as spread

P = page.setup("schedules")
form.init(P, views.applied(descent.SCHEDULE_PRESETS["schedules/noise-floor"]))
st.session_state.setdefault(form.key(P, "preview"), ["constant", "exponential", "step", "cosine"])
links.restore(P)
page.presets(P, descent.SCHEDULE_PRESETS, apply=lambda preset: form.apply(P, views.applied(preset)))

settings, board = page.columns()
with settings:
    controls.lr_slider("base learning rate lr0", P)
    form.slider("steps", 50, 3000, key=form.key(P, "steps"), step=50)
    form.slider("gradient noise (std)", 0.0, 5.0, key=form.key(P, "noise"), step=0.1)
    form.number_input("seed", key=form.key(P, "seed"))
    st.markdown("**Schedule applied to training**")
    controls.schedule_picker(P)

config = form.build(P, DescentConfig)
with board:
    form.multiselect("preview schedules", SCHEDULES, key=form.key(P, "preview"), format_func=lambda s: views.LABELS[s])
    if config is not None:
        chosen = views.label(config.schedule)
        previews = {views.label(ScheduleConfig(name=n)): ScheduleConfig(name=n) for n in st.session_state[form.key(P, "preview")]
                    if n != config.schedule.name}
        previews[chosen + views.APPLIED] = config.schedule
        st.altair_chart(views.preview_chart(views.preview_frame(previews, config.lr, config.steps), log=False), width="stretch")
        configs = {views.CONSTANT_RUN: config.replace(schedule=ScheduleConfig()), chosen: config}
    else:
        chosen, configs = "", None

    def draw(results, final):
        loss, lr = views.training_charts(results, chosen)
        left, right = st.columns(2)
        left.altair_chart(loss, width="stretch")
        right.altair_chart(lr, width="stretch")
        if final:
            st.markdown(charts.decision_lines(results))
            views.floor_metrics(results)
            runs.compare_section(P, "descent", results, ["loss", "lr", "gap/optimum"], log=True)

    if configs is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept, True)
    else:
        live.live_runs(P, configs, draw)
spread.section(P, configs, ["loss", "lr", "gap/optimum"])  # the seed spread: bands, box plots, rank tests
links.publish(P)
