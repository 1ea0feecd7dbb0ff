"""The Optimizers and Schedules labs: one optimizer descending a 2-D surface.

The package's face: the public names of `experiment`, so ``from lab.experiments.descent import ...`` keeps working."""

from lab.experiments.descent.experiment import (  # noqa: F401
    COORDINATE_LIMIT,
    OPTIMIZER_PRESETS,
    PRESETS,
    SCHEDULE_PRESETS,
    Descent,
    DescentConfig,
    Runaway,
    default_hyper,
    race,
)
