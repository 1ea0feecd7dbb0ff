"""Once-per-process speed-ups a server (or a benchmark) applies: compiled kernels warmed in the
background, and the collector's long-lived objects frozen after the heavy imports.

Both are about the process, not a visitor: they hold no per-user state.
"""

from __future__ import annotations

import gc
import sys
import threading
import time

_lock = threading.Lock()
_frozen_at = 0  # len(sys.modules) at the last freeze
_warm: dict[str, float] = {}  # kernel -> seconds its compile (or cache load) took
_warmer: threading.Thread | None = None


def freeze_imports() -> bool:
    """Move every object alive now into the collector's permanent generation, if modules were
    imported since the last call; whether it froze.

    torch, scikit-learn and streamlit leave ~282k long-lived objects; each full collection
    walks them all, which made the optimizer race (a tight pure-Python loop that allocates)
    2-3x slower. Freezing right after an import batch stops that; objects frozen are never
    collected, so only the imports' own objects (a bounded set, a few times per process) are
    frozen, not the visitors' ones.
    """
    global _frozen_at
    with _lock:
        if len(sys.modules) == _frozen_at:
            return False
        gc.collect()
        gc.freeze()
        _frozen_at = len(sys.modules)
        return True


def _qlearning() -> float:
    from lab.experiments.qlearning import compiled

    return compiled.warm_up()


def _kmeans() -> float:
    import numpy as np

    from lab.experiments.kmeans import lloyd

    if lloyd.compiled_pass() is None:
        return 0.0
    start = time.perf_counter()
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    lloyd.Lloyd(X, X[:2].copy(), compiled=True).iterate()
    return time.perf_counter() - start


#: The numba kernels the pages run, each warmed by one call on tiny inputs of a real run's types.
KERNELS = {"qlearning": _qlearning, "kmeans": _kmeans}


def _warm_all() -> None:
    for name, warm in KERNELS.items():
        try:
            _warm[name] = warm()
        except Exception:  # a failed warm-up only means the first visitor compiles, as without it
            _warm[name] = float("nan")


def warm_kernels() -> threading.Thread:
    """Start (once per process) a daemon thread that compiles or loads every numba kernel.

    The thread never touches streamlit; a page that needs a kernel before it is ready waits on
    numba's own compile lock rather than compiling twice. Returns the thread (join it to wait).
    """
    global _warmer
    with _lock:
        if _warmer is None:
            _warmer = threading.Thread(target=_warm_all, name="numba-warm-up", daemon=True)
            _warmer.start()
        return _warmer


def warmed() -> dict[str, float]:
    """Seconds each kernel's warm-up took, for those done."""
    return dict(_warm)
