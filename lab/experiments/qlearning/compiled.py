"""Tabular Q-learning and SARSA compiled with numba: the same learning as `learners`, draw for draw.

The kernel `_advance` is `learners.python_engine`'s inner loop written for numba, run for every
agent in turn (agents are independent: agent j's numbers depend only on its own two streams).
The uniforms are drawn in numpy blocks outside the kernel, exactly as the reference engines
draw them (one per reset and per step from the env stream, a pair per action choice from the
agent stream), so the Q-tables and every per-episode number equal theirs bit for bit.

An agent whose block runs low pauses at a step boundary (its position is kept in small state
arrays); the engine refills that block from the agent's own stream and calls the kernel again,
so a block holds a few thousand draws whatever the step limit.

The engine runs a chunk of episodes per call (up to the next evaluated episode) and then yields
them one by one. If the consumer stops inside a chunk (a stop rule fired), the live Q-table is
wound back to the last yielded episode by running the chunk again from a snapshot, so Q is the
one the reference engines would hold at that point.

Without numba (`AVAILABLE` False) the experiment runs the reference engines instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np

from lab.experiments.qlearning.learners import BLOCK, Episode, Evaluator, Settings
from lab.experiments.qlearning.tables import Table

try:
    from numba import njit
except ImportError:
    njit = None

AVAILABLE = njit is not None
CHUNK = 64  # most episodes per kernel call
CHUNK_STEPS = 2**22  # and at most about this many steps over all agents (a chunk's worst case)


def _compiled(function):
    """`numba.njit(cache=True)` where numba imports; the plain function (never called by the lab) otherwise."""
    return njit(cache=True)(function) if AVAILABLE else function


@_compiled
def _bisect_right(a, x):
    """Number of entries of the sorted array `a` that are <= x (Python's ``bisect_right``)."""
    lo, hi = 0, a.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


# The helpers take the whole table q (S, A) and a state rather than a row: a row view costs a
# reference count per call, a third of the step time.
@_compiled
def _row_max(q, s):
    """Python's ``max(q[s])``: the first value that no later one exceeds."""
    m = q[s, 0]
    for i in range(1, q.shape[1]):
        if q[s, i] > m:
            m = q[s, i]
    return m


@_compiled
def _choose(q, s, eps, u, v):
    """Epsilon-greedy on one uniform pair: random action ``int(v A)`` if u < eps, else the
    best action, ties broken by v (the k-th tied action, k = ``int(v ties)``), as `learners._tie`."""
    n_actions = q.shape[1]
    if u < eps:
        return int(v * n_actions)
    m = _row_max(q, s)
    ties = 0
    for i in range(n_actions):
        if q[s, i] == m:
            ties += 1
    k = int(v * ties)
    for i in range(n_actions):
        if q[s, i] == m:
            if k == 0:
                return i
            k -= 1
    return 0


@_compiled
def _advance(Q, cum, nxt, rew, term, succ, init_cum, eps, alpha, gamma, limit, sarsa,
             EU, epos, AU, apos, ep, s, a, t, acc, rec, first, last):
    """Advance every agent j until it has finished episode `last` or its blocks run low.

    Q (N, S, A); the table flattened per s * A + a: cum (SA, K - 1) padded with 2.0, nxt, rew,
    term, succ (SA, K); init_cum (S - 1,); eps (episodes,). Blocks EU (N, B), AU (N, 2B) with
    cursors epos, apos. Agent state: ep (episode under way), s, a (SARSA's chosen action),
    t (steps taken; -1: not reset yet), acc (N, 3) return, max |td|, sum |td|. Episode k's
    return, length, success, alpha max |td| and mean |td| go to rec[:, k - first, j].
    """
    n_agents, n_actions = Q.shape[0], Q.shape[2]
    n_cum = cum.shape[1]
    env_end, agent_end = EU.shape[1], AU.shape[1]
    for j in range(n_agents):
        q = Q[j]
        e, u, k = epos[j], apos[j], ep[j]
        st, act, steps = s[j], a[j], t[j]
        ret, maxtd, tdsum = acc[j, 0], acc[j, 1], acc[j, 2]
        while k <= last:
            if e + 1 > env_end or u + 2 > agent_end:  # a reset or a step uses at most 1 env draw and 1 pair
                break
            epsk = eps[k]
            if steps < 0:  # reset
                st = _bisect_right(init_cum, EU[j, e])
                e += 1
                if sarsa:
                    act = _choose(q, st, epsk, AU[j, u], AU[j, u + 1])
                    u += 2
                steps = 0
                ret = maxtd = tdsum = 0.0
                continue
            if not sarsa:
                act = _choose(q, st, epsk, AU[j, u], AU[j, u + 1])
                u += 2
            sa = st * n_actions + act
            draw = EU[j, e]
            e += 1
            o = 0
            for i in range(n_cum):
                if cum[sa, i] <= draw:
                    o += 1
            s2, r, done = nxt[sa, o], rew[sa, o], term[sa, o]
            steps += 1
            qv = q[st, act]
            act2 = act
            if done:
                td = r - qv
            elif sarsa:
                act2 = _choose(q, s2, epsk, AU[j, u], AU[j, u + 1])
                u += 2
                td = (r + gamma * q[s2, act2]) - qv
            else:
                td = (r + gamma * _row_max(q, s2)) - qv
            q[st, act] = qv + alpha * td
            ret += r
            if td < 0.0:
                td = -td
            tdsum += td
            if td > maxtd:
                maxtd = td
            if done or steps >= limit:
                i = k - first
                rec[0, i, j] = ret
                rec[1, i, j] = steps
                rec[2, i, j] = 1.0 if succ[sa, o] else 0.0
                rec[3, i, j] = alpha * maxtd
                rec[4, i, j] = tdsum / steps
                k += 1
                steps = -1
            else:
                st, act = s2, act2
        epos[j], apos[j], ep[j] = e, u, k
        s[j], a[j], t[j] = st, act, steps
        acc[j, 0], acc[j, 1], acc[j, 2] = ret, maxtd, tdsum


class _Agents:
    """The arrays `_advance` works on, with the blocks' refills and a snapshot to go back to."""

    def __init__(self, table: Table, st: Settings, rngs: Sequence[tuple[np.random.Generator, np.random.Generator]]):
        n, S, A = len(rngs), table.n_states, table.n_actions
        self.rngs = rngs
        self.Q = np.zeros((n, S, A))
        self.tables = (
            np.ascontiguousarray(table.cum.reshape(S * A, -1)),
            np.ascontiguousarray(table.next_state.reshape(S * A, -1), dtype=np.int64),
            np.ascontiguousarray(table.reward.reshape(S * A, -1), dtype=np.float64),
            np.ascontiguousarray(table.terminated.reshape(S * A, -1)),
            np.ascontiguousarray(table.success.reshape(S * A, -1)),
            np.ascontiguousarray(table.init_cum, dtype=np.float64),
        )
        self.settings = (np.array(st.epsilons, dtype=np.float64), float(st.alpha), float(st.gamma), int(st.limit),
                         st.algorithm == "sarsa")
        self.EU = np.stack([env.random(BLOCK) for env, _ in rngs])
        self.AU = np.stack([agent.random(2 * BLOCK) for _, agent in rngs])
        self.epos, self.apos = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.ep, self.s, self.a = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
        self.t = np.full(n, -1, np.int64)
        self.acc = np.zeros((n, 3))
        self.saved: dict | None = None

    def run(self, first: int, last: int) -> np.ndarray:
        """Every agent through episode `last` (from `first`, where all agents stand); their (5, episodes, N) records."""
        rec = np.zeros((5, last - first + 1, len(self.rngs)))
        while True:
            _advance(self.Q, *self.tables, *self.settings, self.EU, self.epos, self.AU, self.apos,
                     self.ep, self.s, self.a, self.t, self.acc, rec, first, last)
            behind = np.flatnonzero(self.ep <= last)
            if behind.size == 0:
                return rec
            for j in behind.tolist():
                self._refill(j)

    def _refill(self, j: int) -> None:
        """Drop agent j's used draws and append fresh ones from its streams, in order."""
        env, agent = self.rngs[j]
        if self.saved is not None and j not in self.saved["blocks"]:
            self.saved["blocks"][j] = (self.EU[j].copy(), self.AU[j].copy(),
                                       env.bit_generator.state, agent.bit_generator.state)
        for block, cursor, rng in ((self.EU, self.epos, env), (self.AU, self.apos, agent)):
            used = int(cursor[j])
            block[j, : block.shape[1] - used] = block[j, used:]
            block[j, block.shape[1] - used:] = rng.random(used)
            cursor[j] = 0

    def snapshot(self) -> None:
        """Remember where every agent stands (the blocks only as a refill is about to change them)."""
        names = ("Q", "epos", "apos", "ep", "s", "a", "t", "acc")
        self.saved = {"arrays": {n: getattr(self, n).copy() for n in names}, "blocks": {}}

    def restore(self) -> None:
        """Go back to the snapshot: the same arrays, blocks and streams, so a rerun draws the same."""
        for name, value in self.saved["arrays"].items():
            getattr(self, name)[...] = value
        for j, (eu, au, env_state, agent_state) in self.saved["blocks"].items():
            self.EU[j], self.AU[j] = eu, au
            self.rngs[j][0].bit_generator.state = env_state
            self.rngs[j][1].bit_generator.state = agent_state
        self.saved["blocks"] = {}


def _next_evaluated(st: Settings, k: int) -> int:
    """The first episode >= k that `st.evaluates`."""
    if k == 0:
        return 0
    return min(-(-(k + 1) // st.eval_every) * st.eval_every - 1, st.episodes - 1)


def compiled_engine(table: Table, st: Settings, rngs: Sequence[tuple[np.random.Generator, np.random.Generator]],
                    evaluate: Evaluator | None, q_out: list) -> Iterator[Episode]:
    """One agent or many, compiled. `q_out[0]` is the live Q as (n_agents, S, A)."""
    agents = _Agents(table, st, rngs)
    q_out[:] = [agents.Q]
    chunk = max(1, min(CHUNK, CHUNK_STEPS // (len(rngs) * st.limit)))
    first = 0
    while first < st.episodes:
        last = min(first + chunk, st.episodes) - 1
        if evaluate is not None:
            last = min(last, _next_evaluated(st, first))
        agents.snapshot()
        rec = agents.run(first, last)
        gap = None
        if evaluate is not None and st.evaluates(last):
            gap = np.array([evaluate(q) for q in agents.Q])
        for k in range(first, last + 1):
            i = k - first
            try:
                yield Episode(k, rec[0, i], rec[1, i], rec[2, i], rec[3, i], rec[4, i], gap if k == last else None)
            except GeneratorExit:
                if k < last:  # stopped inside the chunk: Q as it stood after episode k
                    agents.restore()
                    agents.run(first, k)
                raise
        first = last + 1


def warm_up() -> float:
    """Compile (or load from numba's on-disk cache) the kernel; the seconds it took.

    One call serves both algorithms (the same argument types). Once per process is enough:
    later calls find the kernel compiled and take microseconds.
    """
    if not AVAILABLE:
        return 0.0
    start = time.perf_counter()
    # a one-state, one-action table whose only move ends the episode; the array types of a real run
    table = Table(None, 1, 1, np.ones((1, 1, 1)), np.full((1, 1, 1), 2.0), np.ones((1, 1), np.int64),
                  np.zeros((1, 1, 1), np.int64), np.zeros((1, 1, 1)), np.ones((1, 1, 1), bool),
                  np.ones((1, 1, 1), bool), np.ones(1), np.zeros(0), np.ones(1, bool))
    st = Settings(alpha=0.5, gamma=0.9, algorithm="sarsa", episodes=2, limit=1, epsilons=(0.5, 0.5), eval_every=1)
    for _ in compiled_engine(table, st, [(np.random.default_rng(0), np.random.default_rng(1))], None, []):
        pass
    return time.perf_counter() - start
