"""The CNN lab's training: ``torch.nn`` conv blocks, ``torch.optim``, no DataLoader, one seeded generator."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lab.experiments.cnn import CNNConfig, Digits
from lab.records import Step
from lab.stopping import Decision
from lab.torch_utils import (
    SeededDropout,
    clone_state,
    finite_metrics,
    keep_global_rng,
    make_optimizer,
    seeded_init,
    set_lr,
    threads,
)

MAX_MISCLASSIFIED = 32


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


class TorchCNN:
    def __init__(self, config: CNNConfig, data: Digits) -> None:
        self.config, self.data = config, data
        self.generator = torch.Generator().manual_seed(config.seed)
        images = lambda a: torch.as_tensor(np.array(a), dtype=torch.float32).unsqueeze(1)  # noqa: E731
        labels = lambda a: torch.as_tensor(np.array(a), dtype=torch.long)  # noqa: E731
        self.X_train, self.y_train = images(data.X_train), labels(data.y_train)
        self.X_val, self.y_val = images(data.X_val), labels(data.y_val)
        self.X_test, self.y_test = images(data.X_test), labels(data.y_test)
        with threads(config.threads):
            self.model = build_cnn(config.channels, config.kernel_size, config.batch_norm, config.dropout, self.generator)
            self.optimizer = make_optimizer(config.optimizer, self.model.parameters(), config.lr)
        self.batch_epochs: list[float] = []
        self.batch_losses: list[float] = []

    def _evaluate(self) -> list[float]:
        model = self.model
        model.eval()
        with torch.inference_mode():
            z_train, z_val = model(self.X_train), model(self.X_val)
            values = torch.stack([
                F.cross_entropy(z_train, self.y_train), F.cross_entropy(z_val, self.y_val),
                (z_train.argmax(1) == self.y_train).float().mean(), (z_val.argmax(1) == self.y_val).float().mean(),
            ])
        model.train()
        return values.tolist()

    def steps(self):
        c = self.config
        model, optimizer, generator = self.model, self.optimizer, self.generator
        params = list(model.parameters())
        policy = c.schedule.policy(c.lr, c.epochs)
        n = len(self.y_train)
        spans = [(s, min(s + c.batch_size, n)) for s in range(0, n, c.batch_size)]
        with threads(c.threads):
            model.train()
            for epoch in range(c.epochs):
                lr = policy.lr(epoch)
                set_lr(optimizer, lr)
                order = torch.randperm(n, generator=generator)
                X, y = self.X_train[order], self.y_train[order]
                if c.augment:
                    X = shift(X, generator)
                losses = []
                for start, stop in spans:
                    loss = F.cross_entropy(model(X[start:stop]), y[start:stop])
                    for p in params:
                        p.grad = None
                    loss.backward()
                    optimizer.step()
                    losses.append(loss.detach())
                batch_losses = torch.stack(losses).tolist()
                self.batch_epochs += [epoch + (i + 1) / len(spans) for i in range(len(spans))]
                self.batch_losses += batch_losses
                train_loss, val_loss, train_acc, val_acc = self._evaluate()
                metrics = {"train/loss": train_loss, "val/loss": val_loss, "train/accuracy": train_acc,
                           "val/accuracy": val_acc, "lr": float(lr), "batch/loss_last": batch_losses[-1]}
                policy.observe(val_loss)
                yield Step(epoch, finite_metrics(metrics))

    def snapshot(self) -> Any:
        return clone_state(self.model)

    def restore(self, snap: Any) -> None:
        self.model.load_state_dict(snap)

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        from sklearn import metrics

        model = self.model
        model.eval()
        with threads(self.config.threads), torch.inference_mode():
            z_val = model(self.X_val)
            val_loss = F.cross_entropy(z_val, self.y_val).item()
            val_acc = (z_val.argmax(1) == self.y_val).float().mean().item()
            pred = model(self.X_test).argmax(1).numpy()
        y = self.data.y_test
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
            "val": {"loss": val_loss, "accuracy": val_acc},
            "batch_loss": {"epoch": list(self.batch_epochs), "loss": list(self.batch_losses)},
            "model": str(model),
            "split": {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)},
        }
