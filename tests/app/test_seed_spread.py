"""The seed spread on the pages: run it, read the box plot's figures and the words off the page.

Regression: 6 seeds of lr 0.1 against a saved run at lr 0.001 ("holds"), and against a saved run
of the same setting ("cannot tell apart"); Optimizers: the race's optimizers have no randomness,
and the page says so; Classifier on a shared deployment: 10 seeds of the default are over the
lab's budget and refused with the note.
"""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pytest

from lab.runs.store import RunStore
from tests.app.apptools import shown


def _charts(at) -> dict[str, object]:
    """The Vega-Lite charts by title: their data as a table."""
    out = {}
    for el in at.get("vega_lite_chart"):
        title = json.loads(el.proto.spec).get("title")
        if isinstance(title, str) and el.proto.datasets:
            out[title] = pa.ipc.open_stream(el.proto.datasets[0].data.data).read_pandas()
    return out


def _words(at) -> str:
    return " ".join(shown(m.value) for m in at.markdown)


def _saved_id(tmp_path, **config) -> str:
    runs = RunStore(tmp_path / "runs.db").list("local", lab="regression")
    return next(r.id for r in runs if all(r.config[k] == v for k, v in config.items()))


def test_regression_spread_against_saved_runs(open_app, tmp_path):
    at = open_app("pages/4_Regression.py")
    at.select_slider(key="reg.lr").set_value(0.001).run()  # saves a run at lr 0.001
    at.select_slider(key="reg.lr").set_value(0.1).run()
    at.slider(key="reg.seeds.n").set_value(6).run()
    at.selectbox(key="reg.seeds.compare").set_value(_saved_id(tmp_path, lr=0.001)).run()
    at.button(key="reg.seeds.run").click().run()
    assert not at.exception and not at.error
    words = _words(at)
    assert "final val/loss: this setting is lower than saved:" in words and "decides sooner" in words
    assert words.count("the difference holds across seeds") == 2 and "p = 0.0022" in words
    boxes = _charts(at)["decision epoch, per seed"]
    steps = boxes.groupby("group")["step"].apply(list)
    epochs = at.slider(key="reg.epochs").value
    assert len(steps["this setting"]) == 6 and max(steps["this setting"]) < epochs - 1  # converged, every seed
    assert [s for g, s in steps.items() if g != "this setting"][0] == [epochs - 1] * 6  # ran out of epochs
    assert set(boxes["decision"]) == {"converged", "budget"}
    assert {"train/loss: median and min–max over the seeds", "final val/loss, per seed"} <= set(_charts(at))

    at.selectbox(key="reg.seeds.compare").set_value(_saved_id(tmp_path, lr=0.1)).run()
    at.button(key="reg.seeds.run").click().run()
    words = _words(at)
    assert "6 seeds cannot tell this setting and saved:" in words and "holds" not in words
    assert not at.exception and not at.error


def test_schedules_noise_floor_preset_holds_across_seeds(open_app):
    """The preset's lesson, read off the spread: the decaying lr's lower floor is no luck of the noise."""
    at = open_app("pages/2_Schedules.py")
    at.button(key="sch.preset.schedules/noise-floor").click().run()
    assert "Run 10 seeds" in at.info[0].value
    at.button(key="sch.seeds.run").click().run(timeout=180)
    assert not at.exception and not at.error
    words = _words(at)
    final = words.split("final gap/optimum:")[1].split("decision step")[0]
    assert final.lstrip().startswith("Time-based is lower than constant lr, and the difference holds across seeds"), final
    assert "beats a seed of constant lr 100% of the time" in final  # closer on every seed: the lesson's own claim
    boxes = _charts(at)["final gap/optimum, per seed"]
    per = boxes.groupby("group")["final"].median()
    winner, loser = (float(v.replace(",", "")) for v in re.search(r"median ([\d.,e-]+) against ([\d.,e-]+)", final).groups())
    assert winner == pytest.approx(per["Time-based"], rel=1e-3) and loser == pytest.approx(per["constant lr"], rel=1e-3)


def test_optimizers_spread_says_nothing_is_random(open_app):
    at = open_app("pages/1_Optimizers.py")
    at.slider(key="opt.seeds.n").set_value(4).run()
    at.button(key="opt.seeds.run").click().run()
    assert not at.exception and not at.error
    caption = " ".join(shown(c.value) for c in at.caption)
    assert "every seed gave exactly the same run" in caption
    boxes = _charts(at)["final gap/optimum, per seed"]
    assert boxes.groupby("group")["final"].nunique().eq(1).all() and boxes["group"].nunique() == 4
    assert "4 seeds cannot tell" in _words(at)  # two optimizers that end alike on every seed


def test_classifier_spread_over_the_budget_is_refused_when_shared(open_app, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_SHARED", "1")
    at = open_app("pages/5_Classifier.py", timeout=180)
    at.button(key="clf.seeds.run").click().run()
    assert not at.exception
    refusal = " ".join(shown(e.value) for e in at.error)
    assert "Not run: 10 seeds of this setting" in refusal and "at most 4 seeds fit" in refusal
    assert "decision epoch, per seed" not in _charts(at)


def test_playground_spread_draws_a_band_per_curve_and_keeps_the_live_run(open_app):
    at = open_app("pages/11_Playground.py", timeout=240)
    decision = [m.value for m in at.markdown if "epoch" in m.value][:1]
    at.slider(key="pg.seeds.n").set_value(3).run()
    at.button(key="pg.seeds.run").click().run()
    assert not at.exception and not at.error
    charts = _charts(at)
    bands = {title for title in charts if "median and min–max over the seeds" in title}
    assert {"train/loss: median and min–max over the seeds", "val/loss: median and min–max over the seeds"} <= bands
    finals = charts["final val/loss, per seed"]
    assert len(finals) == 3 and finals["final"].nunique() == 3  # the seed draws the data and the weights
    assert [m.value for m in at.markdown if "epoch" in m.value][:1] == decision


def test_sequences_spread_runs_its_seeds(open_app):
    at = open_app("pages/12_Sequences.py", timeout=240)
    at.slider(key="seq.seeds.n").set_value(2).run()
    at.button(key="seq.seeds.run").click().run()
    assert not at.exception and not at.error
    finals = _charts(at)["final val/accuracy, per seed"]
    assert len(finals) == 2 and finals["final"].between(0, 1).all()
