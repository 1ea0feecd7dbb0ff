"""The Optimizers page: default race, a setting change redraws, presets, invalid settings keep the last result."""

from lab.experiments.descent import OPTIMIZER_PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/1_Optimizers.py"


def test_default_race_draws_surface_curves_and_table(open_app):
    at = open_app(PAGE)
    assert len(at.get("vega_lite_chart")) >= 3
    table = at.dataframe[0].value
    assert set(table["optimizer"]) == {"Gradient descent", "Momentum", "RMSprop", "Adam"}
    assert table["status"].isin(["converged", "diverged", "step budget"]).all()
    assert not at.error


def test_changing_steps_redraws(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    at.slider(key="opt.steps").set_value(200).run()
    assert not at.exception
    assert chart_data(at) != before
    assert at.dataframe[0].value.shape[0] == 4


def test_each_preset_runs(open_app):
    at = open_app(PAGE)
    for name in OPTIMIZER_PRESETS:
        at.button(key=f"opt.preset.{name}").click().run()
        assert not at.exception, name
        assert not at.error, (name, [e.value for e in at.error])
        chosen = OPTIMIZER_PRESETS[name].config
        assert len(at.dataframe[0].value) == len(chosen)


def test_invalid_settings_show_the_message_and_keep_the_last_result(open_app):
    at = open_app(PAGE)
    at.multiselect(key="opt.optimizers").set_value(["nesterov"]).run()
    table = at.dataframe[0].value
    at.slider(key="opt.nesterov.momentum").set_value(0.0).run()
    assert not at.exception
    assert any("momentum" in e.value for e in at.error)
    assert at.dataframe[0].value.equals(table)
