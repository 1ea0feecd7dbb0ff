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
        value = st.session_state[k]
        st.session_state[k] = nearest_lr(value) if isinstance(value, (int, float)) else LR_GRID[0]
    return container.select_slider(label, options=LR_GRID, key=k, help=help, format_func=lambda v: f"{v:g}")


def schedule_picker(prefix: str, container=st) -> None:
    """The schedule's name and only the settings that schedule uses."""
    k = lambda name: form.key(prefix, f"schedule.{name}")  # noqa: E731
    name = form.selectbox("schedule", SCHEDULES, key=k("name"), format_func=lambda s: SCHEDULE_LABELS[s], container=container)
    if name in ("exponential", "time_based"):
        form.slider("decay d", 0.0, 0.2, key=k("decay"), step=0.001, format="%.3f", container=container)
    if name in ("step", "exponential_decay", "plateau"):
        form.slider("factor", 0.05, 0.95, key=k("factor"), step=0.05, container=container)
    if name in ("step", "exponential_decay"):
        form.slider("every (steps)", 1, 500, key=k("every"), container=container)
    if name == "exponential_decay":
        container.checkbox("staircase", key=k("staircase"))
    if name in ("cosine", "plateau"):
        container.number_input("min lr", 0.0, 1.0, key=k("min_lr"), format="%.2e", step=1e-5)
    if name == "plateau":
        form.slider("patience", 0, 100, key=k("patience"), container=container)
        form.slider("cooldown", 0, 50, key=k("cooldown"), container=container)
    if name != "constant":
        form.slider("warmup steps", 0, 200, key=k("warmup_steps"), container=container)


RULE_DEFAULTS = {
    "patience": 5, "min_delta": 0.0, "use_baseline": False, "baseline": 1.0, "start_from_epoch": 0,
    "restore_best": True, "use_stopping_threshold": False, "stopping_threshold": 0.1,
    "use_divergence_threshold": False, "divergence_threshold": 10.0,
}


def rule_settings(rule) -> dict:
    """Widget values (``rule.*`` keys) that describe an EarlyStopping, for presets."""
    return {
        "patience": rule.patience, "min_delta": rule.min_delta, "use_baseline": rule.baseline is not None,
        "baseline": rule.baseline if rule.baseline is not None else RULE_DEFAULTS["baseline"],
        "start_from_epoch": rule.start_from_epoch, "restore_best": rule.restore_best,
        "use_stopping_threshold": rule.stopping_threshold is not None,
        "stopping_threshold": rule.stopping_threshold if rule.stopping_threshold is not None else RULE_DEFAULTS["stopping_threshold"],
        "use_divergence_threshold": rule.divergence_threshold is not None,
        "divergence_threshold": rule.divergence_threshold if rule.divergence_threshold is not None else RULE_DEFAULTS["divergence_threshold"],
    }


def init_rule(prefix: str) -> None:
    """Put the early-stopping controls' defaults in the session (before links.restore and the widgets)."""
    for name, value in RULE_DEFAULTS.items():
        st.session_state.setdefault(form.key(prefix, f"rule.{name}"), value)


def early_stopping_controls(prefix: str, monitor: str = "val/loss", mode: str = "min", container=st):
    """Keras' settings (and Lightning's two thresholds); returns an EarlyStopping, or None with the message shown."""
    from lab.stopping import EarlyStopping

    k = lambda name: form.key(prefix, f"rule.{name}")  # noqa: E731
    init_rule(prefix)
    form.slider("patience (epochs without improvement)", 0, 50, key=k("patience"), container=container)
    container.number_input("min_delta (smallest change that counts)", 0.0, 10.0, key=k("min_delta"), step=0.001, format="%.4f")
    form.slider("start_from_epoch (ignore epochs before)", 0, 100, key=k("start_from_epoch"), container=container)
    container.checkbox("restore the best weights", key=k("restore_best"))
    if container.checkbox("baseline (must beat it to reset patience)", key=k("use_baseline")):
        container.number_input("baseline", key=k("baseline"), step=0.01, format="%.4f")
    if container.checkbox("stopping threshold (good enough: stop)", key=k("use_stopping_threshold")):
        container.number_input("stop when below", key=k("stopping_threshold"), step=0.01, format="%.4f")
    if container.checkbox("divergence threshold (hopeless: stop)", key=k("use_divergence_threshold")):
        container.number_input("stop when above", key=k("divergence_threshold"), step=0.1, format="%.3f")
    s = st.session_state
    return form.checked(lambda: EarlyStopping(
        monitor, mode=mode, patience=s[k("patience")], min_delta=s[k("min_delta")],
        baseline=s[k("baseline")] if s[k("use_baseline")] else None, start_from_epoch=s[k("start_from_epoch")],
        restore_best=s[k("restore_best")],
        stopping_threshold=s[k("stopping_threshold")] if s[k("use_stopping_threshold")] else None,
        divergence_threshold=s[k("divergence_threshold")] if s[k("use_divergence_threshold")] else None,
    ))


def stopping_config_controls(prefix: str, monitors: tuple[str, ...] = ("val/loss",), container=st) -> None:
    """Widgets for a lab config's `stopping` field (`lab.stopping_config.StoppingConfig`), keys ``stopping.*``.

    The page's `form.init` must have put the config's defaults in the session first.
    """
    k = lambda name: form.key(prefix, f"stopping.{name}")  # noqa: E731
    if not container.toggle("early stopping", key=k("enabled")):
        return
    if len(monitors) > 1:
        monitor = form.selectbox("monitor", monitors, key=k("monitor"), container=container)
        st.session_state[k("mode")] = "max" if "accuracy" in monitor else "min"
    form.slider("patience (epochs)", 0, 100, key=k("patience"), container=container)
    container.number_input("min_delta", 0.0, 10.0, key=k("min_delta"), step=0.0001, format="%.4f")
    container.checkbox("restore the best weights", key=k("restore_best"))
