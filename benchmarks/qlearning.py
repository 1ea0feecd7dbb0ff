"""Q-learning lab against the loop a user would otherwise write: Gymnasium's tutorial.

The peer is the tabular loop of Gymnasium's FrozenLake tutorial: ``env.step`` on the real
environment each step, epsilon-greedy on a numpy Q-table, the update with numpy scalars.
The lab runs through ``lab.run`` (Step records, exact evaluation every 50 episodes
included). Measurements are interleaved and repeated; medians and ratios are printed, by
wall clock and by this process's CPU time (the fairer figure on a shared, loaded machine).

    python benchmarks/qlearning.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lab  # noqa: E402
from lab.experiments.qlearning import QLearningConfig  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for name, (gym_kwargs, cfg) in ENVS.items():
        one = QLearningConfig(**cfg, episodes=2000, stop_on=())
        many = one.replace(n_agents=64, episodes=400)
        lab_rate(one.replace(episodes=20))  # build the table and value iteration once (cached per env)
        runs: dict[str, list] = {"peer": [], "one": [], "many": []}
        for _ in range(args.repeats):
            runs["peer"].append(tutorial_loop(gym_kwargs))
            runs["one"].append(lab_rate(one)[:2])
            runs["many"].append(lab_rate(many)[:2])
        med = {k: [statistics.median(r[i] for r in v) for i in (0, 1)] for k, v in runs.items()}
        print(f"{name}: steps/s (wall clock | CPU time of this process), ratio to the tutorial loop")
        rows = [("tutorial loop (env.step)", "peer", ""), ("lab, 1 agent", "one", ">= 15x"),
                ("lab, 64 agents (total)", "many", ">= 40x")]
        for label, key, target in rows:
            wall, cpu = med[key]
            ratio = "" if key == "peer" else f"  {wall / med['peer'][0]:5.1f}x | {cpu / med['peer'][1]:5.1f}x  (target {target})"
            print(f"  {label:26s} {wall:11,.0f} | {cpu:11,.0f}{ratio}")
    ten_k = QLearningConfig(map_name="8x8", episodes=10_000, stop_on=())
    times = [lab_rate(ten_k)[2] for _ in range(args.repeats)]
    print(f"FrozenLake 8x8 slippery, 10,000 episodes, 1 agent, lab.run: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}; target <= 2 s)")


if __name__ == "__main__":
    main()
