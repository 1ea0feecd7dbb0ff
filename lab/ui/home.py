"""The home page's parts: the lab cards and the gradient-descent-on-x² demo."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import lab
from lab import registry
from lab.records import RunResult
from lab.ui import charts

DEMO_RATES = [0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1]
#: The rate the demo opens on (and a link without ``lr`` shows): it converges, in green, at step 62.
DEMO_LR = 0.1
#: Enough steps for every converging rate on the slider to reach the tolerance (lr 0.05 needs 132).
DEMO_STEPS = 200


def cards(per_row: int = 3) -> None:
    """A card per page of the registry but Home: its icon, title, question and a link to it."""
    pages = [page for page in registry.PAGES.values() if page.id != "home"]
    for row in range(0, len(pages), per_row):
        for column, page in zip(st.columns(per_row), pages[row : row + per_row]):
            with column.container(border=True):
                st.markdown(f"**{page.icon} {page.title}**")
                st.caption(page.question)
                st.page_link(page.file, label=f"Open {page.title}", icon="➡️")


@st.cache_data(show_spinner=False)
def demo(lr: float) -> RunResult:
    """Gradient descent on f(x) = x² from x = 1 (the quadratic surface along its x axis)."""
    from lab.experiments.descent import DescentConfig

    config = DescentConfig(surface="quadratic", optimizer="gd", lr=lr, steps=DEMO_STEPS, start=(1.0, 0.0), tol=1e-6, divergence=1e4)
    return lab.run(config)


def demo_explanation(lr: float) -> str:
    factor = 1 - 2 * lr
    text = f"Each step multiplies x by 1 − 2·lr = **{factor:+.2f}**. "
    if abs(factor) < 1e-12:
        return text + "With lr = 0.5 the first step lands exactly on the minimum."
    if abs(factor) < 1 and factor > 0:
        return text + "Below 1 in size and positive: x creeps towards 0 from one side; the smaller lr, the slower."
    if abs(factor) < 1:
        return text + "Negative but smaller than 1 in size: x jumps across the minimum each step and still converges."
    if abs(factor) == 1:
        return text + "Exactly −1: x jumps between +1 and −1 for ever. It neither converges nor diverges."
    return text + "Larger than 1 in size: every jump overshoots further, and the run diverges."


def demo_chart(result: RunResult) -> alt.LayerChart:
    xs, values = result.series("x")
    frame = pd.DataFrame({"step": xs, "metric": "x", "value": values})
    return charts.line_chart(
        frame, decision=result.decision, height=260, y_title="x (symmetric log scale)", symlog=True,
        extra=[alt.Chart(pd.DataFrame({"value": [0.0]})).mark_rule(color="#999").encode(y=alt.Y("value:Q"))],
    )
