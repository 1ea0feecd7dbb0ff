"""The home page: cards link to pages that exist, and the x² demo tells the four regimes apart."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_home_renders_cards_and_demo():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert at.get("vega_lite_chart")
    assert len(at.get("page_link")) >= 3


@pytest.mark.parametrize(
    "lr, words",
    [(0.01, "step budget"), (0.5, "converged at step 1:"), (1.0, "step budget"), (1.1, "diverged at step")],
)
def test_demo_regimes(lr, words):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.select_slider(key="home.lr").set_value(lr).run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert words in captions.lower()


def test_home_does_not_import_torch():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run(); "
        "assert not at.exception; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("False")
