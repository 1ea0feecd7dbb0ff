"""The measured rate of a run: the slope of log(gap) over its recent window, and what it says.

A run converges *linearly* when its gap to the optimum shrinks by a fixed factor ρ per step,
gap_t ≈ C ρᵗ: log(gap) is then a straight line of slope log ρ, and it takes -1/log₁₀ρ steps to
gain a decimal digit. `measure` fits that line by least squares over the recent window of the
run, on the running maximum of log(gap) over a short span (so an oscillating gap, as the heavy
ball's rotating error gives, is fitted by its envelope, which decays at the same rate). The
fit counts as linear when the slopes of the window's two halves agree; otherwise the run is not
linear yet (or any more) and `measure` gives None. Zeros (a step that lands exactly on the
minimum) and non-finite values are left out; a run whose gap stopped falling while noisy sits
at a floor, which `explain` says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The recent window the slope is fitted over: the last WINDOW_SHARE of the run, at least MIN_POINTS.
WINDOW_SHARE = 0.5
MIN_POINTS = 8
MAX_WINDOW = 400
#: The two halves' slopes must agree to this share of the slope (and the rate be away from 1 by AGREEMENT_FLOOR).
AGREEMENT = 0.2
AGREEMENT_FLOOR = 1e-4
#: A measured rate within this share of theory "matches" it.
MATCH = 0.02


@dataclass(frozen=True)
class Rate:
    """A fitted linear rate: the gap is multiplied by `rho` each step over steps `start`..`end`."""

    rho: float
    start: int
    end: int

    @property
    def steps_per_decade(self) -> float:
        """Steps to shrink (or, past 1, grow) the gap tenfold."""
        return math.inf if self.rho == 1 else abs(1.0 / math.log10(self.rho))

    def words(self, unit: str = "step") -> str:
        """"contracting by ρ = 0.93 per step, 32 steps per decade"."""
        verb = "contracting" if self.rho < 1 else "growing"
        per = f"{self.steps_per_decade:.3g} {unit}s per decade" if math.isfinite(self.steps_per_decade) else "not moving"
        return f"{verb} by ρ = {self.rho:.4g} per {unit}, {per}"


def _slope(t: np.ndarray, v: np.ndarray) -> float:
    t = t - t.mean()
    return float((t * (v - v.mean())).sum() / (t * t).sum())


def measure(steps: Sequence[float], gaps: Sequence[float], window: int | None = None) -> Rate | None:
    """The linear rate of `gaps` over the recent window, or None when the run is not linear there."""
    t = np.asarray(steps, dtype=float)
    g = np.asarray(gaps, dtype=float)
    keep = np.isfinite(g) & (g > 0)
    if keep.sum() < MIN_POINTS:
        return None
    # the window is the recent part of the run before any exact zero (a step onto the minimum ends the line)
    last = int(np.flatnonzero(keep)[-1]) + 1
    if not keep[:last].all():
        first = int(np.flatnonzero(~keep[:last])[-1]) + 1
        t, g = t[first:last], g[first:last]
    else:
        t, g = t[:last], g[:last]
    n = window or min(MAX_WINDOW, max(MIN_POINTS, int(len(g) * WINDOW_SHARE)))
    if len(g) < max(n, MIN_POINTS):
        return None
    t, v = t[-n:], np.log(g[-n:])
    span = max(1, n // 8)
    envelope = np.array([v[max(0, i - span + 1): i + 1].max() for i in range(n)])[span - 1:]
    te = t[span - 1:]
    if len(te) < MIN_POINTS:
        return None
    slope = _slope(te, envelope)
    half = len(te) // 2
    first_half, second_half = _slope(te[:half], envelope[:half]), _slope(te[half:], envelope[half:])
    if abs(first_half - second_half) > AGREEMENT * abs(slope) + AGREEMENT_FLOOR:
        return None
    if abs(slope) < AGREEMENT_FLOOR:
        return None
    return Rate(math.exp(slope), int(t[0]), int(t[-1]))


def floor(gaps: Sequence[float]) -> bool:
    """True when the recent gap has stopped falling but jitters: a noise floor, not a slow line."""
    g = np.asarray(gaps, dtype=float)
    g = g[np.isfinite(g) & (g > 0)]
    if len(g) < 4 * MIN_POINTS:
        return False
    recent = np.log(g[-len(g) // 4:])
    earlier = np.log(g[-len(g) // 2: -len(g) // 4])
    wiggle = np.abs(np.diff(recent)).mean()
    return bool(abs(recent.mean() - earlier.mean()) < 2 * wiggle and wiggle > 0.05)


@dataclass(frozen=True)
class Theory:
    """What theory says of the run: its rate (None where no closed form is known), the stability
    edge of the lr, what the rate rests on (in words), whether it is exact (a quadratic) and the
    curvatures it was computed from."""

    rho: float | None
    edge: float | None = None
    basis: str = ""
    exact: bool = True
    curvatures: tuple[float, ...] = ()


def verdict(measured: Rate | None, theory: Theory | None, *, floored: bool = False, scheduled: bool = False,
            unit: str = "step", unfitted: str = "") -> str:
    """One sentence: the measured rate beside theory's, and the likely why of a difference.

    `unfitted` is the lab's own reason when no rate is fitted (Lloyd's iterations end in finitely many
    steps; sampled Q updates move in jumps), instead of the general "not linear yet"."""
    if measured is None:
        if theory is not None and theory.rho == 0:
            return "Theory's ρ = 0: one step lands exactly on the minimum, so there is no rate to fit."
        if theory is not None and theory.rho is not None and abs(theory.rho - 1) < 1e-12:
            return "Neither contracting nor growing: theory's ρ = 1 (on the stability edge), so the gap stays put."
        note = f" {theory.basis[0].upper()}{theory.basis[1:]}." if theory is not None and theory.rho is None and theory.basis else ""
        if floored:
            return "Not linear: the gap stopped falling and jitters at a noise floor (noisy gradients keep it there)." + note
        if unfitted:
            return unfitted + note
        return f"Not linear yet: log(gap) is not a straight line over the recent {unit}s, so no rate is fitted." + note
    text = measured.words(unit).capitalize() + "."
    if theory is None or theory.rho is None:
        return text + (f" {theory.basis[0].upper()}{theory.basis[1:]}." if theory and theory.basis else "")
    ratio = math.log(measured.rho) / math.log(theory.rho) if 0 < theory.rho != 1 else math.nan
    text += f" Theory: ρ = {theory.rho:.4g} ({theory.basis})."
    if abs(measured.rho - theory.rho) <= MATCH * max(theory.rho, 1e-12):
        return text + " The run matches it."
    slower = measured.rho > theory.rho
    why = []
    if scheduled:
        why.append("a schedule changes the lr as it goes")
    if floored:
        why.append("gradient noise holds the gap at a floor")
    if not theory.exact:
        why.append("the surface is not a quadratic, so its curvature changes along the path")
    if not why and slower and theory.rho > 0.9:
        why.append("the problem is ill-conditioned and the slowest direction has not taken over yet")
    if not why and not slower:
        why.append("little of the error lies along the slowest direction (theory is the worst case over the directions)")
    if not why:
        why.append("the run has not yet settled into its slowest direction")
    pace = "slower" if slower else "faster"
    if math.isfinite(ratio) and ratio > 0:
        pace += f" ({1 / ratio:.2g}x the steps per decade)" if slower else f" ({ratio:.2g}x the digits per step)"
    return text + f" The run is {pace} than theory: likely {', '.join(why)}."
