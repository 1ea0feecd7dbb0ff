"""Views of the Optimizers and Schedules labs: the surface with paths, the race table, settings."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lab import optim
from lab.experiments.descent.surfaces import Surface
from lab.records import Kind, RunResult
from lab.share import flatten, unflatten
from lab.ui import budget, charts, controls, form, links, numbers
from lab.ui.controls import CHECKBOXES, HYPER_FIELDS, SLIDERS

GRID = 60


@st.cache_data(show_spinner=False, max_entries=16)
def surface_cells(name: str) -> pd.DataFrame:
    """The surface on a grid, coloured by log10(f - f_min + 1e-3) so valleys stay visible."""
    from lab.experiments.descent import surfaces

    surface = surfaces.get(name)
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    gx, gy = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        z = np.log10(surface.values(gx, gy) - surface.min_value + 1e-3)
    return charts.grid_cells(xs, ys, z)


def surface_chart(surface: Surface, results: Mapping[str, RunResult], upto: int | None = None, height: int = 460) -> alt.LayerChart:
    """Heatmap of the surface, the known minima (white stars), each run's path up to step `upto`."""
    names = list(results)
    bounds = surface.bounds
    layers = [charts.grid_heatmap(surface_cells(surface.name), z_title="log₁₀(f − f*)", scheme="viridis", domain=bounds)]
    minima = pd.DataFrame([{"x": x, "y": y} for x, y in surface.minima])
    layers.append(alt.Chart(minima).mark_point(shape="diamond", size=160, color="white", filled=True, stroke="black")
                  .encode(x=alt.X("x:Q"), y=alt.Y("y:Q"), tooltip=[alt.Tooltip("x:Q"), alt.Tooltip("y:Q")]))
    rows = []
    for label, result in results.items():
        steps = [s for s in result.steps if upto is None or s.step <= upto]
        stride = max(1, len(steps) // 800)
        picked = steps[::stride]
        if steps and picked[-1] is not steps[-1]:
            picked.append(steps[-1])
        for s in picked:
            x, y = s.metrics.get("x"), s.metrics.get("y")
            if x is not None and y is not None and np.isfinite(x) and np.isfinite(y):
                rows.append({"run": label, "step": s.step, "x": x, "y": y})
    paths = pd.DataFrame(rows, columns=["run", "step", "x", "y"])
    colour = alt.Color("run:N", scale=charts.colour_scale(names), legend=alt.Legend(orient="bottom", title=None))
    layers.append(alt.Chart(paths).mark_line(strokeWidth=2, clip=True, point=False).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), order=alt.Order("step:Q"), color=colour, tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("x:Q", format=".4g"), alt.Tooltip("y:Q", format=".4g")]))
    heads = paths.groupby("run", as_index=False).last() if len(paths) else paths
    layers.append(alt.Chart(heads).mark_point(size=90, filled=True, stroke="white", strokeWidth=1.5, clip=True).encode(
        x=alt.X("x:Q"), y=alt.Y("y:Q"), color=alt.Color("run:N", scale=charts.colour_scale(names), legend=None), tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q")]))
    return alt.layer(*layers).properties(height=height, title=f"{surface.label}: paths over log₁₀(f − f*)")


def status(result: RunResult) -> str:
    d = result.decision
    if d is None:
        return "running"
    return d.kind.word


def race_table(results: Mapping[str, RunResult]) -> pd.DataFrame:
    rows = []
    for label, result in results.items():
        d = result.decision
        rows.append({
            "optimizer": label,
            "status": status(result),
            "steps to tolerance": d.step if d is not None and d.kind is Kind.CONVERGED else None,
            "final loss": result.last("loss"),
            "distance to minimum": result.last("gap/optimum"),
        })
    return numbers.table(pd.DataFrame(rows))


#: Settings each run of the race has of its own whatever its optimizer: SGD's noise is what makes
#: it SGD, and one shared slider would give every optimizer the first one's noise.
PER_RUN = ("noise",)


def optimizer_settings(prefix: str, name: str) -> None:
    """The settings `HYPER_FIELDS` shows for one optimizer, under keys ``{prefix}.{name}.{field}``."""
    p = f"{prefix}.{name}"
    controls.lr_slider("learning rate", p)
    for field in (*HYPER_FIELDS[name][1:], *PER_RUN):
        if field in CHECKBOXES:
            st.checkbox(CHECKBOXES[field], key=form.key(p, field))
            continue
        for key, label, low, high, step, fmt in SLIDERS[field]:
            form.slider(label, low, high, key=form.key(p, key), step=step, format=fmt)


def formula(name: str) -> str:
    return optim.formula(name)


SHARED = ("surface", "start", "steps", "tol", "seed")


def hyper_values(config) -> dict:
    """The config's settings of its own run (its optimizer's and `PER_RUN`), None (the optimizer's default) made explicit."""
    own = controls.own_settings(config.optimizer)
    values = {}
    for field in (*HYPER_FIELDS[config.optimizer], *PER_RUN):
        value = getattr(config, field)
        if value is None:
            value = own.get(field)
        values[field] = list(value) if isinstance(value, tuple) else value
    return values


def apply_surface_defaults(prefix: str, surface_name: str) -> None:
    """Reset the start and every optimizer's settings to the surface's sensible defaults."""
    from lab.experiments.descent import DescentConfig, default_hyper, surfaces

    surface = surfaces.get(surface_name)
    st.session_state[form.key(prefix, "start.0")], st.session_state[form.key(prefix, "start.1")] = map(float, surface.default_start)
    for name in optim.OPTIMIZERS:
        config = DescentConfig(surface=surface_name, optimizer=name, **default_hyper(surface_name, name))
        links.declare(f"{prefix}.{name}", DescentConfig)
        for field, value in flatten(hyper_values(config), split_lists=True).items():
            st.session_state[form.key(f"{prefix}.{name}", field)] = value


def init_race(prefix: str, surface_name: str, chosen: list[str]) -> None:
    from lab.experiments.descent import DescentConfig

    if form.key(prefix, "surface") in st.session_state:
        return
    form.init(prefix, DescentConfig(surface=surface_name, steps=1500, tol=1e-3))
    st.session_state[form.key(prefix, "optimizers")] = chosen
    apply_surface_defaults(prefix, surface_name)


def restore_race(prefix: str) -> None:
    """`links.restore`, where a link's surface also brings that surface's start and settings.

    A link that names a surface but not a start (``?surface=ravine``) means the surface as the
    page would show it, not the default surface's start clamped into the ravine; whatever the
    link does give is kept.
    """
    links.restore(prefix)
    given = st.session_state.get(form.key(prefix, "_from_link")) or []
    if "surface" in given:
        kept = {name: st.session_state[form.key(prefix, name)] for name in given}
        apply_surface_defaults(prefix, kept["surface"])
        for name, value in kept.items():
            st.session_state[form.key(prefix, name)] = value


def apply_race_preset(prefix: str, configs: Mapping[str, object]) -> None:
    """Set the page to a preset's race: its shared settings, its optimizers and theirs."""
    first = next(iter(configs.values()))
    apply_surface_defaults(prefix, first.surface)
    shared = {k: v for k, v in first.to_dict().items() if k in SHARED}
    for field, value in flatten(shared, split_lists=True).items():
        st.session_state[form.key(prefix, field)] = value
    st.session_state[form.key(prefix, "optimizers")] = [c.optimizer for c in configs.values()]
    for config in configs.values():
        for field, value in flatten(hyper_values(config), split_lists=True).items():
            st.session_state[form.key(f"{prefix}.{config.optimizer}", field)] = value


def race_configs(prefix: str) -> dict[str, object] | None:
    """One DescentConfig per chosen optimizer from the page's widgets, or None (message shown)."""
    from lab.experiments.descent import DescentConfig

    shared = unflatten({k: st.session_state[form.key(prefix, k)] for k in ("surface", "start.0", "start.1", "steps", "tol", "seed")})
    configs = {}
    for name in st.session_state.get(form.key(prefix, "optimizers"), []):
        own = {k: st.session_state[form.key(f"{prefix}.{name}", k)] for k in flatten(
            hyper_values(DescentConfig(optimizer=name)), split_lists=True)}
        config = form.checked(lambda own=own, name=name: DescentConfig.from_dict({**shared, "optimizer": name, **unflatten(own)}), prefix)
        if config is None:
            return None
        configs[optim.LABELS[name]] = config
    return form.checked(lambda: budget.race_within(configs), prefix)
