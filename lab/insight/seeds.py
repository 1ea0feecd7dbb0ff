"""The seed spread: a setting run for seeds 0..n-1, its curves as bands and its outcomes as a sample.

One run of a setting is one draw of its randomness (the split, the initial weights, the batch
order, the gradient noise, the agent's exploration). Running the same setting for seeds
0..n-1 (``dataclasses.replace(config, seed=s)``, through `lab.run`) turns "Adam converges
faster here" into something that can be checked: each curve becomes a band (min, median and
max over the seeds at each step; a run that stops early ends its part of the band there), and
each run's decision step and final yardstick (its lab's registry monitor) become a sample, so
two settings can be compared by a rank test (Mann-Whitney U) instead of by one lucky draw each.

Seeds are run seed by seed across the settings (seed 0 of each setting, then seed 1, ...), so a
spread stopped part way holds the same seeds of every setting. The same seeds give the same
bands, bit for bit: every lab is deterministic in its seed.

The spread counts as n times each setting's work against the lab's limit (`lab.budget`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import lab
from lab import budget, registry
from lab.metrics import mode_of
from lab.records import RunResult, Step
from lab.validation import check_number

#: The most seeds one spread runs.
MAX_SEEDS = 30
#: Below this p-value a difference "holds across seeds".
ALPHA = 0.05
#: The columns of `Spread.curves` and `Spread.outcomes`.
CURVE_COLUMNS = ["group", "seed", "step", "metric", "value"]
OUTCOME_COLUMNS = ["group", "seed", "kind", "step", "final"]

#: What a finished run is told of its place: (group, seed, result, runs done, runs in all).
OnResult = Callable[[str, int, RunResult, int, int], None]


def check_seeds(n: Any) -> int:
    """The number of seeds, if it is an integer from 1 to `MAX_SEEDS`; else a one-line ValueError."""
    check_number("seeds", n, 1, MAX_SEEDS, integer=True)
    return int(n)


def lab_of(configs: Mapping[str, Any]) -> str:
    """The one lab every config runs (a spread compares settings of one lab)."""
    labs = {type(c).lab for c in configs.values()}
    if len(labs) != 1:
        raise ValueError(f"a seed spread compares settings of one lab, not of {', '.join(sorted(labs)) or 'none'}")
    return labs.pop()


def monitor(lab_id: str) -> str:
    """The lab's yardstick: its registry monitor."""
    return registry.LABS[lab_id].monitor.metric


def work(configs: Mapping[str, Any], n: int) -> int | None:
    """The work of the spread: n times each setting's work (None: a setting does not count its work)."""
    each = [c.work() for c in configs.values()]
    return None if any(w is None for w in each) else n * sum(each)


def excess(configs: Mapping[str, Any], n: int) -> str | None:
    """A one-line note when n seeds of these settings are over the lab's work limit (None within it)."""
    most, total = budget.limit(lab_of(configs)), work(configs, n)
    if most is None or total is None or total <= most:
        return None
    first = next(iter(configs.values()))
    fit = int(most // (total // n)) if total // n else 0
    return (f"{n} seeds of {'this setting' if len(configs) == 1 else f'these {len(configs)} settings'} are about "
            f"{total:.3g} units of work ({budget.formula(first)}, counted once per seed), over the {first.lab} lab's "
            f"limit of {most:.3g}; at most {fit} seed{'s' if fit != 1 else ''} fit")


def run(
    configs: Mapping[str, Any],
    n: int,
    *,
    metrics: list[str] | None = None,
    data: Any = None,
    refuse: bool = False,
    on_step: Callable[[Step], None] | None = None,
    on_result: OnResult | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Spread:
    """Run each config for seeds 0..n-1 and collect the spread.

    `metrics` keeps only those curves (None: every metric a run records). `data` is the upload
    a page's configs read (`lab.run`). With `refuse`, a spread over the lab's work limit raises
    ValueError with `excess`'s note. `on_step` and `on_result` follow the runs; once `cancel()`
    is true the run under way is dropped and the spread holds the seeds that finished.
    """
    n = check_seeds(n)
    lab_id = lab_of(configs)
    note = excess(configs, n)
    if refuse and note:
        raise ValueError(note)
    watched = monitor(lab_id)
    finished: list[tuple[str, int, RunResult]] = []
    total = n * len(configs)
    for seed in range(n):
        for group, config in configs.items():
            result = lab.run(dataclasses.replace(config, seed=seed), data=data, on_step=on_step, cancel=cancel)
            if cancel is not None and cancel():
                return Spread.of(finished, watched, n, metrics)
            finished.append((group, seed, result))
            if on_result is not None:
                on_result(group, seed, result, len(finished), total)
    return Spread.of(finished, watched, n, metrics)


@dataclass(frozen=True)
class Spread:
    """The runs of a spread as two tables.

    `curves`: group, seed, step, metric, value (a long table, a row per recorded value);
    `outcomes`: group, seed, kind (the decision's `Kind`), step (the decision's), final (the
    monitor's last value; a run that failed scores the worst value, as in a sweep).
    """

    curves: pd.DataFrame
    outcomes: pd.DataFrame
    monitor: str
    #: the seeds asked for (the outcomes hold fewer when the spread was stopped)
    seeds: int

    @classmethod
    def of(cls, runs: list[tuple[str, int, RunResult]], monitor: str, seeds: int, metrics: list[str] | None = None) -> Spread:
        keep = None if metrics is None else {*metrics, monitor}
        rows = [(group, seed, s.step, name, float(value)) for group, seed, result in runs for s in result.steps
                for name, value in s.metrics.items() if keep is None or name in keep]
        outcomes = [(group, seed, result.decision.kind, result.decision.step, final_value(result, monitor))
                    for group, seed, result in runs]
        return cls(pd.DataFrame(rows, columns=CURVE_COLUMNS), pd.DataFrame(outcomes, columns=OUTCOME_COLUMNS), monitor, seeds)

    @property
    def groups(self) -> list[str]:
        """The settings, in the order they ran."""
        return list(dict.fromkeys(self.outcomes["group"]))

    @property
    def finished(self) -> int:
        """Seeds every setting finished."""
        counts = self.outcomes.groupby("group").size()
        return int(counts.min()) if len(counts) else 0

    def identical(self, group: str) -> bool:
        """True when every seed of `group` recorded exactly the same curves (nothing in the setting is random)."""
        part = self.curves[self.curves["group"] == group]
        seeds = [frame.drop(columns=["group", "seed"]).reset_index(drop=True) for _, frame in part.groupby("seed")]
        return len(seeds) > 1 and all(frame.equals(seeds[0]) for frame in seeds[1:])


def final_value(result: RunResult, metric: str) -> float:
    """The monitor's last value; the worst value (inf when lower is better) if the run failed or never recorded it."""
    worst = math.inf if mode_of(metric) == "min" else -math.inf
    value = result.last(metric)
    if result.decision.failed or value is None or not math.isfinite(value):
        return worst
    return float(value)


def bands(curves: pd.DataFrame) -> pd.DataFrame:
    """Min, median and max over the seeds at each step of each group's curves, and how many seeds reached it.

    Columns group, metric, step, min, median, max, seeds. A run that stopped early adds nothing
    past its last step, so the band there is over the seeds still running.
    """
    finite = curves[np.isfinite(curves["value"].to_numpy(dtype=float))]
    grouped = finite.groupby(["group", "metric", "step"], sort=False)["value"]
    table = grouped.agg(["min", "median", "max", "count"]).rename(columns={"count": "seeds"}).reset_index()
    return table.sort_values(["group", "metric", "step"], kind="stable", key=_in_order(curves)).reset_index(drop=True)


def _in_order(curves: pd.DataFrame) -> Callable[[pd.Series], pd.Series]:
    """Sort groups and metrics in the order they first appear (steps by number)."""
    orders = {col: {v: i for i, v in enumerate(dict.fromkeys(curves[col]))} for col in ("group", "metric")}
    return lambda column: column.map(orders[column.name]) if column.name in orders else column


@dataclass(frozen=True)
class Comparison:
    """Whether one quantity (`what`, lower or higher better) differs between two groups across seeds.

    `p` is the two-sided Mann-Whitney U test's; `better` is the chance that a seed of `a` does
    better than a seed of `b` (ties count half: 0.5 when they cannot be told apart).
    """

    what: str
    a: str
    b: str
    median_a: float
    median_b: float
    n_a: int
    n_b: int
    better: float
    p: float
    lower_is_better: bool
    #: what the better one does, in words ("is lower", "is higher", "decides sooner")
    word: str

    @property
    def holds(self) -> bool:
        """True when the difference holds across seeds (p below `ALPHA`)."""
        return self.p < ALPHA

    def words(self, number: Callable[[float], str] = lambda v: f"{v:.4g}") -> str:
        """The comparison as a sentence: which is better, by how much, how sure; or that the seeds cannot tell."""
        medians = f"median {number(self.median_a)} against {number(self.median_b)}"
        if not self.holds:
            few = f"; with {min(self.n_a, self.n_b)} seeds a side no difference could show, take at least 4" \
                if min(self.n_a, self.n_b) < 4 else ""
            return (f"{self.what}: {min(self.n_a, self.n_b)} seeds cannot tell {self.a} and {self.b} apart "
                    f"({medians}, Mann-Whitney p = {self.p:.2g}{few}).")
        a_wins = self.better > 0.5
        winner, loser, chance = (self.a, self.b, self.better) if a_wins else (self.b, self.a, 1 - self.better)
        first, second = (self.median_a, self.median_b) if a_wins else (self.median_b, self.median_a)
        medians = f"median {number(first)} against {number(second)}"  # in the sentence's order: the winner's first
        return (f"{self.what}: {winner} {self.word} than {loser}, and the difference holds across seeds "
                f"({medians}; a seed of {winner} beats a seed of {loser} {chance:.0%} of the time; Mann-Whitney p = {self.p:.2g}).")


def compare(spread: Spread, a: str, b: str) -> list[Comparison]:
    """Groups `a` and `b` compared on the final monitor value and on the decision step (sooner is better)."""
    out = spread.outcomes
    return [rank_test(f"final {spread.monitor}", a, b, out.loc[out["group"] == a, "final"], out.loc[out["group"] == b, "final"],
                      lower_is_better=mode_of(spread.monitor) == "min"),
            rank_test("decision step", a, b, out.loc[out["group"] == a, "step"], out.loc[out["group"] == b, "step"],
                      lower_is_better=True, word="decides sooner")]


def rank_test(what: str, a: str, b: str, xs: Any, ys: Any, *, lower_is_better: bool, word: str = "") -> Comparison:
    """The Mann-Whitney U test of two samples, with the effect as the chance that a draw of `a` beats one of `b`."""
    from scipy.stats import mannwhitneyu

    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    if not xs or not ys:
        raise ValueError(f"{what}: both {a} and {b} need at least one finished seed")
    if len(set(xs) | set(ys)) == 1:  # every value equal: nothing to rank (scipy says p = 1 too)
        p, u = 1.0, len(xs) * len(ys) / 2
    else:
        test = mannwhitneyu(xs, ys, alternative="two-sided")
        p, u = float(test.pvalue), float(test.statistic)
    greater = u / (len(xs) * len(ys))  # the chance that a draw of xs is greater than one of ys, ties half
    return Comparison(what, a, b, float(pd.Series(xs).median()), float(pd.Series(ys).median()), len(xs), len(ys),
                      1 - greater if lower_is_better else greater, p, lower_is_better,
                      word or ("is lower" if lower_is_better else "is higher"))
