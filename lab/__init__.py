"""Convergence Lab: experiments that yield steps, stop rules that decide, one loop.

Pure Python (numpy, torch, gymnasium, scikit-learn). Only ``lab.ui`` imports Streamlit.
Heavy libraries are imported by the experiments that need them, never here.
"""

from lab.loop import run

__all__ = ["run"]
