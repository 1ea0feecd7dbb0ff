"""The Sequences page: load, change the model and a data control, type a sentence, and every preset's lesson
read off the page's own metrics and decision banner."""

from __future__ import annotations

import pytest

from tests.app.apptools import chart_data

PAGE = "pages/12_Sequences.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _percent(at, label: str) -> float:
    return float(_metrics(at)[label].rstrip("%")) / 100


def _banner(at) -> str:
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning, *at.error]).lower()


def _ok(at, diverged: bool = False):
    """No traceback, and no error banner unless the run is expected to diverge (its banner is an error)."""
    assert not at.exception and (diverged or not at.error), [e.value for e in [*at.exception, *at.error]]
    return at


@pytest.fixture
def at(open_app):
    return open_app(PAGE, timeout=300)


def test_load_change_the_model_and_the_data_then_type_a_sentence(at):
    _ok(at)
    assert {"val accuracy", "plain", "negated", "contrast", "long"} <= set(_metrics(at))
    assert _percent(at, "val accuracy") > 0.9 and "stopped at epoch" in _banner(at)
    assert len(at.get("vega_lite_chart")) >= 4  # loss, accuracy, per kind, gradient norm
    before = chart_data(at)
    _ok(at.selectbox(key="seq.model").select("gru").run())
    assert chart_data(at) != before
    before = chart_data(at)
    _ok(at.slider(key="seq.contrast").set_value(0.0).run())
    assert chart_data(at) != before and "contrast" not in _metrics(at)
    _ok(at.text_input(key="seq.typed").input("the movie was not good").run())
    assert _metrics(at)["prediction"].startswith("negative")
    assert len(at.get("vega_lite_chart")) >= 5  # the positive-so-far per word


def test_every_preset_shows_its_lesson(at):
    def click(name):
        return _ok(at.button(key=f"seq.preset.{name}").click().run(), diverged=name == "explode")

    click("bow_negation")
    assert _percent(at, "plain") > 0.95 and _percent(at, "negated") <= 0.6
    click("lstm_negation")
    assert _percent(at, "plain") > 0.95 and _percent(at, "negated") > 0.95
    click("rnn_forgets")
    assert _percent(at, "plain") > 0.95 and _percent(at, "long") < 0.7
    click("lstm_remembers")
    assert _percent(at, "long") > 0.95
    click("explode")
    assert "diverged at epoch" in _banner(at)
    click("clipped")
    assert "diverged" not in _banner(at) and _percent(at, "plain") > 0.95
