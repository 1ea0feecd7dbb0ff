"""The Optimizers page's maps: the basins of attraction and the stability map at their defaults.

Target: the default basin map (60 x 60 starts, 1000 steps, Himmelblau) draws in <= 2 s on these
2 cores. Ours runs every start at once (`lab.insight.basins`); the peer is what a user would
otherwise write: one `lab.run` per start, timed on a sample of starts and scaled to the grid.
Both must agree on where each sampled start ends. The stability map (36 x 25 settings,
1000 steps, the ravine) is timed the same way against one `lab.run` per setting.

    python benchmarks/insight.py [--repeats 5] [--sample 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, as a script

import lab  # noqa: E402
from benchmarks.timing import median_seconds  # noqa: E402
from lab.experiments.descent import DescentConfig, default_hyper, surfaces  # noqa: E402
from lab.insight import basins, stability  # noqa: E402

GRID, STEPS, TOL = 60, 1000, 1e-3
OPTIMIZERS = ("gd", "momentum", "adam")


def basins_peer(optimizer: str, sample: int) -> tuple[float, bool]:
    """Seconds per start of one lab.run each, and whether they end where the grid says."""
    hyper = default_hyper("himmelblau", optimizer)
    b = basins.basins("himmelblau", optimizer, DescentConfig(surface="himmelblau", optimizer=optimizer, **hyper).optimizer_hyper(),
                      n=GRID, steps=STEPS, tol=TOL)
    rng = np.random.default_rng(0)
    picks = rng.integers(0, GRID, size=(sample, 2))
    minima = surfaces.get("himmelblau").minima
    agree = True
    start = time.perf_counter()
    for i, j in picks:
        config = DescentConfig(surface="himmelblau", optimizer=optimizer, steps=STEPS, tol=TOL,
                               start=(float(b.xs[j]), float(b.ys[i])), **hyper)
        result = lab.run(config)
        if b.end[i, j] >= 0:
            agree &= result.artifacts["nearest_minimum"] == minima[b.end[i, j]]
    return (time.perf_counter() - start) / sample, bool(agree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=40)
    args = parser.parse_args()
    for optimizer in OPTIMIZERS:
        hyper = DescentConfig(surface="himmelblau", optimizer=optimizer, **default_hyper("himmelblau", optimizer)).optimizer_hyper()
        ours = median_seconds(lambda o=optimizer, h=hyper: basins.basins("himmelblau", o, h, n=GRID, steps=STEPS, tol=TOL), args.repeats)
        per_start, agree = basins_peer(optimizer, args.sample)
        peer = per_start * GRID * GRID
        print(f"basins {optimizer:9s} {GRID}x{GRID} starts: ours {ours:.3f} s (target <= 2 s), one lab.run per start "
              f"~{peer:.1f} s: {peer / ours:.0f}x; same minima: {agree}")
    lrs, momenta = stability.lr_grid(0.01), stability.momentum_grid()
    ours = median_seconds(lambda: stability.stability_map("ravine", "momentum", lrs, momenta, start=(-2.5, 1.0), steps=STEPS, tol=TOL),
                   args.repeats)
    start = time.perf_counter()
    for lr in lrs[:: max(1, len(lrs) // 6)]:
        lab.run(DescentConfig(surface="ravine", optimizer="momentum", lr=float(lr), momentum=0.5, steps=STEPS, tol=TOL))
    per_cell = (time.perf_counter() - start) / len(lrs[:: max(1, len(lrs) // 6)])
    peer = per_cell * len(lrs) * len(momenta)
    print(f"stability map momentum {len(momenta)}x{len(lrs)} settings: ours {ours:.3f} s, one lab.run per setting "
          f"~{peer:.1f} s: {peer / ours:.0f}x")
    regression_map(args.repeats)


def regression_map(repeats: int) -> None:
    """The Regression page's map at its default problem (and at 50 features) against one lab.run per setting."""
    from lab.experiments.regression import RegressionConfig
    from lab.experiments.regression.experiment import RegressionExperiment

    for features in (10, 50):
        config = RegressionConfig(n_features=features, optimizer="momentum", momentum=0.5)
        problem = RegressionExperiment(config)
        centre = 1.0 / float(np.linalg.eigvalsh(2.0 * problem.gram)[-1])
        lrs, momenta = stability.lr_grid(centre), stability.momentum_grid()
        ours = median_seconds(lambda p=problem, c=config, g=lrs, m=momenta: stability.regression_map(
            p.gram, p.theta_star, "momentum", g, m, steps=c.epochs, tol=c.tol, diverged_above=c.divergence_threshold,
            optimum_mse=p.optimum_mse), repeats)
        sample = lrs[:: max(1, len(lrs) // 6)]
        start = time.perf_counter()
        for lr in sample:
            lab.run(config.replace(lr=float(lr)))
        peer = (time.perf_counter() - start) / len(sample) * len(lrs) * len(momenta)
        print(f"regression map momentum, {features} features, {len(momenta)}x{len(lrs)} settings x {config.epochs} epochs: "
              f"ours {ours:.3f} s, one lab.run per setting ~{peer:.1f} s: {peer / ours:.0f}x")


if __name__ == "__main__":
    main()
