"""The Q-learning lab: tabular Q-learning (or SARSA) on Gymnasium's toy-text environments.

The package's face: the public names of `experiment`, so ``from lab.experiments.qlearning import ...`` keeps working."""

from lab.experiments.qlearning.experiment import (  # noqa: F401
    ACTION_NAMES,
    ALGORITHMS,
    DECAYS,
    ENGINES,
    NUMPY_FROM,
    PER_AGENT,
    PRESETS,
    STOP_RULES,
    QLearningConfig,
    QLearningExperiment,
    replay,
)
