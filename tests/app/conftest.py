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
