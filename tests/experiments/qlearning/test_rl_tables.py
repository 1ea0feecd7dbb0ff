"""The MDP arrays against Gymnasium's own P, value iteration against hand-solved maps, exact evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import MAPS, generate_random_map

from lab.experiments.qlearning import envs, tables
from lab.experiments.qlearning.envs import EnvKey


def _key(desc, slippery=False, limit=100):
    return EnvKey("FrozenLake-v1", tuple(desc), slippery, limit)


KEYS = [
    _key(MAPS["4x4"], True),
    _key(MAPS["8x8"], False),
    EnvKey("Taxi-v4", (), False, 200),
    EnvKey("CliffWalking-v1", (), False, 200),
]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{k.env_id}-{len(k.desc)}-{k.is_slippery}")
def test_table_holds_every_outcome_of_env_P_in_order(key):
    env = envs.make(key)
    P = env.unwrapped.P
    t = tables.table_for(key)
    assert (t.n_states, t.n_actions) == (env.observation_space.n, env.action_space.n)
    for s in range(t.n_states):
        for a in range(t.n_actions):
            listed = P[s][a]
            assert t.n_out[s, a] == len(listed)
            for i, (p, s2, r, term) in enumerate(listed):
                assert (t.prob[s, a, i], t.next_state[s, a, i], t.reward[s, a, i], t.terminated[s, a, i]) == (p, s2, r, term)
    np.testing.assert_array_equal(t.init_prob, env.unwrapped.initial_state_distrib)


@pytest.mark.parametrize("key", KEYS[:2] + KEYS[3:], ids=["lake4-slip", "lake8", "cliff"])
def test_bisect_on_the_cumulative_probabilities_picks_what_categorical_sample_picks(key):
    from bisect import bisect_right

    t = tables.table_for(key)
    cum, _ = t.python_lists
    rng = np.random.default_rng(0)
    for _ in range(2000):
        s, a, u = int(rng.integers(t.n_states)), int(rng.integers(t.n_actions)), rng.random()
        probs = t.prob[s, a, : t.n_out[s, a]]
        # gymnasium.envs.toy_text.utils.categorical_sample, with the draw u
        expected = int(np.argmax(np.cumsum(probs) > u))
        assert bisect_right(cum[s * t.n_actions + a], u) == expected


def test_value_iteration_on_a_hand_solved_corridor():
    # S F G in a row, no slipping: from F one step right to the goal (reward 1), from S two steps.
    key = _key(("SFG",))
    g = 0.9
    v, q, pi = tables.value_iteration(tables.table_for(key), g)
    np.testing.assert_allclose(v, [g, 1.0, 0.0], atol=1e-9)
    assert pi[0] == 2 and pi[1] == 2  # right, right
    # at S: left and up and down bump into the wall and stay, worth gamma * V(S)
    np.testing.assert_allclose(q[0], [g * g, g * g, g, g * g], atol=1e-9)


def test_value_iteration_on_a_hand_solved_2x2_map_with_a_hole():
    key = _key(("SF", "HG"))
    g = 0.95
    v, _, pi = tables.value_iteration(tables.table_for(key), g)
    np.testing.assert_allclose(v, [g, 1.0, 0.0, 0.0], atol=1e-9)
    assert pi[0] == 2 and pi[1] == 1  # right, then down to the goal


def test_slippery_corridor_matches_its_closed_form():
    # On "SFG" with slipping, from F: right reaches G w.p. 1/3, else (down/up) stays on F.
    # Going down from F: 1/3 left to S, 1/3 stay, 1/3 right to G. Solve the 2x2 Bellman system.
    key = _key(("SFG",), slippery=True)
    g = 0.9
    v, _, _ = tables.value_iteration(tables.table_for(key), g)
    # policy "right" at F: V_F = 1/3 + 2/3 g V_F
    v_f_right = (1 / 3) / (1 - 2 * g / 3)
    # at S, "right": 1/3 to F, 2/3 stay (down/up bump): V_S = g/3 V_F + 2g/3 V_S
    v_s = (g / 3 * v_f_right) / (1 - 2 * g / 3)
    np.testing.assert_allclose(v[:2], [v_s, v_f_right], atol=1e-8)


@pytest.mark.parametrize("key", KEYS, ids=["lake4-slip", "lake8", "taxi", "cliff"])
def test_optimum_is_a_fixed_point_and_its_policy_evaluates_to_it(key):
    t = tables.table_for(key)
    v, q, pi = tables.optimum(key, 0.99)
    # Bellman optimality, recomputed by a plain loop over P
    env = envs.make(key)
    P = env.unwrapped.P
    for s in range(0, t.n_states, max(1, t.n_states // 60)):
        best = max(sum(p * (r + 0.99 * v[s2] * (not d)) for p, s2, r, d in P[s][a]) for a in range(t.n_actions))
        assert abs(best - v[s]) < 1e-7
    np.testing.assert_allclose(tables.evaluate(t, pi, 0.99), v, atol=1e-7)


def test_evaluate_sparse_and_dense_agree(monkeypatch):
    key = KEYS[2]
    t = tables.table_for(key)
    rng = np.random.default_rng(1)
    policy = rng.integers(0, t.n_actions, t.n_states)
    sparse = tables.evaluate(t, policy, 0.9)
    monkeypatch.setattr(tables, "DENSE_LIMIT", 10_000)
    dense = tables.evaluate(t, policy, 0.9)
    np.testing.assert_allclose(sparse, dense, atol=1e-9)


def test_dense_evaluate_is_bit_for_bit_the_add_at_system():
    # The dense system is summed with bincount; np.add.at, the plain way, adds the same terms in the same order.
    t = tables.table_for(_key(MAPS["8x8"], True))
    rng = np.random.default_rng(3)
    idx = np.arange(t.n_states)
    for _ in range(20):
        policy = rng.integers(0, t.n_actions, t.n_states)
        p = t.prob[idx, policy]
        m = np.zeros((t.n_states, t.n_states))
        np.add.at(m, (np.repeat(idx, p.shape[1]), t.next_state[idx, policy].ravel()),
                  (p * ~t.terminated[idx, policy]).ravel())
        expected = np.linalg.solve(np.eye(t.n_states) - 0.9 * m, (p * t.reward[idx, policy]).sum(axis=1))
        assert np.array_equal(tables.evaluate(t, policy, 0.9), expected)


def test_evaluate_agrees_with_iterating_the_policy():
    key = KEYS[0]
    t = tables.table_for(key)
    policy = np.random.default_rng(2).integers(0, 4, t.n_states)
    v = np.zeros(t.n_states)
    idx = np.arange(t.n_states)
    for _ in range(5000):
        v = (t.prob[idx, policy] * (t.reward[idx, policy] + 0.9 * v[t.next_state[idx, policy]] * ~t.terminated[idx, policy])).sum(1)
    np.testing.assert_allclose(tables.evaluate(t, policy, 0.9), v, atol=1e-10)


def test_gamma_one_stays_finite_for_a_policy_that_never_ends():
    t = tables.table_for(KEYS[3])
    v = tables.evaluate(t, np.full(t.n_states, 3), 1.0)  # always left: never reaches the goal
    assert np.all(np.isfinite(v)) and v[36] < -1e6


def test_decision_states_are_the_cells_an_agent_can_stand_on():
    assert tables.table_for(KEYS[0]).decision.sum() == "".join(MAPS["4x4"]).count("F") + 1
    cliff = tables.table_for(KEYS[3]).decision
    assert cliff.sum() == 48 - 10 - 1 and not cliff[37:47].any() and not cliff[47]
    taxi = tables.table_for(KEYS[2]).decision
    # Taxi: 300 start states plus the 100 with the passenger in the cab (location index 4)
    locations = (np.arange(500) // 4) % 5
    assert taxi.sum() == 400 and taxi[locations == 4].all()


@pytest.mark.parametrize("size,p,seed", [(4, 0.8, 0), (8, 0.8, 3), (6, 0.6, 11), (2, 0.5, 5)])
def test_random_map_is_gymnasiums_generate_random_map(size, p, seed):
    assert envs.random_map(size, p, seed) == tuple(generate_random_map(size, p, seed))


def test_random_map_without_a_path_is_refused_naming_map_p():
    with pytest.raises(ValueError, match="map_p"):
        envs.random_map(10, 0.05, 0)
    with pytest.raises(ValueError, match="map_size"):
        envs.random_map(1, 0.9, 0)


@pytest.mark.parametrize("desc,words", [
    (("SHG",), "no path"), (("SF", "F"), "same length"), (("SX",), "cells"), (("FFG",), "exactly one S"), ((), "tuple"),
])
def test_check_desc(desc, words):
    with pytest.raises(ValueError, match=words):
        envs.check_desc(desc)
