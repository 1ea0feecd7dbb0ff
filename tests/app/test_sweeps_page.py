"""The Sweeps page: a grid sweep runs, every trial once, charts and a table of trials that link to their lab."""

from __future__ import annotations

from lab.store import LOCAL, RunStore

PAGE = "pages/10_Sweeps.py"


def test_default_grid_sweep_runs_and_draws(open_app, tmp_path):
    at = open_app(PAGE)
    assert not at.error
    at.radio(key="sw.sampler").set_value("grid").run()
    at.text_input(key="sw.descent.range.lr").input("float:0.0001:0.01:log:3").run()
    at.button(key="sw.run").click().run(timeout=180)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 3 * 4  # every grid point once
    assert sorted(table["number"]) == list(range(12))
    assert len(table[["lr", "optimizer"]].drop_duplicates()) == 12
    finite = table[table["value"] < float("inf")]
    assert at.markdown and len(at.get("vega_lite_chart")) >= 3
    runs = RunStore(tmp_path / "runs.db").list(LOCAL, lab="descent")
    assert len(runs) == 12
    assert any("open in its lab" in link.proto.label for link in at.get("page_link"))
    assert finite["value"].min() == table["value"].min()


def test_bad_ranges_are_refused_with_a_message(open_app):
    at = open_app(PAGE)
    for text, words in [("float:1:0.1", "low < high"), ("float:0:1:log", "log"), ("float:abc", "lr")]:
        at.text_input(key="sw.descent.range.lr").input(text).run()
        assert not at.exception
        assert any(words in e.value for e in at.error), (text, [e.value for e in at.error])


def test_too_many_grid_points_are_refused(open_app):
    at = open_app(PAGE)
    at.radio(key="sw.sampler").set_value("grid").run()
    at.text_input(key="sw.descent.range.lr").input("float:0.0001:0.1:log:1001").run()
    assert not at.exception
    assert at.error
