"""Q-learning: an agent learns a Gymnasium toy-text task; see when its greedy policy becomes optimal."""

import streamlit as st

from lab.experiments.qlearning import PRESETS, QLearningConfig
from lab.ui import form, links, live, page, runs, scrubber
from lab.ui import insight_views as insight
from lab.ui import qlearning_views as views
from lab.ui import seed_views as spread

P = page.setup("qlearning")
form.init(P, views.DEFAULT, whole=views.WHOLE)
links.restore(P)
page.presets(P, PRESETS, whole=views.WHOLE)

settings, board = page.columns()
with settings:
    views.env_controls(P)
    views.learning_controls(P)
config = form.build(P, QLearningConfig, whole=views.WHOLE)


def draw(result, final):
    page.decision_banner(result.decision)
    charts = views.curve_charts(result, final)
    st.caption(views.curves_note(result))
    for i in range(0, len(charts), 2):
        for column, chart in zip(st.columns(2), charts[i:i + 2]):
            column.altair_chart(chart, width="stretch", height=330)
    insight.rate_line(result, "qlearning")
    if not final or not result.artifacts:
        return
    art = result.artifacts
    agent = f" (agent 1 of {result.config.n_agents})" if result.config.n_agents > 1 else ""
    st.subheader(f"The learned policy{agent}")
    for column, (label, value) in zip(st.columns(3), views.policy_summary(art).items()):
        column.metric(label, value)
    st.caption("Replay one greedy episode step by step (Play, or drag the step).")
    scrubber.scrubber(f"{P}.replay", len(art["replay"]["actions"]), lambda t: views.replay_view(art, t))
    runs.compare_section(P, "qlearning", {"run": result},
                         ["rolling/return", "rolling/success", "q/max_delta", "gap/optimum", "episode/length"])


with board:
    if config is None:
        kept = live.kept_results(P)
        if kept:
            draw(kept["run"], True)
    else:
        live.live_run(P, config, draw)
spread.section(P, config, ["rolling/return", "rolling/success", "q/max_delta", "gap/optimum"])  # the seed spread: bands, box plots, rank tests
links.publish(P)
