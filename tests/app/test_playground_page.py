"""The Playground page through AppTest: load, change the data and a layer, replay, the backprop walk, every preset's lesson.

Each lesson is read off the page: its metrics (test accuracy, test loss, the first and last layer's
gradient norms), its decision banner and its surface chart's data.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptools import chart_data
from tests.app.conftest import ROOT

PAGE = "pages/11_Playground.py"


@pytest.fixture(scope="module")
def at(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONVERGENCE_LAB_DB", str(tmp_path_factory.mktemp("pg") / "runs.db"))
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
        app.switch_page(PAGE)
        app.run()
        assert not app.exception, app.exception
        yield app


def _ok(at: AppTest) -> AppTest:
    """No exception, and no error but a decision's (a diverged run's banner is an error box)."""
    errors = [e.value for e in at.error if not e.value.startswith("Diverged")]
    assert not at.exception and not errors, [*at.exception, *errors]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _accuracy(at: AppTest) -> float:
    return float(_metrics(at)["test accuracy"].rstrip("%")) / 100


def _number(at: AppTest, label: str) -> float:
    return float(_metrics(at)[label].replace(",", ""))


def _banner(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.warning, *at.error, *at.info]).lower()


def _surface(at: AppTest) -> bytes:
    return chart_data(at)[0]


def _preset(at: AppTest, name: str) -> AppTest:
    at.button(key=f"pg.preset.{name}").click().run()
    return _ok(at)


def test_the_default_view_learns_the_circle_and_the_surface_follows_the_data_and_the_layers(at):
    assert _accuracy(_ok(at)) > 0.95 and "stopped at epoch" in _banner(at)
    circle = _surface(at)
    at.selectbox(key="pg.dataset").select("xor").run()
    xor = _surface(_ok(at))
    assert xor != circle
    at.slider(key="pg.layers").set_value(1).run()
    assert _surface(_ok(at)) != xor and len(at.selectbox) >= 2  # one layer: its neurons and activation widgets


def test_replay_steps_resets_plays_and_scrubs_the_recorded_frames(at):
    _preset(at, "xor")
    slider = at.slider(key="pg.replay.step")
    last = slider.value
    assert last > 0 and "output at epoch" in str(at.get("vega_lite_chart")[0].proto.spec)
    at.button(key="pg.replay.reset").click().run()
    assert _ok(at).slider(key="pg.replay.step").value == 0
    first = _surface(at)
    at.button(key="pg.replay.next").click().run()
    assert _ok(at).slider(key="pg.replay.step").value == 1 and _surface(at) != first
    at.button(key="pg.replay.toggle").click().run()
    assert "Pause" in _ok(at).button(key="pg.replay.toggle").label
    at.button(key="pg.replay.toggle").click().run()
    at.slider(key="pg.replay.step").set_value(last // 2).run()
    assert _ok(at).slider(key="pg.replay.step").value == last // 2


def test_the_backprop_walk_goes_through_all_four_phases_with_gradients_equal_to_finite_differences(at):
    seen = []
    for _ in range(4):
        at.button(key="pg.walk.next").click().run()
        seen.append(next(m.value for m in _ok(at).markdown if m.value.startswith("**") and "·" in m.value))
    assert seen == ["**1 · forward pass**", "**2 · loss**", "**3 · backward pass**", "**4 · update**"]
    at.button(key="pg.walk.next").click().run()
    at.button(key="pg.walk.next").click().run()
    at.button(key="pg.walk.next").click().run()
    assert _number(_ok(at), "largest |gradient − finite difference|") < 1e-6


def test_xor_needs_a_hidden_layer(at):
    assert _accuracy(_preset(at, "xor")) > 0.95
    at.slider(key="pg.layers").set_value(0).run()
    assert 0.35 < _accuracy(_ok(at)) < 0.65


def test_the_spiral_needs_sin_features_or_depth(at):
    assert _accuracy(_preset(at, "spiral")) > 0.95
    at.checkbox(key="pg.features.sin_x1").uncheck()
    at.checkbox(key="pg.features.sin_x2").uncheck().run()
    assert _accuracy(_ok(at)) < 0.75


def test_too_high_a_learning_rate_diverges(at):
    assert "diverged at epoch" in _banner(_preset(at, "diverge"))


def test_l2_lowers_the_test_loss_of_an_overfit_small_noisy_set(at):
    with_l2 = _number(_preset(at, "l2"), "test loss")
    at.select_slider(key="pg.l2").set_value(0.0).run()
    assert _number(_ok(at), "test loss") > 1.2 * with_l2


def test_deep_sigmoid_networks_learn_slowly_with_a_vanishing_first_layer_gradient(at):
    _preset(at, "sigmoid")
    assert _number(at, "first layer ∇") < 1e-3 * _number(at, "last layer ∇")
    assert _accuracy(at) < 0.7


def test_batch_norm_lets_a_10x_learning_rate_train(at):
    assert _accuracy(_preset(at, "batch_norm")) > 0.95
    at.checkbox(key="pg.batch_norm").uncheck().run()
    assert _accuracy(_ok(at)) < 0.7
    at.select_slider(key="pg.lr").set_value(0.1).run()
    assert _accuracy(_ok(at)) > 0.95
