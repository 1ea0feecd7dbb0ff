"""Early-stopping lab: a train/validation loss pair, synthetic or uploaded, for a stop rule to judge.

The package's face: the public names of `experiment`, so ``from lab.experiments.curve import ...`` keeps working."""

from lab.experiments.curve.experiment import (  # noqa: F401
    DEFAULT_STOPPING,
    FLOOR,
    HEIGHT,
    MAX_EPOCHS,
    MONITORS,
    PRESETS,
    CurveConfig,
    CurveExperiment,
    curve_from_csv,
    curve_from_data,
    synthetic_curves,
)
