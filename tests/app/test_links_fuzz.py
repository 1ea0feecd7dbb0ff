"""Any address a visitor can type opens its page: random query strings, zero exceptions.

A value the page cannot take is clamped to the widget's range or refused with a note that names
it; the page never shows a traceback. One hypothesis property per page, over the page's own
setting names (and some it does not have) with any text as the value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lab.registry import PAGES
from lab.ui.runs import WS_PARAM
from tests.app.apptools import shown

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"classifier", "cnn"}  # a torch run per example: kept to the slow suite
TRICKY = ["", " ", "nan", "inf", "-inf", "-1", "0", "1", "1.5", "1e308", "-1e308", "1e-320", "true", "False", "None",
          "nope", "1,2", "1,2,3,4,5", ",", "%", "=", "0x10", "😀", "a" * 300]


def _open(page, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if page.file != "app.py":
        at.switch_page(page.file)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


_NAMES: dict[str, list[str]] = {}


def _names(page) -> list[str]:
    """The setting names the page keeps in its address (its widget keys), learned once per page."""
    if page.id not in _NAMES:
        at = _open(page)
        key = f"_links_{page.prefix}_defaults"  # what `lab.ui.links.restore` reads a link against
        _NAMES[page.id] = sorted(at.session_state[key]) if key in at.session_state else []
    return _NAMES[page.id]


def _value():
    return st.one_of(st.sampled_from(TRICKY), st.integers(-10**7, 10**7).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12))


@pytest.mark.slow
@pytest.mark.parametrize("page_id", [p for p in PAGES if p not in HEAVY] + [
    pytest.param(p, marks=pytest.mark.slow) for p in PAGES if p in HEAVY])
def test_random_query_strings_never_raise(page_id, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path_factory.mktemp("db") / "runs.db"))
    page = PAGES[page_id]
    names = _names(page) + [WS_PARAM, "nope", "seed.0", "lr.x"]  # the workspace: what Runs and Sweeps read
    assert len(names) > 4 or page_id in ("home", "runs", "sweeps"), names

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(st.sampled_from(names), _value(), min_size=1, max_size=3))
    def prop(params):
        at = _open(page, params)
        assert not at.exception, (params, [e.value for e in at.exception])

    prop()


@pytest.mark.parametrize("page_id, params, note", [
    ("optimizers", {"surface": "ravine"}, None),  # start y 2.0 above the ravine's 1.5: the start slider clamps
    ("optimizers", {"surface": "nope"}, "surface=nope"),
    ("qlearning", {"episodes": "1000000", "alpha": "5"}, "episodes=1000000 is above the slider's 20000: using 20000"),
    ("kmeans", {"k": "50"}, "k=50 is above the slider's 20: using 20"),
    ("qlearning", {"map_name": "moon"}, "map_name=moon"),
    ("kmeans", {"k": "500", "n_init": "-3"}, None),
    ("kmeans", {"init": "best"}, "init=best"),
    ("runs", {WS_PARAM: "../../etc"}, None),
    ("sweeps", {WS_PARAM: "%00"}, None),
])
def test_issue_12_links_open_with_a_note_naming_what_was_refused(page_id, params, note, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    at = _open(PAGES[page_id], params)
    assert not at.exception, [e.value for e in at.exception]
    if note:
        assert any(note in shown(w.value) for w in at.warning), [w.value for w in at.warning]
    at.run()  # the next run of the same session: the clamped value is the page's own now, no note
    assert not any("slider's" in w.value for w in at.warning), [w.value for w in at.warning]
