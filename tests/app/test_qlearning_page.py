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


def _metrics(at):
    """The policy summary the page shows, by the start of each label, as numbers."""
    shown = {m.label.split(" (")[0]: m.value for m in at.metric}
    greedy, star = (float(v) for v in shown["mean V greedy / V*"].split(" / "))
    return {"optimal": float(shown["greedy action optimal"].rstrip("%")) / 100, "gap": float(shown["largest value gap"]),
            "v_greedy": greedy, "v_star": star}


def test_presets_show_their_lesson_on_the_page(open_app):
    at = open_app(PAGE)
    shown = {}
    for name in PRESETS:
        at.button(key=f"ql.preset.{name}").click().run()
        _ok(at)
        assert PRESETS[name].title in " ".join(e.value for e in at.info)
        shown[name] = (_banner(at), _metrics(at))
    # no exploration: the greedy policy stays far from optimal and the budget runs out
    banner, m = shown["no_exploration"]
    assert "episode budget" in banner and m["v_greedy"] < 0.5 * m["v_star"] and m["optimal"] < 0.5
    # slippery ice: converges, but only after thousands of episodes
    banner, m = shown["slippery"]
    episode = int(banner.split("converged at episode ")[1].split(":")[0])
    assert episode > 1000 and m["gap"] < 0.01
    # a low gamma: the goal is worth almost nothing from afar (values near 0)
    banner, m = shown["low_gamma"]
    assert m["v_star"] < 0.1 < shown["slippery"][1]["v_star"]
    # alpha = 1: the Q-change rule never fires, and the greedy policy is poor
    banner, m = shown["high_alpha"]
    assert "episode budget" in banner and m["gap"] > 0.5


def test_slippery_preset_without_slipping_converges_within_hundreds(open_app):
    at = open_app(PAGE)
    at.button(key="ql.preset.slippery").click().run()
    at.toggle(key="ql.is_slippery").set_value(False).run()
    _ok(at)
    banner = _banner(at)
    assert int(banner.split("converged at episode ")[1].split(":")[0]) < 1000


def test_high_alpha_on_8x8_is_not_called_converged(open_app):
    """Issue 12: the agent never saw a reward, Q did not change, and the page said "Converged"."""
    at = open_app(PAGE)
    at.button(key="ql.preset.high_alpha").click().run()
    at.radio(key="ql.map_name").set_value("8x8").run()
    _ok(at)
    m = _metrics(at)
    assert "converged" not in _banner(at) and "episode budget" in _banner(at)
    assert m["optimal"] < 0.9 and m["gap"] > 0.5


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
    alpha, episodes, start = at.slider(key="ql.alpha"), at.slider(key="ql.episodes"), at.number_input(key="ql.epsilon_start")
    assert alpha.min > 0 and episodes.min >= 1 and start.max == 1.0  # the widgets offer only what the config takes
    start.set_value(0.0).run()  # below epsilon_end=0.05 while epsilon decays: refused across the two fields
    assert not at.exception
    assert any("epsilon_end" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == charts
    at.number_input(key="ql.epsilon_start").set_value(1.0).run()
    assert not at.error
    at.radio(key="ql.map_name").set_value("random").run()
    at.slider(key="ql.map_size").set_value(16).run()
    at.slider(key="ql.map_p").set_value(0.05).run()
    assert not at.exception
    assert any("map_p" in e.value and "path" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == charts
