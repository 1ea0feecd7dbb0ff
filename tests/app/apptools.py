"""Helpers for AppTest tests."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def chart_data(at: AppTest) -> list[bytes]:
    """The data of every Vega-Lite chart on the page (changes when a chart shows other data)."""
    return [b"".join(ds.data.data for ds in el.proto.datasets) + el.proto.spec.encode() for el in at.get("vega_lite_chart")]
