"""Sequences lab: sentiment sentences read by a bag of words, a mean of embeddings, an RNN, a GRU or an LSTM."""

from lab.experiments.sequences.experiment import (  # noqa: F401
    DEFAULT_VIEW,
    MODEL_LABELS,
    MODELS,
    OPTIMIZERS,
    PRESETS,
    RECURRENT,
    SequenceConfig,
)
