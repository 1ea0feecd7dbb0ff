"""lab/ui/numbers.py: numbers as a person reads them."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.ui.numbers import NONE, number, table


@pytest.mark.parametrize(
    "value, text",
    [(None, NONE), (math.nan, NONE), (0.0, "0"), (7244591140866980.0, "7.245e15"), (0.0009968289, "0.0009968"),
     (1.2538373, "1.254"), (1500, "1,500"), (np.int64(1476), "1,476"), (123456.7, "123,457"), (3.1e-7, "3.1e-7"),
     (-2.5e-5, "-2.5e-5"), (0.1, "0.1"), (math.inf, "∞"), (-math.inf, "−∞"), ("converged", "converged")],
)
def test_number(value, text):
    assert number(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_a_formatted_number_reads_back_within_its_significant_digits(value):
    text = number(value)
    assert len(text.replace(",", "")) <= 12
    back = float(text.replace(",", ""))
    assert back == pytest.approx(value, rel=1e-3, abs=0 if value else 1e-300)


def test_table_formats_every_cell_and_shows_a_dash_for_none():
    frame = pd.DataFrame({"run": ["a", "b"], "steps": [214, None], "loss": [7244591140866980.0, 0.0]})
    assert table(frame).to_dict("list") == {"run": ["a", "b"], "steps": ["214", NONE], "loss": ["7.245e15", "0"]}
