"""CNN lab: a two-block convolutional network on scikit-learn's 8x8 digits, epoch by epoch.

The package's face: the public names of `data` and `experiment`, so ``from lab.experiments.cnn import ...`` keeps working."""

from lab.experiments.cnn.data import split_digits  # noqa: F401
from lab.experiments.cnn.experiment import (  # noqa: F401
    DIVERGE_ABOVE,
    KERNELS,
    MONITORS,
    OPTIMIZERS,
    PRESETS,
    CNNConfig,
)
