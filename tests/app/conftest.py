"""AppTest helpers: open a page by its file, fail on any exception or error element."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    # runs train in AppTest's script thread: the worker pool made the Classifier page's tests 94 s -> 112 s
    # here (each worker imports torch once); tests/test_workers.py and the browser tests hold the pool
    monkeypatch.setenv("CONVERGENCE_LAB_WORKERS", "0")

    def _open(page: str, timeout: float = 60) -> AppTest:
        """Open `page` as a visitor does: through the app (page links resolve against app.py)."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        if page != "app.py":
            at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
        return at

    return _open
