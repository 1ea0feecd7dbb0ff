"""The Regression page: the default run reaches the closed-form floor, settings redraw, presets
show their lesson, uploads good and bad (a text target) keep the page working."""

import math

import numpy as np
import pytest

from lab.experiments.regression import PRESETS, RegressionConfig, RegressionExperiment
from tests.app.apptools import chart_data, shown

PAGE = "pages/4_Regression.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _result(at):
    return at.session_state["_live_reg"]["results"]["run"]


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_default_run_reaches_the_closed_form_floor(open_app):
    at = open_app(PAGE)
    assert not at.error
    assert len(at.get("vega_lite_chart")) == 5  # MSE, gap, weights, predictions, the stability map
    figures = _metrics(at)
    # Full-batch descent at a stable lr on standardised features ends on the least-squares MSE.
    assert _number(figures["train MSE"]) == _number(figures["optimum MSE"])
    converged = int(figures["epochs run"])
    assert converged < 100 and f"Converged at epoch {converged - 1}" in at.success[0].value  # epochs count from 0
    limit = RegressionExperiment(RegressionConfig()).max_stable_lr()
    caption = " ".join(c.value for c in at.caption)
    assert f"{limit:.4g}" in caption and "is below it" in caption


def test_more_noise_redraws_and_raises_the_floor(open_app):
    at = open_app(PAGE)
    before, floor = chart_data(at), _number(_metrics(at)["optimum MSE"])
    at.slider(key="reg.noise").set_value(40.0).run()
    assert not at.exception and not at.error
    assert chart_data(at) != before
    # The noise's variance is what no linear model can fit: 40² against 10².
    assert _number(_metrics(at)["optimum MSE"]) > 10 * floor


def test_log_toggle_redraws_without_rerunning(open_app):
    at = open_app(PAGE)
    result, before = _result(at), chart_data(at)
    at.toggle(key="reg.log").set_value(False).run()
    assert chart_data(at) != before
    assert _result(at) is result, "only the view changed: the kept result is drawn again"


def test_presets_show_their_lessons(open_app):
    at = open_app(PAGE)
    for name, preset in PRESETS.items():
        at.button(key=f"reg.preset.{name}").click().run()
        assert not at.exception, name
        assert preset.title in at.info[0].value
        result, figures = _result(at), _metrics(at)
        assert result.config == preset.config, "every preset value fits its widget"
        assert all(math.isfinite(v) for s in result.steps for v in s.metrics.values()), name
        if name == "too_large_lr":
            assert [e.value for e in at.error] and "Diverged at epoch" in at.error[0].value
            assert "is above it" in " ".join(c.value for c in at.caption)
        else:
            assert not at.error, name
        if name == "no_scaling":
            assert _number(figures["train MSE"]) > 10 * _number(figures["optimum MSE"])
        if name == "early_stopping":
            best = result.decision.best_step
            assert at.success[0].value.endswith(f"restored the weights of epoch {best}")
            assert _number(figures["validation MSE"]) == float(f"{result.series('val/loss')[1][best]:.4g}")


def test_csv_upload_runs_and_a_text_target_keeps_the_last_result(open_app):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=40), rng.normal(size=40)
    good = _csv(["a,b,city,price", *(f"{x:.6f},{z:.6f},c{i % 3},{3 * x - 2 * z + 1:.6f}" for i, (x, z) in enumerate(zip(a, b)))])
    at = open_app(PAGE)
    at.radio(key="reg.dataset").set_value("csv").run()
    assert any("Upload a CSV" in i.value for i in at.info)
    at.file_uploader(key="reg.file").set_value(("houses.csv", good, "text/csv")).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="reg.target").options == ["a", "b", "price"]
    assert at.selectbox(key="reg.target").value == "price"
    assert "ignored non-numeric column(s): city" in " ".join(c.value for c in at.caption)
    # y is exactly linear in a and b: least squares fits it to rounding.
    assert _number(_metrics(at)["optimum MSE"]) < 1e-9
    kept = _result(at)
    text_price = _csv(["a,b,price", *(f"{x:.6f},{z:.6f},{'dear' if x > 0 else 'cheap'}" for x, z in zip(a, b))])
    at.file_uploader(key="reg.file").set_value(("labels.csv", text_price, "text/csv")).run()
    assert not at.exception
    assert "'price' is text" in at.error[0].value
    assert _result(at) is kept and len(at.metric) == 4, "the last result stays on the page"


def test_bad_files_get_a_message_and_the_page_keeps_working(open_app):
    at = open_app(PAGE)
    kept = _result(at)
    at.radio(key="reg.dataset").set_value("csv").run()
    for name, data, message in [
        ("words.csv", _csv(["name,colour", "x,y", "z,w"]), "no numeric column"),
        ("one.csv", _csv(["size,band", *(f"{i},b{i}" for i in range(20))]), "no numeric column besides the target"),
        ("short.csv", _csv(["a,y", "1,2", "3,4"]), "at least 10 are needed"),
    ]:
        at.file_uploader(key="reg.file").set_value((name, data, "text/csv")).run()
        assert not at.exception, name
        assert message in at.error[0].value, (name, at.error[0].value)
        assert _result(at) is kept and len(at.metric) == 4, name


def test_invalid_settings_show_the_field_and_keep_the_result(open_app):
    at = open_app(PAGE)
    kept = _result(at)
    at.select_slider(key="reg.effective_rank").set_value(50).run()
    assert not at.exception
    assert "effective_rank" in shown(at.error[0].value)
    assert _result(at) is kept and len(at.get("vega_lite_chart")) == 4


def test_live_floor_is_the_closed_form_optimum_before_the_run_ends():
    import lab
    from lab.records import RunResult
    from lab.ui import regression_views as views

    finished = lab.run(RegressionConfig(n_samples=80, n_features=4, epochs=12))
    partial = RunResult(finished.config, finished.steps[:3], None, {}, 0.0)  # as live_run draws it mid-run
    assert views.optimum_mse(partial) == pytest.approx(finished.artifacts["optimum"]["train_mse"], rel=1e-9)
    assert views.optimum_mse(RunResult(finished.config, [], None, {}, 0.0)) is None
