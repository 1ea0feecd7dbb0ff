"""Classifier lab: an MLP on scikit-learn's breast-cancer data, trained epoch by epoch.

The package's face: the public names of `data` and `experiment`, so ``from lab.experiments.classifier import ...`` keeps working."""

from lab.experiments.classifier.data import (  # noqa: F401
    Split,
    report_test,
    sigmoid,
    split_data,
)
from lab.experiments.classifier.experiment import (  # noqa: F401
    ACTIVATIONS,
    DEFAULT_VIEW,
    DIVERGE_ABOVE,
    ENGINES,
    MAX_LAYERS,
    MONITORS,
    OPTIMIZERS,
    PRESETS,
    ClassifierConfig,
    NumpyClassifier,
)
