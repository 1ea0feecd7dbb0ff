"""The breast-cancer data the classifier lab trains on (split by `lab.epochs`) and its test metrics."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from lab.epochs import Split, stratified_split


@functools.lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, 1.0 - y


@functools.lru_cache(maxsize=16)
def split_data(seed: int, standardize: bool) -> Split:
    """Float64 splits by `seed` (labels 1 for malignant); standardised with the training split's statistics."""
    X, y = _raw()
    return stratified_split(X, y, seed, standardize)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def report_test(y_true: np.ndarray, logits: np.ndarray) -> dict[str, Any]:
    """Test metrics from sklearn.metrics on the predicted probabilities (threshold 0.5 for labels)."""
    from sklearn import metrics

    with np.errstate(all="ignore"):
        score = sigmoid(np.asarray(logits, dtype=np.float64))
    bad = int((~np.isfinite(score)).sum())
    score = np.nan_to_num(score, nan=0.5)
    pred = (score > 0.5).astype(float)
    fpr, tpr, _ = metrics.roc_curve(y_true, score)
    precision, recall, _ = metrics.precision_recall_curve(y_true, score)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, pred)),
        "roc_auc": float(metrics.roc_auc_score(y_true, score)),
        "average_precision": float(metrics.average_precision_score(y_true, score)),
        "log_loss": float(metrics.log_loss(y_true, np.clip(score, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "y_true": y_true.astype(int).tolist(),
        "y_score": score.tolist(),
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "pr": {"precision": precision.tolist(), "recall": recall.tolist()},
        "confusion": metrics.confusion_matrix(y_true, pred, labels=[0, 1]).tolist(),
        "non_finite_scores": bad,
    }
