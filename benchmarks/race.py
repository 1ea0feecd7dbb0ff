"""The Optimizers page's race: every optimizer, 5000 steps each, on Rosenbrock.

Ours goes through `lab.run` (configs, rules, Step records, artifacts), the peer is what a
user would otherwise write: torch.optim + autograd on a float64 tensor of 2 parameters,
one thread, logging loss and the point each step. Both use the same hyperparameters and
the same gradient noise, and the final points are compared as a sanity check (identical
for the SGD family and Adagrad; RMSprop and Adam end up hopping around the minimum, where
one-ulp rounding differences between torch's kernels and Python floats grow).

    python benchmarks/race.py [--repeats 5] [--torch-repeats 1] [--steps 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, as a script

from lab import process  # noqa: E402
from lab.experiments.descent import DescentConfig, default_hyper, race  # noqa: E402
from lab.optim import OPTIMIZERS  # noqa: E402
from lab.records import Kind  # noqa: E402
from lab.torch_utils import Lion  # noqa: E402

SURFACE = "rosenbrock"

TORCH = {
    "gd": (torch.optim.SGD, {}),
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {}),
    "nesterov": (torch.optim.SGD, {"nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "adadelta": (torch.optim.Adadelta, {}),
    "adamax": (torch.optim.Adamax, {}),
    "nadam": (torch.optim.NAdam, {}),
    "radam": (torch.optim.RAdam, {}),
    "lion": (Lion, {}),
}


def ours(steps: int) -> tuple[float, dict[str, tuple[float, float]]]:
    start = time.perf_counter()
    results = race(SURFACE, {name: {} for name in OPTIMIZERS}, steps=steps, tol=0.0, seed=0)
    seconds = time.perf_counter() - start
    for name, result in results.items():
        assert result.decision.kind is Kind.BUDGET, (name, result.decision.reason)
    return seconds, {name: r.artifacts["final"] for name, r in results.items()}


def _torch_run(name: str, steps: int) -> tuple[float, float]:
    config = DescentConfig(surface=SURFACE, optimizer=name, steps=steps, seed=0, **default_hyper(SURFACE, name))
    hyper = dict(config.optimizer_hyper())
    if name in ("momentum", "nesterov"):
        hyper.setdefault("momentum", 0.9)
    cls, fixed = TORCH[name]
    p = torch.tensor(config.start_point, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **({} if cls is Lion else {"foreach": False}), **fixed, **hyper)
    noise = torch.tensor(config.noise * np.random.default_rng(config.seed).standard_normal((2, steps)).T.copy())
    log = []
    for t in range(steps):
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        if config.noise > 0:
            p.grad += noise[t]
        opt.step()
        log.append((loss.item(), *p.detach().tolist()))
    x, y = p.detach().tolist()
    return x, y


def peer(steps: int) -> tuple[float, dict[str, tuple[float, float]]]:
    start = time.perf_counter()
    finals = {name: _torch_run(name, steps) for name in OPTIMIZERS}
    return time.perf_counter() - start, finals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--torch-repeats", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--no-freeze", action="store_true", help="leave the collector walking the imports' objects")
    args = parser.parse_args()
    torch.set_num_threads(1)
    import sklearn.metrics  # noqa: F401  (what a server that has shown the Classifier page holds)
    import streamlit  # noqa: F401
    if not args.no_freeze:
        process.freeze_imports()  # as every page does after its imports (lab.ui.page.setup)
    total_steps = len(OPTIMIZERS) * args.steps

    ours(200)  # warm up imports and caches
    ours_times, finals = [], {}
    for _ in range(args.repeats):
        seconds, finals = ours(args.steps)
        ours_times.append(seconds)
    torch_times, torch_finals = [], {}
    for _ in range(args.torch_repeats):
        seconds, torch_finals = peer(args.steps)
        torch_times.append(seconds)

    gaps = {n: float(np.hypot(finals[n][0] - torch_finals[n][0], finals[n][1] - torch_finals[n][1])) for n in OPTIMIZERS}
    ours_med, torch_med = statistics.median(ours_times), statistics.median(torch_times)
    print(f"race: {len(OPTIMIZERS)} optimizers x {args.steps} steps on {SURFACE} ({total_steps} steps), "
          f"torch, scikit-learn and streamlit imported, collector {'not ' * args.no_freeze}frozen after the imports")
    print(f"  lab.run (float per coordinate): median {ours_med:.4f} s over {args.repeats}  "
          f"({ours_med / total_steps * 1e6:.2f} us/step; min {min(ours_times):.4f} s, max {max(ours_times):.4f} s)")
    print(f"  torch.optim + autograd (fp64, 1 thread): median {torch_med:.3f} s over {args.torch_repeats}  "
          f"({torch_med / total_steps * 1e6:.1f} us/step)")
    print(f"  ratio torch / ours: {torch_med / ours_med:.0f}x")
    print("  distance between the final points of the two (rmsprop/adam at these lr hop around the minimum,")
    print("  where one-ulp rounding differences grow):", ", ".join(f"{n} {g:.1e}" for n, g in gaps.items()))


if __name__ == "__main__":
    main()
