"""Data for the regression lab: generated, bundled with scikit-learn, or uploaded as a CSV.

Every source gives ``(X, y, feature_names, notes)``; `split_and_scale` then splits it
(seeded) and scales it with a scaler fit on the training split only, so the validation
split never leaks into the scaling.
"""

from __future__ import annotations

from typing import IO, NamedTuple

import numpy as np

from lab.uploads import read_header, read_numeric_csv, short_name, upload_bytes

#: Fewest complete rows an uploaded file must have: a split needs a few rows on each side.
MIN_ROWS = 10

SCALINGS = ("none", "minmax", "standard")


class Split(NamedTuple):
    """Scaled training and validation arrays, C-contiguous float64."""

    X_train: np.ndarray
    X_val: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray


def synthetic(n_samples: int, n_features: int, noise: float, effective_rank: int | None,
              feature_spread: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """`make_regression` data, every feature informative; then feature j is multiplied by
    ``10 ** (feature_spread * (j / (d - 1) - 1/2))``, so the feature scales span
    `feature_spread` decades around 1 (y is unchanged: the true weights shrink instead).
    """
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=n_samples, n_features=n_features, n_informative=n_features, noise=noise,
                           effective_rank=effective_rank, random_state=seed)
    X *= feature_scales(n_features, feature_spread)
    return X, y, [f"x{j}" for j in range(n_features)]


def feature_scales(n_features: int, feature_spread: float) -> np.ndarray:
    """Log-spaced scales from 10^(-spread/2) to 10^(spread/2) (all 1 for a single feature)."""
    if n_features == 1:
        return np.ones(1)
    return 10.0 ** (feature_spread * (np.arange(n_features) / (n_features - 1) - 0.5))


def diabetes() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """scikit-learn's bundled diabetes data, unscaled (age in years, bmi, blood pressure, ...)."""
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    return np.asarray(bunch.data, dtype=float), np.asarray(bunch.target, dtype=float), list(bunch.feature_names)


def regression_data_from_csv(source: bytes | str | IO, target: str = "") -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Features, target, feature names and notes from an uploaded CSV.

    `target` names the column to predict ("" takes the last numeric column). Raises
    ValueError with a message for the user when the file is unusable (see
    `lab.uploads.read_numeric_csv`), the target is not a column (the message lists them),
    the target is text, no feature column is left, or fewer than `MIN_ROWS` rows are complete.
    Rows with a missing value are dropped and counted in the notes.
    """
    raw = upload_bytes(source)
    if not isinstance(target, str):
        raise ValueError(f"target={target!r} is not allowed; give a column name")
    frame, notes = read_numeric_csv(raw, min_rows=MIN_ROWS)
    if not target:
        target = str(frame.columns[-1])
        notes.append(f"target: the last numeric column, {target!r}")
    elif target not in frame.columns:
        header = read_header(raw)
        if target in header:
            raise ValueError(f"the target column {short_name(target)!r} is text, not numbers; choose a numeric column: "
                             f"{', '.join(map(short_name, frame.columns))}")
        raise ValueError(f"the target column {short_name(target)!r} is not in the file; its columns are: {', '.join(map(short_name, header))}")
    features = [c for c in frame.columns if c != target]
    if not features:
        raise ValueError(f"the file has no numeric column besides the target {target!r}; a regression needs at least one feature")
    X = frame[features].to_numpy(dtype=float)
    y = frame[target].to_numpy(dtype=float)
    return X, y, features, notes


def split_and_scale(X: np.ndarray, y: np.ndarray, val_fraction: float, scaling: str, seed: int) -> Split:
    """A seeded train/validation split, features scaled by a scaler fit on the training rows only."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=val_fraction, random_state=seed)
    if scaling != "none":
        scaler = StandardScaler() if scaling == "standard" else MinMaxScaler()
        X_train = scaler.fit_transform(X_train)
        X_val = scaler.transform(X_val)
    c = np.ascontiguousarray
    return Split(c(X_train, dtype=float), c(X_val, dtype=float), c(y_train, dtype=float), c(y_val, dtype=float))
