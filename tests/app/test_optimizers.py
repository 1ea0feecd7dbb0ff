"""The Optimizers page: default race, a setting change redraws, presets, invalid settings keep the last result."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab.experiments.descent import OPTIMIZER_PRESETS
from tests.app.apptools import chart_data

ROOT = Path(__file__).resolve().parents[2]

PAGE = "pages/1_Optimizers.py"


def test_default_race_draws_surface_curves_and_table(open_app):
    at = open_app(PAGE)
    assert len(at.get("vega_lite_chart")) >= 3
    table = at.dataframe[0].value
    assert set(table["optimizer"]) == {"Gradient descent", "Momentum", "RMSprop", "Adam"}
    assert table["status"].isin(["converged", "diverged", "not finite", "budget"]).all()
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


# ------------------------------------------------ each preset's lesson, read off the page


def _click(at, name):
    at.button(key=f"opt.preset.{name}").click().run()
    assert not at.exception and not at.error, name
    return at.dataframe[0].value.set_index("optimizer")


def _steps(cell: str) -> int:
    return int(cell.replace(",", ""))


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_preset_momentum_wins_in_the_ravine_and_gd_still_converges(open_app):
    at = open_app(PAGE)
    table = _click(at, "optimizers/momentum-ravine")
    assert at.select_slider(key="opt.gd.lr").value == 0.018  # the preset's lr, not the grid's 0.02
    gd, momentum = table.loc["Gradient descent"], table.loc["Momentum"]
    assert gd["status"] == momentum["status"] == "converged"
    assert _steps(momentum["steps to tolerance"]) < _steps(gd["steps to tolerance"]) / 1.5


def test_preset_adam_reaches_the_rosenbrock_minimum_gd_does_not(open_app):
    at = open_app(PAGE)
    table = _click(at, "optimizers/adam-vs-gd-rosenbrock")
    assert table.loc["Adam", "status"] == "converged"
    assert table.loc["Gradient descent", "status"] == "budget"
    assert _number(table.loc["Gradient descent", "distance to minimum"]) > 0.1


def test_preset_same_lr_gd_diverges_adam_converges(open_app):
    at = open_app(PAGE)
    table = _click(at, "optimizers/too-large-lr")
    assert table.loc["Gradient descent", "status"] == "diverged"
    assert table.loc["Adam", "status"] == "converged"
    assert at.select_slider(key="opt.gd.lr").value == at.select_slider(key="opt.adam.lr").value == 0.02
    assert "e15" in table.loc["Gradient descent", "final loss"]  # a person's number, not 7244591140866980


def test_preset_saddle_gd_lingers_sgd_escapes(open_app):
    at = open_app(PAGE)
    table = _click(at, "optimizers/saddle-noise")
    assert at.slider(key="opt.sgd.noise").value == 0.1 and at.slider(key="opt.gd.noise").value == 0.0
    assert table.loc["Gradient descent", "status"] == "budget"
    assert _number(table.loc["Gradient descent", "distance to minimum"]) == 1  # on the saddle point
    assert table.loc["SGD (noisy gradient)", "status"] == "converged"
    loss = _chart(at, "loss above the minimum, f − f*")
    assert (loss["actual"] > 0).all()  # f* = -1/4 here: f itself goes negative and would vanish from the log axis
    assert loss[loss["run"] == "Gradient descent"]["actual"].iloc[-1] == pytest.approx(0.25)  # on the saddle, f = 0


def _chart(at, title):
    import json

    import pyarrow as pa

    for el in at.get("vega_lite_chart"):
        if json.loads(el.proto.spec).get("title") == title:
            return pa.ipc.open_stream(el.proto.datasets[0].data.data).read_pandas()
    raise AssertionError(f"no chart titled {title!r}")


# ------------------------------------------------ links


def test_a_link_to_the_ravine_starts_where_the_ravine_starts(open_app):
    from lab.experiments.descent import surfaces

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    at.query_params["surface"] = "ravine"
    at.run()
    assert not at.exception and not at.error
    start = (at.slider(key="opt.start.0").value, at.slider(key="opt.start.1").value)
    assert start == surfaces.get("ravine").default_start
    assert at.select_slider(key="opt.gd.lr").value == 0.018


def test_an_unknown_surface_in_a_link_is_named(open_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    at.query_params["surface"] = "nope"
    at.run()
    assert not at.exception
    assert any("surface=nope" in w.value for w in at.warning)


def test_a_changed_race_reopened_from_its_url_shows_the_same_table(open_app):
    at = open_app(PAGE)
    _click(at, "optimizers/saddle-noise")
    at.slider(key="opt.sgd.noise").set_value(0.3).run()
    table = at.dataframe[0].value
    params = {k: v for k, v in at.query_params.items()}
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    fresh.switch_page(PAGE)
    for key, value in params.items():
        fresh.query_params[key] = value[0] if isinstance(value, list) else value
    fresh.run()
    assert not fresh.exception and not fresh.warning
    assert fresh.dataframe[0].value.equals(table)


def test_the_new_optimizers_race_with_their_own_settings_and_formulas(open_app):
    """Every optimizer joins the race; amsgrad and centered are checkboxes whose change redraws; each shows its own formula."""
    from lab import optim

    at = open_app(PAGE)
    at.slider(key="opt.steps").set_value(300).run()
    at.multiselect(key="opt.optimizers").set_value(list(optim.OPTIMIZERS)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == [optim.LABELS[n] for n in optim.OPTIMIZERS]
    assert table["status"].isin(["converged", "diverged", "not finite", "budget"]).all()
    shown = [latex.value.strip("$\n") for latex in at.latex]
    assert shown == [optim.formula(n) for n in optim.OPTIMIZERS]
    assert r"\mu" not in shown[0] and "nesterov" not in shown[0]  # plain GD shows no momentum term
    before = table.set_index("optimizer").loc["Adam", "final loss"]
    at.checkbox(key="opt.adam.amsgrad").check().run()
    at.checkbox(key="opt.rmsprop.centered").check().run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value.set_index("optimizer").loc["Adam", "final loss"] != before
