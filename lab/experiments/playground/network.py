"""The Playground's network written out in numpy (float64) as the lesson: forward, loss, backward.

Per hidden layer i: ``z = x W_i + b_i`` -> [batch norm: ``a = gamma_i (z - mu) / sqrt(var + eps) + beta_i``,
else ``a = z``] -> ``h = f_i(a)`` (relu, leaky relu, tanh, sigmoid or linear, chosen per layer) ->
[dropout: ``h * mask``, the scaled keep mask passed in]. Then one linear output unit: a logit for
classification (loss: mean binary cross-entropy with logits) or a value for regression (loss: mean
squared error). The penalty ``l1 sum |W| + l2/2 sum W^2`` covers the weights, not the biases.

The parameters live in one flat vector (`flat`), the named arrays ``W{i}``, ``b{i}``, ``gamma{i}``,
``beta{i}`` are views into it, so one optimizer from `lab.optim` updates them all in one step and
the gradient comes back as one flat vector too. `forward` is pure: batch norm's running statistics
(torch's momentum 0.1, unbiased variance) change only in `update_running`, so finite differences of
the loss are differences of the same function. Held to torch autograd to 1e-10 in
tests/experiments/playground/test_network.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
LEAKY_SLOPE = 0.01
BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def activate(name: str, a: np.ndarray) -> np.ndarray:
    """f(a) for one of `ACTIVATIONS`."""
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "leaky_relu":
        return np.where(a > 0, a, LEAKY_SLOPE * a)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * a))
    return a


def slope(name: str, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f'(a), given the pre-activation `a` and the activation ``h = f(a)``."""
    if name == "relu":
        return (a > 0).astype(float)
    if name == "leaky_relu":
        return np.where(a > 0, 1.0, LEAKY_SLOPE)
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    return np.ones_like(a)


def data_loss(task: str, out: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of logits (classification) or mean squared error (regression)."""
    if task == "classification":
        return float(np.mean(np.logaddexp(0.0, out) - y * out))
    return float(np.mean((out - y) ** 2))


def output_grad(task: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d loss / d out for each sample: (sigmoid(out) - y) / n, or 2 (out - y) / n."""
    if task == "classification":
        return (0.5 * (1.0 + np.tanh(0.5 * out)) - y) / len(y)
    return 2.0 * (out - y) / len(y)


class Network:
    """An MLP of `sizes` (inputs, hidden widths..., 1), one activation per hidden layer."""

    def __init__(self, sizes: list[int], activations: tuple[str, ...], batch_norm: bool, task: str,
                 rng: np.random.Generator) -> None:
        self.sizes, self.activations, self.batch_norm, self.task = list(sizes), tuple(activations), batch_norm, task
        shapes: dict[str, tuple[int, ...]] = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            shapes[f"W{i}"], shapes[f"b{i}"] = (fan_in, fan_out), (fan_out,)
            if batch_norm and i < self.depth:
                shapes[f"gamma{i}"], shapes[f"beta{i}"] = (fan_out,), (fan_out,)
        self.flat = np.zeros(sum(int(np.prod(s)) for s in shapes.values()))
        self.params = self.views(self.flat, shapes)
        self.shapes = shapes
        self.grad = np.zeros_like(self.flat)  # the buffer `backward` writes into, and its named views
        self._grads = self.views(self.grad, shapes)
        for i, fan_in in enumerate(sizes[:-1]):
            bound = 1.0 / np.sqrt(fan_in)  # torch.nn.Linear's default initialisation
            self.params[f"W{i}"][...] = rng.uniform(-bound, bound, shapes[f"W{i}"])
            self.params[f"b{i}"][...] = rng.uniform(-bound, bound, shapes[f"b{i}"])
            if f"gamma{i}" in self.params:
                self.params[f"gamma{i}"][...] = 1.0
        self.running = {f"{kind}{i}": np.full(sizes[i + 1], float(kind == "var")) for i in range(self.depth) for kind in ("mean", "var")} \
            if batch_norm else {}

    def __getstate__(self) -> dict:
        """Pickled without the views: a pickle copies each array apart, so a run sent back from a
        worker process would come with parameters no longer in the flat vector."""
        return {k: v for k, v in self.__dict__.items() if k not in ("params", "_grads")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.params, self._grads = self.views(self.flat, self.shapes), self.views(self.grad, self.shapes)

    @staticmethod
    def views(flat: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
        """Named arrays that are views into the flat vector `flat`, in the order of `shapes`."""
        out, at = {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape))
            out[name] = flat[at:at + size].reshape(shape)
            at += size
        return out

    @property
    def depth(self) -> int:
        """The number of hidden layers."""
        return len(self.sizes) - 2

    def forward(self, X: np.ndarray, train: bool = True, masks: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[dict]]:
        """The output (N,) and each layer's numbers (the cache the backward pass reads).

        `train` makes batch norm use the batch's statistics (else the running ones); `masks` are
        dropout's scaled keep masks, one (N, width) array per hidden layer, or None for no dropout.
        """
        p, h, caches = self.params, X, []
        for i in range(self.depth):
            cache: dict[str, Any] = {"x": h}
            z = h @ p[f"W{i}"] + p[f"b{i}"]
            a = z
            if self.batch_norm:
                mu, var = (z.mean(axis=0), z.var(axis=0)) if train else (self.running[f"mean{i}"], self.running[f"var{i}"])
                inv_std = 1.0 / np.sqrt(var + BN_EPS)
                xhat = (z - mu) * inv_std
                a = p[f"gamma{i}"] * xhat + p[f"beta{i}"]
                cache.update(mu=mu, var=var, inv_std=inv_std, xhat=xhat, train=train)
            h = activate(self.activations[i], a)
            cache.update(z=z, a=a, h=h)
            if masks is not None:
                cache["mask"] = masks[i]
                h = h * masks[i]
            caches.append(cache)
        last = self.depth
        caches.append({"x": h})
        out = (h @ p[f"W{last}"] + p[f"b{last}"])[:, 0]
        caches[-1].update(z=out, a=out, h=out)
        return out, caches

    def penalty(self, l1: float, l2: float) -> float:
        if not (l1 or l2):
            return 0.0
        weights = [self.params[f"W{i}"] for i in range(self.depth + 1)]
        return float(sum(l1 * np.abs(w).sum() + 0.5 * l2 * (w * w).sum() for w in weights))

    def backward(self, caches: list[dict], out: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The gradient of loss + penalty as one flat vector, and each layer's delta d loss / d z (N, width).

        The vector is the network's `grad` buffer, overwritten by the next call (copy it to keep it).

        The chain rule layer by layer from the output back: ``delta_out = d loss / d out``; for
        a hidden layer, ``dh = delta_next W_next^T`` (times the dropout mask), ``da = dh f'(a)``,
        then through batch norm to ``dz``; ``dW = x^T dz``, ``db = sum dz``.
        """
        p = self.params
        g = self._grads
        last = self.depth
        dz = output_grad(self.task, out, y)[:, None]
        deltas = [dz]
        for i in range(last, -1, -1):
            c = caches[i]
            np.matmul(c["x"].T, dz, out=g[f"W{i}"])
            if l1 or l2:
                g[f"W{i}"] += l1 * np.sign(p[f"W{i}"]) + l2 * p[f"W{i}"]
            g[f"b{i}"][...] = dz.sum(axis=0)
            if i == 0:
                break
            below = caches[i - 1]
            dh = dz @ p[f"W{i}"].T
            if "mask" in below:
                dh = dh * below["mask"]
            da = dh * slope(self.activations[i - 1], below["a"], below["h"])
            dz = self._batch_norm_back(i - 1, below, da, g) if self.batch_norm else da
            deltas.insert(0, dz)
        return self.grad, deltas

    def _batch_norm_back(self, i: int, c: dict, da: np.ndarray, g: dict[str, np.ndarray]) -> np.ndarray:
        """d loss / d z through batch norm: with batch statistics every sample's z moves mu and var."""
        xhat = c["xhat"]
        g[f"gamma{i}"][...] = (da * xhat).sum(axis=0)
        g[f"beta{i}"][...] = da.sum(axis=0)
        dxhat = da * self.params[f"gamma{i}"]
        if not c["train"]:
            return dxhat * c["inv_std"]
        m = da.shape[0]
        return c["inv_std"] / m * (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))

    def gradient(self, X: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0,
                 masks: list[np.ndarray] | None = None, train: bool = True) -> tuple[np.ndarray, list[dict]]:
        """The flat gradient of loss + penalty on a batch (the `grad` buffer) and the forward cache; no loss computed."""
        out, caches = self.forward(X, train, masks)
        return self.backward(caches, out, y, l1, l2)[0], caches

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0,
                      masks: list[np.ndarray] | None = None, train: bool = True) -> tuple[float, np.ndarray, list[dict]]:
        """Loss + penalty on a batch, its flat gradient (a copy) and the forward cache."""
        out, caches = self.forward(X, train, masks)
        grad, _ = self.backward(caches, out, y, l1, l2)
        return data_loss(self.task, out, y) + self.penalty(l1, l2), grad.copy(), caches

    def update_running(self, caches: list[dict]) -> None:
        """Batch norm's running statistics after a training forward pass (torch's momentum and unbiased variance)."""
        for i in range(self.depth if self.batch_norm else 0):
            c = caches[i]
            n = c["z"].shape[0]
            unbiased = c["var"] * n / (n - 1) if n > 1 else c["var"]
            self.running[f"mean{i}"] = (1 - BN_MOMENTUM) * self.running[f"mean{i}"] + BN_MOMENTUM * c["mu"]
            self.running[f"var{i}"] = (1 - BN_MOMENTUM) * self.running[f"var{i}"] + BN_MOMENTUM * unbiased

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Eval-mode predictions: the probability of class 1, or the regression value."""
        out = self.forward(X, train=False)[0]
        return 0.5 * (1.0 + np.tanh(0.5 * out)) if self.task == "classification" else out

    def layer_outputs(self, X: np.ndarray) -> list[np.ndarray]:
        """Every neuron's output in eval mode: the inputs, each hidden layer's activations, the prediction."""
        out, caches = self.forward(X, train=False)
        prediction = 0.5 * (1.0 + np.tanh(0.5 * out)) if self.task == "classification" else out
        return [X, *(c["h"] for c in caches[:-1]), prediction[:, None]]

    def state(self) -> dict[str, np.ndarray]:
        return {"flat": self.flat.copy(), **{k: v.copy() for k, v in self.running.items()}}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.flat[...] = state["flat"]
        self.running = {k: state[k].copy() for k in self.running}
