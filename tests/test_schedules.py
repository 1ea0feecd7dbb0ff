"""Schedules against torch.optim.lr_scheduler and Keras; ReduceLROnPlateau against torch's on fuzzed sequences."""

from __future__ import annotations

import math
import os
import warnings

import pytest
import torch
from hypothesis import assume, given, settings
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


def _assert_close(ours, theirs, rel=1e-12, abs=1e-15):
    assert len(ours) == len(theirs)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=rel, abs=abs), t


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
    _assert_close([f(t) for t in range(total + 1)], theirs)


def test_cosine_past_t_max_climbs_back_as_torch_does():
    # issue 13's case: t=6, T_max=5 -> 0.05 * (1 + cos(6 pi / 5)) / 2 = 0.0047746, not min_lr
    f = schedules.cosine(0.05, 5)
    assert f(5) == 0.0 and f(6) == pytest.approx(0.0047746, rel=1e-4) and f(10) == pytest.approx(0.05)
    theirs = _torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5), 0.05, 31)
    _assert_close([f(t) for t in range(31)], theirs)


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
    start = config.replace(warmup_steps=0).function(0.2, 97)(0)  # the schedule's own first lr (lr0 / 25 for onecycle)
    assert policy.lr(0) == pytest.approx(start / 3)
    assert start == pytest.approx(0.2 / 25 if name == "onecycle" else 0.2)


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


# --- every schedule of ScheduleConfig against torch's scheduler, step by step, over 3 x its period ---------------

#: lr0 for the property tests: spread over decades like the lab's lr sliders.
lr0s = st.floats(1e-4, 10.0)
warmups = st.sampled_from([0, 0, 1, 2, 7, 25])


def _torch_scheduler(config: ScheduleConfig, lr0: float, span: int, opt) -> torch.optim.lr_scheduler.LRScheduler:
    """The torch scheduler people would write for `config` (without the warmup)."""
    lrs = torch.optim.lr_scheduler
    c = config
    return {
        "constant": lambda: lrs.LambdaLR(opt, lambda t: 1.0),
        "exponential": lambda: lrs.ExponentialLR(opt, gamma=math.exp(-c.decay)),
        "time_based": lambda: lrs.LambdaLR(opt, lambda t: 1 / (1 + c.decay * t)),
        "step": lambda: lrs.StepLR(opt, step_size=c.every, gamma=c.factor),
        "multistep": lambda: lrs.MultiStepLR(opt, milestones=list(c.milestones), gamma=c.factor),
        "exponential_decay": lambda: (lrs.StepLR(opt, step_size=c.every, gamma=c.factor) if c.staircase
                                      else lrs.LambdaLR(opt, lambda t: c.factor ** (t / c.every))),
        "polynomial": lambda: lrs.PolynomialLR(opt, total_iters=span, power=c.power),
        "cosine": lambda: lrs.CosineAnnealingLR(opt, T_max=span, eta_min=c.min_lr),
        "cosine_restarts": lambda: lrs.CosineAnnealingWarmRestarts(opt, T_0=c.t_0, T_mult=c.t_mult, eta_min=c.min_lr),
        "cyclic": lambda: lrs.CyclicLR(opt, base_lr=lr0, max_lr=c.max_factor * lr0, step_size_up=c.step_size_up,
                                       step_size_down=c.step_size_down, mode=c.mode, gamma=c.gamma, cycle_momentum=False),
        "onecycle": lambda: lrs.OneCycleLR(opt, max_lr=lr0, total_steps=span, pct_start=c.pct_start,
                                           anneal_strategy=c.anneal, div_factor=c.div_factor,
                                           final_div_factor=c.final_div_factor, three_phase=c.three_phase,
                                           cycle_momentum=False),
    }[c.name]()


def _torch_schedule_lrs(config: ScheduleConfig, lr0: float, span: int, steps: int) -> list[float]:
    """torch's lr at steps 0..steps-1 for `config`, its warmup written as torch users write it (SequentialLR)."""
    w = config.warmup_steps
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    if w == 0:
        scheduler = _torch_scheduler(config, lr0, span, opt)
    else:
        ramp = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=max(w - 1, 1))
        scheduler = torch.optim.lr_scheduler.SequentialLR(opt, [ramp, _torch_scheduler(config, lr0, span, opt)],
                                                          milestones=[w])
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return lrs


def _holds_to_torch(config: ScheduleConfig, lr0: float, period: int, span: int | None = None) -> None:
    """The lab's lr equals torch's at every step t in [0, warmup + 3 x period], to 1e-12 relative."""
    steps = config.warmup_steps + 3 * period + 1
    span = span if span is not None else (config.span or steps - config.warmup_steps)
    ours = config.function(lr0, config.warmup_steps + span)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SequentialLR steps its second scheduler with an epoch
        theirs = _torch_schedule_lrs(config, lr0, span, steps)
    _assert_close([ours(t) for t in range(steps)], theirs, abs=0)


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, decay=st.floats(1e-4, 0.5),
       name=st.sampled_from(["constant", "exponential", "time_based"]))
def test_constant_exponential_and_time_based_hold_to_torch(lr0, warmup_steps, decay, name):
    config = ScheduleConfig(name=name, decay=decay, warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=min(300, math.ceil(1 / decay)))


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, factor=st.floats(0.01, 0.99), every=st.integers(1, 200),
       name=st.sampled_from(["step", "exponential_decay"]), staircase=st.booleans())
def test_step_and_keras_decay_hold_to_torch(lr0, warmup_steps, factor, every, name, staircase):
    config = ScheduleConfig(name=name, factor=factor, every=every, staircase=staircase, warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=every)


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, factor=st.floats(0.01, 0.99),
       milestones=st.lists(st.integers(1, 200), min_size=1, max_size=6).map(tuple))
def test_multistep_holds_to_torch_multistep_lr(lr0, warmup_steps, factor, milestones):
    # unsorted and repeated milestones too: torch counts them (a Counter), so does the lab
    config = ScheduleConfig(name="multistep", factor=factor, milestones=milestones, warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=max(milestones))


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, span=st.integers(1, 300), power=st.floats(0.1, 5.0))
def test_polynomial_holds_to_torch_polynomial_lr(lr0, warmup_steps, span, power):
    config = ScheduleConfig(name="polynomial", span=span, power=power, warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=span)


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, span=st.integers(1, 150), min_lr=st.floats(0, 1.0) | st.just(0.0))
def test_cosine_holds_to_torch_cosine_annealing_lr_over_three_waves(lr0, warmup_steps, span, min_lr):
    # torch's CosineAnnealingLR is recursive; past T_max it climbs back to lr0 at 2 T_max, and so on. At each
    # trough it restarts from min_lr + (lr0 - min_lr) * (1 - cos(pi / T_max)) / 2, whose rounding differs from
    # the cosine's by about T_max^2 x 2e-17 relative: within 1e-12 up to T_max = 150
    config = ScheduleConfig(name="cosine", span=span, min_lr=min(min_lr, lr0), warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=2 * span)


@settings(max_examples=15, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, span=st.integers(150, 3000), min_lr=st.floats(0, 1.0) | st.just(0.0))
def test_cosine_holds_to_torch_over_its_half_wave_for_long_runs(lr0, warmup_steps, span, min_lr):
    # what a lab run uses: T_max = the run after warmup (the Schedules page runs up to 3000 steps)
    config = ScheduleConfig(name="cosine", min_lr=min(min_lr, lr0), warmup_steps=warmup_steps)
    steps = warmup_steps + span
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = _torch_schedule_lrs(config, lr0, span, steps + 1)
    ours = config.function(lr0, steps)
    _assert_close([ours(t) for t in range(steps + 1)], theirs, abs=0)


@settings(max_examples=40, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, t_0=st.integers(1, 100), t_mult=st.integers(1, 4), min_lr=st.floats(0, 1.0))
def test_cosine_restarts_holds_to_torch_cosine_annealing_warm_restarts(lr0, warmup_steps, t_0, t_mult, min_lr):
    config = ScheduleConfig(name="cosine_restarts", t_0=t_0, t_mult=t_mult, min_lr=min(min_lr, lr0), warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=t_0 * (1 + t_mult + t_mult**2) // 3 + 1)  # three cycles in all


@settings(max_examples=60, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, max_factor=st.floats(1.0, 100.0) | st.floats(0.01, 1.0),
       up=st.integers(1, 200), down=st.none() | st.integers(1, 200), mode=st.sampled_from(schedules.CYCLIC_MODES),
       gamma=st.floats(0.9, 1.0))
def test_cyclic_holds_to_torch_cyclic_lr(lr0, warmup_steps, max_factor, up, down, mode, gamma):
    config = ScheduleConfig(name="cyclic", max_factor=max_factor, step_size_up=up, step_size_down=down, mode=mode,
                            gamma=gamma, warmup_steps=warmup_steps)
    _holds_to_torch(config, lr0, period=up + (up if down is None else down))


@settings(max_examples=60, deadline=None)
@given(lr0=lr0s, warmup_steps=warmups, span=st.integers(2, 400), pct_start=st.floats(0.0, 1.0),
       anneal=st.sampled_from(schedules.ANNEALS), div_factor=st.floats(1.0, 1e3), final_div_factor=st.floats(1.0, 1e5),
       three_phase=st.booleans())
def test_onecycle_holds_to_torch_one_cycle_lr(lr0, warmup_steps, span, pct_start, anneal, div_factor, final_div_factor,
                                              three_phase):
    # torch divides by zero when a phase has no length (pct_start * total_steps = 1, or 2 x that - 2 = the end)
    ends = [pct_start * span - 1] + ([2 * pct_start * span - 2] if three_phase else []) + [span - 1]
    assume(all(a != b for a, b in zip([0.0, *ends], ends)))
    # torch's warmup ramps to OneCycleLR's initial lr; the lab's to the schedule's first lr: the same unless the
    # climb ends before step 0 (pct_start * total_steps < 1)
    assume(warmup_steps == 0 or pct_start * span >= 1)
    config = ScheduleConfig(name="onecycle", span=span, pct_start=pct_start, anneal=anneal, div_factor=div_factor,
                            final_div_factor=final_div_factor, three_phase=three_phase, warmup_steps=warmup_steps)
    # torch's OneCycleLR refuses to step past total_steps: its whole period is the run
    steps = warmup_steps + span
    ours = config.function(lr0, steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = _torch_schedule_lrs(config, lr0, span, steps)
    _assert_close([ours(t) for t in range(steps)], theirs, abs=0)
    assert ours(steps + 10) == ours(steps - 1)  # the lab holds the last lr where torch raises


@pytest.mark.parametrize("name", [n for n in schedules.SCHEDULES if n != "plateau"])
def test_every_schedule_holds_to_torch_with_its_defaults(name):
    for warmup_steps in (0, 10):
        config = ScheduleConfig(name=name, warmup_steps=warmup_steps)
        _holds_to_torch(config, 0.1, period=200)


def test_hand_computed_values_of_the_new_schedules():
    assert [schedules.multistep(1.0, (3, 1, 3), 0.5)(t) for t in (0, 1, 2, 3, 9)] == [1.0, 0.5, 0.5, 0.125, 0.125]
    assert [schedules.polynomial(2.0, 4, 2.0)(t) for t in (0, 1, 2, 4, 7)] == [2.0, 1.125, 0.5, 0.0, 0.0]
    # SGDR, t_0=2, t_mult=2: cycles of 2 then 4 steps; restarts at t=2 and t=6
    restarts = schedules.cosine_restarts(1.0, 2, 2)
    assert [round(restarts(t), 12) for t in range(7)] == [1.0, 0.5, 1.0, round((1 + math.cos(math.pi / 4)) / 2, 12), 0.5,
                                                           round((1 + math.cos(3 * math.pi / 4)) / 2, 12), 1.0]
    # triangular from 1 to 3 in 2 steps, down in 2; triangular2 halves the second cycle's height
    assert [schedules.cyclic(1.0, 3.0, 2)(t) for t in range(6)] == [1.0, 2.0, 3.0, 2.0, 1.0, 2.0]
    assert [schedules.cyclic(1.0, 3.0, 2, mode="triangular2")(t) for t in range(7)] == [1.0, 2.0, 3.0, 2.0, 1.0, 1.5, 2.0]
    assert schedules.cyclic(1.0, 3.0, 1, mode="triangular2")(3001) == 1.0  # 1500 cycles: the height is gone, no overflow
    # one cycle, 10 steps, linear: 0.04 up to 1.0 by step 2, down to 4e-6 at step 9
    one = schedules.one_cycle(1.0, 10, pct_start=0.3, anneal="linear")
    assert one(0) == 0.04 and one(2) == 1.0 and one(9) == pytest.approx(4e-6) and one(50) == one(9)


def test_onecycle_peaks_at_the_base_lr_and_span_defaults_to_the_run_after_warmup():
    config = ScheduleConfig(name="onecycle", warmup_steps=10)
    f = config.function(0.5, 110)
    assert max(f(t) for t in range(110)) == pytest.approx(0.5)
    assert f(109) == pytest.approx(0.5 / 25 / 1e4) and f(0) == pytest.approx(0.5 / 25 / 10)


@pytest.mark.parametrize("field, value", [("milestones", ()), ("milestones", (0,)), ("span", 0), ("power", 0.0),
                                          ("t_0", 0), ("t_mult", 0), ("max_factor", 0.0), ("step_size_up", 0),
                                          ("step_size_down", 0), ("mode", "sawtooth"), ("gamma", 1.5),
                                          ("pct_start", 1.1), ("anneal", "cosine"), ("div_factor", 0.5), ("final_div_factor", 0.99),
                                          ("three_phase", 1)])
def test_new_settings_are_refused_outside_their_declared_range(field, value):
    with pytest.raises(ValueError, match=field):
        ScheduleConfig(**{field: value})
