"""Optimizers: race any of them across a 2-D loss surface and watch who converges, oscillates or diverges."""

import streamlit as st

from lab import optim
from lab.experiments import descent
from lab.experiments.descent import surfaces
from lab.ui import charts, form, links, live, page, runs, scrubber
from lab.ui import descent_views as views
from lab.ui import insight_views as insight
from lab.ui import seed_views as spread

P = page.setup("optimizers")
views.init_race(P, "rosenbrock", ["gd", "momentum", "rmsprop", "adam"])
views.restore_race(P)
page.presets(P, descent.OPTIMIZER_PRESETS, apply=lambda preset: views.apply_race_preset(P, preset.config))

settings, board = page.columns()
with settings:
    form.selectbox("surface", key=form.key(P, "surface"), format_func=lambda s: surfaces.get(s).label,
                 on_change=lambda: views.apply_surface_defaults(P, st.session_state[form.key(P, "surface")]))
    surface = surfaces.get(st.session_state[form.key(P, "surface")])
    (x0, x1), (y0, y1) = surface.bounds
    a, b = st.columns(2)
    form.slider("start x", float(x0), float(x1), key=form.key(P, "start.0"), step=(x1 - x0) / 200, container=a)
    form.slider("start y", float(y0), float(y1), key=form.key(P, "start.1"), step=(y1 - y0) / 200, container=b)
    form.slider("steps", 10, 5000, key=form.key(P, "steps"), step=10)
    form.select_slider("tolerance (distance to the minimum)", [0.0, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1], key=form.key(P, "tol"), format_func=lambda v: f"{v:g}")
    form.number_input("seed", key=form.key(P, "seed"))
    form.multiselect("optimizers", list(optim.OPTIMIZERS), key=form.key(P, "optimizers"), format_func=optim.SHORT_LABELS.get)
    for name in st.session_state[form.key(P, "optimizers")]:
        with st.expander(optim.LABELS[name]):
            views.optimizer_settings(P, name)

configs = views.race_configs(P)


def draw(results, final):
    if final:
        last = max((r.steps[-1].step for r in results.values() if r.steps), default=0)
        scrubber.scrubber(f"{P}.scrub", last, lambda s: st.altair_chart(views.surface_chart(surface, results, upto=s), width="stretch"))
    else:
        st.altair_chart(views.surface_chart(surface, results), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.runs_chart(results, "loss", title="loss above the minimum, f − f*", log=True, legend=False,
                                        shift=surface.min_value), width="stretch")
    right.altair_chart(charts.runs_chart(results, "gap/optimum", title="distance to the nearest minimum", log=True, legend=False), width="stretch")
    if final:
        strip = insight.phase_strip(results, "gap/optimum")
        if strip is not None:
            st.altair_chart(strip, width="stretch")
        st.markdown(charts.decision_lines(results))
        st.dataframe(views.race_table(results), hide_index=True, width="stretch")
        runs.compare_section(P, "descent", results, ["loss", "gap/optimum", "grad/norm"], log=True)
    insight.rate_table(results)


with board:
    if configs is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept, True)
    elif not configs:
        st.info("Pick at least one optimizer.")
    else:
        live.live_runs(P, configs, draw)

spread.section(P, configs, ["loss", "gap/optimum"])  # the seed spread: bands, box plots, rank tests
insight.descent_maps(P, configs)
st.subheader("The updates, as implemented")
st.caption("Written out in `lab/optim.py` following torch.optim's conventions; the tests hold each to torch.optim to 1e-10.")
for name in st.session_state[form.key(P, "optimizers")]:
    st.markdown(f"**{optim.LABELS[name]}**")
    st.latex(views.formula(name))
links.publish(P)
