"""What every page shares: its config, the sidebar, presets, and the decision in words.

Streamlit's native ``pages/`` layout runs a page without the entry file on a deep link,
so the shared sidebar lives here and every page calls `setup`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from lab.stopping import Decision
from lab.ui import form, nav


def setup(title: str, icon: str, question: str) -> None:
    """Page config, title, the question the lab answers, and the shared sidebar."""
    st.set_page_config(page_title=f"{title} · Convergence Lab", page_icon=icon, layout="wide")
    st.title(f"{icon} {title}")
    st.caption(question)
    nav.sidebar()


def presets(prefix: str, items: Mapping[str, Any], apply: Any = None, whole: tuple[str, ...] = ()) -> None:
    """A row of "Try this" buttons; each sets the page's widgets to the preset's config.

    `apply(preset)` replaces the default (writing `preset.config` into the form) for pages
    whose presets hold more than one config.
    """
    st.markdown("**Try this**")
    columns = st.columns(len(items))
    for column, (name, preset) in zip(columns, items.items()):
        def on_click(preset=preset):
            if apply is not None:
                apply(preset)
            else:
                form.apply(prefix, preset.config, whole)
            st.session_state[f"{prefix}._lesson"] = f"**{preset.title}.** {preset.lesson}"

        column.button(preset.title, key=f"{prefix}.preset.{name}", on_click=on_click, help=preset.lesson, width="stretch")
    lesson = st.session_state.get(f"{prefix}._lesson")
    if lesson:
        st.info(lesson)


def decision_banner(decision: Decision | None, label: str = "") -> None:
    """The decision in plain words, coloured by what it means."""
    if decision is None:
        return
    text = f"{label}: {decision.reason}" if label else decision.reason
    text = text[0].upper() + text[1:]
    if decision.failed:
        st.error(text, icon="💥")
    elif decision.kind == "cancelled":
        st.warning(text, icon="⏹")
    elif decision.converged:
        st.success(text, icon="✅")
    else:
        st.info(text, icon="⏱")
