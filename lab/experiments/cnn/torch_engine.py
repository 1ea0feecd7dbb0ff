"""The CNN lab's training: ``torch.nn`` conv blocks on the 8x8 digits, in `lab.torch_training`'s epoch loop.

This module says what is the CNN's: the network, ten logits per image, cross-entropy, the
one-pixel shift augmentation, every batch's loss kept, and the test figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from lab.epochs import Split
from lab.stopping import Decision
from lab.torch_training import TorchTrainer
from lab.torch_utils import SeededDropout, keep_global_rng, seeded_init

MAX_MISCLASSIFIED = 32

if TYPE_CHECKING:
    from lab.experiments.cnn.experiment import CNNConfig


def build_cnn(channels: tuple[int, int], kernel_size: int, batch_norm: bool, dropout: float,
              generator: torch.Generator) -> torch.nn.Sequential:
    """Two [Conv -> BatchNorm? -> ReLU -> MaxPool 2] blocks (8x8 -> 2x2), dropout, Linear to 10."""
    with keep_global_rng():
        layers: list[torch.nn.Module] = []
        width = 1
        for c in channels:
            layers.append(torch.nn.Conv2d(width, c, kernel_size, padding=kernel_size // 2))
            if batch_norm:
                layers.append(torch.nn.BatchNorm2d(c))
            layers += [torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
            width = c
        layers.append(torch.nn.Flatten())
        if dropout > 0:
            layers.append(SeededDropout(dropout, generator))
        layers.append(torch.nn.Linear(width * 4, 10))
        model = torch.nn.Sequential(*layers)
        seeded_init(model, generator)
    return model


def shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each image (N, 1, 8, 8) moved by -1, 0 or +1 pixel along each axis, zeros filling in."""
    n = images.shape[0]
    padded = F.pad(images, (1, 1, 1, 1))
    offsets = torch.randint(0, 3, (n,), generator=generator) * 3 + torch.randint(0, 3, (n,), generator=generator)
    out = torch.empty_like(images)
    for k in range(9):
        rows = offsets == k
        dy, dx = divmod(k, 3)
        out[rows] = padded[rows, :, dy:dy + 8, dx:dx + 8]
    return out


class TorchCNN(TorchTrainer):
    keep_batch_losses = True

    def __init__(self, config: CNNConfig, data: Split) -> None:
        super().__init__(config, data, lambda generator: build_cnn(
            config.channels, config.kernel_size, config.batch_norm, config.dropout, generator))

    def inputs(self, X: np.ndarray) -> torch.Tensor:
        return super().inputs(X).unsqueeze(1)

    def labels(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(y), dtype=torch.long)

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(z, y)

    def correct(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return z.argmax(1) == y

    def augment(self, X: torch.Tensor) -> torch.Tensor:
        return shift(X, self.generator) if self.config.augment else X

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        from sklearn import metrics

        common, z_test = self.final()
        pred, y = z_test.argmax(1).numpy(), self.data.y_test
        confusion = metrics.confusion_matrix(y, pred, labels=list(range(10)))
        per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
        wrong = np.flatnonzero(pred != y)[:MAX_MISCLASSIFIED]
        return {
            "test": {
                "accuracy": float(metrics.accuracy_score(y, pred)),
                "confusion": confusion.tolist(),
                "per_class_accuracy": per_class.tolist(),
                "misclassified": [
                    {"image": self.data.X_test[i].tolist(), "true": int(y[i]), "pred": int(pred[i])} for i in wrong
                ],
            },
            "batch_loss": {"epoch": list(self.batch_epochs), "loss": list(self.batch_losses)},
            **common,
        }
