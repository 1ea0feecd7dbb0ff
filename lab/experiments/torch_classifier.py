"""The classifier lab's "torch" engine: a ``torch.nn`` MLP trained with ``torch.optim``.

Kept apart from the config so that building or validating a ClassifierConfig does not import
torch. Randomness comes from one seeded ``torch.Generator`` (initial weights, shuffles,
dropout masks): the global RNG is never touched, so the same config gives the same history.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lab.experiments.classifier import ClassifierConfig, Split, batches, report_test
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

ACTIVATION_MODULES = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "leaky_relu": torch.nn.LeakyReLU}


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


class TorchClassifier:
    def __init__(self, config: ClassifierConfig, data: Split) -> None:
        self.config, self.data = config, data
        self.generator = torch.Generator().manual_seed(config.seed)
        as_tensor = lambda a: torch.as_tensor(np.array(a), dtype=torch.float32)  # noqa: E731
        self.X_train, self.y_train = as_tensor(data.X_train), as_tensor(data.y_train)
        self.X_val, self.y_val = as_tensor(data.X_val), as_tensor(data.y_val)
        self.X_test = as_tensor(data.X_test)
        with threads(config.threads):
            self.model = build_mlp(self.X_train.shape[1], config.hidden, config.activation, config.batch_norm,
                                   config.dropout, self.generator)
            self.optimizer = make_optimizer(config.optimizer, self.model.parameters(), config.lr, config.weight_decay)
        self.weights = [m.weight for m in self.model.modules() if isinstance(m, torch.nn.Linear)]

    def _penalty(self) -> torch.Tensor | float:
        return self.config.l1 * sum(w.abs().sum() for w in self.weights) if self.config.l1 else 0.0

    def _evaluate(self, params: list[torch.nn.Parameter]) -> list[float]:
        """Eval-mode train/val loss and accuracy and the full-batch gradient norm, in one .tolist()."""
        model = self.model
        model.eval()
        z_train = model(self.X_train).squeeze(1)
        train_loss = F.binary_cross_entropy_with_logits(z_train, self.y_train)
        grads = torch.autograd.grad(train_loss + self._penalty(), params)
        with torch.inference_mode():
            z_val = model(self.X_val).squeeze(1)
            values = torch.stack([
                train_loss.detach(),
                F.binary_cross_entropy_with_logits(z_val, self.y_val),
                ((z_train.detach() > 0) == (self.y_train > 0.5)).float().mean(),
                ((z_val > 0) == (self.y_val > 0.5)).float().mean(),
                torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))),
            ])
        model.train()
        return values.tolist()

    def steps(self):
        c = self.config
        model, optimizer, penalised = self.model, self.optimizer, c.l1 > 0
        params = list(model.parameters())
        policy = c.schedule.policy(c.lr, c.epochs)
        n = len(self.y_train)
        spans = batches(n, c.batch_size, c.batch_norm)
        with threads(c.threads):
            model.train()
            for epoch in range(c.epochs):
                lr = policy.lr(epoch)
                set_lr(optimizer, lr)
                order = torch.randperm(n, generator=self.generator)
                X, y = self.X_train[order], self.y_train[order]
                for start, stop in spans:
                    loss = F.binary_cross_entropy_with_logits(model(X[start:stop]).squeeze(1), y[start:stop])
                    if penalised:
                        loss = loss + self._penalty()
                    for p in params:
                        p.grad = None
                    loss.backward()
                    optimizer.step()
                train_loss, val_loss, train_acc, val_acc, norm = self._evaluate(params)
                metrics = {"train/loss": train_loss, "val/loss": val_loss, "train/accuracy": train_acc,
                           "val/accuracy": val_acc, "lr": float(lr), "grad/norm": norm}
                policy.observe(val_loss)
                yield Step(epoch, finite_metrics(metrics))

    def snapshot(self) -> Any:
        return clone_state(self.model)

    def restore(self, snap: Any) -> None:
        self.model.load_state_dict(snap)

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        model = self.model
        model.eval()
        with threads(self.config.threads), torch.inference_mode():
            z_val = model(self.X_val).squeeze(1)
            val_loss = F.binary_cross_entropy_with_logits(z_val, self.y_val).item()
            val_acc = ((z_val > 0) == (self.y_val > 0.5)).float().mean().item()
            z_test = model(self.X_test).squeeze(1).double().numpy()
        d = self.data
        return {
            "test": report_test(d.y_test, z_test),
            "val": {"loss": val_loss, "accuracy": val_acc},
            "model": str(model),
            "split": {"train": len(d.y_train), "val": len(d.y_val), "test": len(d.y_test)},
        }
