"""How fast each page draws: the default view in AppTest, and a redraw after one slider change.

Targets (issue 2): default view < 1.5 s, slider redraw < 0.5 s. Medians of several runs, each
in a fresh AppTest (a fresh session: nothing kept from the previous run).

    python benchmarks/pages.py [page-name-substring ...]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5

#: page file -> (widget kind, key, new value) for the redraw measurement.
CHANGES = {
    "app.py": ("select_slider", "home.lr", 0.5),
    "pages/1_Optimizers.py": ("slider", "opt.steps", 800),
    "pages/2_Schedules.py": ("slider", "sch.noise", 2.0),
    "pages/3_Early_stopping.py": ("slider", "es.rule.patience", 3),
    "pages/4_Regression.py": ("slider", "reg.epochs", 60),
    "pages/5_Classifier.py": ("slider", "clf.epochs", 40),
    "pages/6_CNN.py": ("slider", "cnn.epochs", 5),
    "pages/7_K-means.py": ("slider", "km.k", 5),
    "pages/8_Q-learning.py": ("slider", "ql.episodes", 1500),
}


def measure(path: str, change: tuple[str, str, object]) -> tuple[float, float]:
    kind, key, value = change
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if path != "app.py":
        at.switch_page(path)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    assert not at.exception, at.exception
    widget = getattr(at, kind)(key=key)
    start = time.perf_counter()
    widget.set_value(value).run()
    redraw = time.perf_counter() - start
    assert not at.exception, at.exception
    return first, redraw


def main(filters: list[str]) -> None:
    print(f"{'page':34s} {'default view (s)':>17s} {'slider redraw (s)':>18s}   targets: < 1.5 s, < 0.5 s")
    for path, change in CHANGES.items():
        if not (ROOT / path).exists() or (filters and not any(f.lower() in path.lower() for f in filters)):
            continue
        measure(path, change)  # warm imports and caches of the process, as a running server has them
        firsts, redraws = zip(*(measure(path, change) for _ in range(REPEATS)))
        print(f"{path:34s} {statistics.median(firsts):17.3f} {statistics.median(redraws):18.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
