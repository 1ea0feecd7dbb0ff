"""Numbers as a person reads them, the one formatter every table and caption uses.

A few significant digits (0.0009968, 1.254, 0.6443), thousands separators (1,476; 123,457),
powers of ten only where plain digits would be unreadable (7.245e15, 3.1e-7), and "—" for a
value that is not there (None, NaN). `table` applies it to every cell of a table for
`st.dataframe`, so "7244591140866980", "0.0000000000" and "None" never reach the screen.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import pandas as pd

#: What a missing value shows.
NONE = "—"
#: Beyond these magnitudes plain digits stop being readable: powers of ten instead.
LARGE, SMALL = 1e9, 1e-4


def number(value: Any, digits: int = 4) -> str:
    """`value` with `digits` significant digits for a person; text is returned as it is."""
    if value is None:
        return NONE
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if isinstance(value, Integral) and abs(value) < LARGE:
        return f"{int(value):,}"
    value = float(value)
    if math.isnan(value):
        return NONE
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    size = abs(value)
    if size >= LARGE or size < SMALL:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}e{int(exponent)}"
    decimals = max(0, digits - 1 - math.floor(math.log10(size)))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def table(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A copy of `frame` with every cell as `number` shows it."""
    return frame.apply(lambda column: column.map(lambda v: number(_missing(v), digits)))


def _missing(value: Any) -> Any:
    """None for pandas' missing markers (NaN in an object column, pd.NA, NaT)."""
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value
