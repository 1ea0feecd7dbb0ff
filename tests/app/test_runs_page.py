"""The Runs page: saved runs listed, overlaid, their differing settings shown; rename, tag, delete, export, import."""

from __future__ import annotations

import json

import pytest

import lab
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.stopping import EarlyStopping
from lab.store import LOCAL, RunStore

PAGE = "pages/9_Runs.py"


@pytest.fixture
def saved(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(path))
    runs = RunStore(path)
    ids = [
        runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.1, steps=50))),
        runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.3, steps=50))),
        runs.save(LOCAL, "curve", lab.run(CurveConfig(), stopping=EarlyStopping("val/loss", patience=3))),
    ]
    return runs, ids


def test_lists_overlays_and_diffs(open_app, saved):
    runs, ids = saved
    at = open_app(PAGE)
    assert len(at.dataframe[0].value) == 3
    at.multiselect(key="runs.chosen").set_value(ids[:2]).run()
    assert not at.exception
    assert at.get("vega_lite_chart")
    diff = at.dataframe[1].value
    assert list(diff.index) == ["lr"]
    links = at.get("page_link")
    assert any("Optimizers" in link.proto.page for link in links)


def test_filter_by_lab(open_app, saved):
    at = open_app(PAGE)
    at.selectbox(key="runs.lab").select("curve").run()
    assert list(at.dataframe[0].value["lab"]) == ["curve"]


def test_decision_column_says_budget_and_filters(open_app, saved):
    runs, _ = saved
    kinds = {s.id: s.decision_kind for s in runs.list(LOCAL)}
    at = open_app(PAGE)
    assert sorted(at.dataframe[0].value["decision"]) == sorted({"max_steps": "budget"}.get(k, k) for k in kinds.values())
    at.multiselect(key="runs.kinds").set_value(["patience"]).run()
    assert list(at.dataframe[0].value["lab"]) == ["curve"]


def test_rename_tag_delete(open_app, saved):
    runs, ids = saved
    at = open_app(PAGE)
    at.multiselect(key="runs.chosen").set_value([ids[0]]).run()
    at.text_input(key=f"runs.name.{ids[0]}").input("the slow one").run()
    at.button(key="runs.rename").click().run()
    assert runs.get(LOCAL, ids[0]).name == "the slow one"
    at.text_input(key="runs.tags").input("baseline").run()
    at.button(key="runs.settags").click().run()
    assert runs.get(LOCAL, ids[0]).tags == ("baseline",)
    at.checkbox(key="runs.confirm").check().run()
    at.button(key="runs.delete").click().run()
    assert not at.exception
    assert ids[0] not in {s.id for s in runs.list(LOCAL)}


def test_import_good_and_bad_files(open_app, saved):
    runs, ids = saved
    exported = runs.export_json(LOCAL, ids[:1])
    at = open_app(PAGE)
    at.file_uploader(key="runs.import").set_value(("runs.json", exported, "application/json")).run()
    assert any("Imported 1 run" in m.value for m in at.markdown)
    assert runs.count(LOCAL) == 4
    broken = exported[: len(exported) // 2]
    at.file_uploader(key="runs.import").set_value(("broken.json", broken, "application/json")).run()
    assert not at.exception
    assert any("Nothing was imported" in m.value for m in at.markdown)
    assert runs.count(LOCAL) == 4
    json.loads(exported)  # the export itself is plain JSON
