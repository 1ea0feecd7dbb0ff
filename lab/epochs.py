"""What the epoch-trained labs share without torch: the seeded split, mini-batch spans, capped metrics.

The classifier (both engines) and the CNN cut their data the same way and report the same
kind of epoch metrics; the numpy engine must not import torch, so these live here rather
than in `lab.torch_training`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: Reported in place of a non-finite or overflowing metric, so a diverged run's last point can be drawn.
METRIC_CAP = 1e12


@dataclass(frozen=True)
class Split:
    """Read-only, C-contiguous arrays of the train, validation and test splits (features, labels)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def stratified_split(X: np.ndarray, y: np.ndarray, seed: int, standardize: bool = False) -> Split:
    """Stratified 60/20/20 train/val/test split by `seed` (scikit-learn's ``train_test_split``).

    With `standardize`, the features are scaled by a StandardScaler fit on the training split only.
    """
    from sklearn.model_selection import train_test_split

    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed)
    if standardize:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)
    arrays = [np.ascontiguousarray(a) for a in (X_train, y_train, X_val, y_val, X_test, y_test)]
    for a in arrays:
        a.flags.writeable = False
    return Split(*arrays)


def batches(n: int, batch_size: int, drop_single: bool = False) -> list[tuple[int, int]]:
    """(start, stop) of each mini-batch over `n` samples; with `drop_single`, a last batch of one
    sample is dropped (batch norm over features has no variance in it)."""
    spans = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if drop_single and len(spans) > 1 and spans[-1][1] - spans[-1][0] == 1:
        spans.pop()
    return spans


def finite_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """Metrics with every NaN, infinity or value beyond `METRIC_CAP` replaced by the cap.

    A diverged run's loss overflows to inf or NaN; the Divergence rule stops the run at that
    epoch either way, and the capped value keeps the history's last point drawable.
    """
    return {k: (v if math.isfinite(v) and abs(v) <= METRIC_CAP else METRIC_CAP) for k, v in metrics.items()}
