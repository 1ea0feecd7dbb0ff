"""The classifier's MLP written out by hand in numpy (float64): forward, backward, batch norm, dropout.

This is the textbook network the torch engine builds with ``torch.nn``: per hidden layer
Linear -> [BatchNorm] -> activation -> [Dropout], then one Linear to a logit, trained on the
mean binary cross-entropy (with logits) plus ``l1 * sum |W|`` over the Linear weights.
Its gradients equal torch autograd's to 1e-10 in float64 (tests/experiments/classifier/test_classifier.py), with
batch norm in train mode (batch statistics) and dropout either off or fed the same masks.
Batch norm keeps running statistics like torch (momentum 0.1, unbiased running variance).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
LEAKY_SLOPE = 0.01


def activate(name: str, a: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * a))
    return np.where(a > 0, a, LEAKY_SLOPE * a)


def activate_grad(name: str, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """d activation / d a, given the pre-activation `a` and the activation `h`."""
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    return np.where(a > 0, 1.0, LEAKY_SLOPE)


def bce_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of logits z against labels y, computed stably."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def scores(model: NumpyMLP, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Eval-mode binary cross-entropy and accuracy (threshold 0.5) of `model` on (X, y)."""
    z = model.logits(X)
    return bce_with_logits(z, y), float(np.mean((z > 0) == (y > 0.5)))


class NumpyMLP:
    """Parameters in a dict: W{i}, b{i} per Linear layer, gamma{i}, beta{i} per batch norm."""

    def __init__(self, sizes: list[int], activation: str, batch_norm: bool, dropout: float, rng: np.random.Generator) -> None:
        self.sizes, self.activation, self.batch_norm, self.dropout = sizes, activation, batch_norm, dropout
        self.rng = rng
        self.params: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            bound = 1.0 / np.sqrt(fan_in)
            self.params[f"W{i}"] = rng.uniform(-bound, bound, (fan_in, fan_out))
            self.params[f"b{i}"] = rng.uniform(-bound, bound, fan_out)
            if batch_norm and i < self.n_hidden:
                self.params[f"gamma{i}"] = np.ones(fan_out)
                self.params[f"beta{i}"] = np.zeros(fan_out)
                self.buffers[f"mean{i}"] = np.zeros(fan_out)
                self.buffers[f"var{i}"] = np.ones(fan_out)

    @property
    def n_hidden(self) -> int:
        return len(self.sizes) - 2

    def forward(self, X: np.ndarray, train: bool, masks: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[dict]]:
        """Logits (N,) and the per-layer cache the backward pass needs.

        In train mode, batch norm uses the batch's statistics (and updates the running ones)
        and dropout draws masks from the model's rng unless `masks` (scaled keep masks,
        one per hidden layer) are given.
        """
        p = self.params
        h = X
        caches = []
        for i in range(self.n_hidden):
            cache: dict[str, Any] = {"x": h}
            a = h @ p[f"W{i}"] + p[f"b{i}"]
            if self.batch_norm:
                if train:
                    mu, var = a.mean(axis=0), a.var(axis=0)
                    n = a.shape[0]
                    self.buffers[f"mean{i}"] = (1 - BN_MOMENTUM) * self.buffers[f"mean{i}"] + BN_MOMENTUM * mu
                    unbiased = var * n / (n - 1) if n > 1 else var
                    self.buffers[f"var{i}"] = (1 - BN_MOMENTUM) * self.buffers[f"var{i}"] + BN_MOMENTUM * unbiased
                else:
                    mu, var = self.buffers[f"mean{i}"], self.buffers[f"var{i}"]
                inv_std = 1.0 / np.sqrt(var + BN_EPS)
                xhat = (a - mu) * inv_std
                cache.update(xhat=xhat, inv_std=inv_std)
                a = p[f"gamma{i}"] * xhat + p[f"beta{i}"]
            out = activate(self.activation, a)
            cache.update(a=a, h=out)
            if train and (self.dropout > 0 or masks is not None):
                if masks is not None:
                    mask = masks[i]
                else:
                    keep = 1.0 - self.dropout
                    mask = (self.rng.random(out.shape) < keep) / keep
                cache["mask"] = mask
                out = out * mask
            caches.append(cache)
            h = out
        last = self.n_hidden
        caches.append({"x": h})
        z = h @ p[f"W{last}"] + p[f"b{last}"]
        return z[:, 0], caches

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray, l1: float = 0.0, masks: list[np.ndarray] | None = None,
                       train: bool = True) -> tuple[float, dict[str, np.ndarray]]:
        """The loss (BCE + L1) on a batch and its gradient for every param.

        In train mode batch norm uses (and updates) the batch statistics; in eval mode it uses
        the running ones, so each sample's gradient no longer depends on the rest of the batch.
        """
        p = self.params
        z, caches = self.forward(X, train=train, masks=masks)
        n = X.shape[0]
        loss = bce_with_logits(z, y)
        grads: dict[str, np.ndarray] = {}
        sig = 0.5 * (1.0 + np.tanh(0.5 * z))
        dz = ((sig - y) / n)[:, None]
        last = self.n_hidden
        grads[f"W{last}"] = caches[last]["x"].T @ dz
        grads[f"b{last}"] = dz.sum(axis=0)
        dh = dz @ p[f"W{last}"].T
        for i in reversed(range(self.n_hidden)):
            c = caches[i]
            if "mask" in c:
                dh = dh * c["mask"]
            da = dh * activate_grad(self.activation, c["a"], c["h"])
            if self.batch_norm:
                xhat = c["xhat"]
                grads[f"gamma{i}"] = (da * xhat).sum(axis=0)
                grads[f"beta{i}"] = da.sum(axis=0)
                dxhat = da * p[f"gamma{i}"]
                if train:
                    m = da.shape[0]
                    da = c["inv_std"] / m * (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
                else:
                    da = dxhat * c["inv_std"]
            grads[f"W{i}"] = c["x"].T @ da
            grads[f"b{i}"] = da.sum(axis=0)
            dh = da @ p[f"W{i}"].T
        if l1:
            for i in range(last + 1):
                w = p[f"W{i}"]
                loss += l1 * float(np.abs(w).sum())
                grads[f"W{i}"] = grads[f"W{i}"] + l1 * np.sign(w)
        return loss, grads

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Eval-mode logits: running batch-norm statistics, no dropout."""
        return self.forward(X, train=False)[0]

    def state(self) -> dict[str, dict[str, np.ndarray]]:
        return {"params": copy.deepcopy(self.params), "buffers": copy.deepcopy(self.buffers)}

    def load_state(self, state: dict[str, dict[str, np.ndarray]]) -> None:
        self.params = copy.deepcopy(state["params"])
        self.buffers = copy.deepcopy(state["buffers"])
