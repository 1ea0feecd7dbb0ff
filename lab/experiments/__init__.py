"""One module per lab, each a config dataclass and the experiment it runs.

`LABS` maps a lab's short name to its config class, imported only when asked for, so
listing the labs does not import torch or gymnasium.
"""

from __future__ import annotations

import importlib
from typing import Any

LABS: dict[str, str] = {
    "descent": "lab.experiments.descent:DescentConfig",
    "curve": "lab.experiments.curve:CurveConfig",
    "regression": "lab.experiments.regression:RegressionConfig",
    "kmeans": "lab.experiments.kmeans:KMeansConfig",
    "classifier": "lab.experiments.classifier:ClassifierConfig",
    "cnn": "lab.experiments.cnn:CNNConfig",
    "qlearning": "lab.experiments.qlearning:QLearningConfig",
}


def config_class(lab: str) -> Any:
    """The config class of a lab, by its short name."""
    if lab not in LABS:
        raise ValueError(f"lab={lab!r} is not known; choose one of {', '.join(sorted(LABS))}")
    module, name = LABS[lab].split(":")
    return getattr(importlib.import_module(module), name)


def config_from_dict(lab: str, data: dict[str, Any]) -> Any:
    """Rebuild a lab's config from `to_dict()` output."""
    return config_class(lab).from_dict(data)
