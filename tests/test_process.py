"""Once-per-process speed-ups: the collector frozen after imports, the numba kernels warmed in the background."""

import gc
import importlib
import json
import math
import subprocess
import sys
from pathlib import Path

from lab import process

ROOT = Path(__file__).resolve().parents[1]


def test_freeze_happens_after_new_imports_only(tmp_path, monkeypatch):
    (tmp_path / "freshly_imported.py").write_text("TABLE = [[] for _ in range(1000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        process.freeze_imports()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert not process.freeze_imports()  # nothing imported since: nothing frozen again
        importlib.import_module("freshly_imported")
        assert process.freeze_imports()
        assert gc.get_freeze_count() >= frozen + 1000
    finally:
        sys.modules.pop("freshly_imported", None)
        gc.unfreeze()


def test_warm_up_compiles_every_kernel_once_in_one_background_thread():
    thread = process.warm_kernels()
    assert process.warm_kernels() is thread and thread.daemon
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert set(process.warmed()) == set(process.KERNELS)
    assert all(math.isfinite(s) for s in process.warmed().values())
    from lab.experiments.qlearning import compiled

    assert compiled.warm_up() < 0.05  # compiled already


def test_home_page_starts_the_warm_up_and_imports_numba_not_torch():
    code = (
        "import json, sys; from streamlit.testing.v1 import AppTest; from lab import process; "
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run(); "
        "assert not at.exception; process.warm_kernels().join(300); "
        "print(json.dumps([sorted(process.warmed()), 'torch' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=400)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [sorted(process.KERNELS), False]
