"""Sweeps: grid, random or Bayesian search over a lab's settings on Optuna, and how the search converges."""

import streamlit as st

from lab import registry
from lab.sweep import SAMPLERS, Objective, history_table, importances, trials_table
from lab.sweep import heatmap as heatmap_table
from lab.ui import budget, numbers, page
from lab.ui import sweep_views as views
from lab.ui.text import plain

P = page.setup("sweeps")
views.restore(P)
settings, board = page.columns()
with settings:
    lab = st.selectbox("lab", list(registry.LABS), key=f"{P}.lab")
    defaults = registry.LABS[lab].sweep
    fields = st.multiselect("settings to search", views.offered(lab), default=list(defaults.fields), key=f"{P}.{lab}.fields")
    texts = {f: st.text_input(f"range of {f}", value=views.dimension_text(lab, f), key=f"{P}.{lab}.range.{f}",
                              help="float:LOW:HIGH[:log][:POINTS], int:LOW:HIGH[:log][:POINTS] or choice:a,b,c") for f in fields}
    directions = {m.metric: m.direction for m in registry.LABS[lab].monitors}
    metric = st.selectbox("objective: metric", list(directions), key=f"{P}.{lab}.metric")
    direction = st.radio("direction", ["min", "max"], index=["min", "max"].index(directions[metric]), horizontal=True, key=f"{P}.{lab}.{metric}.direction")
    take = st.radio("value of the run", ["best", "last"], index=["best", "last"].index(defaults.take), horizontal=True, key=f"{P}.{lab}.take")
    sampler = st.radio("sampler", list(SAMPLERS), horizontal=True, key=f"{P}.sampler")
    trials = st.slider("trials (grid: all points)", *views.TRIALS_RANGE, views.TRIALS_DEFAULT, key=f"{P}.trials")
    workers = st.slider("parallel worker processes", 1, 4, 1, key=f"{P}.workers")
    seed = st.number_input("seed", 0, 2**31 - 1, 0, key=f"{P}.seed")
    start = st.button("Run the sweep", type="primary", key=f"{P}.run")

space = None
try:
    asked = views.space_from(lab, texts)
    n_trials = len(views.grid_points(asked)) if sampler == "grid" else trials
    settings.caption(f"{n_trials} trials; base settings: the lab's defaults{' with ' + views.describe_base(defaults.base) if defaults.base else ''}.")
    space = budget.sweep_within(views.base_config(lab), asked, n_trials)
except ValueError as exc:
    settings.error(f"This search space cannot run: {plain(exc)}")

with board:
    if start and space is not None:
        views.run(P, lab, space, Objective(metric, direction, take), sampler, n_trials, n_workers=workers, seed=seed)
    kept = views.kept(P)
    if kept is None:
        st.info("Choose a lab, the settings to search and their ranges, then run the sweep. Every trial is saved as a run.")
    else:
        kept_lab, study, kept_direction = kept
        name = study.study_name
        table = trials_table(study)
        params = [c for c in table.columns if c not in views.NON_PARAMS]
        st.markdown(f"**Study {plain(name)}**: {len(table)} trials, {int((table['state'] == 'pruned').sum())} pruned.")
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
        st.dataframe(numbers.table(table.drop(columns=["run_id"], errors="ignore")), hide_index=True, width="stretch")
        views.trial_links(kept_lab, table)
views.publish(P, lab, {"fields": fields, **{f"range.{f}": t for f, t in texts.items()}, "metric": metric, "direction": direction,
                      "take": take, "sampler": sampler, "trials": trials, "seed": seed})
