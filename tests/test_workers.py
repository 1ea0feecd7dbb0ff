"""The worker pool: a run in a worker is the in-thread run bit for bit, its steps stream back, a
cancel ends it (or keeps it from starting), its errors come back as they are."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import numpy as np
import pytest

import lab
from lab import workers
from lab.experiments.classifier import ClassifierConfig
from lab.experiments.descent import DescentConfig
from lab.experiments.playground import Film, PlaygroundConfig
from lab.experiments.qlearning import QLearningConfig
from lab.records import Kind
from lab.stopping.config import StoppingConfig

#: a race that would run for minutes: only a cancel ends it early
ENDLESS = DescentConfig(surface="rosenbrock", optimizer="gd", lr=1e-6, steps=1_000_000, tol=0.0)


@pytest.fixture(scope="module")
def pool():
    pool = workers.Pool(1)
    yield pool
    pool.shutdown()


def _drain(job, limit: float = 120.0) -> list:
    streamed, deadline = [], time.monotonic() + limit
    while not job.done() and time.monotonic() < deadline:
        streamed.extend(job.poll(0.05))
    return streamed


def _curve(result) -> list:
    return [(s.step, s.metrics) for s in result.steps]


@pytest.mark.parametrize("config", [
    ClassifierConfig(epochs=6, hidden=(8,), batch_size=32, stopping=StoppingConfig(enabled=False)),  # torch
    QLearningConfig(episodes=300),  # numba
    DescentConfig(surface="rosenbrock", optimizer="adam", steps=3000),  # pure Python, thousands of steps
], ids=["classifier-torch", "qlearning-numba", "descent"])
def test_a_run_in_a_worker_equals_the_run_in_this_thread_bit_for_bit(pool, config):
    job = pool.submit(config)
    streamed = _drain(job)
    result = job.result(timeout=120)
    expected = lab.run(config)
    assert _curve(result) == _curve(expected)  # same config and seed, same curve (floats compared exactly)
    assert result.decision == expected.decision
    assert streamed == result.steps[: len(streamed)]  # what streamed is the curve's beginning, in order
    assert job.started


def test_a_watched_run_sends_its_live_view_which_is_the_network_at_that_epoch(pool):
    """The Playground's surfaces while it trains in a worker: the page's film receives the frame the
    worker's film made, equal to the in-thread run's network at the same epoch (its recorded frame)."""
    config = PlaygroundConfig(epochs=400, stopping=StoppingConfig(enabled=False))
    film = Film()
    job = pool.submit(config, data=film)
    views = []
    while not job.done():
        job.poll(0.05)
        if job.view is not None and (not views or job.view[0].epoch != views[-1].epoch):
            views.append(job.view[0])
            points = job.view[1]
    assert views and film.now() is None  # the page's film trained nothing itself
    film.receive((views[-1], points))
    assert film.now() is views[-1] and np.array_equal(film.points.X_train, job.result().artifacts["points"].X_train)
    here = Film()
    lab.run(dataclasses.replace(config, epochs=views[0].epoch + 1), data=here)
    expected = here.frames[views[0].epoch]  # the last epoch always gets a frame
    assert np.array_equal(views[0].output, expected.output)
    assert all(np.array_equal(a, b) for a, b in zip(views[0].neurons, expected.neurons))


def test_a_cancel_ends_a_running_job_at_its_next_step_and_keeps_what_it_did(pool):
    job = pool.submit(ENDLESS)
    while not job.poll(0.1):  # wait until it runs
        pass
    job.cancel()
    result = job.result(timeout=60)
    assert result.decision.kind is Kind.CANCELLED
    assert 0 < len(result.steps) < ENDLESS.steps
    assert "final" in result.artifacts  # the run so far is evaluated, as after a click in the page's thread


def test_a_job_cancelled_while_it_waits_never_runs_and_its_error_comes_back(pool):
    busy = pool.submit(ENDLESS)
    while not busy.poll(0.1):  # the one worker runs it
        pass
    waiting = pool.submit(DescentConfig(steps=100))
    waiting.cancel()
    busy.cancel()
    assert waiting.result(timeout=60) is None and not waiting.started
    assert busy.result(timeout=60).decision.kind is Kind.CANCELLED
    failing = pool.submit(DescentConfig(), data=[1.0])  # the descent lab takes no data: the engine's own TypeError
    with pytest.raises(TypeError):
        failing.result(timeout=60)
    assert pool.running() == 0  # every slot is free again


def test_a_killed_worker_fails_its_run_and_the_shared_pool_starts_afresh():
    first = workers.shared(1)
    try:
        job = first.submit(ENDLESS)
        while not job.poll(0.1):
            pass
        os.kill(first.pids()[0], signal.SIGKILL)
        with pytest.raises(workers.BrokenProcessPool):
            job.result(timeout=60)
        second = workers.shared(1)
        assert second is not first and not second.broken
        assert second.submit(DescentConfig(steps=50)).result(timeout=60).steps[-1].step == 50
    finally:
        workers.shared(0)


@pytest.mark.parametrize(("value", "expected"), [(None, workers.default_workers()), ("", workers.default_workers()),
                                                 ("0", 0), (" 3 ", 3), (2, 2)])
def test_the_setting_reads_a_count_of_workers(value, expected):
    assert workers.configured(value) == expected


@pytest.mark.parametrize("value", ["-1", "two", "1.5", "9", "1e3"])
def test_a_bad_setting_is_a_one_line_message_naming_it(value):
    with pytest.raises(ValueError, match=r"CONVERGENCE_LAB_WORKERS=.*whole number from 0 to 8"):
        workers.configured(value)
