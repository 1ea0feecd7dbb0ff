"""The classifier lab's "torch" engine: a ``torch.nn`` MLP trained with ``torch.optim``.

Kept apart from the config so that building or validating a ClassifierConfig does not import
torch. The epoch loop, the evaluation and snapshot/restore are `lab.torch_training`'s; this
module says what is the classifier's: the network, one logit per sample, binary cross-entropy,
the L1 penalty and the test figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from lab.epochs import Split
from lab.experiments.classifier.data import report_test
from lab.stopping import Decision
from lab.torch_training import TorchTrainer
from lab.torch_utils import SeededDropout, keep_global_rng, seeded_init

ACTIVATION_MODULES = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "leaky_relu": torch.nn.LeakyReLU}

if TYPE_CHECKING:
    from lab.experiments.classifier.experiment import ClassifierConfig


def build_mlp(n_in: int, hidden: tuple[int, ...], activation: str, batch_norm: bool, dropout: float,
              generator: torch.Generator) -> torch.nn.Sequential:
    """Linear -> [BatchNorm1d] -> activation -> [Dropout] per hidden layer, then Linear to one logit."""
    with keep_global_rng():
        layers: list[torch.nn.Module] = []
        width = n_in
        for units in hidden:
            layers.append(torch.nn.Linear(width, units))
            if batch_norm:
                layers.append(torch.nn.BatchNorm1d(units))
            layers.append(ACTIVATION_MODULES[activation]())
            if dropout > 0:
                layers.append(SeededDropout(dropout, generator))
            width = units
        layers.append(torch.nn.Linear(width, 1))
        model = torch.nn.Sequential(*layers)
        seeded_init(model, generator)
    return model


class TorchClassifier(TorchTrainer):
    grad_norm = True

    def __init__(self, config: ClassifierConfig, data: Split) -> None:
        self.penalised, self.drop_single = config.l1 > 0, config.batch_norm
        super().__init__(config, data, lambda generator: build_mlp(
            data.X_train.shape[1], config.hidden, config.activation, config.batch_norm, config.dropout, generator))
        self.weights = [m.weight for m in self.model.modules() if isinstance(m, torch.nn.Linear)]

    def labels(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(y), dtype=torch.float32)

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        return self.model(X).squeeze(1)

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(z, y)

    def correct(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (z > 0) == (y > 0.5)

    def penalty(self) -> torch.Tensor | float:
        return self.config.l1 * sum(w.abs().sum() for w in self.weights) if self.config.l1 else 0.0

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        common, z_test = self.final()
        return {"test": report_test(self.data.y_test, z_test.double().numpy()), **common}
