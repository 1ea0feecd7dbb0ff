"""The Playground's numpy network against torch autograd (float64), and its backprop walk against finite differences.

Hypothesis draws small networks over the declared choices: depth, widths, an activation per layer,
batch norm (train mode: batch statistics), a fixed dropout mask, L1 and L2, classification or regression.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.experiments.playground import backprop
from lab.experiments.playground.network import ACTIVATIONS, BN_EPS, LEAKY_SLOPE, Network

TORCH_ACTIVATIONS = {"relu": torch.relu, "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, LEAKY_SLOPE),
                     "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda a: a}


def torch_loss(net: Network, X, y, l1, l2, masks):
    """The same loss written with torch ops on leaf tensors copied from the network's parameters."""
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.params.items()}
    h = torch.tensor(X)
    for i in range(net.depth):
        z = h @ params[f"W{i}"] + params[f"b{i}"]
        if net.batch_norm:
            z = torch.nn.functional.batch_norm(z, None, None, params[f"gamma{i}"], params[f"beta{i}"], training=True, eps=BN_EPS)
        h = TORCH_ACTIVATIONS[net.activations[i]](z)
        if masks is not None:
            h = h * torch.tensor(masks[i])
    out = (h @ params[f"W{net.depth}"] + params[f"b{net.depth}"])[:, 0]
    target = torch.tensor(y)
    if net.task == "classification":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, target)
    else:
        loss = torch.nn.functional.mse_loss(out, target)
    for i in range(net.depth + 1):
        w = params[f"W{i}"]
        loss = loss + l1 * w.abs().sum() + 0.5 * l2 * (w * w).sum()
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in params.items()}


@st.composite
def cases(draw):
    depth = draw(st.integers(0, 3))
    widths = draw(st.lists(st.integers(1, 5), min_size=depth, max_size=depth))
    activations = tuple(draw(st.lists(st.sampled_from(ACTIVATIONS), min_size=depth, max_size=depth)))
    batch_norm = draw(st.booleans()) and depth > 0
    n = draw(st.integers(3 if batch_norm else 1, 12))
    inputs = draw(st.integers(1, 4))
    task = draw(st.sampled_from(["classification", "regression"]))
    seed = draw(st.integers(0, 2**16))
    dropout = draw(st.booleans()) and depth > 0
    l1, l2 = draw(st.sampled_from([0.0, 0.01])), draw(st.sampled_from([0.0, 0.1]))
    return depth, widths, activations, batch_norm, n, inputs, task, seed, dropout, l1, l2


@given(cases())
@settings(max_examples=60, deadline=None)
def test_gradients_equal_torch_autograd(case):
    depth, widths, activations, batch_norm, n, inputs, task, seed, dropout, l1, l2 = case
    rng = np.random.default_rng(seed)
    net = Network([inputs, *widths, 1], activations, batch_norm, task, rng)
    if batch_norm:  # gamma and beta away from their initial 1 and 0, so their gradients are tested in general
        for i in range(depth):
            net.params[f"gamma{i}"][...] = rng.uniform(0.5, 1.5, widths[i])
            net.params[f"beta{i}"][...] = rng.normal(0, 0.5, widths[i])
    X = rng.normal(0, 2, (n, inputs))
    y = (rng.random(n) < 0.5).astype(float) if task == "classification" else rng.normal(0, 1, n)
    masks = [(rng.random((n, w)) < 0.7) / 0.7 for w in widths] if dropout else None
    loss, grad, _ = net.loss_and_grad(X, y, l1, l2, masks)
    expected_loss, expected = torch_loss(net, X, y, l1, l2, masks)
    assert loss == pytest.approx(expected_loss, abs=1e-10, rel=1e-10)
    for name, g in Network.views(grad, net.shapes).items():
        np.testing.assert_allclose(g, expected[name], rtol=1e-10, atol=1e-10, err_msg=name)


def test_forward_leaves_running_statistics_alone_and_update_follows_torch():
    rng = np.random.default_rng(0)
    net = Network([2, 3, 1], ("tanh",), True, "classification", rng)
    X = rng.normal(0, 1, (6, 2))
    before = {k: v.copy() for k, v in net.running.items()}
    _, caches = net.forward(X, train=True)
    assert all(np.array_equal(before[k], net.running[k]) for k in before)
    net.update_running(caches)
    layer = torch.nn.BatchNorm1d(3, eps=BN_EPS, dtype=torch.float64)
    layer.train()
    layer(torch.tensor(X @ net.params["W0"] + net.params["b0"]))
    np.testing.assert_allclose(net.running["mean0"], layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(net.running["var0"], layer.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_walk_gradients_equal_finite_differences_and_the_update_is_gradient_descent(activation):
    rng = np.random.default_rng(1)
    net = Network([3, 4, 2, 1], (activation, "tanh"), False, "classification", rng)
    X, y = rng.normal(0, 1, (2, 3)), np.array([1.0, 0.0])
    flat = net.flat.copy()
    walk = backprop.walk(net, X, y, lr=0.1, l1=0.001, l2=0.01)
    assert np.array_equal(net.flat, flat)  # the walk changes nothing
    assert len(walk.weights) == net.flat.size
    for row in walk.weights:
        assert row["grad"] == pytest.approx(row["finite_difference"], abs=1e-7), row
        assert row["new_w"] == pytest.approx(row["w"] - 0.1 * row["grad"], abs=1e-15)
    assert [r["layer"] for r in walk.neurons] == [1] * 4 + [2] * 2 + [3]
    assert walk.loss_after < walk.loss  # a small step down the gradient lowers the loss
    # each neuron's delta is dJ/dz summed over the batch: for the output it is sum(sigmoid(z) - y) / n
    out = net.forward(X, train=False)[0]
    assert walk.neurons[-1]["delta"] == pytest.approx(float(np.sum(1 / (1 + np.exp(-out)) - y) / 2), rel=1e-12)


def test_a_pickled_network_keeps_its_parameters_in_the_flat_vector():
    """A run trained in a worker process comes back pickled: the walk perturbs `flat` and must move the weights."""
    import pickle

    net = pickle.loads(pickle.dumps(Network([2, 4, 1], ("tanh",), False, "classification", np.random.default_rng(0))))
    net.flat[0] += 1.0
    assert net.params["W0"].flat[0] == net.flat[0]
    assert np.shares_memory(net.params["W0"], net.flat) and np.shares_memory(net._grads["W0"], net.grad)
