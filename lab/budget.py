"""The work budget of a run: how much work a config asks for, and how much one visitor may ask.

Each lab's config declares its work once, ``Config.work()``, an estimate in the lab's own units
whose formula its docstring states (epochs x training samples x parameters for the torch labs,
episodes x agents x step limit for Q-learning, ...). Each lab's limit is declared once with the
lab, ``registry.Lab.work_limit``, calibrated to about 10 to 20 s of work on two loaded cores, with
room for the default and every preset. A link or a setting beyond the limit is refused on a
shared deployment and only warned about locally (`lab.ui.budget`); this module decides nothing
about where it runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from lab import registry

#: The fixed cost of one optimizer step of a torch model (a forward, a backward and an update of a
#: batch), in multiply-adds of the model: on these CPUs a batch of one costs about 2 ms whatever the
#: model's size. The torch labs count it once per batch, so a batch size of 1 counts as what it costs.
TORCH_STEP = 1_000_000
#: The most grid points a sweep's work is averaged over (a larger grid is sampled).
SWEEP_SAMPLE = 1000


def limit(lab: str) -> int | None:
    """The most work a run of `lab` may do on a shared deployment (None: no limit)."""
    return registry.LABS[lab].work_limit if lab in registry.LABS else None


def formula(config: Any) -> str:
    """How the config's lab counts work: the first line of its ``work`` docstring."""
    doc = (type(config).work.__doc__ or "").strip()
    line = doc.splitlines()[0].rstrip(".") if doc else "work units"
    return line[0].lower() + line[1:]


def excess(config: Any) -> str | None:
    """A one-line note naming the estimate and the limit when the run is over its lab's limit; None within it."""
    return _note("this run", config.lab, config.work(), formula(config))


def total_excess(configs: Iterable[Any], what: str = "race") -> str | None:
    """`excess` for runs a visitor starts as one (the Optimizers race): the sum of their work against
    their lab's limit for one run."""
    configs = list(configs)
    if not configs:
        return None
    works = [c.work() for c in configs]
    if any(w is None for w in works):
        return None
    return _note(f"this {what}", configs[0].lab, sum(works), f"the sum over its {len(configs)} runs of {formula(configs[0])}")


def sweep_work(base: Any, space: Any, n_trials: int) -> float | None:
    """A sweep's work: `n_trials` times the mean work of a trial over the space's grid (`base` with the
    searched settings at each grid point; a seeded sample of `SWEEP_SAMPLE` points of a larger grid),
    what a grid sweep does exactly and a random one on average. Points the config refuses are no trials."""
    import itertools
    import random

    from lab.sweep.space import apply

    names = list(space.dims)
    grids = [space.dims[name].grid() for name in names]
    if math.prod(len(g) for g in grids) <= SWEEP_SAMPLE:
        points = list(itertools.product(*grids))
    else:
        rng = random.Random(0)
        points = [tuple(rng.choice(g) for g in grids) for _ in range(SWEEP_SAMPLE)]
    works = []
    for point in points:
        try:
            works.append(apply(base, dict(zip(names, point))).work())
        except (ValueError, TypeError):
            continue
    if not works or any(w is None for w in works):
        return None
    return n_trials * sum(works) / len(works)


def sweep_excess(base: Any, space: Any, n_trials: int) -> str | None:
    """`excess` for a sweep: `sweep_work` against the lab's limit for one run."""
    return _note("this sweep", base.lab, sweep_work(base, space, n_trials),
                 f"{n_trials} trials x a trial's mean {formula(base)}")


def _note(what: str, lab: str, work: float | None, counted: str) -> str | None:
    most = limit(lab)
    if work is None or most is None or work <= most:
        return None
    return f"{what}'s work is about {work:.3g} units ({counted}), over the {lab} lab's limit of {most:.3g} per run"
