"""AppTest helpers: open a page by its file, fail on any exception or error element."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))

    def _open(page: str, timeout: float = 60) -> AppTest:
        at = AppTest.from_file(str(ROOT / page), default_timeout=timeout).run()
        assert not at.exception, at.exception
        return at

    return _open


def chart_data(at: AppTest) -> list[bytes]:
    """The data of every Vega-Lite chart on the page (changes when a chart shows other data)."""
    return [b"".join(ds.data for ds in el.proto.datasets) + el.proto.spec.encode() for el in at.get("vega_lite_chart")]
