"""The first torch run of a process shows the data, the network and a line for the torch import."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FIRST_VISIT = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=240)
at.switch_page({page!r})
at.run()
assert not at.exception, at.exception
assert "torch" in sys.modules
print("|".join(m.value for m in at.markdown).replace("\\n", " "))
print("|".join(s.label for s in at.status))
at.run()
print("|".join(m.value for m in at.markdown).replace("\\n", " "))
"""


@pytest.mark.parametrize("page, network", [
    ("pages/5_Classifier.py", "layer widths 30 → 32 → 1"),  # the page opens on DEFAULT_VIEW
    ("pages/6_CNN.py", "1×8×8 image → conv 3×3 (16 channels), ReLU, max-pool 2 → conv 3×3 (32 channels)"),
])
def test_first_torch_run_of_a_process_shows_data_network_and_import_line(page, network):
    code = FIRST_VISIT.format(app=str(ROOT / "app.py"), page=page)
    env = {**os.environ, "CONVERGENCE_LAB_WORKERS": "0"}  # the import line is the in-thread run's (workers import torch themselves)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    first, labels, again = out.stdout.strip().splitlines()[-3:]
    assert network in first and "train /" in first
    assert "torch imported in" in labels
    assert "Network:" not in again  # torch is imported now: later runs go straight to training
