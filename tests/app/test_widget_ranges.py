"""Every widget that sets a config field stays within the field's declaration: no slider, number
input or list of choices on any page offers a value the config would refuse.

Each page is opened through app.py (with a few links that bring out the widgets shown only for
some settings: each schedule's, each optimizer's, each data set's). The widget calls are recorded
as the page makes them; a widget's key names its field through the class the page declared
(`lab.ui.links.declaration`), and its ends or options are checked against that field's constraint.
"""

from __future__ import annotations

import functools
from numbers import Integral, Real
from typing import Any

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from lab import registry
from lab.config import admits_none
from lab.constraints import Interval, Items, Options
from lab.schedules import SCHEDULES
from tests.app.conftest import ROOT

RANGED = ("slider", "number_input")
CHOSEN = ("selectbox", "radio", "select_slider", "multiselect")

#: Each page with the links that show its other widgets.
VARIANTS: dict[str, list[dict[str, str]]] = {
    "optimizers": [{}, {"surface": "rosenbrock"}],
    "schedules": [{"schedule.name": name} for name in SCHEDULES],
    "early_stopping": [{}],
    "regression": [{}, {"optimizer": "momentum"}, {"optimizer": "adam", "schedule.name": "step"}],
    "classifier": [{"epochs": "2", "stopping.enabled": "1"}],
    "cnn": [{"epochs": "1"}],
    "kmeans": [{}, {"dataset": "moons"}, {"dataset": "uniform"}],
    "qlearning": [{"episodes": "100"}, {"episodes": "100", "map_name": "random", "epsilon_decay": "exponential"}],
    "playground": [{"epochs": "3", "layers": "6"}],
}
CASES = [(page, query) for page, queries in VARIANTS.items() for query in queries]


def _record(calls: list[tuple[str, str, Any]], kind: str, method: Any):
    @functools.wraps(method)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        from lab.ui import links  # the page's own session: the classes it declared

        key = kwargs.get("key")
        found = links.declaration(key) if isinstance(key, str) else None
        if found is not None:
            calls.append((kind, key, (found, _arguments(kind, args, kwargs))))
        return method(*args, **kwargs)

    return recorded


def _arguments(kind: str, args: tuple, kwargs: dict) -> tuple:
    """(min, max) of a ranged widget, or its options, as the page passed them (args start with self or label)."""
    args = args[1:] if args and isinstance(args[0], DeltaGenerator) else args
    if kind in RANGED:
        rest = list(args[1:3]) + [None, None]
        return kwargs.get("min_value", rest[0]), kwargs.get("max_value", rest[1])
    return tuple(kwargs["options"] if "options" in kwargs else args[1])


@pytest.fixture
def widget_calls(monkeypatch):
    calls: list[tuple[str, str, Any]] = []
    for kind in RANGED + CHOSEN:
        monkeypatch.setattr(DeltaGenerator, kind, _record(calls, kind, getattr(DeltaGenerator, kind)))
        monkeypatch.setattr(st, kind, _record(calls, kind, getattr(st, kind)))
    return calls


def problems(calls: list[tuple[str, str, Any]]) -> list[str]:
    """What each recorded widget offers beyond its field's declaration."""
    out = []
    for kind, key, ((hint, allowed), arguments) in calls:
        if allowed is None:
            continue
        if kind in RANGED:
            low, high = arguments
            if not isinstance(allowed, Interval):
                out.append(f"{key}: a {kind} for a field declared {allowed.describe()}")
                continue
            for end, value, declared in (("min", low, allowed.low), ("max", high, allowed.high)):
                if (value is None and declared is not None) or (value is not None and not allowed.accepts(value)):
                    out.append(f"{key}: {kind} {end}={value!r} outside {allowed.describe()}")
        else:
            item = allowed.item if isinstance(allowed, Items) else allowed
            stray = [o for o in arguments if not (item.accepts(o) or (o is None and admits_none(hint)))]
            if stray:
                out.append(f"{key}: {kind} offers {stray!r} outside {item.describe()}")
    return out


@pytest.mark.parametrize(("page", "query"), CASES, ids=[f"{p}-{'&'.join(f'{k}={v}' for k, v in q.items())}" for p, q in CASES])
def test_every_widget_of_a_field_stays_within_its_declaration(tmp_path, monkeypatch, widget_calls, page, query):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(registry.PAGES[page].file)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert not at.warning, [w.value for w in at.warning]  # every link setting was taken
    keys = {key for _, key, _ in widget_calls}
    assert len(keys) >= 3, f"too few widgets map to config fields on {page}: {sorted(keys)}"
    assert not problems(widget_calls), "\n".join(problems(widget_calls))


def test_the_check_catches_a_widget_wider_than_its_field():
    """The check itself: a slider reaching an open end, a number input with no end where the field
    has one, and a choice the field refuses are each reported; a widget within its field is not."""
    alpha = (float, Interval(Real, 0, 1, closed="right"))
    decay = (str, Options(("constant", "linear")))
    rank = (int | None, Interval(Integral, 1, 200))
    calls = [
        ("slider", "ql.alpha", (alpha, (0.0, 1.0))),
        ("number_input", "ql.alpha", (alpha, (None, 1.0))),
        ("radio", "ql.decay", (decay, ("constant", "cosine"))),
        ("slider", "ql.alpha", (alpha, (0.01, 1.0))),
        ("select_slider", "reg.rank", (rank, (None, 1, 200))),
    ]
    assert problems(calls) == [
        "ql.alpha: slider min=0.0 outside a number in (0, 1]",
        "ql.alpha: number_input min=None outside a number in (0, 1]",
        "ql.decay: radio offers ['cosine'] outside one of 'constant', 'linear'",
    ]
