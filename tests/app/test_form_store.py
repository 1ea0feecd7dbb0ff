"""Clamping wrappers write a widget's stored value only when it changes.

Any write, even of the same value, makes Streamlit send the value back to the browser, which
overwrites a key press made while the run was going on (seen as a lost slider step in a real browser).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lab.ui import form


class RecordingState(dict):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writes: list[tuple[str, object]] = []

    def __setitem__(self, key, value):
        self.writes.append((key, value))
        super().__setitem__(key, value)


@pytest.fixture
def state(monkeypatch):
    session = RecordingState()
    widget = lambda *args, key, **kwargs: session.get(key)  # noqa: E731
    monkeypatch.setattr(form, "st", SimpleNamespace(session_state=session))
    return session, SimpleNamespace(slider=widget, multiselect=widget)


@pytest.mark.parametrize("value", [0, 7, 10])
def test_a_slider_value_in_range_is_not_written_back(state, value):
    session, widgets = state
    session.update({"p.patience": value})
    assert form.slider("patience", 0, 10, key="p.patience", container=widgets) == value
    assert session.writes == []


@pytest.mark.parametrize(("value", "clamped"), [(-3, 0), (12, 10)])
def test_a_slider_value_out_of_range_is_clamped(state, value, clamped):
    session, widgets = state
    session.update({"p.patience": value})
    assert form.slider("patience", 0, 10, key="p.patience", container=widgets) == clamped
    assert session.writes == [("p.patience", clamped)]


def test_an_int_on_a_float_slider_becomes_a_float(state):
    session, widgets = state
    session.update({"p.noise": 0})
    assert form.slider("noise", 0.0, 0.2, key="p.noise", container=widgets) == 0.0
    assert session.writes == [("p.noise", 0.0)] and isinstance(session["p.noise"], float)


def test_a_multiselect_writes_only_when_an_option_is_dropped(state):
    session, widgets = state
    session.update({"p.cols": ["a", "b"]})
    form.multiselect("cols", ["a", "b", "c"], key="p.cols", container=widgets)
    assert session.writes == []
    form.multiselect("cols", ["a", "c"], key="p.cols", container=widgets)
    assert session.writes == [("p.cols", ["a"])]
