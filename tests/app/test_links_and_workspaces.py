"""Settings travel in the URL; stale links fall back with a note; workspaces never see each other's runs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lab.runs.store import RunStore
from lab.share import flatten
from tests.app.conftest import ROOT

OPT = "pages/1_Optimizers.py"


def _open(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture(autouse=True)
def _db(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    return tmp_path / "runs.db"


def test_a_link_restores_every_setting():
    at = _open(OPT, {"steps": "300", "optimizers": "gd,adam", "adam.lr": "0.02", "seed": "3", "surface": "rosenbrock"})
    assert not at.exception and not at.warning
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == ["Gradient descent", "Adam"]
    assert at.slider(key="opt.steps").value == 300
    assert at.select_slider(key="opt.adam.lr").value == 0.02


def test_changed_settings_are_published_to_the_url():
    at = _open(OPT)
    assert "steps" not in at.query_params
    at.slider(key="opt.steps").set_value(700).run()
    assert at.query_params["steps"] == ["700"] or at.query_params["steps"] == "700"


def test_stale_parameters_are_ignored_with_a_note():
    at = _open(OPT, {"steps": "abc", "colour": "blue", "tol": "0.0123"})
    assert not at.exception
    notes = " ".join(w.value for w in at.warning)
    assert "steps=abc" in notes and "colour" in notes
    assert at.slider(key="opt.steps").value == 1500  # the default
    assert at.select_slider(key="opt.tol").value == 0.01  # snapped to the nearest option
    assert len(at.dataframe[0].value) == 4


def test_out_of_range_values_are_clamped_not_fatal():
    at = _open(OPT, {"steps": "99999"})
    assert not at.exception
    assert at.slider(key="opt.steps").value == 5000


def test_settings_that_cannot_run_fall_back_to_the_defaults():
    at = _open(OPT, {"optimizers": "nesterov", "nesterov.momentum": "0.0"})
    assert not at.exception
    notes = " ".join(w.value for w in at.warning)
    assert "cannot run" in notes and "defaults" in notes
    assert len(at.dataframe[0].value) == 4


def test_two_workspaces_never_see_each_others_runs(monkeypatch, _db):
    monkeypatch.setenv("CONVERGENCE_LAB_SHARED", "1")
    alice = _open(OPT, {"ws": "alice-workspace-0001"})
    bob = _open("pages/3_Early_stopping.py", {"ws": "bob-workspace-000002"})
    assert not alice.exception and not bob.exception
    runs = RunStore(_db)
    alice_runs = runs.list("alice-workspace-0001")
    bob_runs = runs.list("bob-workspace-000002")
    assert {r.lab for r in alice_runs} == {"descent"} and len(alice_runs) == 4
    assert {r.lab for r in bob_runs} == {"curve"}
    bob_choices = bob.multiselect(key="es.compare").options
    assert not any(r.name in " ".join(bob_choices) for r in alice_runs)
    assert "alice-workspace-0001" not in runs.export_json("bob-workspace-000002").decode()


def test_a_visitor_without_a_workspace_gets_a_fresh_one_in_the_url(monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_SHARED", "1")
    first, second = _open(OPT), _open(OPT)
    ws1, ws2 = first.query_params["ws"], second.query_params["ws"]
    assert ws1 and ws2 and ws1 != ws2


def test_a_link_reads_each_setting_by_its_field():
    """batch_size=1 is the integer 1 (its default, None, once made it read as 1.0 and refused)."""
    at = _open("pages/4_Regression.py", {"batch_size": "1", "effective_rank": "5", "epochs": "20", "betas": "0.8,0.99"})
    assert not at.exception and not at.warning
    assert at.select_slider(key="reg.batch_size").value == 1
    assert at.select_slider(key="reg.effective_rank").value == 5
    assert at.session_state["reg.betas.0"] == 0.8 and at.session_state["reg.betas.1"] == 0.99
    assert at.query_params["batch_size"] in ("1", ["1"])


def test_an_unknown_choice_is_refused_with_a_note_naming_the_allowed_ones():
    at = _open("pages/2_Schedules.py", {"schedule.name": "nope", "steps": "100"})
    assert not at.exception
    notes = " ".join(w.value for w in at.warning)
    assert "schedule.name=nope" in notes and "'cosine'" in notes
    kept = _open("pages/2_Schedules.py", {"steps": "100"}).selectbox(key="sch.schedule.name").value
    assert at.selectbox(key="sch.schedule.name").value == kept  # the page's default, not the first choice


def test_a_run_link_reopens_the_run_with_every_setting():
    from types import SimpleNamespace

    from lab.experiments.classifier import ClassifierConfig
    from lab.experiments.regression import RegressionConfig
    from lab.schedules import ScheduleConfig
    from lab.ui.runs_views import link

    regression = RegressionConfig(batch_size=4, effective_rank=None, betas=(0.8, 0.99), epochs=20,
                                  schedule=ScheduleConfig(name="cosine", min_lr=1e-5))
    classifier = ClassifierConfig(hidden=(32, 16), epochs=3, engine="numpy")
    for lab, config, prefix in [("regression", regression, "reg"), ("classifier", classifier, "clf")]:
        page, params = link(SimpleNamespace(lab=lab, config=config.to_dict()))
        at = _open(page, params)
        assert not at.exception and not at.warning, [w.value for w in at.warning]
        for name, value in flatten(config.to_dict(), split_lists=True, whole=("hidden",)).items():
            if name != "hidden":
                assert at.session_state[f"{prefix}.{name}"] == value, name
    assert at.text_input(key="clf.hidden").value == "32,16" and at.radio(key="clf.engine").value == "numpy"


def test_a_race_run_link_opens_its_optimizer_alone():
    from types import SimpleNamespace

    from lab.experiments.descent import DescentConfig
    from lab.ui.runs_views import link

    config = DescentConfig(surface="rosenbrock", optimizer="adam", lr=0.02, betas=(0.8, 0.99), steps=300, start=(-1.5, 2.0))
    page, params = link(SimpleNamespace(lab="descent", config=config.to_dict()))
    assert page == OPT and params["optimizers"] == "adam" and params["start"] == "-1.5,2.0"
    at = _open(page, params)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.session_state["opt.start.0"] == -1.5 and at.session_state["opt.start.1"] == 2.0
    assert at.session_state["opt.adam.betas.0"] == 0.8 and at.session_state["opt.adam.lr"] == 0.02
    assert list(at.dataframe[0].value["optimizer"]) == ["Adam"]
