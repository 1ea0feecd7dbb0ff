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
    banners = " ".join(b.value for kind in ("success", "info", "error") for b in at.get(kind))
    assert words in banners.lower()


def test_home_does_not_import_torch():
    code = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run(); "
        "assert not at.exception; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("False")


def test_demo_at_lr_0_1_converges_in_green():
    """x shrinks by 0.8 a step: within 1e-6 of the minimum at step 62 (0.8**62 < 1e-6 < 0.8**61)."""
    import json

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.select_slider(key="home.lr").set_value(0.1).run()
    assert [b.value for b in at.success] and "converged at step 62" in at.success[0].value.lower()
    assert 0.8**62 < 1e-6 < 0.8**61
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "strokeDash" in layer["mark"]]
    assert [rule["mark"]["color"] for rule in rules] == ["#2ca02c"]


@pytest.mark.parametrize("query, lr, words, note", [
    ("1.1", 1.1, "diverged at step", None),
    ("0.5", 0.5, "converged at step 1:", None),
    ("0.25", 0.3, "converged at step", "lr=0.25 is not on the slider: using 0.3"),
    ("abc", 0.1, "converged at step 62", "ignored 'lr=abc'"),
])
def test_a_link_opens_the_demo_at_its_lr_and_the_slider_writes_it(query, lr, words, note):
    """Issue 12: Home's lr is in its address like every page's settings (`lab.ui.links`)."""
    from tests.app.apptools import shown

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["lr"] = query
    at.run()
    assert not at.exception
    assert at.select_slider(key="home.lr").value == lr
    assert words in " ".join(b.value for kind in ("success", "info", "error") for b in at.get(kind)).lower()
    warnings = [shown(w.value) for w in at.warning]
    assert (any(note in w for w in warnings) if note else not warnings), warnings
    at.select_slider(key="home.lr").set_value(1.05).run()
    assert dict(at.query_params) == {"lr": ["1.05"]} or dict(at.query_params) == {"lr": "1.05"}
    at.select_slider(key="home.lr").set_value(0.1).run()
    assert "lr" not in at.query_params  # the default rate leaves the address bare
