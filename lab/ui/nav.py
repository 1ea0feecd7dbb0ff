"""The sidebar every page shares: a link to each page of the registry, and what the app is.

Streamlit's own page list names the home page after its file ("app"); it is turned off in
`.streamlit/config.toml` (client.showSidebarNavigation) and drawn here instead.
"""

from __future__ import annotations

import streamlit as st

from lab import registry

ABOUT = (
    "**Convergence Lab** shows how machine learning converges: change a setting and watch the run "
    "converge, stall, oscillate or diverge, with the stopping rule's decision marked and explained."
)


#: Streamlit draws a shimmering placeholder for each widget until its code has loaded in the browser.
#: While a run redraws its board several times a second, forty of them animating kept a browser
#: that shares two cores with the training so busy that the placeholders never gave way and a click
#: on Stop took 10-20 s to land (2.5 s without the shimmer): they stay still here. Markdown carries
#: the style, not `st.html`: Markdown's code is in the page's first download, while `st.html`'s own
#: element is one of those placeholders until its code loads.
STILL_PLACEHOLDERS = ("<style>[data-testid='stSkeleton'], [data-testid='stSkeleton'] *, [data-testid='stSkeletonElement'],"
                      " [data-testid='stSkeletonElement'] * {animation: none !important}</style>")


def sidebar() -> None:
    """The sidebar every page shares (and the still placeholders every page shares)."""
    with st.sidebar:
        st.markdown(STILL_PLACEHOLDERS, unsafe_allow_html=True)
        for page in registry.PAGES.values():
            st.page_link(page.file, label=page.title, icon=page.icon)
        st.divider()
        st.markdown(ABOUT)
