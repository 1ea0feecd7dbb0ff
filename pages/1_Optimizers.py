"""Optimizers: race any of them across a 2-D loss surface and watch who converges, oscillates or diverges."""

import streamlit as st

from lab import optim, surfaces
from lab.experiments import descent
from lab.ui import charts, form, links, live, page, runs, scrubber
from lab.ui import descent_views as views

P = "opt"
page.setup("Optimizers", "🧭", "How do gradient descent, momentum, Nesterov, Adagrad, RMSprop and Adam differ on the same surface?")
views.init_race(P, "rosenbrock", ["gd", "momentum", "rmsprop", "adam"])
links.restore(P)
page.presets(P, descent.OPTIMIZER_PRESETS, apply=lambda preset: views.apply_race_preset(P, preset.config))

settings, board = st.columns([1, 3], gap="large")
with settings:
    form.selectbox("surface", surfaces.SURFACES, key=form.key(P, "surface"), format_func=lambda s: surfaces.get(s).label,
                 on_change=lambda: views.apply_surface_defaults(P, st.session_state[form.key(P, "surface")]))
    surface = surfaces.get(st.session_state[form.key(P, "surface")])
    (x0, x1), (y0, y1) = surface.bounds
    a, b = st.columns(2)
    a.slider("start x", float(x0), float(x1), key=form.key(P, "start.0"), step=(x1 - x0) / 200)
    b.slider("start y", float(y0), float(y1), key=form.key(P, "start.1"), step=(y1 - y0) / 200)
    form.slider("steps", 10, 5000, key=form.key(P, "steps"), step=10)
    form.slider("gradient noise (std)", 0.0, 5.0, key=form.key(P, "noise"), step=0.05, help="Stands in for mini-batch noise: SGD's gradient is the exact one plus this much Gaussian noise.")
    form.select_slider("tolerance (distance to the minimum)", [0.0, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1], key=form.key(P, "tol"), format_func=lambda v: f"{v:g}")
    st.number_input("seed", 0, 2**31 - 1, key=form.key(P, "seed"))
    form.multiselect("optimizers", list(optim.OPTIMIZERS), key=form.key(P, "optimizers"), format_func=optim.LABELS.get)
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
    left.altair_chart(charts.runs_chart(results, "loss", title="loss f(x, y)", log=True, legend=False), width="stretch")
    right.altair_chart(charts.runs_chart(results, "gap/optimum", title="distance to the nearest minimum", log=True, legend=False), width="stretch")
    if final:
        st.dataframe(views.race_table(results), hide_index=True, width="stretch")
        runs.compare_section(P, "descent", results, ["loss", "gap/optimum", "grad/norm"], log=True)


with board:
    if configs is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept, True)
    elif not configs:
        st.info("Pick at least one optimizer.")
    else:
        live.live_runs(P, configs, draw)

st.subheader("The updates, as implemented")
st.caption("Written out in `lab/optim.py` following torch.optim's conventions; the tests hold each to torch.optim to 1e-10.")
for name in st.session_state[form.key(P, "optimizers")]:
    st.markdown(f"**{optim.LABELS[name]}**")
    st.latex(views.formula(name))
links.publish(P)
