"""Settings travel in the URL; stale links fall back with a note; workspaces never see each other's runs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lab.store import RunStore
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
