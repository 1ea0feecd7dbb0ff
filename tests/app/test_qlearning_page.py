"""The Q-learning page: default run and its decision, a slider redraws, presets, every env, bad settings."""

from lab.experiments.qlearning import PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/8_Q-learning.py"


def _banner(at):
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning]).lower()


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_default_view_converges_and_draws_the_map(open_app):
    at = open_app(PAGE)
    _ok(at)
    assert "converged at episode" in _banner(at)
    # five curves, the learned map (with the replayed episode) and the optimal one
    assert len(at.get("vega_lite_chart")) >= 7
    labels = [m.label for m in at.metric]
    assert any(label.startswith("greedy action optimal") for label in labels)


def test_a_slider_change_redraws(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    at.slider(key="ql.alpha").set_value(0.5).run()
    _ok(at)
    assert chart_data(at) != before


def test_presets_run_and_show_their_lesson(open_app):
    at = open_app(PAGE)
    banners = {}
    for name in PRESETS:
        at.button(key=f"ql.preset.{name}").click().run()
        _ok(at)
        assert PRESETS[name].title in " ".join(e.value for e in at.info)
        banners[name] = _banner(at)
    # without exploration the greedy policy never becomes optimal from the start; with it, it does
    assert "episode budget" in banners["no_exploration"]
    assert "converged" in banners["slippery"]


def test_taxi_and_cliff_walking(open_app):
    at = open_app(PAGE)
    at.selectbox(key="ql.env").select("Taxi-v4").run()
    _ok(at)
    steps = at.dataframe[0].value
    assert {"taxi (row, col)", "passenger", "action"} <= set(steps.columns)
    at.selectbox(key="ql.env").select("CliffWalking-v1").run()
    at.select_slider(key="ql.max_steps").set_value(50).run()
    _ok(at)
    assert len(at.get("vega_lite_chart")) >= 7


def test_invalid_settings_say_why_and_keep_the_last_result(open_app):
    at = open_app(PAGE)
    charts = len(at.get("vega_lite_chart"))
    for widget, value, field in [
        (at.slider(key="ql.alpha"), 0.0, "alpha"),
        (at.slider(key="ql.episodes"), 0, "episodes"),
        (at.number_input(key="ql.epsilon_start"), 1.5, "epsilon_start"),
    ]:
        widget.set_value(value).run()
        assert not at.exception
        assert any(field in e.value for e in at.error), field
        assert len(at.get("vega_lite_chart")) == charts
        at = _reset(at, widget, field)
    at.radio(key="ql.map_name").set_value("random").run()
    at.slider(key="ql.map_size").set_value(16).run()
    at.slider(key="ql.map_p").set_value(0.05).run()
    assert not at.exception
    assert any("map_p" in e.value and "path" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == charts


def _reset(at, widget, field):
    default = {"alpha": 0.1, "episodes": 1000, "epsilon_start": 1.0}[field]
    widget.set_value(default).run()
    assert not at.error
    return at
