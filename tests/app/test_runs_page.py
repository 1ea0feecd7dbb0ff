"""The Runs page: saved runs listed, overlaid, their differing settings shown; rename, tag, delete, export, import."""

from __future__ import annotations

import json

import pytest

import lab
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.runs.store import LOCAL, RunStore
from lab.stopping.config import StoppingConfig

PAGE = "pages/9_Runs.py"


@pytest.fixture
def saved(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(path))
    runs = RunStore(path)
    ids = [
        runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.1, steps=50))),
        runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.3, steps=50))),
        runs.save(LOCAL, "curve", lab.run(CurveConfig(stopping=StoppingConfig(enabled=True, patience=3, restore_best=False)))),
    ]
    return runs, ids


def test_lists_overlays_and_diffs(open_app, saved):
    runs, ids = saved
    at = open_app(PAGE)
    table = at.dataframe[0].value
    assert len(table) == 3 and "id" not in table
    assert not table.isin(["None", "nan", "inf"]).any().any()  # every cell as a person reads it
    for (_, row), s in zip(table.iterrows(), runs.list(LOCAL)):  # no decision step shows "—", a number its digits
        assert row["at step"] == ("—" if s.decision_step is None else f"{s.decision_step:,}")
        assert row["steps"] == f"{s.n_steps:,}"
    at.multiselect(key="runs.chosen").set_value(ids[:2]).run()
    assert not at.exception
    assert at.get("vega_lite_chart")
    diff = at.dataframe[1].value
    assert list(diff.index) == ["lr"] and diff.loc["lr"].tolist() == ["0.1", "0.3"]
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
    assert sorted(at.dataframe[0].value["decision"]) == sorted(k.word for k in kinds.values())
    assert "patience" in kinds.values() and set(kinds.values()) <= {"budget", "converged", "patience"}
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


def _scale_types(at) -> list[str]:
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    return [layer["encoding"]["y"].get("scale", {}).get("type", "linear") for layer in spec["layer"] if "y" in layer["encoding"]]


def test_curves_that_span_decades_open_on_a_log_scale(open_app, saved):
    """Issue 12 found 8: a linear scale squashed the loss of gradient descent (1 to 1e-10) onto the floor."""
    runs, ids = saved
    at = open_app(PAGE)
    at.multiselect(key="runs.chosen").set_value(ids[:2]).run()
    assert at.selectbox(key="runs.metric").value == "loss"
    assert "log" in _scale_types(at)
    at.toggle(key="runs.log.loss").set_value(False).run()
    assert "log" not in _scale_types(at)


def test_many_chosen_runs_keep_the_page_short(open_app, tmp_path, monkeypatch):
    """Issue 12 found 8: choosing every run built an 8,000-px page of links and legend."""
    from lab.ui.runs_views import MAX_LEGEND, MAX_LINKS

    path = tmp_path / "many.db"
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(path))
    runs = RunStore(path)
    ids = [runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=lr, steps=20)))
           for lr in [0.01 * (i + 1) for i in range(max(MAX_LINKS, MAX_LEGEND) + 1)]]
    at = open_app(PAGE)
    at.multiselect(key="runs.chosen").set_value(ids).run()
    assert not at.exception
    assert not _run_links(at)
    assert any(f"at most {MAX_LINKS}" in c.value for c in at.caption)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    run_colours = [layer["encoding"][channel] for layer in spec["layer"] for channel in ("color", "stroke")
                   if channel in layer["encoding"]]  # lines are coloured by run, stop markers ringed by run
    assert run_colours and all(encoding.get("legend", {}) is None for encoding in run_colours)
    at.multiselect(key="runs.chosen").set_value(ids[:MAX_LINKS]).run()
    assert len(_run_links(at)) == MAX_LINKS


def _run_links(at) -> list:
    return [link for link in at.get("page_link") if link.proto.label.startswith("Open ")]


def _fresh(params: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_the_pages_link_reopens_the_same_runs_and_metric(open_app, saved):
    """The Runs page's own URL, opened in a new session, chooses the same runs and overlays the same metric;
    a run the workspace does not hold and a metric they do not record are left out with a note."""
    from tests.app.apptools import chart_data

    runs, ids = saved
    at = open_app(PAGE)
    at.multiselect(key="runs.chosen").set_value(ids[:2]).run()
    at.selectbox(key="runs.metric").select("gap/optimum").run()
    params = {k: at.query_params[k] for k in at.query_params}
    assert params == {"runs": f"{ids[0]},{ids[1]}", "metric": "gap/optimum"}, params
    again = _fresh(params)
    assert not again.exception and not again.warning
    assert again.multiselect(key="runs.chosen").value == ids[:2]
    assert again.selectbox(key="runs.metric").value == "gap/optimum"
    assert chart_data(again)[0] == chart_data(at)[0]
    odd = _fresh({"runs": f"{ids[0]},nope", "metric": "kmeans/inertia"})
    assert not odd.exception
    assert odd.multiselect(key="runs.chosen").value == ids[:1]
    assert len(odd.warning) == 2 and "1 run that is not in this workspace" in odd.warning[0].value
