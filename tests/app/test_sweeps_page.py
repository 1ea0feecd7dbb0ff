"""The Sweeps page: a grid sweep runs, every trial once, charts and a table of trials that link to their lab."""

from __future__ import annotations

from lab.runs.store import LOCAL, RunStore
from tests.app.apptools import numeric, shown

PAGE = "pages/10_Sweeps.py"


def test_default_grid_sweep_runs_and_draws(open_app, tmp_path):
    at = open_app(PAGE)
    assert not at.error
    at.radio(key="sw.sampler").set_value("grid").run()
    at.text_input(key="sw.descent.range.lr").input("float:0.0001:0.01:log:3").run()
    at.button(key="sw.run").click().run(timeout=180)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 3 * 6  # every grid point once: 3 lrs x the 6 optimizers of the registry's default
    assert not table.isin(["inf", "Infinity", "None", "nan"]).any().any()  # every cell as a person reads it
    assert sorted(numeric(table["number"])) == list(range(18))
    assert len(table[["lr", "optimizer"]].drop_duplicates()) == 18
    finite = numeric(table["value"])[numeric(table["value"]) < float("inf")]
    assert at.markdown and len(at.get("vega_lite_chart")) >= 3
    runs = RunStore(tmp_path / "runs.db").list(LOCAL, lab="descent")
    assert len(runs) == 18
    assert any("open in its lab" in link.proto.label for link in at.get("page_link"))
    assert finite.min() == numeric(table["value"]).min()


def test_bad_ranges_are_refused_with_a_message(open_app):
    at = open_app(PAGE)
    for text, words in [("float:1:0.1", "low < high"), ("float:0:1:log", "log"), ("float:abc", "lr")]:
        at.text_input(key="sw.descent.range.lr").input(text).run()
        assert not at.exception
        assert any(words in shown(e.value) for e in at.error), (text, [e.value for e in at.error])


def test_too_many_grid_points_are_refused(open_app):
    at = open_app(PAGE)
    at.radio(key="sw.sampler").set_value("grid").run()
    at.text_input(key="sw.descent.range.lr").input("float:0.0001:0.1:log:1001").run()
    assert not at.exception
    assert at.error


def _chart_frames(chart):
    """The data of one Vega-Lite chart, a frame per dataset (Arrow IPC)."""
    import pyarrow as pa

    return [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in chart.proto.datasets]


def test_history_shows_every_trial_and_the_page_reads_for_a_person(open_app):
    """Issue 12 found 8: the history left out pruned and diverged trials, parallel coordinates had
    no tick labels, the base settings were a raw dict, the decision column said `max_steps`."""
    import json

    from lab.records import Kind

    at = open_app(PAGE)
    assert not any("{" in c.value for c in at.caption)  # "the lab's defaults with surface rosenbrock, steps 500"
    assert any("surface rosenbrock" in c.value for c in at.caption)
    at.radio(key="sw.sampler").set_value("grid").run()
    at.text_input(key="sw.descent.range.lr").input("float:0.001:1:log:4").run()
    at.button(key="sw.run").click().run(timeout=240)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert set(table["decision"]) <= {k.word for k in Kind} and "max_steps" not in set(table["decision"])
    assert "diverged" in set(table["decision"])  # gd at lr 1 on Rosenbrock
    charts = at.get("vega_lite_chart")
    history = next(c for c in charts if "optimization history" in c.proto.spec)
    shown = _chart_frames(history)[0]
    assert sorted(shown["number"]) == sorted(numeric(table["number"]))  # every trial, pruned and diverged too
    assert set(shown["outcome"]) == set(table["decision"])
    points = json.loads(history.proto.spec)["layer"][0]["encoding"]
    colours = dict(zip(points["color"]["scale"]["domain"], points["color"]["scale"]["range"]))
    assert set(colours) == set(table["decision"]) and colours["diverged"] == "#d62728"  # each kind its own colour
    parallel = next(c for c in charts if "parallel coordinates" in c.proto.spec)
    layers = json.loads(parallel.proto.spec)["layer"]
    assert any(layer["mark"]["type"] == "text" if isinstance(layer["mark"], dict) else layer["mark"] == "text" for layer in layers)
    labels = set(_concat(_chart_frames(parallel)).get("label", []))
    assert {"gd", "adam", "0.001", "1"} <= labels


def _concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_stop_ends_the_sweep_after_the_current_trial_and_keeps_its_analysis(open_app, tmp_path, monkeypatch):
    """A click reaches the running sweep at its next ``st.*`` call, the progress line drawn as a trial
    finishes; here that line raises it after the second trial (as a click during the third would), then
    Stop is clicked: the two finished trials stay, saved and analysed, "stopped by you after 2 trials"."""
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    at = open_app(PAGE)
    at.radio(key="sw.sampler").set_value("grid").run()
    at.multiselect(key="sw.descent.fields").set_value(["lr"]).run()
    at.text_input(key="sw.descent.range.lr").input("float:0.001:0.1:log:5").run()
    calls = []
    real_progress = DeltaGenerator.progress

    def click_arrives(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # the lines of trials 0 and 1 done (``st.progress`` itself is bound apart)
            raise StopException()
        return real_progress(self, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "progress", click_arrives)
    at.button(key="sw.run").click().run(timeout=180)
    assert len(calls) == 2 and not at.exception
    at.button(key="sw.stop").click().run(timeout=60)
    assert not at.exception and not at.error
    assert any("Stopped by you after 2 trials" in w.value for w in at.warning), [w.value for w in at.warning]
    table = at.dataframe[0].value
    assert sorted(numeric(table["number"])) == [0, 1] and set(table["state"]) <= {"complete", "pruned"}
    assert any("optimization history" in c.proto.spec for c in at.get("vega_lite_chart"))
    assert len(RunStore(tmp_path / "runs.db").list(LOCAL, lab="descent")) == 2
    assert not any(b.proto.label == "Stop" for b in at.button)  # the sweep is over: no Stop left


def test_the_pages_link_reopens_the_same_settings_and_study(open_app):
    """The Sweeps page's own URL, opened in a new session, shows the same search settings and the same study;
    what it cannot use is named in a note."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    def fresh(params):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page(PAGE)
        for name, value in params.items():
            at.query_params[name] = value
        return at.run()

    at = open_app(PAGE)
    at.multiselect(key="sw.descent.fields").set_value(["lr"]).run()
    at.text_input(key="sw.descent.range.lr").input("float:0.001:0.1:log:3").run()
    at.slider(key="sw.trials").set_value(5).run()
    at.button(key="sw.run").click().run(timeout=180)
    params = {k: at.query_params[k] for k in at.query_params}
    assert params["fields"] == "lr" and params["range.lr"] == "float:0.001:0.1:log:3" and params["trials"] == "5"
    assert params["study"].startswith("descent-") and "sampler" not in params  # the default (grid) is left out
    again = fresh(params)
    assert not again.exception and not again.warning
    assert again.multiselect(key="sw.descent.fields").value == ["lr"]
    assert again.text_input(key="sw.descent.range.lr").value == "float:0.001:0.1:log:3"
    assert again.slider(key="sw.trials").value == 5
    assert again.dataframe[0].value.equals(at.dataframe[0].value)
    odd = fresh({"lab": "nope", "trials": "1000", "study": "gone", "colour": "red"})
    assert not odd.exception and len(odd.warning) == 1
    assert all(word in odd.warning[0].value for word in ("lab=nope", "trials=1000", "gone", "colour"))
