"""The Classifier page: default run with test figures, a redraw, both engines, presets, divergence, bad settings."""

from dataclasses import replace

import pytest

from lab.experiments.classifier import PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/5_Classifier.py"


def _banner(at):
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning, *at.error]).lower()


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def at(open_app):
    return open_app(PAGE, timeout=120)


def test_default_run_stops_early_and_shows_test_figures(at):
    assert not at.error
    assert "stopped at epoch" in _banner(at)
    metrics = _metrics(at)
    assert {"test accuracy", "ROC AUC", "average precision"} <= set(metrics)
    assert float(metrics["ROC AUC"]) > 0.9  # the breast-cancer data is nearly separable
    assert len(at.get("vega_lite_chart")) >= 5  # loss, accuracy, ROC, PR, confusion
    # A shorter patience stops sooner and redraws; the numpy engine trains the same network from scratch.
    before, epochs = chart_data(at), int(metrics["epochs run"])
    at.slider(key="clf.stop_patience").set_value(5).run()
    assert not at.exception and not at.error
    assert chart_data(at) != before
    assert int(_metrics(at)["epochs run"]) < epochs
    before = chart_data(at)
    at.radio(key="clf.engine").set_value("numpy").run()
    assert not at.exception and not at.error
    assert chart_data(at) != before and "stopped at epoch" in _banner(at)


def test_invalid_settings_explain_and_keep_the_last_result(at):
    charts = len(at.get("vega_lite_chart"))
    at.text_input(key="clf.hidden").input("16,abc").run()
    assert not at.exception
    assert any("hidden" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == charts
    at.text_input(key="clf.hidden").input("8").run()
    at.checkbox(key="clf.batch_norm").check().run()
    at.select_slider(key="clf.batch_size").set_value(1).run()
    assert not at.exception
    assert any("batch_size" in e.value for e in at.error)
    assert len(at.get("vega_lite_chart")) == charts


def test_presets_run_and_a_large_lr_diverges_without_batch_norm(at, monkeypatch):
    # Shorter runs than the presets' own (the lessons themselves are checked in tests/test_classifier.py).
    for name, preset in PRESETS.items():
        monkeypatch.setitem(PRESETS, name, replace(preset, config=preset.config.replace(epochs=min(preset.config.epochs, 12))))
    for name, preset in PRESETS.items():
        at.button(key=f"clf.preset.{name}").click().run()
        assert not at.exception, name
        assert not at.error, name
        assert preset.title in " ".join(i.value for i in at.info), name
        assert at.text_input(key="clf.hidden").value == ",".join(map(str, preset.config.hidden))
    assert "diverged" not in _banner(at)
    at.button(key="clf.preset.batch_norm_high_lr").click().run()
    at.checkbox(key="clf.batch_norm").uncheck().run()
    assert not at.exception
    assert "diverged at epoch" in _banner(at)
    assert at.get("vega_lite_chart")


def test_a_link_restores_the_layers_and_a_broken_one_falls_back(open_app):  # open_app: a private run store
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    for query, hidden, engine in [({"hidden": "32,16", "engine": "numpy", "epochs": "5"}, "32,16", "numpy"),
                                  ({"hidden": "abc", "engine": "numpy", "epochs": "5"}, "16,8", "torch")]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page(PAGE)
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
        assert not at.exception and not at.error
        assert (at.text_input(key="clf.hidden").value, at.radio(key="clf.engine").value) == (hidden, engine)
        assert ("cannot run" in _banner(at)) == (hidden != "32,16")
