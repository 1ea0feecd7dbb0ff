"""How fast each page draws in AppTest: the default view, a redraw after one widget change, and on
the pages that train live, the time from the change to the first point on the board.

Targets (issue 15): default view <= 1.0 s, slider redraw <= 0.3 s, first live point after a change
<= 0.3 s on Classifier and CNN. Medians of several runs, each in a fresh AppTest (a fresh session:
nothing kept from the previous run), after one warm-up run per page and the numba kernels warmed,
as a running server has them. The browser's own figures (key press to done) are in
benchmarks/browser.py.

    python benchmarks/pages.py [page-name-substring ...]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import process  # noqa: E402
from lab.ui import live  # noqa: E402

REPEATS = 5

#: page file -> (widget kind, key, new value) for the redraw measurement.
CHANGES = {
    "app.py": ("select_slider", "home.lr", 0.5),
    "pages/1_Optimizers.py": ("slider", "opt.steps", 800),
    "pages/2_Schedules.py": ("slider", "sch.noise", 2.0),
    "pages/3_Early_stopping.py": ("slider", "es.stopping.patience", 3),
    "pages/4_Regression.py": ("slider", "reg.epochs", 60),
    "pages/5_Classifier.py": ("slider", "clf.epochs", 40),
    "pages/6_CNN.py": ("slider", "cnn.epochs", 5),
    "pages/7_K-means.py": ("slider", "km.k", 5),
    "pages/8_Q-learning.py": ("slider", "ql.episodes", 1500),
    "pages/9_Runs.py": ("text_input", "runs.tag", "baseline"),
    "pages/10_Sweeps.py": ("slider", "sw.trials", 10),
}

#: When the page's live runner first drew (partial or final), since the script run began.
_first_draw: list[float] = []


def _record_first_draw(live_runs):
    def wrapped(key, configs, draw, **kwargs):
        def recording(results, final):
            if not _first_draw:
                _first_draw.append(time.perf_counter())
            return draw(results, final)

        return live_runs(key, configs, recording, **kwargs)

    return wrapped


def measure(path: str, change: tuple[str, str, object]) -> tuple[float, float, float | None]:
    """(default view, redraw after the change, first live draw after the change or None) in seconds."""
    kind, key, value = change
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if path != "app.py":
        at.switch_page(path)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    widget = getattr(at, kind)(key=key)
    _first_draw.clear()
    start = time.perf_counter()
    widget.set_value(value).run()
    redraw = time.perf_counter() - start
    assert not at.exception, at.exception
    return first, redraw, (_first_draw[0] - start if _first_draw else None)


def main(filters: list[str]) -> None:
    os.environ.setdefault("CONVERGENCE_LAB_DB", str(Path(tempfile.mkdtemp()) / "runs.db"))
    live.live_runs = _record_first_draw(live.live_runs)
    process.warm_kernels().join()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores); medians of {REPEATS}")
    print(f"{'page':28s} {'default view (s)':>17s} {'redraw (s)':>11s} {'first live point (s)':>21s}   targets: <= 1.0, <= 0.3, <= 0.3")
    for path, change in CHANGES.items():
        if not (ROOT / path).exists() or (filters and not any(f.lower() in path.lower() for f in filters)):
            continue
        measure(path, change)  # warm imports and caches of the process, as a running server has them
        firsts, redraws, lives = zip(*(measure(path, change) for _ in range(REPEATS)))
        drawn = [t for t in lives if t is not None]
        first_live = f"{statistics.median(drawn):21.3f}" if drawn else f"{'-':>21s}"
        print(f"{path:28s} {statistics.median(firsts):17.3f} {statistics.median(redraws):11.3f} {first_live}")


if __name__ == "__main__":
    main(sys.argv[1:])
