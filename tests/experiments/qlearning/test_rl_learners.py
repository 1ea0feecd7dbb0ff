"""The three engines learn the same, draw for draw; the update itself against hand-computed fixed points."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.experiments.qlearning import QLearningConfig, learners


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
        gen = learners.gym_engine(exp.key, exp.table, st, rngs, exp.evaluator, q)
    episodes = list(gen)
    return np.array(q[0], dtype=float), episodes


CASES = {
    "lake4-slippery": QLearningConfig(episodes=300, epsilon_rate=0.01),
    "lake8-slippery": QLearningConfig(map_name="8x8", episodes=150),
    "taxi": QLearningConfig(env="Taxi-v4", episodes=60),
    "cliff-short-limit": QLearningConfig(env="CliffWalking-v1", episodes=80, max_steps=40),
    "lake4-sarsa-truncating": QLearningConfig(algorithm="sarsa", episodes=300, max_steps=8),
    "cliff-sarsa": QLearningConfig(env="CliffWalking-v1", algorithm="sarsa", episodes=60, max_steps=30),
}


@pytest.mark.parametrize("name", list(CASES))
def test_table_engines_and_env_step_give_the_same_learning_bit_for_bit(name):
    config = CASES[name]
    q_gym, ep_gym = _run("gym", config, 3)
    assert np.abs(q_gym).sum() > 0  # something was learned
    for engine in ("python", "numpy"):
        q, eps = _run(engine, config, 3)
        np.testing.assert_array_equal(q, q_gym)
        for a, b in zip(eps, ep_gym):
            for field in ("returns", "lengths", "success", "max_delta", "td_error"):
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
            if b.gap is not None:
                np.testing.assert_array_equal(a.gap, b.gap)


def test_run_through_the_lab_agrees_between_engines_and_agent_counts():
    # n_agents=33 takes the numpy engine, n_agents=1 the pure Python one: agent 0 is the same agent.
    import lab

    base = QLearningConfig(episodes=120, stop_on=(), eval_every=20)
    one = lab.run(base)
    many = lab.run(base.replace(n_agents=33))
    gym_one = lab.run(base.replace(engine="gymnasium"))
    np.testing.assert_array_equal(one.artifacts["q"][0], many.artifacts["q"][0])
    np.testing.assert_array_equal(one.artifacts["q"], gym_one.artifacts["q"])
    assert [s.metrics for s in one.steps] == [s.metrics for s in gym_one.steps]
    assert not np.array_equal(many.artifacts["q"][0], many.artifacts["q"][1])  # agents have their own streams


def test_truncation_bootstraps_and_termination_does_not():
    # CliffWalking, one step per episode (every episode is truncated), alpha = 1, random actions.
    # From the start (3, 0): up -> (2, 0), -1 (never acted from: Q = 0); down/left bump and stay, -1;
    # right -> the cliff, -100, back to the start. With bootstrapping on truncation the fixed point is
    # max Q(start) = -1: Q = [-1, -100 + g(-1), -1 + g(-1), -1 + g(-1)]; without it, [-1, -100, -1, -1].
    g = 0.5
    config = QLearningConfig(env="CliffWalking-v1", max_steps=1, alpha=1.0, gamma=g, epsilon_decay="constant",
                             epsilon_start=1.0, episodes=300, stop_on=())
    for engine in ("python", "gym"):
        q, _ = _run(engine, config, 1)
        np.testing.assert_array_equal(q[0, 36], [-1.0, -100.0 - g, -1.0 - g, -1.0 - g])


def test_alpha_one_on_a_deterministic_map_reaches_q_star_exactly():
    config = QLearningConfig(map_name="custom", desc=("SFG",), is_slippery=False, alpha=1.0, gamma=0.9,
                             epsilon_decay="constant", epsilon_start=1.0, episodes=300, stop_on=())
    exp = config.experiment()
    q, _ = _run("python", config, 1)
    np.testing.assert_allclose(q[0][:2], exp.q_star[:2], atol=1e-12)  # terminal G is never acted from


def test_sarsa_learns_the_value_of_its_own_exploring_policy_not_the_greedy_one():
    # Constant epsilon on CliffWalking: SARSA's Q at the start sits below Q-learning's (it pays for
    # the exploratory falls near the cliff); Q-learning's approaches the greedy optimum -13.
    common = dict(env="CliffWalking-v1", epsilon_decay="constant", epsilon_start=0.1, epsilon_end=0.1,
                  alpha=0.5, gamma=1.0, episodes=500, stop_on=())
    q_ql, _ = _run("python", QLearningConfig(**common), 4)
    q_sa, _ = _run("python", QLearningConfig(**common, algorithm="sarsa"), 4)
    v_ql, v_sa = q_ql[:, 36].max(1), q_sa[:, 36].max(1)
    assert np.all(np.abs(v_ql + 13) < 1.0)
    assert np.all(v_sa < v_ql - 1.0)


def test_epsilon_schedules():
    assert learners.epsilons("constant", 0.3, 0.0, 1.0, 3) == (0.3, 0.3, 0.3)
    assert learners.epsilons("linear", 1.0, 0.1, 0.25, 6) == (1.0, 0.75, 0.5, 0.25, 0.1, 0.1)
    exp = learners.epsilons("exponential", 1.0, 0.1, 0.5, 3)
    assert exp == (1.0, 0.1 + 0.9 * math.exp(-0.5), 0.1 + 0.9 * math.exp(-1.0))


def test_ties_are_broken_by_the_second_uniform():
    row = [0.0, 1.0, 1.0, 0.5]
    assert learners._tie(row, 1.0, 0.2) == 1 and learners._tie(row, 1.0, 0.7) == 2
    rng = np.random.default_rng(0)
    for n_actions in (4, 6):
        q = rng.integers(0, 3, (500, n_actions)).astype(float)  # many ties
        u = rng.random(500)
        expected = [learners._tie(list(r), max(r), x) for r, x in zip(q, u)]
        np.testing.assert_array_equal(learners._Greedy(n_actions)(q, u), expected)


def test_streams_of_an_agent_do_not_depend_on_how_many_agents_run():
    one = learners.streams(5, 1)[0]
    four = learners.streams(5, 4)[0]
    assert one[0].random() == four[0].random() and one[1].random() == four[1].random()
