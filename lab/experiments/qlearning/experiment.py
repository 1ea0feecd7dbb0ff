"""The Q-learning lab: tabular Q-learning (or SARSA) on Gymnasium's toy-text environments.

The yardstick is exact: value iteration on the environment's own transition table gives
V*, and every `eval_every` episodes the greedy policy of the learned Q is evaluated exactly
on the same table, so ``gap/optimum`` says how far the agent's policy is from optimal.

Metrics per episode (the step index is the episode, from 1):

- ``episode/return``, ``episode/length``, ``episode/success`` (reached the goal: FrozenLake's
  G, Taxi's dropoff, CliffWalking's goal), ``q/max_delta`` (largest |Q change| in the
  episode), ``td/abs_error`` (mean |TD error| over its steps), ``epsilon``;
- ``rolling/return`` and ``rolling/success``: the mean over the last `window` episodes;
- on evaluated episodes only: ``gap/optimum`` = max over the states the agent can reach of
  |V*(s) - V^greedy(s)|, and ``gap/start`` = the same at the start state(s) (expected).

With ``n_agents > 1`` each of those is the mean across agents, and every per-agent metric
``m`` also comes as ``m_std``, ``m_min`` and ``m_max`` (a band across agents); the stop rules
then watch the worst agent (``gap/optimum_max``, ``q/max_delta_max``).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.constraints import Boolean, FieldError, Interval, Items, Options, Text
from lab.experiments.qlearning import envs, learners, tables
from lab.experiments.qlearning.rules import RollingThreshold, Settled
from lab.records import Step
from lab.stopping import Decision, Divergence, Rule, Tolerance

ENGINES = ("table", "reference", "gymnasium")  # table: compiled where numba imports, else the reference
#: What one env step costs each engine, relative to the compiled table (for `QLearningConfig.work`).
STEP_COST = {"table": 1, "reference": 3, "gymnasium": 16}
ALGORITHMS = ("q_learning", "sarsa")
DECAYS = ("constant", "linear", "exponential")
STOP_RULES = ("optimal", "start", "q_change", "reward")
ACTION_NAMES = {
    "FrozenLake-v1": ("left", "down", "right", "up"),
    "CliffWalking-v1": ("up", "right", "down", "left"),
    "Taxi-v4": ("south", "north", "east", "west", "pickup", "dropoff"),
}
NUMPY_FROM = 32  # from this many agents on, the numpy engine (all agents per numpy call) is faster
PER_AGENT = ("episode/return", "episode/length", "episode/success", "q/max_delta", "td/abs_error")


@dataclass(frozen=True)
class QLearningConfig(Config):
    lab: ClassVar[str] = "qlearning"

    env: str = field("FrozenLake-v1", help="Gymnasium toy-text environment: FrozenLake-v1, Taxi-v4 or CliffWalking-v1",
                     allowed=Options(envs.SUPPORTED))
    map_name: str = field("4x4", help="FrozenLake map: 4x4, 8x8, random (map_size, map_p, map_seed) or custom (desc)",
                          allowed=Options(envs.MAP_NAMES, searched=[m for m in envs.MAP_NAMES if m != "custom"]))
    map_size: int = field(8, help="side of a random FrozenLake map (2 to 32 cells)", allowed=Interval(Integral, 2, 32))
    map_p: float = field(0.8, help="share of frozen cells in a random map (redrawn until S reaches G)",
                         allowed=Interval(Real, 0, 1, closed="right"))
    map_seed: int = field(0, help="seed of the random map (kept apart from the run's seed)", allowed=Interval(Integral, 0, 2**32 - 1))
    desc: tuple[str, ...] | None = field(None, help="custom FrozenLake map rows of S, F, H, G (map_name='custom')",
                                         allowed=Items(Text(None, example="SFFG"), 1, None))
    is_slippery: bool = field(True, help="FrozenLake only: the ice sends you sideways 2 times in 3", allowed=Boolean())
    algorithm: str = field("q_learning", help="q_learning (off-policy max target) or sarsa (on-policy next action)",
                           allowed=Options(ALGORITHMS))
    alpha: float = field(0.1, help="learning rate of the Q update, in (0, 1]", allowed=Interval(Real, 0, 1, closed="right"))
    gamma: float = field(0.99, help="discount factor, in [0, 1]", allowed=Interval(Real, 0, 1))
    epsilon_start: float = field(1.0, help="exploration rate at the first episode", allowed=Interval(Real, 0, 1))
    epsilon_end: float = field(0.05, help="lowest exploration rate (decays stop here)", allowed=Interval(Real, 0, 1))
    epsilon_decay: str = field("exponential", help="constant, linear (minus rate per episode) or exponential (e^(-rate k))",
                               allowed=Options(DECAYS))
    epsilon_rate: float = field(0.005, help="decay rate of epsilon per episode", allowed=Interval(Real, 0, 10))
    episodes: int = field(2000, help="episode budget", allowed=Interval(Integral, 1, 1_000_000))
    max_steps: int | None = field(None, help="step limit per episode (None: the env's own; CliffWalking gets 200)",
                                  allowed=Interval(Integral, 1, 100_000))
    n_agents: int = field(1, help="independent agents (seeds) learning side by side", allowed=Interval(Integral, 1, 1024))
    engine: str = field("table", help="table (compiled, on the env's own transition table), reference (same, plain numpy/Python) or gymnasium (env.step)", allowed=Options(ENGINES))
    eval_every: int = field(50, help="evaluate the greedy policy exactly every this many episodes", allowed=Interval(Integral, 1, None))
    stop_on: tuple[str, ...] = field(
        ("optimal",),
        help="stop rules: optimal (gap/optimum <= tol), start (gap/start <= tol), q_change (<= q_tol), reward (threshold)",
        allowed=Items(Options(STOP_RULES), 0, None),
    )
    tol: float = field(1e-3, help="the greedy policy counts as optimal when its gap (all states, or the start) <= tol",
                       allowed=Interval(Real, 0, None))
    q_tol: float = field(1e-4, help="Q has settled when q/max_delta <= q_tol for `window` episodes in which the goal was reached",
                         allowed=Interval(Real, 0, None))
    window: int = field(100, help="episodes in the rolling means and the settle window", allowed=Interval(Integral, 1, 100_000))
    reward_threshold: float | None = field(None, help="rolling return that counts as solved (None: the env spec's)",
                                           allowed=Interval(Real))
    seed: int = field(0, help="seed of the agents' random streams", allowed=Interval(Integral, 0, 2**63 - 1))

    def check(self) -> None:
        """Refuses: a desc that is not a FrozenLake map with a path, or a desc without map_name='custom';
        epsilon_end above epsilon_start when epsilon decays; stop_on 'reward' with no threshold anywhere;
        a random map (map_size, map_p, map_seed) that no redraw gives a path.
        """
        if self.desc is not None:
            envs.check_desc(self.desc)
            if self.map_name != "custom":
                raise FieldError("desc", self.desc, f"is only used with map_name='custom' (got map_name={self.map_name!r})")
        if self.epsilon_decay != "constant" and self.epsilon_end > self.epsilon_start:
            raise FieldError("epsilon_end", self.epsilon_end, f"is above epsilon_start={self.epsilon_start!r}; a decay goes down")
        if "reward" in self.stop_on and self.threshold is None:
            raise ValueError(f"reward_threshold=None: {self.env} has no reward threshold in its spec; give one to stop on reward")
        _ = self.key  # draws a random map now, so a map without a path fails here, naming map_p

    @property
    def key(self) -> envs.EnvKey:
        """The concrete MDP (map rows, slipperiness, step limit) this config learns."""
        return _key(self.env, self.map_name, self.map_size, self.map_p, self.map_seed, self.desc, self.is_slippery, self.max_steps)

    @property
    def threshold(self) -> float | None:
        return self.reward_threshold if self.reward_threshold is not None else envs.reward_threshold(self.env)

    def work(self) -> int:
        """Episodes x agents x the step limit of an episode x the engine's cost of a step.

        That is the most env steps the run can take; a step of the compiled table engine costs 1,
        of the plain reference 3 and of Gymnasium's ``env.step`` 16 (`STEP_COST`, measured).
        """
        return self.episodes * self.n_agents * self.key.max_steps * STEP_COST[self.engine]

    @property
    def budget(self) -> int:
        return self.episodes

    def experiment(self) -> QLearningExperiment:
        return QLearningExperiment(self)

    def rules(self) -> list[Rule]:
        many = self.n_agents > 1
        rules: list[Rule] = [Divergence("td/abs_error_max" if many else "td/abs_error", threshold=1e10)]
        if "optimal" in self.stop_on:
            rules.append(Tolerance(
                "gap/optimum_max" if many else "gap/optimum", self.tol,
                what="the largest gap |V*(s) - V^greedy(s)| over reachable states" + (" (worst agent)" if many else ""),
            ))
        if "start" in self.stop_on:
            rules.append(Tolerance(
                "gap/start_max" if many else "gap/start", self.tol,
                what="the gap V*(start) - V^greedy(start)" + (" (worst agent)" if many else ""),
            ))
        if "q_change" in self.stop_on:
            rules.append(Settled(
                "q/max_delta_max" if many else "q/max_delta", self.q_tol, self.window,
                what="the largest Q change in an episode" + (" (worst agent)" if many else ""),
            ))
        if "reward" in self.stop_on:
            rules.append(RollingThreshold("episode/return", self.threshold, self.window, what="return"))
        return rules


@functools.lru_cache(maxsize=64)
def _key(env: str, map_name: str, map_size: int, map_p: float, map_seed: int, desc: tuple[str, ...] | None,
         is_slippery: bool, max_steps: int | None) -> envs.EnvKey:
    limit = envs.default_limit(env) if max_steps is None else max_steps
    if env != "FrozenLake-v1":
        return envs.EnvKey(env, (), False, limit)
    rows = envs.frozen_lake_desc(map_name, map_size, map_p, map_seed, desc)
    return envs.EnvKey(env, rows, is_slippery, limit)


class _Evaluator:
    """Exact policy evaluation of the greedy policy, remembered per policy (policies repeat a lot)."""

    def __init__(self, table: tables.Table, v_star: np.ndarray, gamma: float) -> None:
        self.table, self.v_star, self.gamma = table, v_star, gamma
        self.mask = table.decision
        self.start = table.init_prob
        self.cache: dict[bytes, tuple[float, float]] = {}

    def __call__(self, q: np.ndarray) -> tuple[float, float]:
        policy = np.asarray(q).argmax(axis=1)
        key = policy.tobytes()
        hit = self.cache.get(key)
        if hit is None:
            v = tables.evaluate(self.table, policy, self.gamma)
            diff = np.abs(self.v_star - v)
            hit = (float(diff[self.mask].max()), float(abs(self.start @ (self.v_star - v))))
            if len(self.cache) > 4096:
                self.cache.clear()
            self.cache[key] = hit
        return hit


class QLearningExperiment:
    """Learn, episode by episode, and measure against value iteration."""

    def __init__(self, config: QLearningConfig) -> None:
        self.config = config
        self.key = config.key
        self.table = tables.table_for(self.key)
        self.v_star, self.q_star, self.pi_star = tables.optimum(self.key, config.gamma)
        self.evaluator = _Evaluator(self.table, self.v_star, config.gamma)
        self.settings = learners.Settings(
            alpha=config.alpha, gamma=config.gamma, algorithm=config.algorithm, episodes=config.episodes,
            limit=self.key.max_steps,
            epsilons=learners.epsilons(config.epsilon_decay, config.epsilon_start, config.epsilon_end,
                                       config.epsilon_rate, config.episodes),
            eval_every=config.eval_every, n_agents=config.n_agents,
        )
        self._q: list = []
        self.last_gap: np.ndarray | None = None

    def _engine(self) -> Iterator[learners.Episode]:
        c, st = self.config, self.settings
        rngs = learners.streams(c.seed, c.n_agents)
        if c.engine == "gymnasium":
            return learners.gym_engine(self.key, self.table, st, rngs, self.evaluator, self._q)
        if c.engine == "table":
            from lab.experiments.qlearning import compiled  # imports numba (0.4 s): only when a run needs it

            if compiled.AVAILABLE:
                return compiled.compiled_engine(self.table, st, rngs, self.evaluator, self._q)
        if c.n_agents == 1:
            return learners.python_engine(self.table, st, rngs[0][0], rngs[0][1], self.evaluator, self._q)
        if c.n_agents < NUMPY_FROM:
            return learners.python_agents(self.table, st, rngs, self.evaluator, self._q)
        return learners.numpy_engine(self.table, st, rngs, self.evaluator, self._q)

    def steps(self) -> Iterator[Step]:
        window = self.config.window
        returns: deque[float] = deque(maxlen=window)
        wins: deque[float] = deque(maxlen=window)
        many = self.config.n_agents > 1
        eps = self.settings.epsilons
        for ep in self._engine():
            if many:
                metrics = _band(ep)
            else:
                metrics = {
                    "episode/return": float(ep.returns[0]), "episode/length": float(ep.lengths[0]),
                    "episode/success": float(ep.success[0]), "q/max_delta": float(ep.max_delta[0]),
                    "td/abs_error": float(ep.td_error[0]),
                }
                if ep.gap is not None:
                    metrics["gap/optimum"], metrics["gap/start"] = float(ep.gap[0, 0]), float(ep.gap[0, 1])
            if ep.gap is not None:
                self.last_gap = ep.gap
            returns.append(metrics["episode/return"])
            wins.append(metrics["episode/success"])
            metrics["rolling/return"] = sum(returns) / len(returns)
            metrics["rolling/success"] = sum(wins) / len(wins)
            metrics["epsilon"] = eps[ep.index]
            yield Step(ep.index + 1, metrics)

    def q(self) -> np.ndarray:
        """Q of every agent as an (n_agents, S, A) array (zeros before the first step)."""
        if not self._q:
            return np.zeros((self.config.n_agents, self.table.n_states, self.table.n_actions))
        q = np.array(self._q[0], dtype=float)
        return q[None] if q.ndim == 2 else q

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        """What a page draws once the run ends.

        ``q`` (agents, S, A); ``v_star``, ``q_star``, ``optimal_policy`` from value iteration;
        ``greedy_policy`` (agents, S) and its exact values ``v_greedy`` (agents, S);
        ``reachable`` (S,) the states the gap is measured on; ``action_names``; ``step_limit``;
        ``reward_threshold``; ``grid`` (see `lab.experiments.qlearning.envs.grid_info`: shape, desc rows, start,
        goal, holes, cliff cells); ``replay``: one seeded greedy episode of agent 0 (states,
        actions, rewards, grid cells, terminated, success, return).
        """
        q = self.q()
        greedy = q.argmax(axis=2)
        v_greedy = np.stack([tables.evaluate(self.table, pi, self.config.gamma) for pi in greedy])
        return {
            "q": q,
            "v_star": np.array(self.v_star),
            "q_star": np.array(self.q_star),
            "optimal_policy": np.array(self.pi_star),
            "greedy_policy": greedy,
            "v_greedy": v_greedy,
            "reachable": self.table.decision.copy(),
            "n_states": self.table.n_states,
            "n_actions": self.table.n_actions,
            "action_names": ACTION_NAMES[self.key.env_id],
            "step_limit": self.key.max_steps,
            "reward_threshold": self.config.threshold,
            "grid": envs.grid_info(self.key),
            "replay": replay(self.table, q[0], self.config.seed),
        }


def _band(ep: learners.Episode) -> dict[str, float]:
    rows = [ep.returns, ep.lengths, ep.success, ep.max_delta, ep.td_error]
    names = PER_AGENT
    if ep.gap is not None:
        rows += [ep.gap[:, 0], ep.gap[:, 1]]
        names += ("gap/optimum", "gap/start")
    v = np.stack(rows)
    stats = zip(v.mean(1).tolist(), v.std(1).tolist(), v.min(1).tolist(), v.max(1).tolist())
    metrics: dict[str, float] = {}
    for name, (mean, std, low, high) in zip(names, stats):
        metrics[name] = mean
        metrics[name + "_std"] = std
        metrics[name + "_min"] = low
        metrics[name + "_max"] = high
    return metrics


def replay(table: tables.Table, q: np.ndarray, seed: int) -> dict[str, Any]:
    """One episode of the greedy policy of `q` on the table, with its own seeded env stream.

    Returns the visited ``states`` (one more than actions), ``actions``, ``rewards``, grid
    ``cells`` (row, col) where the env is a grid, and whether it ``terminated`` / reached the goal.
    """
    from bisect import bisect_right

    rng = np.random.default_rng([seed, 1])
    cum, out = table.python_lists
    policy = np.asarray(q).argmax(axis=1).tolist()
    s = bisect_right(table.init_cum.tolist(), rng.random())
    states, actions, rewards = [s], [], []
    terminated = success = False
    for _ in range(table.key.max_steps):
        a = policy[s]
        sa = s * table.n_actions + a
        s, r, terminated, success = out[sa][bisect_right(cum[sa], rng.random())]
        states.append(s)
        actions.append(a)
        rewards.append(r)
        if terminated:
            break
    cols = 12 if table.key.env_id == "CliffWalking-v1" else len(table.key.desc[0]) if table.key.desc else None
    cells = [(st // cols, st % cols) for st in states] if cols else None
    return {"states": states, "actions": actions, "rewards": rewards, "cells": cells,
            "terminated": terminated, "success": success, "return": float(sum(rewards))}


def _presets() -> dict[str, Any]:
    from lab.presets import Preset

    no_explore = {"epsilon_start": 0.0, "epsilon_end": 0.0, "epsilon_decay": "constant"}
    return {
        "no_exploration": Preset(
            "No exploration gets stuck",
            "With epsilon = 0 the agent only ever takes the action it already rates best. On slippery ice the first "
            "route that reached the goal keeps being followed and better routes are never tried: the success rate "
            "and the gap at the start stop improving, far from what an exploring agent reaches.",
            QLearningConfig(is_slippery=True, episodes=3000, n_agents=8, stop_on=("start",), tol=0.01, **no_explore),
        ),
        "slippery": Preset(
            "Slippery ice needs far more episodes",
            "On slippery ice every move goes sideways 2 times in 3, so returns are noisy and Q needs many more "
            "samples: the greedy policy becomes optimal from the start after thousands of episodes instead of "
            "a few hundred on the same map without slipping (switch is_slippery off to compare).",
            QLearningConfig(is_slippery=True, episodes=10000, n_agents=8, eval_every=10, stop_on=("start",), tol=0.01),
        ),
        "low_gamma": Preset(
            "A low gamma ignores the distant goal",
            "With gamma = 0.5 a reward 10 steps away is worth 0.5^10 = 0.001 now: the values far from the goal are "
            "near 0 and the agent prefers short risky paths. Its greedy policy is optimal for gamma 0.5 but poor "
            "for the real task (gamma 0.99): much less likely to reach the goal.",
            QLearningConfig(gamma=0.5, episodes=3000, n_agents=4, stop_on=()),
        ),
        "high_alpha": Preset(
            "Too high a learning rate never settles",
            "With alpha = 1 each update replaces Q(s, a) by the latest sample; on slippery ice the samples differ "
            "from step to step, so Q keeps jumping (q/max_delta stays high) and the Q-change rule never fires. "
            "A small alpha averages the samples and settles.",
            QLearningConfig(alpha=1.0, epsilon_decay="constant", epsilon_start=0.1, epsilon_end=0.1, episodes=2500,
                            stop_on=("q_change",), q_tol=1e-3),
        ),
    }


PRESETS = _presets()
