"""Shared widget groups: a log-scale lr slider, the schedule picker, the stopping controls.

Each writes its values under form keys (``"{prefix}.{field}"``), so `lab.ui.form.build`
turns them into the lab's config and a preset can set them all.
"""

from __future__ import annotations

import math

import streamlit as st

from lab.schedules import LABELS as SCHEDULE_LABELS
from lab.schedules import SCHEDULES
from lab.ui import form

#: Learning rates on a 1-2-5 log grid: a slider over them moves by factors, as lr should.
LR_GRID = [round(m * 10.0**e, 12) for e in range(-5, 2) for m in (1, 2, 5)]


def nearest_lr(value: float) -> float:
    """The grid value nearest to `value` on a log scale (presets and defaults snap to it)."""
    if not value or value <= 0 or not math.isfinite(value):
        return LR_GRID[0]
    return min(LR_GRID, key=lambda g: abs(math.log(g) - math.log(value)))


def lr_slider(label: str, prefix: str, name: str = "lr", help: str | None = None, container=st) -> float:
    """A learning-rate slider on `LR_GRID` (the stored value is snapped to the grid first)."""
    k = form.key(prefix, name)
    if k in st.session_state and st.session_state[k] not in LR_GRID:
        st.session_state[k] = nearest_lr(st.session_state[k])
    return container.select_slider(label, options=LR_GRID, key=k, help=help, format_func=lambda v: f"{v:g}")


def schedule_picker(prefix: str, container=st) -> None:
    """The schedule's name and only the settings that schedule uses."""
    k = lambda name: form.key(prefix, f"schedule.{name}")  # noqa: E731
    name = container.selectbox("schedule", SCHEDULES, key=k("name"), format_func=lambda s: SCHEDULE_LABELS[s])
    if name in ("exponential", "time_based"):
        container.slider("decay d", 0.0, 0.2, key=k("decay"), step=0.001, format="%.3f")
    if name in ("step", "exponential_decay", "plateau"):
        container.slider("factor", 0.05, 0.95, key=k("factor"), step=0.05)
    if name in ("step", "exponential_decay"):
        container.slider("every (steps)", 1, 500, key=k("every"))
    if name == "exponential_decay":
        container.checkbox("staircase", key=k("staircase"))
    if name in ("cosine", "plateau"):
        container.number_input("min lr", 0.0, 1.0, key=k("min_lr"), format="%.2e", step=1e-5)
    if name == "plateau":
        container.slider("patience", 0, 100, key=k("patience"))
        container.slider("cooldown", 0, 50, key=k("cooldown"))
    if name != "constant":
        container.slider("warmup steps", 0, 200, key=k("warmup_steps"))
