"""Helpers for AppTest tests."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from lab.ui.numbers import NONE


def chart_data(at: AppTest) -> list[bytes]:
    """The data of every Vega-Lite chart on the page (changes when a chart shows other data)."""
    return [b"".join(ds.data.data for ds in el.proto.datasets) + el.proto.spec.encode() for el in at.get("vega_lite_chart")]


def shown(markdown: str) -> str:
    """What the browser shows for an element's Markdown body: the text with `lab.ui.text.plain`'s
    backslash escapes read back (``effective\\_rank`` shows as ``effective_rank``)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def numeric(column: pd.Series) -> pd.Series:
    """A table column as `lab.ui.numbers.number` wrote it ("1,476", "∞", "—"), read back as numbers."""
    text = column.astype(str).str.replace(",", "").str.replace("−", "-")
    return pd.to_numeric(text.replace({"∞": "inf", "-∞": "-inf", NONE: "nan"}))
