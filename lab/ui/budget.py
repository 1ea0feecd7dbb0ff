"""The work budget where a page builds its config: refused on a shared deployment, a warning locally.

`lab.budget` says whether a run is over its lab's limit; here that becomes a refusal (a
ValueError, which `lab.ui.form.checked` shows in one line, and which sends a link back to the
page's defaults) on a deployment many visitors share (`lab.ui.runs.shared`), and a warning
locally, where the run goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from lab import budget
from lab.ui.runs import shared
from lab.ui.text import plain


def within(config: Any) -> Any:
    """The config, if its run is within its lab's work limit or this deployment is not shared."""
    _allowed(budget.excess(config), "run")
    return config


def race_within(configs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The race's configs, if their runs together are within the lab's limit for one run (or not shared)."""
    _allowed(budget.total_excess(configs.values()), "race")
    return configs


def sweep_within(base: Any, space: Any, n_trials: int) -> Any:
    """The sweep's space, if its trials together are within the lab's limit for one run (or not shared)."""
    _allowed(budget.sweep_excess(base, space, n_trials), "sweep")
    return space


def _allowed(note: str | None, what: str) -> None:
    if note is None:
        return
    if shared():
        raise ValueError(f"{note}, on this shared deployment")
    st.warning(f"Heavy {what}: {plain(note)}; a shared deployment would refuse it. It runs here, and may take minutes.")
