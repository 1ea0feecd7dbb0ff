"""The 8x8 digits that ship with scikit-learn, split by seed (`lab.epochs`) for the CNN lab."""

from __future__ import annotations

import functools

from lab.epochs import Split, stratified_split


@functools.lru_cache(maxsize=16)
def split_digits(seed: int) -> Split:
    """Images (N, 8, 8) scaled to [0, 1] and integer labels, split 60/20/20 by `seed`."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return stratified_split((X / 16.0).reshape(-1, 8, 8), y, seed)
