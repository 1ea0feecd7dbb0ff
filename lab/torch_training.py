"""The one torch epoch loop the classifier and CNN labs share, with snapshot/restore of the weights.

A `TorchTrainer` holds a lab's three splits as tensors, its ``torch.nn`` model and its
``torch.optim`` optimizer, and one seeded ``torch.Generator`` (initial weights, shuffles,
dropout masks, augmentation): the global RNG is never touched, so the same config gives
the same history, bit for bit. No DataLoader: each epoch the training tensors are
reshuffled and sliced into mini-batches (see STREAMLIT_NOTES.md, "Speed on small CPUs"). The
model's parameters and gradients are views of one flat buffer, so that one optimizer call steps
the whole network while autograd still computes every layer's gradient (`flat`).

Each epoch yields one Step with, in this order: ``train/loss``, ``val/loss``,
``train/accuracy``, ``val/accuracy`` (eval mode, whole splits, after the epoch's updates),
``lr`` (the epoch's, from the config's schedule; a plateau schedule watches ``val/loss``),
then ``grad/norm`` when `grad_norm` is set and ``batch/loss_last`` when `keep_batch_losses`
is; every value capped to a finite one (`lab.epochs.finite_metrics`).

A lab subclasses it and says what differs: how arrays become tensors, the model, the loss
and what counts as correct; optionally a penalty added to every batch loss, an augmentation
of the shuffled training inputs, what happens between a batch's backward pass and its step
(`after_backward`: the Sequences lab clips there), and whether a trailing batch of one sample is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from lab.epochs import Split, batches, finite_metrics
from lab.records import Step
from lab.torch_utils import flatten_parameters, make_optimizer, set_lr, threads

EVALUATED = ("train/loss", "val/loss", "train/accuracy", "val/accuracy")


class TorchTrainer:
    """Base of the torch engines: the epoch loop, the evaluation, snapshot/restore and the final figures."""

    #: Also report the norm of the full training-set gradient (eval mode, penalty included) as ``grad/norm``.
    grad_norm: bool = False
    #: Keep every batch's training loss (`batch_epochs`, `batch_losses`) and report the epoch's last as ``batch/loss_last``.
    keep_batch_losses: bool = False
    #: Add `penalty()` to every batch loss.
    penalised: bool = False
    #: Drop a trailing batch of one sample (`lab.epochs.batches`).
    drop_single: bool = False
    #: Parameters and gradients as views of one flat buffer, stepped by one optimizer call
    #: (`lab.torch_utils.flatten_parameters`); False keeps torch's one tensor per layer (same weights, slower).
    flat: bool = True

    def __init__(self, config: Any, data: Split, build: Callable[[torch.Generator], torch.nn.Module]) -> None:
        """`config` gives seed, threads, optimizer and its settings (`optimizer_hyper()`), schedule, batch_size and epochs; `build` makes
        the model from the run's generator (after the tensors are made, before the optimizer)."""
        self.config, self.data = config, data
        self.generator = torch.Generator().manual_seed(config.seed)
        self.X_train, self.y_train = self.inputs(data.X_train), self.labels(data.y_train)
        self.X_val, self.y_val = self.inputs(data.X_val), self.labels(data.y_val)
        self.X_test, self.y_test = self.inputs(data.X_test), self.labels(data.y_test)
        with threads(config.threads):
            self.model = build(self.generator)
            self.stepped = [flatten_parameters(self.model)] if self.flat else list(self.model.parameters())
            self.optimizer = make_optimizer(config.optimizer, self.stepped, **config.optimizer_hyper())
        self.batch_epochs: list[float] = []
        self.batch_losses: list[float] = []

    # What a lab says: tensors, logits, loss, correctness; optionally a penalty and an augmentation.

    def inputs(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(X), dtype=torch.float32)

    def labels(self, y: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        return self.model(X)

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The mean data loss of logits `z` against labels `y`."""
        raise NotImplementedError

    def correct(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per sample, whether the prediction from `z` is the label."""
        raise NotImplementedError

    def penalty(self) -> torch.Tensor | float:
        """Added to every batch loss when `penalised`, and to the loss whose gradient `grad/norm` measures."""
        return 0.0

    def augment(self, X: torch.Tensor) -> torch.Tensor:
        """The epoch's shuffled training inputs as the model trains on them."""
        return X

    def after_backward(self) -> None:
        """Between a batch's backward pass and its optimizer step: the gradients are there (to measure, to clip)."""

    # The shared loop.

    def evaluate(self, params: list[torch.nn.Parameter]) -> list[float]:
        """Eval-mode values of `EVALUATED` (then the gradient norm under `grad_norm`), in one .tolist()."""
        model = self.model
        model.eval()
        with torch.inference_mode(not self.grad_norm):
            z_train = self.logits(self.X_train)
            train_loss = self.loss(z_train, self.y_train)
            norm = [self._gradient_norm(train_loss, params)] if self.grad_norm else []
        with torch.inference_mode():
            z_train = z_train.detach()
            z_val = self.logits(self.X_val)
            values = torch.stack([
                train_loss.detach(), self.loss(z_val, self.y_val),
                self.correct(z_train, self.y_train).float().mean(), self.correct(z_val, self.y_val).float().mean(),
                *norm,
            ])
        model.train()
        return values.tolist()

    def _gradient_norm(self, train_loss: torch.Tensor, params: list[torch.nn.Parameter]) -> torch.Tensor:
        grads = torch.autograd.grad(train_loss + self.penalty(), params)
        return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))

    def steps(self) -> Iterator[Step]:
        c = self.config
        model, optimizer, generator = self.model, self.optimizer, self.generator
        params = list(model.parameters())
        penalised, keep = self.penalised, self.keep_batch_losses
        policy = c.schedule.policy(c.lr, c.epochs)
        n = len(self.y_train)
        spans = batches(n, c.batch_size, self.drop_single)
        with threads(c.threads):
            model.train()
            for epoch in range(c.epochs):
                lr = policy.lr(epoch)
                set_lr(optimizer, lr)
                order = torch.randperm(n, generator=generator)
                X, y = self.augment(self.X_train[order]), self.y_train[order]
                losses = []
                for start, stop in spans:
                    loss = self.loss(self.logits(X[start:stop]), y[start:stop])
                    if penalised:
                        loss = loss + self.penalty()
                    self._zero_grad()
                    loss.backward()
                    self.after_backward()
                    optimizer.step()
                    if keep:
                        losses.append(loss.detach())
                values = self.evaluate(params)
                metrics = dict(zip(EVALUATED, values))
                metrics["lr"] = float(lr)
                if self.grad_norm:
                    metrics["grad/norm"] = values[len(EVALUATED)]
                if keep:
                    metrics["batch/loss_last"] = self._record_batch_losses(epoch, losses)
                policy.observe(metrics["val/loss"])
                yield Step(epoch, finite_metrics(metrics))

    def _zero_grad(self) -> None:
        if self.flat:
            self.stepped[0].grad.zero_()
        else:
            for p in self.stepped:
                p.grad = None

    def _record_batch_losses(self, epoch: int, losses: list[torch.Tensor]) -> float:
        """Record the epoch's batch losses (batch i of B at epoch + (i + 1) / B); the last one."""
        values = torch.stack(losses).tolist()
        self.batch_epochs += [epoch + (i + 1) / len(values) for i in range(len(values))]
        self.batch_losses += values
        return values[-1]

    def snapshot(self) -> dict[str, torch.Tensor]:
        """A deep copy of the model's state_dict (weights and buffers such as batch-norm statistics)."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, snap: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(snap)

    def final(self) -> tuple[dict[str, Any], torch.Tensor]:
        """After the run (and any restore): the artifacts every torch lab reports, and the test logits."""
        model = self.model
        model.eval()
        with threads(self.config.threads), torch.inference_mode():
            z_val = self.logits(self.X_val)
            val = {"loss": self.loss(z_val, self.y_val).item(), "accuracy": self.correct(z_val, self.y_val).float().mean().item()}
            z_test = self.logits(self.X_test)
        split = {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}
        return {"val": val, "model": str(model), "split": split}, z_test
