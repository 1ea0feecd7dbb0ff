"""Shared widget groups: a log-scale lr slider, an optimizer's settings, the schedule picker, the stopping controls.

Each writes its values under form keys (``"{prefix}.{field}"``), so `lab.ui.form.build`
turns them into the lab's config and a preset can set them all.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from lab import optim
from lab.schedules import LABELS as SCHEDULE_LABELS
from lab.ui import form

#: Learning rates on a 1-2-5 log grid: a slider over them moves by factors, as lr should.
LR_GRID = [round(m * 10.0**e, 12) for e in range(-5, 2) for m in (1, 2, 5)]


def nearest_lr(value: float) -> float:
    """The grid value nearest to `value` on a log scale (presets and defaults snap to it)."""
    if not value or value <= 0 or not math.isfinite(value):
        return LR_GRID[0]
    return min(LR_GRID, key=lambda g: abs(math.log(g) - math.log(value)))


def lr_options(value: Any) -> list[float]:
    """`LR_GRID`, plus `value` where it lies inside the grid's span but off it.

    A preset or a link means its lr exactly: GD's 0.018 in the ravine converges where the
    grid's 0.02 oscillates for ever, so the slider offers that value rather than snapping it.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and LR_GRID[0] <= value <= LR_GRID[-1]:
        return sorted({*LR_GRID, float(value)})
    return LR_GRID


def lr_slider(label: str, prefix: str, name: str = "lr", help: str | None = None, container=st) -> float:
    """A learning-rate slider on `LR_GRID` and the stored value (one outside the grid's span snaps to it)."""
    k = form.key(prefix, name)
    options = lr_options(st.session_state.get(k))
    if k in st.session_state and st.session_state[k] not in options:
        value = st.session_state[k]
        st.session_state[k] = nearest_lr(value) if isinstance(value, (int, float)) else LR_GRID[0]
    return container.select_slider(label, options=options, key=k, help=help, format_func=lambda v: f"{v:g}")


def schedule_picker(prefix: str, container=st) -> None:
    """The schedule's name and only the settings that schedule uses (`lab.schedules.ScheduleConfig`)."""
    k = lambda name: form.key(prefix, f"schedule.{name}")  # noqa: E731
    name = form.selectbox("schedule", key=k("name"), format_func=lambda s: SCHEDULE_LABELS[s], container=container)
    if name in ("exponential", "time_based"):
        form.slider("decay d", 0.0, 0.2, key=k("decay"), step=0.001, format="%.3f", container=container)
    if name in ("step", "multistep", "exponential_decay", "plateau"):
        form.slider("factor", 0.05, 0.95, key=k("factor"), step=0.05, container=container)
    if name in ("step", "exponential_decay"):
        form.slider("every (steps)", 1, 500, key=k("every"), container=container)
    if name == "multistep":
        for i, column in enumerate(container.columns(3)):
            form.number_input(f"milestone {i + 1}", key=k(f"milestones.{i}"), container=column)
    if name == "exponential_decay":
        container.checkbox("staircase", key=k("staircase"))
    if name in ("polynomial", "cosine", "onecycle"):
        form.number_input("span (steps; empty: the whole run)", key=k("span"), placeholder="whole run", container=container)
    if name == "polynomial":
        form.slider("power p", 0.1, 5.0, key=k("power"), step=0.1, container=container)
    if name == "cosine_restarts":
        form.slider("first cycle T_0 (steps)", 1, 500, key=k("t_0"), container=container)
        form.slider("cycle growth T_mult", 1, 4, key=k("t_mult"), container=container)
    if name == "cyclic":
        form.slider("max lr (× lr0)", 1.0, 100.0, key=k("max_factor"), step=0.5, container=container)
        form.slider("steps up", 1, 500, key=k("step_size_up"), container=container)
        form.number_input("steps down (empty: as up)", key=k("step_size_down"), placeholder="as up", container=container)
        if form.selectbox("mode", key=k("mode"), container=container) == "exp_range":
            form.number_input("gamma (amplitude × gamma each step)", 0.9, 1.0, key=k("gamma"), step=1e-4, format="%.5f", container=container)
    if name == "onecycle":
        form.slider("climbing fraction pct_start", 0.0, 1.0, key=k("pct_start"), step=0.05, container=container)
        form.selectbox("anneal", key=k("anneal"), container=container)
        form.number_input("div_factor (first lr = lr0 / it)", 1.0, 1e6, key=k("div_factor"), step=1.0, container=container)
        form.number_input("final_div_factor (last lr = first / it)", key=k("final_div_factor"), step=10.0, container=container)
        container.checkbox("three phases", key=k("three_phase"))
    if name in ("cosine", "cosine_restarts", "plateau"):
        form.number_input("min lr", 0.0, 1.0, key=k("min_lr"), format="%.2e", step=1e-5, container=container)
    if name == "plateau":
        form.slider("patience", 0, 100, key=k("patience"), container=container)
        form.slider("cooldown", 0, 50, key=k("cooldown"), container=container)
    else:
        form.slider("warmup steps", 0, 200, key=k("warmup_steps"), container=container)


def stopping_controls(prefix: str, config_cls: Any, *, toggle: bool = True, advanced: bool = False, container: Any = st) -> None:
    """The one widget group for a lab config's `stopping` field (a `StoppingConfig`), keys ``stopping.*``.

    The monitors offered are those the config class declares for the field (`StoppingOn`); whether
    lower or higher is better follows from the monitor. Without `toggle` early stopping is always on
    (the Early stopping lab); `advanced` adds Keras' warm-up and baseline and Lightning's two
    thresholds, each off while its box is empty. The page's `form.init` puts the defaults in the session first.
    """
    k = lambda name: form.key(prefix, f"stopping.{name}")  # noqa: E731
    if not toggle:
        form.store(k("enabled"), True)
    elif not container.toggle("early stopping", key=k("enabled")):
        return
    monitors = config_cls.constraints()["stopping"].monitors
    if len(monitors) > 1:
        form.selectbox("monitor", monitors, key=k("monitor"), container=container)
    form.slider("patience (epochs)", 0, 100, key=k("patience"), container=container,
                help="epochs without improvement tolerated before stopping")
    form.number_input("min_delta (smallest change that counts)", 0.0, 10.0, key=k("min_delta"), step=0.001, format="%.4f", container=container)
    if advanced:
        form.slider("start_from_epoch (ignore epochs before)", 0, 100, key=k("start_from_epoch"), container=container)
    container.checkbox("restore the best weights", key=k("restore_best"))
    if advanced:
        for name, label in (("baseline", "baseline (must beat it to reset patience)"),
                            ("stopping_threshold", "stopping threshold (good enough: stop)"),
                            ("divergence_threshold", "divergence threshold (hopeless: stop)")):
            form.number_input(label, key=k(name), step=0.01, format="%.4f", placeholder="off (empty)", container=container)


#: The settings the page shows for each optimizer: the ones that make its character, of those
#: `lab.optim.HYPER` says it takes (eps is left at its default; weight decay only where it is
#: decoupled and part of the method).
HYPER_FIELDS = {
    "gd": ("lr",), "sgd": ("lr",), "momentum": ("lr", "momentum", "dampening"), "nesterov": ("lr", "momentum"),
    "adagrad": ("lr", "lr_decay"), "rmsprop": ("lr", "alpha", "momentum", "centered"), "adadelta": ("lr", "rho"),
    "adam": ("lr", "betas", "amsgrad"), "adamw": ("lr", "betas", "amsgrad", "weight_decay"), "adamax": ("lr", "betas"),
    "nadam": ("lr", "betas", "momentum_decay"), "radam": ("lr", "betas"), "lion": ("lr", "betas", "weight_decay"),
}
#: Field -> its sliders: (key under the optimizer's prefix, label, low, high, step, format).
SLIDERS = {
    "momentum": [("momentum", "momentum μ", 0.0, 0.99, 0.01, None)],
    "dampening": [("dampening", "dampening τ", 0.0, 0.9, 0.05, None)],
    "alpha": [("alpha", "α (square average decay)", 0.5, 0.999, 0.001, "%.3f")],
    "rho": [("rho", "ρ (decay of both averages)", 0.5, 0.999, 0.001, "%.3f")],
    "betas": [("betas.0", "β₁", 0.0, 0.999, 0.001, "%.3f"), ("betas.1", "β₂", 0.9, 0.9999, 0.0001, "%.4f")],
    "weight_decay": [("weight_decay", "weight decay λ", 0.0, 0.5, 0.01, None)],
    "lr_decay": [("lr_decay", "lr decay δ", 0.0, 0.1, 0.001, "%.3f")],
    "momentum_decay": [("momentum_decay", "momentum warm-up ψ", 0.0, 0.05, 0.001, "%.3f")],
    "noise": [("noise", "gradient noise (std)", 0.0, 5.0, 0.05, None)],
}
#: Boolean fields -> their checkbox's label.
CHECKBOXES = {"centered": "centered (divide by the running variance)", "amsgrad": "AMSGrad (divide by the largest v so far)"}


def own_settings(name: str) -> dict[str, Any]:
    """Optimizer `name`'s own value of each hyperparameter (its class's defaults under its fixed settings)."""
    cls, fixed = optim.OPTIMIZERS[name]
    return {**cls.DEFAULTS, **fixed}


def _widget_key(prefix: str, part: str) -> str:
    return form.key(prefix, "_opt." + part)


def _parts(field: str) -> list[str]:
    return [field] if field in CHECKBOXES else [slider[0] for slider in SLIDERS[field]]


def _write_back(prefix: str, name: str, field: str) -> None:
    """A setting's widgets changed: the config field takes their value, or None where it is the optimizer's own."""
    parts = [st.session_state[_widget_key(prefix, part)] for part in _parts(field)]
    value = tuple(parts) if len(parts) > 1 else parts[0]
    st.session_state[form.key(prefix, field)] = None if value == own_settings(name)[field] else value


def forget_settings(prefix: str, fields: tuple[str, ...]) -> None:
    """Another optimizer is chosen: its settings start at its own defaults (None)."""
    for field in fields:
        st.session_state[form.key(prefix, field)] = None


def setting_widgets(prefix: str, name: str, fields: list[str], container: Any = st) -> None:
    """Widgets for optimizer settings kept in flat config fields ``{prefix}.{field}`` whose None is the
    optimizer's own default (`lab.optim_settings`): each widget shows the field's value, or the default
    while it is None, and writes back on change (the default as None, so a link stays short)."""
    own = own_settings(name)
    for field in fields:
        value = st.session_state.get(form.key(prefix, field))
        value = own[field] if value is None else value
        if field in CHECKBOXES:
            st.session_state[_widget_key(prefix, field)] = bool(value)
            container.checkbox(CHECKBOXES[field], key=_widget_key(prefix, field), on_change=_write_back, args=(prefix, name, field))
            continue
        for (part, label, low, high, step, fmt), v in zip(SLIDERS[field], value if isinstance(value, tuple) else (value,)):
            st.session_state[_widget_key(prefix, part)] = min(max(float(v), low), high)
            container.slider(label, low, high, key=_widget_key(prefix, part), step=step, format=fmt,
                             on_change=_write_back, args=(prefix, name, field))
