"""What Stop keeps, on every page the live runner serves: the model trained so far is evaluated and
every final view is drawn, under "stopped by you at <unit> N".

A click reaches a running script as a control exception raised at its next ``st.*`` call; here the
first redraw's progress bar raises it (as a click during the run would), then Stop is clicked.
"""

from __future__ import annotations

import re

import pytest
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from lab.ui import live


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(at) -> str:
    return " ".join(e.value for e in [*at.warning, *at.subheader, *at.caption, *at.markdown])


def _decisions(at) -> str:
    """The decision as the page says it: its banner, or the race's decision lines (a badge and the reason per run)."""
    lines = [m.value for m in at.markdown if "-badge[" in m.value]
    return " ".join([w.value for w in at.warning] + lines)


#: page file, widget prefix, what its final views show once stopped
PAGES = [
    ("pages/1_Optimizers.py", "opt", lambda at: len(at.get("vega_lite_chart")) >= 1),
    ("pages/2_Schedules.py", "sch", lambda at: len(at.get("vega_lite_chart")) >= 1),
    ("pages/3_Early_stopping.py", "es", lambda at: "Decision log" in _texts(at) and len(at.dataframe) >= 2),
    ("pages/4_Regression.py", "reg", lambda at: len(at.metric) >= 4 and len(at.get("vega_lite_chart")) >= 4),
    ("pages/5_Classifier.py", "clf", lambda at: {"test accuracy", "ROC AUC"} <= set(_metrics(at)) and len(at.get("vega_lite_chart")) >= 5),
    ("pages/6_CNN.py", "cnn", lambda at: {"test accuracy", "misclassified test digits"} <= set(_metrics(at))),
    ("pages/7_K-means.py", "km", lambda at: len(at.get("vega_lite_chart")) >= 2),
    ("pages/8_Q-learning.py", "ql", lambda at: "The learned policy" in _texts(at) and len(at.metric) >= 3),
    ("pages/11_Playground.py", "pg", lambda at: "Backpropagation step by step" in _texts(at) and len(at.get("vega_lite_chart")) >= 3),
    ("pages/12_Sequences.py", "seq", lambda at: "Validation sentences still wrong" in _texts(at) and len(at.dataframe) >= 2),
]


@pytest.mark.parametrize(("page", "prefix", "final_views"), PAGES, ids=[p[1] for p in PAGES])
def test_stop_keeps_the_evaluated_model_and_draws_every_final_view(open_app, monkeypatch, page, prefix, final_views):
    at = open_app(page, timeout=180)
    interrupted = []
    real_progress = DeltaGenerator.progress

    def click_arrives(self, *args, **kwargs):
        if not interrupted:
            interrupted.append(True)
            raise StopException()
        return real_progress(self, *args, **kwargs)

    monkeypatch.setattr(live, "REDRAW_SECONDS", 0.0)
    monkeypatch.setattr(DeltaGenerator, "progress", click_arrives)
    at.number_input(key=f"{prefix}.seed").set_value(1).run()  # a new run, interrupted at its first redraw
    assert interrupted and not at.exception
    at.button(key=f"{prefix}_stop").click().run()
    assert not at.exception, at.exception
    assert re.search(r"stopped by you at (step|epoch|iteration|episode) \d+", _decisions(at).lower()), _decisions(at)
    assert final_views(at)
