"""Shared torch helpers: threads restored, optimizer names, seeded init and dropout."""

from __future__ import annotations

import math

import pytest
import torch

from lab import optim
from lab.optim import MINIBATCH
from lab.torch_utils import SeededDropout, make_optimizer, seeded_init, set_lr, threads


def test_threads_restores_the_previous_count_even_on_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before


def test_optimizer_names_follow_lab_optim():
    params = [torch.nn.Parameter(torch.zeros(2))]
    momentum = make_optimizer("momentum", params, 0.1)
    assert momentum.defaults["momentum"] == 0.9 and not momentum.defaults["nesterov"]
    assert make_optimizer("nesterov", params, 0.1).defaults["nesterov"]
    assert make_optimizer("adamw", params, 0.1).defaults["weight_decay"] == optim.AdamW.DEFAULTS["weight_decay"] == 0.01
    assert make_optimizer("adamw", params, 0.1, weight_decay=0.0).defaults["weight_decay"] == 0.0
    assert make_optimizer("lion", params, 0.1, betas=(0.95, 0.98)).defaults["betas"] == (0.95, 0.98)
    rmsprop = make_optimizer("rmsprop", params, 0.1, centered=True, momentum=0.5).defaults
    assert rmsprop["centered"] and rmsprop["momentum"] == 0.5
    assert {type(make_optimizer(n, params, 0.1)).__name__ for n in MINIBATCH} == {"SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Lion"}
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("lbfgs", params, 0.1)
    opt = make_optimizer("adam", params, 0.1)
    set_lr(opt, 0.25)
    assert [g["lr"] for g in opt.param_groups] == [0.25]


def test_seeded_init_matches_torchs_default_bounds_and_is_reproducible():
    layer = torch.nn.Linear(400, 300)
    seeded_init(layer, torch.Generator().manual_seed(0))
    bound = 1 / math.sqrt(400)
    assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.99 * bound
    assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    other = torch.nn.Linear(400, 300)
    seeded_init(other, torch.Generator().manual_seed(0))
    assert torch.equal(layer.weight, other.weight) and torch.equal(layer.bias, other.bias)


def test_seeded_dropout_keeps_the_mean_and_is_off_in_eval():
    drop = SeededDropout(0.25, torch.Generator().manual_seed(0))
    x = torch.ones(200_000)
    out = drop(x)
    assert (out == 0).float().mean().item() == pytest.approx(0.25, abs=0.01)
    assert out.unique().tolist() == pytest.approx([0.0, 1 / 0.75])
    assert out.mean().item() == pytest.approx(1.0, abs=0.01)
    drop.eval()
    assert torch.equal(drop(x), x)
