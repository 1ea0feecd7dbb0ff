"""Phase notes: where a recorded metric oscillates, sits on a plateau, or starts to diverge.

From the values alone (a loss, a gap, a coordinate): the run *oscillates* where its change flips
sign step after step for at least `MIN_RUN` steps; it sits on a *plateau* where it moves by less
than `PLATEAU` of its size per step for at least `MIN_RUN` steps; it *diverges* from the first step
after which it only grows, by at least `GROWTH` per step, to the end (or to a value that is not
finite). Each `Phase` carries its words for the chart's hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_RUN = 6
PLATEAU = 1e-4
GROWTH = 1.05
KINDS = ("oscillating", "plateau", "diverging")


@dataclass(frozen=True)
class Phase:
    kind: str
    start: int
    end: int
    words: str


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True at least MIN_RUN long."""
    out, begin = [], None
    for i, flag in enumerate([*mask.tolist(), False]):
        if flag and begin is None:
            begin = i
        elif not flag and begin is not None:
            if i - begin >= MIN_RUN:
                out.append((begin, i - 1))
            begin = None
    return out


def phases(steps: Sequence[int], values: Sequence[float], metric: str = "the metric") -> list[Phase]:
    """The phases of one recorded series, in order of kind then start."""
    t = np.asarray(steps)
    v = np.asarray(values, dtype=float)
    if len(v) < MIN_RUN + 2:
        return []
    found: list[Phase] = []
    finite = np.isfinite(v)
    d = np.diff(np.where(finite, v, np.nan))
    with np.errstate(invalid="ignore"):
        flips = (d[1:] * d[:-1]) < 0
        for a, b in _runs(flips):
            found.append(Phase("oscillating", int(t[a]), int(t[b + 2]),
                               f"{metric} goes up and down every step from step {t[a]} to {t[b + 2]}: the steps overshoot"))
        flat = np.abs(d) <= PLATEAU * np.maximum(np.abs(v[:-1]), 1e-300)
        for a, b in _runs(flat & np.isfinite(d)):
            found.append(Phase("plateau", int(t[a]), int(t[b + 1]),
                               f"{metric} barely moves from step {t[a]} to {t[b + 1]}: a plateau (or the end of the road)"))
        size = np.abs(v)
        growing = (size[1:] >= GROWTH * size[:-1]) | ~finite[1:]
    tail = 0
    for flag in growing[::-1]:
        if not flag:
            break
        tail += 1
    if tail >= MIN_RUN // 2 and finite[len(v) - 1 - tail]:
        first = len(v) - 1 - tail
        found.append(Phase("diverging", int(t[first]), int(t[-1]),
                           f"{metric} grows by at least {GROWTH:g}x every step from step {t[first]} on: the run diverges"))
    return found
