"""The history blob gives back exactly the steps it was given, and notices damage."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records import Step
from lab.runs import history_blob

names = st.sampled_from(["train/loss", "val/loss", "lr", "grad/norm", "q/max_delta"])
values = st.floats(allow_nan=True, allow_infinity=True, width=64)
steps_lists = st.lists(st.tuples(st.integers(-(2**62), 2**62), st.dictionaries(names, values, max_size=5)), max_size=40)


def _bits(steps):
    return [(s.step, {k: struct.pack("<d", v) for k, v in s.metrics.items()}) for s in steps]


@given(steps_lists)
@settings(deadline=None)
def test_any_history_round_trips_bit_for_bit(pairs):
    steps = [Step(i, m) for i, m in pairs]
    back = history_blob.decode(history_blob.encode(steps))
    assert all(type(s) is Step for s in back)
    assert _bits(back) == _bits(steps)


@given(st.integers(-1000, 1000), st.integers(0, 50), st.booleans())
@settings(deadline=None)
def test_consecutive_steps_and_dense_metrics(first, n, sparse):
    steps = [Step(first + i, {"a": i * 0.5, **({"b": -i} if not sparse or i % 3 == 0 else {})}) for i in range(n)]
    assert history_blob.decode(history_blob.encode(steps)) == steps


def test_last_values_are_the_last_recorded_per_metric():
    steps = [Step(0, {"a": 1.0, "b": 5.0}), Step(1, {"a": 2.0}), Step(2, {"a": 3.0, "c": 7.0})]
    assert history_blob.last_values(steps) == {"a": 3.0, "b": 5.0, "c": 7.0}
    assert history_blob.last_values([]) == {}


def test_damage_and_non_numbers_are_reported():
    blob = history_blob.encode([Step(i, {"a": float(i)}) for i in range(10)])
    with pytest.raises(ValueError, match="truncated"):
        history_blob.decode(blob[:-3])
    with pytest.raises(ValueError, match="bad header"):
        history_blob.decode(b"XXXX" + blob[4:])
    with pytest.raises(ValueError, match="'a' holds a value that is not a number"):
        history_blob.encode([Step(0, {"a": "high"})])
