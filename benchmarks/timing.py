"""The one timer every benchmark uses: the median wall time of a call, over repeats, in one process."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeats: int, *, warm: bool = False) -> float:
    """The median of `repeats` timed calls of `fn` (after one untimed call when `warm`)."""
    if warm:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
