"""An environment's own transition table ``env.unwrapped.P`` as arrays, and exact planning on it.

`Table` keeps, for every (state, action), the outcomes Gymnasium lists in ``P[s][a]``
(probability, next state, reward, terminated) in their order, with the cumulative
probabilities Gymnasium samples from: ``categorical_sample`` takes the first outcome whose
cumulative probability exceeds one uniform draw, i.e. ``bisect_right(cum[:-1], u)``.

Value iteration gives V* and an optimal policy; `evaluate` solves the linear system of a
fixed policy exactly. Both treat a terminated transition as the end (no bootstrap), the
same target the learner uses. With gamma = 1 an episode that never ends has no finite
value, so planning uses ``min(gamma, 1 - 1e-9)`` (a policy that loops for ever in Taxi
then shows a value near -1e9, plainly not optimal).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lab.experiments.qlearning.envs import EnvKey, make

GAMMA_CAP = 1.0 - 1e-9
DENSE_LIMIT = 128  # larger tables (Taxi: 500 states) solve faster as sparse systems


@dataclass(frozen=True, eq=False)
class Table:
    """The MDP of one `EnvKey` as arrays (K = the most outcomes of any (s, a))."""

    key: EnvKey
    n_states: int
    n_actions: int
    prob: np.ndarray  # (S, A, K), zero-padded
    cum: np.ndarray  # (S, A, K - 1): cumulative probabilities but the last, padded with 2.0
    n_out: np.ndarray  # (S, A) outcomes listed
    next_state: np.ndarray  # (S, A, K) int
    reward: np.ndarray  # (S, A, K) float
    terminated: np.ndarray  # (S, A, K) bool
    success: np.ndarray  # (S, A, K) bool: the outcome reaches the goal (FrozenLake G, Taxi dropoff, CliffWalking goal)
    init_prob: np.ndarray  # (S,) the reset distribution
    init_cum: np.ndarray  # (S - 1,) its cumulative probabilities but the last
    decision: np.ndarray  # (S,) bool: states where the agent acts (reached from a start without terminating)

    @functools.cached_property
    def python_lists(self) -> tuple[list, list]:
        """Per flat (s * A + a): the cum list for bisect and the outcome tuples (next, reward, terminated, success)."""
        cum, out = [], []
        for s in range(self.n_states):
            for a in range(self.n_actions):
                n = int(self.n_out[s, a])
                cum.append([float(x) for x in self.cum[s, a, : n - 1]])
                out.append([
                    (int(self.next_state[s, a, i]), float(self.reward[s, a, i]), bool(self.terminated[s, a, i]), bool(self.success[s, a, i]))
                    for i in range(n)
                ])
        return cum, out


def from_env(env: object, key: EnvKey) -> Table:
    """Read ``env.unwrapped.P`` into a `Table`."""
    raw = env.unwrapped
    P = raw.P
    S, A = len(P), len(P[0])
    K = max(len(P[s][a]) for s in range(S) for a in range(A))
    prob = np.zeros((S, A, K))
    cum = np.full((S, A, max(K - 1, 1)), 2.0)
    n_out = np.zeros((S, A), dtype=np.int64)
    nxt = np.zeros((S, A, K), dtype=np.int64)
    rew = np.zeros((S, A, K))
    term = np.zeros((S, A, K), dtype=bool)
    goal_cells = _goal_states(raw, key)
    for s in range(S):
        for a in range(A):
            outcomes = P[s][a]
            n_out[s, a] = len(outcomes)
            c = np.cumsum([o[0] for o in outcomes])
            if c[-1] < 1.0:
                raise ValueError(f"{key.env_id}: P[{s}][{a}] sums to {c[-1]!r} < 1; the sampler here assumes it does not")
            cum[s, a, : len(outcomes) - 1] = c[:-1]
            for i, (p, s2, r, t) in enumerate(outcomes):
                prob[s, a, i], nxt[s, a, i], rew[s, a, i], term[s, a, i] = p, s2, r, t
    success = term & np.isin(nxt, goal_cells) if goal_cells is not None else term.copy()
    init = np.asarray(raw.initial_state_distrib, dtype=float)
    init_c = np.cumsum(init)
    table = Table(key, S, A, prob, cum, n_out, nxt, rew, term, success, init, init_c[:-1].copy(), np.zeros(S, bool))
    table.decision[:] = _decision_states(table)
    return table


def _goal_states(raw: object, key: EnvKey) -> np.ndarray | None:
    """FrozenLake's G cells (a hole also terminates); None where terminating is the goal itself."""
    if key.env_id != "FrozenLake-v1":
        return None
    flat = "".join(key.desc)
    return np.array([i for i, ch in enumerate(flat) if ch == "G"], dtype=np.int64)


def _decision_states(t: Table) -> np.ndarray:
    """States reachable from a start state through transitions that do not terminate."""
    seen = t.init_prob > 0
    frontier = list(np.flatnonzero(seen))
    valid = np.arange(t.next_state.shape[2])[None, :] < t.n_out[:, :, None]
    while frontier:
        s = frontier.pop()
        nxt = t.next_state[s][valid[s] & ~t.terminated[s] & (t.prob[s] > 0)]
        for s2 in np.unique(nxt):
            if not seen[s2]:
                seen[s2] = True
                frontier.append(int(s2))
    return seen


@functools.lru_cache(maxsize=32)
def table_for(key: EnvKey) -> Table:
    """The table of `key`, built once per key."""
    env = make(key)
    try:
        return from_env(env, key)
    finally:
        env.close()


def _expected(t: Table, values: np.ndarray, gamma: float) -> np.ndarray:
    """Q(s, a) = sum_i p_i (r_i + gamma V(s'_i) [not terminated_i])."""
    return (t.prob * (t.reward + gamma * values[t.next_state] * ~t.terminated)).sum(axis=2)


def value_iteration(t: Table, gamma: float, tol: float = 1e-10, max_iter: int = 1_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V*, Q* and the greedy (first best action) optimal policy, iterated until the largest change <= tol."""
    g = min(gamma, GAMMA_CAP)
    v = np.zeros(t.n_states)
    for _ in range(max_iter):
        q = _expected(t, v, g)
        new = q.max(axis=1)
        done = np.max(np.abs(new - v)) <= tol
        v = new
        if done:
            break
    q = _expected(t, v, g)
    return v, q, q.argmax(axis=1)


@functools.lru_cache(maxsize=32)
def optimum(key: EnvKey, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value iteration, once per (env key, gamma). Treat the arrays as read-only."""
    v, q, pi = value_iteration(table_for(key), gamma)
    for a in (v, q, pi):
        a.flags.writeable = False
    return v, q, pi


def evaluate(t: Table, policy: np.ndarray, gamma: float) -> np.ndarray:
    """V^pi of a deterministic policy, exactly: solve (I - gamma P_pi) V = r_pi."""
    g = min(gamma, GAMMA_CAP)
    idx = np.arange(t.n_states)
    p = t.prob[idx, policy]
    r_pi = (p * t.reward[idx, policy]).sum(axis=1)
    cont = p * ~t.terminated[idx, policy]
    rows, cols = np.repeat(idx, p.shape[1]), t.next_state[idx, policy].ravel()
    if t.n_states <= DENSE_LIMIT:
        # bincount sums duplicates in order, as np.add.at does (the same bits), about 15x faster
        m = np.bincount(rows * t.n_states + cols, cont.ravel(), t.n_states * t.n_states).reshape(t.n_states, t.n_states)
        return np.linalg.solve(np.eye(t.n_states) - g * m, r_pi)
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    data = np.concatenate([np.ones(t.n_states), -g * cont.ravel()])  # I - g P_pi, duplicates summed
    m = sp.csc_matrix((data, (np.concatenate([idx, rows]), np.concatenate([idx, cols]))), shape=(t.n_states, t.n_states))
    return np.asarray(spsolve(m, r_pi))
