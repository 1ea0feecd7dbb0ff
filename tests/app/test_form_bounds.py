"""The form wrappers read the declaration of the field their key sets (lab.ui.form, lab.ui.links)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page():
    from lab.experiments.qlearning import QLearningConfig
    from lab.ui import form

    form.init("ql", QLearningConfig())
    form.slider("alpha", key="ql.alpha", step=0.01)  # declared (0, 1]: the open end moves in by the step
    form.slider("gamma", 0.5, 2.0, key="ql.gamma", step=0.01)  # the page's range, cut to [0, 1]
    form.number_input("epsilon start", key="ql.epsilon_start")
    form.number_input("episodes", key="ql.episodes")
    form.radio("algorithm", key="ql.algorithm")  # the declared options
    form.selectbox("environment", ["FrozenLake-v1", "Pong-v5"], key="ql.env")  # only those the field allows
    form.multiselect("stop rules", key="ql.stop_on")  # each item's declared options
    form.slider("not a field", 0, 5, key="ql.other")  # as given


def test_ranges_and_choices_come_from_the_declaration():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, at.exception
    assert (at.slider(key="ql.alpha").min, at.slider(key="ql.alpha").max) == (0.01, 1.0)
    assert (at.slider(key="ql.gamma").min, at.slider(key="ql.gamma").max) == (0.5, 1.0)
    assert (at.number_input(key="ql.epsilon_start").min, at.number_input(key="ql.epsilon_start").max) == (0.0, 1.0)
    assert (at.number_input(key="ql.episodes").min, at.number_input(key="ql.episodes").max) == (1, 1_000_000)
    assert at.radio(key="ql.algorithm").options == ["q_learning", "sarsa"]
    assert at.selectbox(key="ql.env").options == ["FrozenLake-v1"]
    assert at.multiselect(key="ql.stop_on").options == ["optimal", "start", "q_change", "reward"]
    assert (at.slider(key="ql.other").min, at.slider(key="ql.other").max) == (0, 5)


def test_a_stored_value_outside_the_declared_range_is_clamped_before_the_widget_draws():
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["ql.gamma"] = 0.2  # from an old link or preset: below the page's 0.5
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key="ql.gamma").value == 0.5
