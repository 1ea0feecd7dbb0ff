"""Tabular Q-learning and SARSA: three engines that learn the same, draw for draw.

Every agent owns two random streams (``numpy`` Generators): the *env stream* gives one
uniform per reset and one per step, exactly as Gymnasium's toy-text envs consume their
``np_random`` (``categorical_sample`` draws ``np_random.random()`` once); the *agent
stream* gives a pair per action choice (explore if the first < epsilon, then the random
action ``int(second * n_actions)``; otherwise a best action, ties broken by the same second
uniform: the k-th of the tied actions, k = ``int(second * ties)``, i.e. ties broken at random).

- `python_engine` (one agent): pure Python floats and lists in the inner loop, random
  numbers drawn in blocks, outcomes picked with ``bisect`` on cumulative probabilities.
- `python_agents` (a few agents): one pure Python learner per agent, taking turns.
- `numpy_engine` (many agents): one numpy operation per quantity for all agents at once;
  each agent runs its own episodes (no waiting for the slowest), and an agent that has
  finished writes into a scratch table.
- `gym_engine`: the real environment, ``env.step`` with its TimeLimit, its ``np_random``
  replaced by the agent's env stream.

`lab.experiments.qlearning.compiled` holds the same learning compiled with numba, the lab's
default; the engines here are its readable reference and the fallback without numba.

Given the same streams all engines produce the same Q-tables bit for bit (tests hold them to it).
Each engine yields one `Episode` per episode once every agent has finished it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lab.experiments.qlearning.envs import EnvKey, make
from lab.experiments.qlearning.tables import Table

BLOCK = 4096


@dataclass(frozen=True)
class Settings:
    """What the learner needs, already validated. `epsilons[k]` is episode k's epsilon."""

    alpha: float
    gamma: float
    algorithm: str  # "q_learning" | "sarsa"
    episodes: int
    limit: int
    epsilons: tuple[float, ...]
    eval_every: int
    n_agents: int = 1

    def evaluates(self, k: int) -> bool:
        """Whether episode k (0-based) ends with an evaluation of the greedy policy."""
        return (k + 1) % self.eval_every == 0 or k == self.episodes - 1 or k == 0


class Episode(NamedTuple):
    """Per-agent results of one episode (arrays of length n_agents).

    `gap` (n_agents, 2) only on evaluated episodes: the evaluator's (largest gap, gap at the start).
    """

    index: int
    returns: np.ndarray
    lengths: np.ndarray
    success: np.ndarray
    max_delta: np.ndarray
    td_error: np.ndarray
    gap: np.ndarray | None


Evaluator = Callable[[np.ndarray], tuple[float, float]]  # Q (S, A) -> (gap over states, gap at the start)


def epsilons(decay: str, start: float, end: float, rate: float, episodes: int) -> tuple[float, ...]:
    """Epsilon per episode k: constant `start`; linear ``max(end, start - rate k)``;
    exponential ``end + (start - end) e^(-rate k)``."""
    if decay == "constant":
        return (float(start),) * episodes
    if decay == "linear":
        return tuple(max(end, start - rate * k) for k in range(episodes))
    return tuple(end + (start - end) * math.exp(-rate * k) for k in range(episodes))


def streams(seed: int, n_agents: int) -> list[tuple[np.random.Generator, np.random.Generator]]:
    """(env stream, agent stream) per agent. Agent j's streams do not depend on n_agents."""
    out = []
    for child in np.random.SeedSequence(seed).spawn(n_agents):
        env_seq, agent_seq = child.spawn(2)
        out.append((np.random.default_rng(env_seq), np.random.default_rng(agent_seq)))
    return out


def _tie(row: list, m: float, u: float) -> int:
    """Among the actions tied at the best value m, the k-th with k = int(u * ties)."""
    ties = [i for i, x in enumerate(row) if x == m]
    return ties[int(u * len(ties))]


class _Greedy:
    """`_tie` for many agents at once: rows of q (N, A), second uniforms u (N,).

    The tied actions of a row form a bit mask (at most 2^6 for Taxi); lookup tables give the
    number of ties and the k-th tied action of each mask, so a call is a dozen numpy
    operations whatever the ties.
    """

    def __init__(self, n_actions: int) -> None:
        A = n_actions
        masks = np.arange(2**A)
        bits = (masks[:, None] >> np.arange(A)) & 1
        self.A = A
        self.pow2 = (1 << np.arange(A)).astype(np.intp)
        self.count = bits.sum(1).astype(float)
        sel = np.zeros((2**A, A), dtype=np.intp)
        for m in range(1, 2**A):
            ties = np.flatnonzero(bits[m])
            sel[m, : len(ties)] = ties
        self.select = sel.ravel()
        self.offsets: dict[int, np.ndarray] = {}

    def __call__(self, q: np.ndarray, u: np.ndarray) -> np.ndarray:
        n = q.shape[0]
        off = self.offsets.get(n)
        if off is None:
            off = self.offsets[n] = np.arange(0, n * self.A, self.A)
        first = q.argmax(1)
        tied = q == q.ravel().take(off + first)[:, None]
        if np.count_nonzero(tied) == n:  # no row has a tie: the argmax is the answer
            return first
        mask = tied.view(np.uint8) @ self.pow2
        k = (u * self.count.take(mask)).astype(np.intp)
        return self.select.take(mask * self.A + k)


class _Draws:
    """A block of uniforms from one Generator, refilled so the stream stays the same."""

    __slots__ = ("rng", "values", "pos")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng, self.values, self.pos = rng, [], 0

    def ensure(self, n: int) -> None:
        """Make at least n values available from `pos` on."""
        left = len(self.values) - self.pos
        if left < n:
            self.values = self.values[self.pos:] + self.rng.random(max(BLOCK, n)).tolist()
            self.pos = 0


def python_engine(table: Table, st: Settings, env_rng: np.random.Generator, agent_rng: np.random.Generator,
                  evaluate: Evaluator | None, q_out: list) -> Iterator[Episode]:
    """One agent in pure Python. `q_out[0]` holds the live Q-table (a list of lists)."""
    nS, nA = table.n_states, table.n_actions
    cum, out = table.python_lists
    cum = [cum[s * nA:(s + 1) * nA] for s in range(nS)]
    out = [out[s * nA:(s + 1) * nA] for s in range(nS)]
    init_cum = table.init_cum.tolist()
    Q = [[0.0] * nA for _ in range(nS)]
    q_out[:] = [Q]
    alpha, gamma, limit, sarsa = st.alpha, st.gamma, st.limit, st.algorithm == "sarsa"
    det = int(table.n_out.max()) == 1
    env, agent = _Draws(env_rng), _Draws(agent_rng)
    for k in range(st.episodes):
        eps = st.epsilons[k]
        env.ensure(limit + 1)
        agent.ensure(2 * limit + 2)
        eu, ei, au, ai = env.values, env.pos, agent.values, agent.pos
        s = bisect_right(init_cum, eu[ei])
        ei += 1
        ret = maxtd = tdsum = 0.0
        t = 0
        if not sarsa:
            while True:  # Q-learning; the hot loop: plain floats, lists and bisect
                row = Q[s]
                if au[ai] < eps:
                    a = int(au[ai + 1] * nA)
                else:
                    m = max(row)
                    a = row.index(m) if row.count(m) == 1 else _tie(row, m, au[ai + 1])
                ai += 2
                if det:  # one outcome: the env still draws its uniform, unread
                    s2, r, done, ok = out[s][a][0]
                else:
                    s2, r, done, ok = out[s][a][bisect_right(cum[s][a], eu[ei])]
                ei += 1
                t += 1
                q = row[a]
                td = r - q if done else (r + gamma * max(Q[s2])) - q
                row[a] = q + alpha * td
                ret += r
                if td < 0.0:
                    td = -td
                tdsum += td
                if td > maxtd:
                    maxtd = td
                if done or t >= limit:
                    break
                s = s2
        else:
            row = Q[s]
            if au[ai] < eps:
                a = int(au[ai + 1] * nA)
            else:
                m = max(row)
                a = row.index(m) if row.count(m) == 1 else _tie(row, m, au[ai + 1])
            ai += 2
            while True:  # SARSA: the next action is chosen before the update and then taken
                s2, r, done, ok = out[s][a][bisect_right(cum[s][a], eu[ei])]
                ei += 1
                t += 1
                row = Q[s]
                q = row[a]
                if done:
                    td = r - q
                else:
                    nrow = Q[s2]
                    if au[ai] < eps:
                        a2 = int(au[ai + 1] * nA)
                    else:
                        m = max(nrow)
                        a2 = nrow.index(m) if nrow.count(m) == 1 else _tie(nrow, m, au[ai + 1])
                    ai += 2
                    td = (r + gamma * nrow[a2]) - q
                row[a] = q + alpha * td
                ret += r
                if td < 0.0:
                    td = -td
                tdsum += td
                if td > maxtd:
                    maxtd = td
                if done or t >= limit:
                    break
                s, a = s2, a2
        env.pos, agent.pos = ei, ai
        gap = None
        if evaluate is not None and st.evaluates(k):
            gap = np.array([evaluate(np.array(Q))])
        # alpha * max|td| is max|alpha td| exactly: multiplying by alpha > 0 keeps the order
        yield Episode(k, np.array([ret]), np.array([float(t)]), np.array([1.0 if ok else 0.0]),
                      np.array([alpha * maxtd]), np.array([tdsum / t]), gap)


def python_agents(table: Table, st: Settings, rngs: Sequence[tuple[np.random.Generator, np.random.Generator]],
                  evaluate: Evaluator | None, q_out: list) -> Iterator[Episode]:
    """A few agents, one `python_engine` each, taking turns episode by episode.

    Below about 32 agents this beats `numpy_engine`, whose cost per tick hardly depends on
    how many agents it carries. `q_out[0]` holds the agents' live Q-tables.
    """
    outs = [[] for _ in rngs]
    gens = [python_engine(table, st, e, g, evaluate, out) for (e, g), out in zip(rngs, outs)]
    for k in range(st.episodes):
        parts = [next(gen) for gen in gens]
        if k == 0:
            q_out[:] = [[out[0] for out in outs]]
        gap = np.concatenate([p.gap for p in parts]) if parts[0].gap is not None else None
        yield Episode(k, *(np.concatenate([getattr(p, f) for p in parts]) for f in Episode._fields[1:6]), gap)


def numpy_engine(table: Table, st: Settings, rngs: Sequence[tuple[np.random.Generator, np.random.Generator]],
                 evaluate: Evaluator | None, q_out: list) -> Iterator[Episode]:
    """All agents at once, vectorised with numpy. `q_out[0]` is the live Q as (n_agents, S, A).

    Each agent runs its own episodes; a tick advances every agent by one step. Q-learning uses
    one action pair per step for every agent, so the agent streams share one cursor; SARSA
    (an extra pair at a truncation) keeps one cursor per agent. Per-agent bookkeeping at the
    end of an episode is plain Python: about one agent a tick ends an episode.
    """
    N, S, A, E = st.n_agents, table.n_states, table.n_actions, st.episodes
    K = table.next_state.shape[2]
    stochastic = K > 1
    cum_cols = [c.copy() for c in table.cum.reshape(S * A, -1).T]  # column i: P(outcome <= i) per (s, a)
    nxt, rew = table.next_state.ravel(), table.reward.ravel()
    term, succ = table.terminated.ravel(), table.success.ravel().tolist()
    discount = st.gamma * ~term  # 0 where the outcome terminates: no bootstrap
    init_cum = table.init_cum.tolist()
    alpha, limit, sarsa = st.alpha, st.limit, st.algorithm == "sarsa"
    eps_table = st.epsilons

    _greedy = _Greedy(A)
    Q = np.zeros(((N + 1) * S, A))  # agent j's table is rows j*S..(j+1)*S; the last S rows are scratch
    q_out[:] = [Q[: N * S].reshape(N, S, A)]
    ar = np.arange(N)
    base = ar * S
    baseA = base * A
    env_rngs = [e for e, _ in rngs]
    agent_rngs = [g for _, g in rngs]
    EB = 2 * BLOCK
    EU = np.stack([g.random(EB) for g in env_rngs])
    AU = np.stack([g.random(2 * EB).reshape(EB, 2) for g in agent_rngs])
    EUf, AUf = EU.reshape(-1), AU.reshape(-1, 2)
    eoff = ar * EB
    eidx = eoff.copy()  # flat index of each agent's next env draw
    aidx = eoff.copy()  # SARSA: flat index of each agent's next action pair
    p = 0  # Q-learning: the shared action-pair cursor
    U1 = U2 = RA = None

    def views() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per tick rows: first uniforms, second uniforms and the random action they give."""
        return AU[:, :, 0].T.copy(), AU[:, :, 1].T.copy(), (AU[:, :, 1].T * A).astype(np.intp)

    def refill() -> None:
        """Drop the used draws of every agent and append fresh ones from its stream, in order."""
        nonlocal p
        epos = (eidx - eoff).tolist()
        apos = [p] * N if not sarsa else (aidx - eoff).tolist()
        for j in range(N):
            e, u = epos[j], apos[j]
            EU[j] = np.concatenate([EU[j, e:], env_rngs[j].random(e)])
            AU[j] = np.concatenate([AU[j, u:].ravel(), agent_rngs[j].random(2 * u)]).reshape(EB, 2)
        eidx[:] = eoff
        aidx[:] = eoff
        p = 0

    if not sarsa:
        U1, U2, RA = views()
    records: list[list[tuple]] = [[] for _ in range(N)]
    finished = [0] * E  # agents done with each episode
    gaps: list[dict[int, tuple[float, float]]] = [{} for _ in range(N)]
    ep = [0] * N
    eps = np.array([eps_table[0]] * N)
    s = np.array([bisect_right(init_cum, EU[j, 0]) for j in range(N)], dtype=np.intp)
    eidx += 1
    tick = 0
    start = [0] * N
    deadline = limit - 1  # the tick at which the earliest running episode is truncated
    ends = [limit - 1] * N
    ret, maxtd, tdsum = np.zeros(N), np.zeros(N), np.zeros(N)
    Qf = Q.reshape(-1)
    a = a2 = None
    if sarsa:
        pair = AUf[aidx]
        aidx += 1
        a = np.where(pair[:, 0] < eps, (pair[:, 1] * A).astype(np.intp), _greedy(Q[base + s], pair[:, 1]))
    done_agents, emitted = 0, 0
    safe = EB // 2 - 2  # ticks between refills: a tick uses at most 2 env draws and 2 action pairs
    countdown = safe
    while done_agents < N:
        # numpy's take and flat indexes: 2-D fancy indexing costs several times more per call
        rows = base + s
        if not sarsa:
            a = _greedy(Q.take(rows, axis=0), U2[p])
            np.copyto(a, RA[p], where=U1[p] < eps)
            p += 1
        sa = s * A + a
        ue = EUf.take(eidx)
        eidx += 1
        if stochastic:  # bisect_right as a count of the cumulative probabilities <= u
            o = sa * K
            for col in cum_cols:
                o += (col.take(sa) <= ue).view(np.int8)
        else:
            o = sa
        s2, r, done, g = nxt.take(o), rew.take(o), term.take(o), discount.take(o)
        fi = baseA + sa
        qsa = Qf.take(fi)
        next_rows = base + s2
        if sarsa:
            pair = AUf.take(aidx, axis=0)
            aidx += 1 - done  # a terminated step chooses no next action
            a2 = _greedy(Q.take(next_rows, axis=0), pair[:, 1])
            np.copyto(a2, (pair[:, 1] * A).astype(np.intp), where=pair[:, 0] < eps)
            target = r + g * Qf.take(next_rows * A + a2)
        else:
            target = r + g * Qf.take(next_rows * A + Q.take(next_rows, axis=0).argmax(1))  # the max, at the argmax
        td = target - qsa
        Qf[fi] = qsa + alpha * td
        ret += r
        abs_td = np.abs(td)
        tdsum += abs_td
        np.maximum(maxtd, abs_td, out=maxtd)  # alpha * max|td| = max|alpha td|: rounding keeps order
        at_deadline = tick == deadline
        if at_deadline:
            idx = (done | (np.array(ends) == tick)).nonzero()[0]
        elif np.count_nonzero(done):
            idx = done.nonzero()[0]
        else:
            idx = None
        if idx is not None and idx.size:
            # the agents that ended an episode: read their numbers in one go, then plain Python
            ended = idx.tolist()
            rets, tds, mtds = ret.take(idx).tolist(), tdsum.take(idx).tolist(), maxtd.take(idx).tolist()
            outs = o.take(idx).tolist()
            draws = EUf.take(eidx.take(idx)).tolist()
            eidx[idx] += 1
            ret[idx] = 0.0
            tdsum[idx] = 0.0
            maxtd[idx] = 0.0
            starts, new_eps = [], []
            for i, j in enumerate(ended):
                k = ep[j]
                if k < E:
                    n = tick - start[j] + 1
                    records[j].append((rets[i], n, succ[outs[i]], alpha * mtds[i], tds[i] / n))
                    if evaluate is not None and st.evaluates(k):
                        gaps[j][k] = evaluate(Q[base[j]: base[j] + S])
                    k += 1
                    ep[j] = k
                    finished[k - 1] += 1
                    if k == E:
                        base[j] = N * S
                        baseA[j] = N * S * A
                        done_agents += 1
                new_eps.append(eps_table[min(k, E - 1)])
                starts.append(bisect_right(init_cum, draws[i]))
                start[j] = tick + 1
                ends[j] = tick + limit
            s2[idx] = starts
            eps[idx] = new_eps
            if sarsa:
                for j in ended:
                    pj = AUf[aidx[j]]
                    aidx[j] += 1
                    a2[j] = int(pj[1] * A) if pj[0] < eps[j] else int(_greedy(Q[base[j] + s2[j]][None], pj[1:])[0])
            while emitted < E and finished[emitted] == N:
                yield _episode(emitted, records, gaps, st)
                emitted += 1
        if at_deadline:  # a new episode ends later than any running one: only here can the deadline move
            deadline = min(ends)
        s = s2
        if sarsa:
            a = a2
        tick += 1
        countdown -= 1
        if countdown == 0:
            refill()
            if not sarsa:
                U1, U2, RA = views()
            countdown = safe
    while emitted < E:
        yield _episode(emitted, records, gaps, st)
        emitted += 1


def _episode(k: int, records: list, gaps: list, st: Settings) -> Episode:
    rec = np.array([r[k] for r in records], dtype=float)
    gap = np.array([g[k] for g in gaps]) if st.evaluates(k) and k in gaps[0] else None
    return Episode(k, rec[:, 0], rec[:, 1], rec[:, 2], rec[:, 3], rec[:, 4], gap)


def gym_engine(key: EnvKey, table: Table, st: Settings,
               rngs: Sequence[tuple[np.random.Generator, np.random.Generator]],
               evaluate: Evaluator | None, q_out: list) -> Iterator[Episode]:
    """Each agent steps its own real environment (``env.step``), episode by episode."""
    nA = table.n_actions
    envs = [make(key) for _ in rngs]
    tables = [[[0.0] * nA for _ in range(table.n_states)] for _ in rngs]
    q_out[:] = [tables]
    agents = [_Draws(agent_rng) for _, agent_rng in rngs]
    for env, (env_rng, _) in zip(envs, rngs):
        env.unwrapped.np_random = env_rng
    goals = _goal_states(key)
    alpha, gamma, sarsa = st.alpha, st.gamma, st.algorithm == "sarsa"

    def choose(Q: list, s: int, eps: float, draws: _Draws) -> int:
        u, v = draws.values[draws.pos], draws.values[draws.pos + 1]
        draws.pos += 2
        if u < eps:
            return int(v * nA)
        row = Q[s]
        m = max(row)
        return row.index(m) if row.count(m) == 1 else _tie(row, m, v)

    try:
        for k in range(st.episodes):
            eps = st.epsilons[k]
            res = np.zeros((5, len(envs)))
            gap = np.zeros((len(envs), 2)) if evaluate is not None and st.evaluates(k) else None
            for j, env in enumerate(envs):
                Q, draws = tables[j], agents[j]
                draws.ensure(2 * st.limit + 2)
                s, _ = env.reset()
                ret = maxd = tdsum = 0.0
                t, ok = 0, False
                a = choose(Q, s, eps, draws) if sarsa else 0
                while True:
                    if not sarsa:
                        a = choose(Q, s, eps, draws)
                    s2, r, terminated, truncated, _ = env.step(a)
                    r = float(r)
                    t += 1
                    q = Q[s][a]
                    if terminated:
                        td = r - q
                    elif sarsa:
                        a2 = choose(Q, s2, eps, draws)
                        td = (r + gamma * Q[s2][a2]) - q
                    else:
                        td = (r + gamma * max(Q[s2])) - q
                    d = alpha * td
                    Q[s][a] = q + d
                    ret += r
                    tdsum += abs(td)
                    maxd = max(maxd, abs(d))
                    if terminated or truncated:
                        ok = bool(terminated) and (goals is None or s2 in goals)
                        break
                    s = s2
                    if sarsa:
                        a = a2
                res[:, j] = ret, t, float(ok), maxd, tdsum / t
                if gap is not None:
                    gap[j] = evaluate(np.array(Q))
            yield Episode(k, res[0], res[1], res[2], res[3], res[4], gap)
    finally:
        for env in envs:
            env.close()


def _goal_states(key: EnvKey) -> set[int] | None:
    if key.env_id != "FrozenLake-v1":
        return None
    return {i for i, ch in enumerate("".join(key.desc)) if ch == "G"}

