"""The sidebar every page shares: what the app is, and a link to each lab that exists.

Streamlit's own page list names the home page after its file ("app"); it is turned off in
`.streamlit/config.toml` (client.showSidebarNavigation) and drawn here instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
ABOUT = (
    "**Convergence Lab** shows how machine learning converges: change a setting and watch the run "
    "converge, stall, oscillate or diverge, with the stopping rule's decision marked and explained."
)


@dataclass(frozen=True)
class Card:
    icon: str
    title: str
    question: str
    page: str


CARDS = [
    Card("🧭", "Optimizers", "How do GD, momentum, Nesterov, Adagrad, RMSprop and Adam differ on the same surface?", "pages/1_Optimizers.py"),
    Card("📉", "Schedules", "What does a learning-rate schedule change, and why does a constant rate stall at a noise floor?", "pages/2_Schedules.py"),
    Card("✋", "Early stopping", "When should training stop, and what do patience, min_delta and baseline decide?", "pages/3_Early_stopping.py"),
    Card("📈", "Regression", "Why does feature scaling, batch size or the optimizer change how fast GD reaches least squares?", "pages/4_Regression.py"),
    Card("🩺", "Classifier", "How do batch norm, dropout and L2 change the train/validation curves of a breast-cancer MLP?", "pages/5_Classifier.py"),
    Card("🔢", "CNN", "How fast does a small CNN learn the 8x8 digits, and which digits does it still confuse?", "pages/6_CNN.py"),
    Card("🎯", "K-means", "When do the centres stop moving, and why does a bad start end in a local optimum?", "pages/7_K-means.py"),
    Card("🧊", "Q-learning", "When has an agent learned? Return, Q-table change and the exact distance to the optimum.", "pages/8_Q-learning.py"),
    Card("🗂️", "Runs", "Overlay saved runs, compare their settings, export and share them.", "pages/9_Runs.py"),
    Card("🔍", "Sweeps", "Which settings converge fastest? Grid, random and Bayesian search.", "pages/10_Sweeps.py"),
]




def available() -> list[Card]:
    """The cards whose page file exists."""
    return [card for card in CARDS if (ROOT / card.page).exists()]


def sidebar() -> None:
    with st.sidebar:
        st.page_link("app.py", label="Home", icon="🏠")
        for card in available():
            st.page_link(card.page, label=card.title, icon=card.icon)
        st.divider()
        st.markdown(ABOUT)
