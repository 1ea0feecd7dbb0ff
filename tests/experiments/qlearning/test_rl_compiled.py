"""The compiled engine learns exactly what the reference engines learn, draw for draw, and the lab
falls back to the reference engines when numba cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import lab
from lab.experiments.qlearning import QLearningConfig, compiled, learners

pytestmark = pytest.mark.skipif(not compiled.AVAILABLE, reason="numba is not installed")

ROOT = Path(__file__).resolve().parents[3]
FIELDS = ("returns", "lengths", "success", "max_delta", "td_error")


def _run(engine: str, config: QLearningConfig, n: int):
    exp = config.experiment()
    st = learners.Settings(**{**exp.settings.__dict__, "n_agents": n})
    rngs = learners.streams(config.seed, n)
    q: list = []
    if engine == "python":
        gen = learners.python_agents(exp.table, st, rngs, exp.evaluator, q)
    elif engine == "numpy":
        gen = learners.numpy_engine(exp.table, st, rngs, exp.evaluator, q)
    else:
        gen = compiled.compiled_engine(exp.table, st, rngs, exp.evaluator, q)
    episodes = list(gen)
    return np.array(q[0], dtype=float), episodes


def _assert_same(a, b):
    q_a, eps_a = a
    q_b, eps_b = b
    assert np.array_equal(q_a, q_b)
    assert [e.index for e in eps_a] == [e.index for e in eps_b]
    for x, y in zip(eps_a, eps_b):
        for field in FIELDS:
            assert np.array_equal(getattr(x, field), getattr(y, field)), field
        assert (x.gap is None) == (y.gap is None)
        if x.gap is not None:
            assert np.array_equal(x.gap, y.gap)


ENVS = {
    "lake4-slippery": dict(episodes=200, epsilon_rate=0.01),
    "lake8-slippery": dict(map_name="8x8", episodes=800, epsilon_rate=0.01),
    "taxi": dict(env="Taxi-v4", episodes=40),
    "cliff": dict(env="CliffWalking-v1", episodes=40, max_steps=60),
}
CASES = [(env, algorithm) for env in ENVS for algorithm in ("q_learning", "sarsa")]


@pytest.mark.parametrize("env, algorithm", CASES)
def test_one_agent_equals_the_python_engine_bit_for_bit(env, algorithm):
    config = QLearningConfig(**ENVS[env], algorithm=algorithm, eval_every=10)
    reference = _run("python", config, 1)
    assert np.abs(reference[0]).sum() > 0  # something was learned
    _assert_same(_run("compiled", config, 1), reference)


@pytest.mark.parametrize("env, algorithm", CASES)
def test_64_agents_equal_the_numpy_engine_bit_for_bit(env, algorithm):
    config = QLearningConfig(**{**ENVS[env], "episodes": min(ENVS[env]["episodes"], 100)}, algorithm=algorithm, eval_every=7)
    reference = _run("numpy", config, 64)
    assert any(e.success.any() for e in reference[1])  # some agent reached the goal
    _assert_same(_run("compiled", config, 64), reference)


@pytest.mark.parametrize("algorithm", ["q_learning", "sarsa"])
def test_tiny_blocks_pause_agents_mid_episode_and_change_nothing(monkeypatch, algorithm):
    # Blocks of 3 draws: every agent pauses and refills every step or two, mid-episode included.
    config = QLearningConfig(env="CliffWalking-v1", algorithm=algorithm, episodes=30, max_steps=50, eval_every=4)
    reference = _run("python", config, 3)
    monkeypatch.setattr(compiled, "BLOCK", 3)
    _assert_same(_run("compiled", config, 3), reference)


@pytest.mark.parametrize("n_agents", [1, 3])
def test_a_run_stopped_inside_a_chunk_keeps_the_q_of_its_last_episode(n_agents, monkeypatch):
    # One chunk runs episodes 2 to 300 (the next evaluated one); the reward rule fires inside it,
    # and Q must be the one after the episode it fired on, as the reference engines hold it.
    monkeypatch.setattr(compiled, "CHUNK", 1000)
    config = QLearningConfig(is_slippery=False, episodes=400, eval_every=300, stop_on=("reward",),
                             reward_threshold=0.5, window=5, n_agents=n_agents)
    reference = lab.run(config.replace(engine="reference"))
    fast = lab.run(config)
    assert 1 < reference.decision.step < 300
    assert fast.decision == reference.decision
    assert [s.metrics for s in fast.steps] == [s.metrics for s in reference.steps]
    assert np.array_equal(fast.artifacts["q"], reference.artifacts["q"])


def test_the_default_config_runs_compiled_and_gives_the_reference_result():
    config = QLearningConfig(episodes=300)
    assert config.experiment()._engine().gi_code.co_name == "compiled_engine"
    reference, fast = lab.run(config.replace(engine="reference")), lab.run(config)
    assert [s.metrics for s in fast.steps] == [s.metrics for s in reference.steps]
    assert np.array_equal(fast.artifacts["q"], reference.artifacts["q"])


def test_next_evaluated_episode():
    st = learners.Settings(alpha=0.1, gamma=0.9, algorithm="q_learning", episodes=23, limit=5,
                           epsilons=(0.1,) * 23, eval_every=10)
    expected = [min(k for k in range(start, 23) if st.evaluates(k)) for start in range(23)]
    assert [compiled._next_evaluated(st, k) for k in range(23)] == expected
    assert expected[:3] == [0, 9, 9] and expected[10:] == [19] * 10 + [22] * 3


def test_warm_up_compiles_once_then_costs_next_to_nothing():
    compiled.warm_up()
    assert compiled.warm_up() < 0.05


def test_without_numba_the_lab_runs_the_reference_engine_and_learns_the_same(tmp_path):
    # A fresh interpreter where `import numba` fails: the compiled module says so and the lab falls back.
    script = textwrap.dedent("""
        import sys
        sys.modules["numba"] = None
        import numpy as np
        import lab
        from lab.experiments.qlearning import QLearningConfig, compiled
        assert not compiled.AVAILABLE and compiled.warm_up() == 0.0
        config = QLearningConfig(episodes=150, stop_on=())
        assert config.experiment()._engine().gi_code.co_name == "python_engine"
        result = lab.run(config)
        np.save(sys.argv[1], result.artifacts["q"])
        assert "numba" not in sys.modules or sys.modules["numba"] is None
    """)
    out = tmp_path / "q.npy"
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, cwd=ROOT, timeout=120)
    expected = lab.run(QLearningConfig(episodes=150, stop_on=())).artifacts["q"]
    assert np.array_equal(np.load(out), expected)
