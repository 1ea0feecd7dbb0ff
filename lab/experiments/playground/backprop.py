"""Backpropagation walked phase by phase on the network as it stands, for a training point or a mini-batch.

The phases are those of the course notes: the forward pass (each neuron's pre-activation and
activation), the loss (``J`` = data loss + penalty), the backward pass (each neuron's delta
``dJ/dz`` and each weight's gradient ``dJ/dw``, with beside it the central finite difference
``(J(w + e) - J(w - e)) / 2e``) and the update ``w - alpha dJ/dw`` with the current learning rate
(plain gradient descent: the lesson's formula, whichever optimizer the run uses). The walk runs the
network in eval mode (no dropout, batch norm on its running statistics) so that one point has a
gradient of its own; it changes nothing in the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lab.experiments.playground.network import Network, data_loss

PHASES = ("forward", "loss", "backward", "update")
#: The step of the central finite difference (float64: the estimate agrees to about 1e-8).
EPSILON = 1e-6


@dataclass(frozen=True)
class Walk:
    """Each phase's numbers: one row per neuron and one per weight (plain lists of dicts, for tables)."""

    neurons: list[dict]  # layer, neuron, z (pre-activation), a (activation), z and a as batch means, delta = dJ/dz summed over the batch
    weights: list[dict]  # name, layer, source, target, w, grad, finite_difference, step (alpha grad), new w
    loss: float
    loss_after: float
    prediction: list[float]
    target: list[float]
    lr: float


def _loss(net: Network, X: np.ndarray, y: np.ndarray, l1: float, l2: float) -> float:
    return data_loss(net.task, net.forward(X, train=False)[0], y) + net.penalty(l1, l2)


def _column(values: np.ndarray, j: int) -> np.ndarray:
    """Neuron j's values over the batch (the output layer's arrays are 1-D)."""
    return values[:, j] if values.ndim > 1 else values


def finite_differences(net: Network, X: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0) -> np.ndarray:
    """The central finite-difference estimate of dJ/dw for every parameter (eval mode), as a flat vector."""
    estimate = np.empty_like(net.flat)
    for k in range(net.flat.size):
        kept = net.flat[k]
        net.flat[k] = kept + EPSILON
        up = _loss(net, X, y, l1, l2)
        net.flat[k] = kept - EPSILON
        down = _loss(net, X, y, l1, l2)
        net.flat[k] = kept
        estimate[k] = (up - down) / (2 * EPSILON)
    return estimate


def walk(net: Network, X: np.ndarray, y: np.ndarray, lr: float, l1: float = 0.0, l2: float = 0.0) -> Walk:
    """The four phases for the inputs X (rows of network inputs) and targets y."""
    out, caches = net.forward(X, train=False)
    grad, deltas = net.backward(caches, out, y, l1, l2)
    grad = grad.copy()
    estimate = finite_differences(net, X, y, l1, l2)
    loss = data_loss(net.task, out, y) + net.penalty(l1, l2)
    neurons = [{"layer": layer + 1, "neuron": j + 1, "z": float(np.mean(_column(c["z"], j))), "a": float(np.mean(_column(c["h"], j))),
                "delta": float(deltas[layer][:, j].sum())} for layer, c in enumerate(caches) for j in range(net.sizes[layer + 1])]
    flat_grad = dict(zip(net.shapes, Network.views(grad, net.shapes).values()))
    flat_estimate = dict(zip(net.shapes, Network.views(estimate, net.shapes).values()))
    weights = []
    for name, value in net.params.items():
        layer = int(re.sub(r"\D", "", name))
        for index in np.ndindex(value.shape):
            source, target = (index if name.startswith("W") else (None, index[0]))
            g = float(flat_grad[name][index])
            weights.append({"name": name, "layer": layer + 1, "source": source, "target": target, "w": float(value[index]),
                            "grad": g, "finite_difference": float(flat_estimate[name][index]),
                            "step": lr * g, "new_w": float(value[index]) - lr * g})
    kept = net.flat.copy()
    net.flat[...] = kept - lr * grad
    loss_after = _loss(net, X, y, l1, l2)
    net.flat[...] = kept
    prediction = net.predict(X)
    return Walk(neurons, weights, loss, loss_after, [float(v) for v in prediction], [float(v) for v in y], lr)
