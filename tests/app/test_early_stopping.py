"""The Early-stopping page: the decision on the default curve, presets, uploads good and bad."""

import pandas as pd

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
    assert list(conventions["convention"]) == ["Keras", "Lightning", "scikit-learn MLP", "scikit-learn SGD"]
    assert list(conventions["stops when"].str.split(";").str[0]) == [
        "wait >= patience", "count >= patience", "count > n_iter_no_change", "count >= n_iter_no_change"]
    stops = conventions["stops at epoch"]
    # Keras and Lightning agree on a finite curve without baseline or warm-up.
    assert stops.iloc[0] == stops.iloc[1]
    # The same count, tested with > (MLP) and >= (SGD): SGD stops at least one epoch sooner.
    if pd.notna(stops.iloc[2]):
        assert stops.iloc[3] <= stops.iloc[2] - 1


def test_patience_change_moves_the_stop(open_app):
    at = open_app(PAGE)
    before = chart_data(at)
    stop_before = at.dataframe[0].value["epoch"].iloc[0]
    at.slider(key="es.stopping.patience").set_value(15).run()
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


def _open_with(params):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_rule_travels_in_the_link_and_old_links_still_set_it(open_app, monkeypatch, tmp_path):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    new = _open_with({"stopping.patience": "9", "stopping.baseline": "0.3"})
    old = _open_with({"rule.patience": "9"})
    for at in (new, old):
        assert not at.exception and not at.warning
        assert at.slider(key="es.stopping.patience").value == 9
    assert at.number_input(key="es.stopping.baseline").value is None  # the old link had no baseline
    assert new.number_input(key="es.stopping.baseline").value == 0.3
    # a baseline never reached stops sooner than the same patience without one (the baseline preset's lesson)
    assert new.dataframe[0].value["epoch"].iloc[0] < old.dataframe[0].value["epoch"].iloc[0]


def test_the_saved_run_keeps_its_rule(open_app):
    from lab.runs.store import RunStore

    at = open_app(PAGE)
    at.slider(key="es.stopping.patience").set_value(12).run()
    at.number_input(key="es.stopping.baseline").set_value(0.3).run()
    assert not at.exception
    store = RunStore()  # the page's store: CONVERGENCE_LAB_DB, set by open_app
    workspace = at.session_state["_workspace"]
    latest = store.list(workspace, lab="curve")[0]
    stopping = store.get(workspace, latest.id).result().config.stopping
    assert (stopping.enabled, stopping.patience, stopping.baseline) == (True, 12, 0.3)
