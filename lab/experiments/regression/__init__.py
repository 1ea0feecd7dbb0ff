"""Regression lab: linear regression trained by gradient descent, against its closed form.

The package's face: the public names of `experiment`, so ``from lab.experiments.regression import ...`` keeps working."""

from lab.experiments.regression.experiment import (  # noqa: F401
    DATASETS,
    METRICS,
    PRESETS,
    RegressionConfig,
    RegressionExperiment,
    load_data,
    mse_gradient,
    with_bias_column,
)
