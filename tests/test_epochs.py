"""The torch-free helpers of the epoch-trained labs: the seeded stratified split, batch spans, capped metrics."""

from __future__ import annotations

import numpy as np
import pytest

from lab.epochs import METRIC_CAP, batches, finite_metrics, stratified_split


def test_finite_metrics_caps_what_cannot_be_drawn():
    capped = finite_metrics({"a": float("nan"), "b": float("inf"), "c": 1e300, "d": 0.5, "e": -1e13})
    assert capped == {"a": METRIC_CAP, "b": METRIC_CAP, "c": METRIC_CAP, "d": 0.5, "e": METRIC_CAP}


@pytest.mark.parametrize(("n", "size", "drop_single", "expected"), [
    (10, 3, False, [(0, 3), (3, 6), (6, 9), (9, 10)]),
    (10, 3, True, [(0, 3), (3, 6), (6, 9)]),
    (10, 4, True, [(0, 4), (4, 8), (8, 10)]),
    (1, 4, True, [(0, 1)]),
    (5, 10, False, [(0, 5)]),
])
def test_batches_cover_the_samples_in_order(n, size, drop_single, expected):
    assert batches(n, size, drop_single) == expected


def _data(n: int = 100):
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = (np.arange(n) % 4 == 0).astype(np.int64)  # a quarter positives
    return X, y


def test_split_is_stratified_60_20_20_disjoint_and_read_only():
    X, y = _data()
    s = stratified_split(X, y, seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (60, 20, 20)
    rows = np.concatenate([s.X_train[:, 0], s.X_val[:, 0], s.X_test[:, 0]])
    assert sorted(rows) == list(X[:, 0])
    assert (s.y_train.sum(), s.y_val.sum(), s.y_test.sum()) == (15, 5, 5)
    for part in (s.X_train, s.y_train, s.X_val, s.y_val, s.X_test, s.y_test):
        assert not part.flags.writeable and part.flags.c_contiguous
    np.testing.assert_array_equal(s.y_train, y[(s.X_train[:, 0] / 2).astype(int)])


def test_split_depends_on_the_seed_alone():
    X, y = _data()
    a, b, c = stratified_split(X, y, 0), stratified_split(X, y, 0), stratified_split(X, y, 1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)


def test_standardize_fits_the_scaler_on_the_training_split_only():
    X, y = _data()
    raw, scaled = stratified_split(X, y, 0), stratified_split(X, y, 0, standardize=True)
    np.testing.assert_allclose(scaled.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.X_train.std(axis=0), 1.0)
    mean, std = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
    np.testing.assert_allclose(scaled.X_test, (raw.X_test - mean) / std)
