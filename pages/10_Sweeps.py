"""Sweeps: grid, random or Bayesian search over a lab's settings on Optuna, and how the search converges."""

import streamlit as st

from lab.experiments import config_class
from lab.sweep import SAMPLERS, Objective, history_table, importances, load_sweep, run_sweep, searchable, trials_table
from lab.sweep import heatmap as heatmap_table
from lab.ui import page, runs
from lab.ui import sweep_views as views

P = "sw"
page.setup("Sweeps", "🔍", "Which settings converge best? Search a lab's settings by grid, random or Bayesian (TPE) search.")
settings, board = st.columns([1, 2], gap="large")
with settings:
    lab = st.selectbox("lab", views.labs(), key=f"{P}.lab")
    defaults = views.DEFAULTS[lab]
    fields = st.multiselect("settings to search", list(searchable(config_class(lab))), default=list(defaults["fields"]), key=f"{P}.{lab}.fields")
    texts = {f: st.text_input(f"range of {f}", value=views.dimension_text(lab, f), key=f"{P}.{lab}.range.{f}",
                              help="float:LOW:HIGH[:log][:POINTS], int:LOW:HIGH[:log][:POINTS] or choice:a,b,c") for f in fields}
    metric = st.selectbox("objective: metric", defaults["metrics"], key=f"{P}.{lab}.metric")
    direction = st.radio("direction", ["min", "max"], index=1 if "accuracy" in metric or "return" in metric else 0, horizontal=True, key=f"{P}.{lab}.direction")
    take = st.radio("value of the run", ["best", "last"], index=["best", "last"].index(defaults["take"]), horizontal=True, key=f"{P}.{lab}.take")
    sampler = st.radio("sampler", list(SAMPLERS), horizontal=True, key=f"{P}.sampler")
    trials = st.slider("trials (grid: all points)", 2, 100, 20, key=f"{P}.trials")
    workers = st.slider("parallel worker processes", 1, 4, 1, key=f"{P}.workers")
    seed = st.number_input("seed", 0, 2**31 - 1, 0, key=f"{P}.seed")
    start = st.button("Run the sweep", type="primary", key=f"{P}.run")

space = None
try:
    space = views.space_from(lab, texts)
    n_trials = len(views.grid_points(space)) if sampler == "grid" else trials
    settings.caption(f"{n_trials} trials; base settings: the lab's defaults{' with ' + str(defaults['base']) if defaults['base'] else ''}.")
except ValueError as exc:
    settings.error(f"This search space cannot run: {exc}")

with board:
    if start and space is not None:
        bar, done = st.progress(0.0, text="starting…"), []
        try:
            study = run_sweep(lab, space, Objective(metric, direction, take), sampler, n_trials=n_trials, n_workers=workers,
                              study_name=views.study_name(lab), seed=seed, base=views.base_config(lab), workspace=runs.workspace(),
                              on_trial=views.progress(bar, done, n_trials))
            st.session_state[f"{P}.study"] = (lab, study.study_name, direction)
        except ValueError as exc:
            st.error(f"The sweep could not run: {exc}")
        bar.empty()
    kept = st.session_state.get(f"{P}.study")
    if kept is None:
        st.info("Choose a lab, the settings to search and their ranges, then run the sweep. Every trial is saved as a run.")
    else:
        kept_lab, name, kept_direction = kept
        study, _ = load_sweep(None, name)
        table = trials_table(study)
        params = [c for c in table.columns if c not in views.NON_PARAMS]
        st.markdown(f"**Study `{name}`**: {len(table)} trials, {int((table['state'] == 'pruned').sum())} pruned.")
        st.altair_chart(views.history_chart(history_table(study)), width="stretch")
        if len(params) >= 2:
            a, b = st.columns(2)
            x = a.selectbox("heatmap x", params, index=0, key=f"{P}.x")
            y = b.selectbox("heatmap y", params, index=1, key=f"{P}.y")
            if x != y:
                st.altair_chart(views.heatmap_chart(heatmap_table(study, x, y), x, y, kept_direction), width="stretch")
            st.altair_chart(views.parallel_chart(table, params), width="stretch")
        imp = importances(study)
        if len(imp):
            st.altair_chart(views.importance_chart(imp), width="stretch")
        st.dataframe(table.drop(columns=["run_id"], errors="ignore"), hide_index=True, width="stretch")
        views.trial_links(kept_lab, table)
