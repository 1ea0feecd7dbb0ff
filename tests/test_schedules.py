"""Schedules against torch.optim.lr_scheduler and Keras; ReduceLROnPlateau against torch's on fuzzed sequences."""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lab import schedules
from lab.schedules import ReduceLROnPlateau, ScheduleConfig


def _torch_lrs(make_scheduler, lr0, steps):
    """The lr torch uses at steps 0..steps-1 (scheduler.step() after each optimizer step)."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


def _assert_close(ours, theirs, rel=1e-12):
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=rel, abs=1e-15), t


@pytest.mark.parametrize("decay", [0.001, 0.02, 0.3])
def test_exponential_is_torch_exponential_lr(decay):
    f = schedules.exponential(0.5, decay)
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=math.exp(-decay)), 0.5, 200)
    _assert_close([f(t) for t in range(200)], theirs, rel=1e-11)


@pytest.mark.parametrize("factor, every", [(0.5, 10), (0.1, 1), (0.9, 37)])
def test_step_decay_is_torch_step_lr(factor, every):
    f = schedules.step_decay(0.3, factor, every)
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=every, gamma=factor), 0.3, 150)
    _assert_close([f(t) for t in range(150)], theirs)


@pytest.mark.parametrize("total, min_lr", [(50, 0.0), (100, 0.01), (7, 0.05)])
def test_cosine_is_torch_cosine_annealing_within_the_period(total, min_lr):
    f = schedules.cosine(0.2, total, min_lr)
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=min_lr), 0.2, total + 1)
    _assert_close([f(t) for t in range(total + 1)], theirs, rel=1e-9)
    assert f(total + 5) == min_lr


@pytest.mark.parametrize("warmup_steps", [1, 5, 20])
def test_warmup_is_torch_linear_lr_then_the_schedule(warmup_steps):
    lr0, decay = 0.1, 0.05
    f = schedules.warmup(schedules.exponential(lr0, decay), warmup_steps)

    def make(o):
        ramp = torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / warmup_steps, end_factor=1.0, total_iters=max(warmup_steps - 1, 1))
        after = torch.optim.lr_scheduler.ExponentialLR(o, gamma=math.exp(-decay))
        return torch.optim.lr_scheduler.SequentialLR(o, [ramp, after], milestones=[warmup_steps])

    theirs = _torch_lrs(make, lr0, warmup_steps + 60)
    _assert_close([f(t) for t in range(warmup_steps + 60)], theirs, rel=1e-11)
    assert f(0) == pytest.approx(lr0 / warmup_steps)


def test_no_warmup_is_the_schedule_itself():
    base = schedules.exponential(0.1, 0.1)
    assert schedules.warmup(base, 0) is base


@pytest.mark.parametrize("decay", [0.0, 0.01, 0.5])
def test_time_based_is_torch_lambda_lr(decay):
    f = schedules.time_based(0.4, decay)
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda t: 1 / (1 + decay * t)), 0.4, 100)
    _assert_close([f(t) for t in range(100)], theirs)


@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize("decay_steps, rate", [(10, 0.5), (1, 0.9), (33, 0.1)])
def test_exponential_decay_is_keras(decay_steps, rate, staircase):
    os.environ["KERAS_BACKEND"] = "torch"
    import keras

    theirs = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=decay_steps, decay_rate=rate, staircase=staircase)
    f = schedules.exponential_decay(0.1, decay_steps, rate, staircase)
    for t in range(0, 200, 3):
        # Keras computes in float32
        assert f(t) == pytest.approx(float(theirs(t)), rel=1e-5, abs=1e-12), t


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([1.0, 0.5, 0.0, -1.0])), min_size=1, max_size=60),
    mode=st.sampled_from(["min", "max"]),
    threshold_mode=st.sampled_from(["rel", "abs"]),
    factor=st.floats(0.05, 0.95),
    patience=st.integers(0, 5),
    threshold=st.sampled_from([0.0, 1e-4, 0.01, 0.3]),
    cooldown=st.integers(0, 4),
    min_lr=st.sampled_from([0.0, 1e-3, 0.05]),
)
def test_reduce_on_plateau_is_torch(values, mode, threshold_mode, factor, patience, threshold, cooldown, min_lr):
    kwargs = dict(mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
                  cooldown=cooldown, min_lr=min_lr)
    ours = ReduceLROnPlateau(0.1, **kwargs)
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    for value in values:
        opt.step()
        theirs.step(value)
        assert ours.update(value) == opt.param_groups[0]["lr"]
    assert ours.lr == opt.param_groups[0]["lr"]


def test_reduce_on_plateau_records_its_cuts():
    rule = ReduceLROnPlateau(1.0, factor=0.5, patience=2)
    for value in [3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0]:
        rule.update(value)
    # bad steps 3, 4, 5 (>2) -> cut after update 5; then 1.0 improves at 6, bad 7, 8, 9 -> cut after 9
    assert rule.cuts == [5, 9] and rule.lr == 0.25


@pytest.mark.parametrize("name", [n for n in schedules.SCHEDULES if n != "plateau"])
def test_policy_follows_the_schedule_function(name):
    config = ScheduleConfig(name=name, decay=0.05, factor=0.5, every=7, warmup_steps=3, min_lr=0.001)
    policy = config.policy(0.2, 100)
    f = config.function(0.2, 100)
    assert [policy.lr(t) for t in range(120)] == [f(t) for t in range(120)]
    policy.observe(1.0)
    assert policy.cuts == []
    assert policy.lr(0) == pytest.approx(0.2 / 3)


def test_cosine_policy_reaches_min_lr_at_the_end_of_the_run():
    policy = ScheduleConfig(name="cosine", min_lr=0.01).policy(0.1, 50)
    assert policy.lr(0) == 0.1 and policy.lr(50) == pytest.approx(0.01)


def test_plateau_policy_cuts_on_observed_metrics():
    policy = ScheduleConfig(name="plateau", factor=0.5, patience=1).policy(0.2, 100)
    for value in [1.0, 1.0, 1.0]:
        assert policy.lr(0) == 0.2
        policy.observe(value)
    assert policy.lr(3) == 0.1 and policy.cuts == [3]
    policy.observe(float("nan"))  # non-finite metrics are ignored
    assert policy.plateau.updates == 3


def test_schedule_config_round_trip_and_validation():
    config = ScheduleConfig(name="exponential_decay", factor=0.3, every=12, staircase=True, warmup_steps=4)
    assert ScheduleConfig.from_dict(config.to_dict()) == config
    for field, value in [("name", "linear"), ("factor", 1.0), ("every", 0), ("staircase", 1), ("patience", -1), ("decay", -0.1)]:
        with pytest.raises(ValueError, match=field):
            ScheduleConfig(**{field: value})
