"""Q-learning lab against the loop a user would otherwise write: Gymnasium's tutorial.

The peer is the tabular loop of Gymnasium's FrozenLake tutorial: ``env.step`` on the real
environment each step, epsilon-greedy on a numpy Q-table, the update with numpy scalars.
The lab runs through ``lab.run`` (Step records, exact evaluation every 50 episodes
included), with its compiled engine (numba, the default) and with the plain numpy/Python
reference engine. Measurements are interleaved and repeated; medians and ratios are printed,
by wall clock and by this process's CPU time (the fairer figure on a shared, loaded machine),
with the load average beside them. Last, the compile cost of the kernels: the first compile
(an empty numba cache) and a start that loads them from numba's on-disk cache, each in a
fresh interpreter.

    python benchmarks/qlearning.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lab  # noqa: E402
from lab.experiments.qlearning import QLearningConfig, compiled  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

ENVS = {
    "FrozenLake 8x8 slippery": (dict(id="FrozenLake-v1", map_name="8x8", is_slippery=True), dict(map_name="8x8")),
    "Taxi-v4": (dict(id="Taxi-v4"), dict(env="Taxi-v4")),
}


def tutorial_loop(make_kwargs: dict, seconds: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """(steps per wall-clock second, per CPU second) of the tutorial's loop, run for about `seconds`."""
    env = gym.make(**make_kwargs)
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    q = np.zeros((env.observation_space.n, env.action_space.n))
    steps, epsilon, lr, gamma = 0, 0.1, 0.8, 0.95
    start, cpu = time.perf_counter(), time.process_time()
    episode = 0
    while time.perf_counter() - start < seconds:
        state, _ = env.reset(seed=seed if episode == 0 else None)
        episode += 1
        done = False
        while not done:
            if rng.uniform(0, 1) < epsilon:
                action = env.action_space.sample()
            else:
                action = int(np.argmax(q[state, :]))
            new_state, reward, terminated, truncated, _ = env.step(action)
            q[state, action] = q[state, action] + lr * (reward + gamma * np.max(q[new_state, :]) - q[state, action])
            steps += 1
            done = terminated or truncated
            state = new_state
    return steps / (time.perf_counter() - start), steps / (time.process_time() - cpu)


def lab_rate(config: QLearningConfig) -> tuple[float, float, float]:
    """(environment steps over all agents per wall-clock second, per CPU second, wall seconds) of one lab.run."""
    start, cpu = time.perf_counter(), time.process_time()
    result = lab.run(config)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    steps = sum(s.metrics["episode/length"] for s in result.steps) * config.n_agents
    return steps / seconds, steps / cpu_seconds, seconds


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def compile_seconds() -> tuple[float, float, float]:
    """(import numba, first compile, compile loaded from the on-disk cache), each in a fresh interpreter."""
    script = ("import time; t = time.perf_counter(); import numba; t = time.perf_counter() - t; "
              "from lab.experiments.qlearning import compiled; print(t, compiled.warm_up())")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        runs = [subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout.split() for _ in range(2)]
    return float(runs[1][0]), float(runs[0][1]), float(runs[1][1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"compiled kernels: {'numba' if compiled.AVAILABLE else 'numba missing: the reference engine runs'}; {load()}")
    compiled.warm_up()
    for name, (gym_kwargs, cfg) in ENVS.items():
        one = QLearningConfig(**cfg, episodes=2000, stop_on=())
        many = one.replace(n_agents=64, episodes=400)
        lab_rate(one.replace(episodes=20))  # build the table and value iteration once (cached per env)
        rows = [("tutorial loop (env.step)", "peer", None, ""), ("lab, 1 agent", "one", one, ">= 60x"),
                ("lab, 64 agents (total)", "many", many, ">= 100x"),
                ("lab, 1 agent, 2 evaluations", "one, eval 2", one.replace(eval_every=one.episodes),
                 "the exact evaluation every 50 episodes left out"),
                ("reference, 1 agent", "ref one", one.replace(engine="reference"), "the numpy/Python engine"),
                ("reference, 64 agents", "ref many", many.replace(engine="reference"), "the numpy/Python engine")]
        runs: dict[str, list] = {key: [] for _, key, _, _ in rows}
        for _ in range(args.repeats):
            for _, key, config, _ in rows:
                runs[key].append(tutorial_loop(gym_kwargs) if config is None else lab_rate(config)[:2])
        med = {k: [statistics.median(r[i] for r in v) for i in (0, 1)] for k, v in runs.items()}
        print(f"{name}: steps/s (wall clock | CPU time of this process), ratio to the tutorial loop; {load()}")
        for label, key, _, target in rows:
            wall, cpu = med[key]
            ratio = "" if key == "peer" else f"  {wall / med['peer'][0]:6.1f}x | {cpu / med['peer'][1]:6.1f}x  ({target})"
            print(f"  {label:26s} {wall:12,.0f} | {cpu:12,.0f}{ratio}")
    ten_k = QLearningConfig(map_name="8x8", episodes=10_000, stop_on=())
    times = []
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        lab.run(ten_k)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu = (statistics.median(t[i] for t in times) for i in (0, 1))
    print(f"FrozenLake 8x8 slippery, 10,000 episodes, 1 agent, lab.run: median {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"(runs: {', '.join(f'{t[0]:.3f}' for t in times)}; target <= 0.3 s); {load()}")
    if compiled.AVAILABLE:
        imported, first, cached = compile_seconds()
        print(f"kernels, fresh interpreter: import numba {imported:.2f} s; first compile {first:.2f} s; "
              f"loaded from numba's cache {cached:.2f} s; {load()}")


if __name__ == "__main__":
    main()
