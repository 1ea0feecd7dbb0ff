"""The only part of `lab` that imports Streamlit and Altair: shared controls, charts, the live runner."""
