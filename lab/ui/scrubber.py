"""A step scrubber with play/pause: replay a finished run (a race, Lloyd's iterations, an episode).

The slider picks the step; Play advances it a stride at a time inside a fragment that reruns
on a timer, so only the replayed chart redraws, not the whole page.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

TICK_SECONDS = 0.3
FRAMES = 40


def scrubber(key: str, last_step: int, render: Callable[[int], None], label: str = "step") -> None:
    """Draw `render(step)` under a slider over 0..last_step, with Play/Pause."""
    step_key, play_key = f"{key}.step", f"{key}.playing"
    last_step = max(int(last_step), 0)
    if st.session_state.get(step_key, last_step) > last_step or f"{key}.last" not in st.session_state or st.session_state[f"{key}.last"] != last_step:
        st.session_state[step_key] = last_step
        st.session_state[f"{key}.last"] = last_step
    playing = st.session_state.get(play_key, False)

    def toggle():
        now = not st.session_state.get(play_key, False)
        st.session_state[play_key] = now
        if now and st.session_state.get(step_key, 0) >= last_step:
            st.session_state[step_key] = 0

    # Outside the fragment: Play/Pause reruns the page, which (re)sets the fragment's timer.
    st.button("⏸ Pause" if playing else "▶ Play", key=f"{key}.toggle", on_click=toggle)

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def replay():
        if st.session_state.get(play_key, False):
            stride = max(1, last_step // FRAMES)
            st.session_state[step_key] = min(last_step, st.session_state.get(step_key, 0) + stride)
        if last_step > 0:
            st.slider(label, 0, last_step, key=step_key)
        render(st.session_state.get(step_key, last_step))
        if playing and st.session_state.get(step_key, 0) >= last_step:
            st.session_state[play_key] = False
            st.rerun(scope="app")

    replay()
