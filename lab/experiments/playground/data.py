"""The Playground's 2-D data: five classification sets, two regression surfaces and a user's CSV.

Every set lives in the Playground's square, coordinates in about [-5, 5] (`RADIUS`), and comes
from a seeded generator: scikit-learn's ``make_circles``, ``make_moons`` and ``make_blobs`` where
they exist, the XOR quadrants and the two-arm spiral written out as TensorFlow Playground draws
them. `noise` is the standard deviation of a Gaussian jitter as a fraction of the radius (for
scikit-learn's generators, their own ``noise`` on their unit scale). Class labels are 0 and 1
(the Playground's orange and blue); a regression set's target is a smooth surface in [-1, 1].
The split into train and test is seeded and stratified for classification.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RADIUS = 5.0
CLASSIFICATION = ("circle", "xor", "gaussians", "spiral", "moons")
REGRESSION = ("plane", "bumps")
DATASETS = (*CLASSIFICATION, *REGRESSION, "csv")
#: An uploaded CSV needs at least this many complete rows (a train and a test point of each class).
MIN_ROWS = 8


@dataclass(frozen=True)
class Points:
    """A split 2-D data set: coordinates (N, 2) and targets (N,) for train and test; `task` says what y is."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str  # "classification" (y in {0, 1}) or "regression"


def generate(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points of the named set (not split): coordinates in the Playground's square and targets."""
    from sklearn import datasets

    rng = np.random.default_rng(seed)
    state = int(rng.integers(2**31 - 1))
    if name == "circle":
        X, y = datasets.make_circles(n, noise=noise, factor=0.5, random_state=state)
        return X * RADIUS, 1.0 - y  # the inner disc is blue (1), as in the Playground
    if name == "moons":
        X, y = datasets.make_moons(n, noise=noise, random_state=state)
        return (X - [0.5, 0.25]) * (RADIUS / 1.6), y.astype(float)
    if name == "gaussians":
        centres = np.array([[2.0, 2.0], [-2.0, -2.0]])
        X, y = datasets.make_blobs(n, centers=centres, cluster_std=1.0 + 4 * noise, random_state=state)
        return X, (y == 0).astype(float)
    if name == "xor":
        X = rng.uniform(-RADIUS, RADIUS, (n, 2))
        X += np.sign(X) * 0.3  # the Playground's padding keeps points off the axes
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
        return X + rng.normal(0, noise * RADIUS, X.shape), y
    if name == "spiral":
        i = np.arange(n) // 2
        arm = np.arange(n) % 2
        r = i / (n / 2) * RADIUS
        t = 1.75 * i / (n / 2) * 2 * np.pi + np.pi * arm
        X = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.normal(0, noise * RADIUS, (n, 2))
        return X, 1.0 - arm
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    y = surface(name, X) + rng.normal(0, noise, n)
    return X, y


def surface(name: str, X: np.ndarray) -> np.ndarray:
    """A regression set's target at the points X: a tilted plane or two Gaussian bumps of opposite sign."""
    if name == "plane":
        return (X[:, 0] + X[:, 1]) / (2 * RADIUS)
    bump = lambda cx, cy: np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / 8)  # noqa: E731
    return bump(2, 2) - bump(-2, -2)


def split(X: np.ndarray, y: np.ndarray, test_ratio: float, seed: int, task: str) -> Points:
    """Seeded train/test split (stratified for classification), read-only arrays."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_ratio, random_state=seed, stratify=y if task == "classification" else None)
    arrays = [np.ascontiguousarray(a, dtype=float) for a in (X_train, y_train, X_test, y_test)]
    for a in arrays:
        a.flags.writeable = False
    return Points(*arrays, task)


def from_csv(source, label: str = "") -> tuple[np.ndarray, np.ndarray, str]:
    """Coordinates, targets and task from a CSV: two numeric coordinate columns and a label column.

    The label column is `label` (empty: the last numeric column); the first two other numeric
    columns are x1 and x2, each scaled to [-5, 5]. A label of exactly two values is a class (the
    smaller is 0); any other label is a regression target, scaled to [-1, 1]. Raises ValueError
    with a one-line message when the file does not fit.
    """
    from lab.uploads import read_numeric_csv, short_name

    frame, _ = read_numeric_csv(source, min_rows=MIN_ROWS)
    columns = list(frame.columns)
    if label and label not in columns:
        raise ValueError(f"label={short_name(label)!r} is not a numeric column of the file; it has {', '.join(map(short_name, columns))}")
    target = label or columns[-1]
    coordinates = [c for c in columns if c != target][:2]
    if len(coordinates) < 2:
        raise ValueError(f"the file has {len(columns)} numeric column(s); the Playground needs two coordinates and a label column")
    X = frame[coordinates].to_numpy(float)
    span = X.max(axis=0) - X.min(axis=0)
    X = (X - X.min(axis=0)) / np.where(span > 0, span, 1.0) * 2 * RADIUS - RADIUS
    y = frame[target].to_numpy(float)
    classes = np.unique(y)
    if len(classes) == 2:
        counts = [(y == c).sum() for c in classes]
        if min(counts) < 2:
            raise ValueError(f"the label column {short_name(target)!r} has a class with one row; each class needs at least 2")
        return X, (y == classes[1]).astype(float), "classification"
    if len(classes) < 2:
        raise ValueError(f"the label column {short_name(target)!r} holds one value; give two classes or a numeric target")
    return X, (y - y.min()) / (y.max() - y.min()) * 2 - 1, "regression"


def load(dataset: str, points: int, noise: float, test_ratio: float, seed: int, upload=None, label: str = "") -> Points:
    """The split data a config names; `upload` is the CSV for dataset 'csv'."""
    if dataset == "csv":
        if upload is None:
            raise ValueError("dataset='csv' needs the uploaded file: pass it as lab.run(config, data=...)")
        X, y, task = from_csv(upload, label)
    else:
        X, y = generate(dataset, points, noise, seed)
        task = "regression" if dataset in REGRESSION else "classification"
    return split(X, y, test_ratio, seed, task)
