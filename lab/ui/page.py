"""What every page shares: its config, the sidebar, presets, and the decision in words.

Streamlit's native ``pages/`` layout runs a page without the entry file on a deep link,
so the shared sidebar lives here and every page calls `setup`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from lab import process, registry
from lab.stopping import Decision, Role
from lab.ui import form, links, nav


def setup(page_id: str) -> str:
    """Page config, title, the question the page answers and the shared sidebar, all read from
    the page's `lab.registry` entry; returns the prefix of the page's widget keys."""
    entry = registry.PAGES[page_id]
    st.set_page_config(page_title=f"{entry.title} · Convergence Lab", page_icon=entry.icon, layout="wide")
    st.title(f"{entry.icon} {entry.title}")
    st.caption(entry.question)
    nav.sidebar()
    process.freeze_imports()
    process.warm_kernels()
    return entry.prefix


#: The key of the row of preset buttons (its CSS class is ``st-key-presets``): their titles wrap, never cut.
PRESETS = "presets"


def presets(prefix: str, items: Mapping[str, Any], apply: Any = None, whole: tuple[str, ...] = ()) -> None:
    """A row of "Try this" buttons; each sets the page's widgets to the preset's config.

    `apply(preset)` replaces the default (writing `preset.config` into the form) for pages
    whose presets hold more than one config. The preset's lesson is shown until a setting
    leaves the preset: the run the click starts notes the settings, a later run that finds any
    of them changed clears the lesson (it would describe a run no longer on screen).
    """
    lesson_key = f"{prefix}._lesson"
    st.markdown("**Try this**")
    row = st.container(key=PRESETS)
    label = f".st-key-{PRESETS} button [data-testid='stMarkdownContainer']"
    row.html(f"<style>.st-key-{PRESETS} button {{min-height: 3.5rem}} {label}, {label} p"
             " {white-space: normal; overflow: visible; text-overflow: clip}</style>")
    columns = row.columns(len(items))
    for column, (name, preset) in zip(columns, items.items()):
        def on_click(preset=preset):
            if apply is not None:
                apply(preset)
            else:
                form.apply(prefix, preset.config, whole)
            st.session_state[lesson_key] = (f"**{preset.title}.** {preset.lesson}", None)

        column.button(preset.title, key=f"{prefix}.preset.{name}", on_click=on_click, help=preset.lesson, width="stretch")
    lesson = st.session_state.get(lesson_key)
    if not lesson:
        return
    text, noted = lesson
    now = links.settings(prefix)
    if noted is None:
        st.session_state[lesson_key] = (text, now)
    elif now != noted:
        del st.session_state[lesson_key]
        return
    st.info(text)


#: The key of the settings container (its CSS class is ``st-key-settings``).
SETTINGS = "settings"


def columns() -> tuple[Any, Any]:
    """The settings column and the board beside it.

    The settings column scrolls on its own, no taller than the window, and stays in view (sticky)
    while the page scrolls: changing a setting far down scrolls the page at most by what the title
    and presets above take, so the board (the chart being changed) stays in view on a 1440x900 screen.
    """
    settings, board = st.columns([1, 3], gap="large")
    st.html(f"<style>[data-testid='stColumn']:has(.st-key-{SETTINGS}) {{position: sticky; top: 4rem; align-self: flex-start;"
            " max-height: calc(100vh - 5rem); overflow-y: auto; overflow-x: hidden; padding-right: 0.5rem}</style>")
    return settings.container(key=SETTINGS), board


#: How a decision's banner looks, by what the decision means.
_BANNERS = {Role.FAILURE: (st.error, "💥"), Role.USER: (st.warning, "⏹"), Role.SUCCESS: (st.success, "✅"),
            Role.NEUTRAL: (st.info, "⏱")}


def decision_banner(decision: Decision | None, label: str = "") -> None:
    """The decision in plain words, coloured by what it means."""
    if decision is None:
        return
    text = f"{label}: {decision.reason}" if label else decision.reason
    text = text[0].upper() + text[1:]
    show, icon = _BANNERS[decision.kind.role]
    show(text, icon=icon)
