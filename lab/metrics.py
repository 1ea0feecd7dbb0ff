"""Metric names: each run records prefixed keys (``train/loss``, ``val/accuracy``, ``episode/return``).

Whether lower or higher is better follows from the name, and only this module says which:
early stopping's mode, the registry's monitors and the sweeps' default direction all read `mode_of`.
"""

from __future__ import annotations

#: Words that mark a metric where higher is better ("val/accuracy", "episode/return", "episode/success"),
#: and those of Keras' built-in metrics whose declared direction is "up" (precision, f1_score, r2_score,
#: binary_io_u, ...), so that Keras' mode="auto" and `mode_of` agree on every built-in metric.
HIGHER_IS_BETTER = ("accuracy", "return", "success", "auc", "precision", "recall", "f1", "fbeta", "r2",
                    "correlation", "similarity", "iou", "io_u")


def mode_of(metric: str) -> str:
    """'max' when higher is better for `metric` (an accuracy, a return, a success rate, an AUC, ...), else 'min'.

    The last part of the name decides: losses, errors, gaps, norms, inertia and shifts are 'min'.
    """
    name = metric.rsplit("/", 1)[-1].lower()
    return "max" if any(word in name for word in HIGHER_IS_BETTER) else "min"
