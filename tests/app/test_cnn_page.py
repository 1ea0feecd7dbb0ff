"""The CNN page: default run with its test figures, a redraw, presets, divergence."""

from dataclasses import replace

from lab.experiments.cnn import PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/6_CNN.py"


def _banner(at):
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning, *at.error]).lower()


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_default_run_shows_curves_confusion_and_misclassified_digits(open_app):
    at = open_app(PAGE, timeout=120)
    assert not at.error
    metrics = _metrics(at)
    assert float(metrics["test accuracy"].rstrip("%")) > 90
    # loss, accuracy, confusion, per-digit accuracy, and the misclassified digits when there are any
    assert len(at.get("vega_lite_chart")) == 4 + (metrics["misclassified test digits"] != "0")
    before = chart_data(at)
    at.slider(key="cnn.epochs").set_value(2).run()
    assert not at.exception and not at.error
    assert chart_data(at) != before
    assert _metrics(at)["epochs run"] == "2"


def test_presets_and_a_huge_lr(open_app, monkeypatch):
    # Two epochs each: the page must take every preset's values (the lessons are checked in tests/experiments/cnn/test_cnn.py).
    for name, preset in PRESETS.items():
        monkeypatch.setitem(PRESETS, name, replace(preset, config=preset.config.replace(epochs=2)))
    at = open_app(PAGE, timeout=120)
    for name, preset in PRESETS.items():
        at.button(key=f"cnn.preset.{name}").click().run()
        assert not at.exception, name
        assert not at.error, name
        assert preset.title in " ".join(i.value for i in at.info), name
        assert at.slider(key="cnn.channels.0").value == preset.config.channels[0]
        assert at.select_slider(key="cnn.lr").value == preset.config.lr
    at.select_slider(key="cnn.lr").set_value(50.0).run()
    assert not at.exception
    assert "diverged at epoch" in _banner(at)
    assert len(at.get("vega_lite_chart")) >= 2  # the curves up to the divergence, and the test figures
