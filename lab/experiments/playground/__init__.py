"""Playground lab: a small network on 2-D data, its surface, every neuron and backpropagation step by step.

The package's face: ``from lab.experiments.playground import PlaygroundConfig, PRESETS, ...``."""

from lab.experiments.playground.data import CLASSIFICATION, DATASETS, REGRESSION  # noqa: F401
from lab.experiments.playground.experiment import (  # noqa: F401
    DEFAULT_VIEW,
    EXTENT,
    MAX_LAYERS,
    MAX_NEURONS,
    MONITORS,
    NEURON_GRID,
    OPTIMIZERS,
    OUTPUT_GRID,
    PRESETS,
    Film,
    Frame,
    PlaygroundConfig,
    PlaygroundExperiment,
)
from lab.experiments.playground.features import FEATURES, FeatureConfig  # noqa: F401
from lab.experiments.playground.network import ACTIVATIONS  # noqa: F401
