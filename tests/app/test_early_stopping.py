"""The Early-stopping page: the decision on the default curve, presets, uploads good and bad."""

from lab.experiments.curve import PRESETS
from tests.app.apptools import chart_data

PAGE = "pages/3_Early_stopping.py"


def _banner(at):
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning, *at.error])


def test_default_curve_decides_and_explains(open_app):
    at = open_app(PAGE)
    assert "stopped at epoch" in _banner(at).lower()
    log, conventions = at.dataframe[0].value, at.dataframe[1].value
    assert log["verdict"].iloc[0].startswith("stop:")
    assert list(conventions["convention"]) == ["Keras", "Lightning", "scikit-learn"]
    # Keras and Lightning agree on a finite curve without baseline or warm-up.
    assert conventions["stops at epoch"].iloc[0] == conventions["stops at epoch"].iloc[1]


def test_patience_change_moves_the_stop(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    stop_before = at.dataframe[0].value["epoch"].iloc[0]
    at.slider(key="es.rule.patience").set_value(15).run()
    assert not at.exception
    assert chart_data(at) != before
    assert at.dataframe[0].value["epoch"].iloc[0] > stop_before


def test_presets_show_their_lesson(open_app):
    at = open_app(PAGE)
    stops = {}
    for name in PRESETS:
        at.button(key=f"es.preset.{name}").click().run()
        assert not at.exception, name
        stops[name] = at.dataframe[0].value["epoch"].iloc[0]
    assert stops["impatient"] < stops["patient"]
    assert stops["baseline"] < stops["patient"]


def test_uploaded_curve_runs_and_bad_files_get_a_message(open_app):
    at = open_app(PAGE)
    at.radio(key="es.source").set_value("upload").run()
    at.file_uploader(key="es.file").set_value(("bad.csv", b"name,colour\nx,y\n", "text/csv")).run()
    assert not at.exception
    assert any("no numeric column" in e.value for e in at.error)
    good = "epoch,loss,val_loss\n" + "\n".join(f"{i},{1 / (i + 1):.4f},{abs(i - 12) / 10 + 0.5:.4f}" for i in range(30))
    at.file_uploader(key="es.file").set_value(("log.csv", good.encode(), "text/csv")).run()
    assert not at.exception
    assert not at.error
    assert "stopped at epoch" in _banner(at).lower()
