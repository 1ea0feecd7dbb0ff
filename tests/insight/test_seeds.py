"""The seed spread: same seeds give the same bands, the band is the hand-computed min/median/max,
the rank test says "holds" for a real difference and "cannot tell apart" for identical settings,
a stopped spread keeps the seeds that finished, and the work budget counts every seed."""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

import lab
from lab import budget
from lab.experiments.curve import DEFAULT_STOPPING, CurveConfig
from lab.experiments.regression import RegressionConfig
from lab.insight import seeds

#: A small regression: about 10 ms a run.
SMALL = RegressionConfig(n_samples=120, n_features=4, epochs=150)


@pytest.fixture(scope="module")
def lr_spread() -> seeds.Spread:
    """lr 0.1 (converges within the 150 epochs) against lr 0.001 (barely moves), 6 seeds each."""
    return seeds.run({"lr 0.1": SMALL.replace(lr=0.1), "lr 0.001": SMALL.replace(lr=0.001)}, 6, metrics=["train/loss", "val/loss"])


def test_same_seeds_give_the_same_bands_bit_for_bit(lr_spread):
    again = seeds.run({"lr 0.1": SMALL.replace(lr=0.1), "lr 0.001": SMALL.replace(lr=0.001)}, 6, metrics=["train/loss", "val/loss"])
    pd.testing.assert_frame_equal(seeds.bands(again.curves), seeds.bands(lr_spread.curves), check_exact=True)
    pd.testing.assert_frame_equal(again.outcomes, lr_spread.outcomes, check_exact=True)


def test_the_band_is_min_median_max_over_three_seeds_by_hand():
    config = CurveConfig(epochs=60, onset=20, noise=0.05, stopping=DEFAULT_STOPPING.replace(patience=3))
    by_hand = [lab.run(config.replace(seed=s)) for s in range(3)]
    table = seeds.bands(seeds.run({"curve": config}, 3, metrics=["val/loss"]).curves)
    val = table[table["metric"] == "val/loss"].set_index("step")
    for step in sorted({s.step for r in by_hand for s in r.steps}):
        values = [s.metrics["val/loss"] for r in by_hand for s in r.steps if s.step == step]
        row = val.loc[step]
        assert (row["min"], row["median"], row["max"], row["seeds"]) == (min(values), statistics.median(values), max(values), len(values))
    # a run that stops early ends its part of the band: past its last step fewer seeds remain
    last = [r.steps[-1].step for r in by_hand]
    assert val.index.max() == max(last) and val.loc[max(last), "seeds"] == sum(step == max(last) for step in last)


def test_outcomes_are_each_seeds_decision_and_final_monitor(lr_spread):
    row = lr_spread.outcomes.iloc[0]
    alone = lab.run(SMALL.replace(lr=0.1, seed=0))
    assert (row["group"], row["seed"], row["kind"], row["step"]) == ("lr 0.1", 0, alone.decision.kind, alone.decision.step)
    assert row["final"] == alone.last("val/loss") and lr_spread.monitor == "val/loss"
    assert lr_spread.groups == ["lr 0.1", "lr 0.001"] and lr_spread.finished == 6


def test_a_real_difference_holds_across_seeds(lr_spread):
    final, step = seeds.compare(lr_spread, "lr 0.1", "lr 0.001")
    assert final.holds and final.p < 0.01 and final.better == 1.0  # every seed of lr 0.1 ends lower
    assert step.holds and step.better == 1.0  # and decides sooner
    words = final.words()
    assert "lr 0.1 is lower than lr 0.001" in words and "holds across seeds" in words and "p = 0.0022" in words
    assert "lr 0.1 decides sooner than lr 0.001" in step.words()


def test_identical_settings_cannot_be_told_apart():
    spread = seeds.run({"a": SMALL, "b": SMALL}, 4, metrics=["val/loss"])
    for comparison in seeds.compare(spread, "a", "b"):
        assert not comparison.holds and comparison.p == 1.0 and comparison.better == 0.5
        assert "4 seeds cannot tell a and b apart" in comparison.words()
    assert not spread.identical("a")  # the seed changes the data: the runs differ between seeds


def test_too_few_seeds_say_so():
    spread = seeds.run({"a": SMALL.replace(lr=0.1), "b": SMALL.replace(lr=0.001)}, 2, metrics=["val/loss"])
    final, _ = seeds.compare(spread, "a", "b")
    assert not final.holds and "take at least 4" in final.words()


def test_a_setting_without_randomness_is_identical_across_seeds():
    from lab.experiments.descent import DescentConfig

    spread = seeds.run({"gd": DescentConfig(steps=50)}, 3)
    assert spread.identical("gd")


def test_a_stopped_spread_keeps_the_seeds_that_finished():
    finished = []
    spread = seeds.run({"a": SMALL, "b": SMALL.replace(lr=0.01)}, 5, metrics=["val/loss"],
                       on_result=lambda group, seed, result, done, total: finished.append((group, seed, done, total)),
                       cancel=lambda: len(finished) >= 3)
    assert finished[:3] == [("a", 0, 1, 10), ("b", 0, 2, 10), ("a", 1, 3, 10)]
    assert list(spread.outcomes["seed"]) == [0, 0, 1] and spread.finished == 1 and spread.seeds == 5


def test_the_budget_counts_every_seed_and_refuses_past_the_limit():
    heavy = RegressionConfig(n_samples=5000, n_features=50, batch_size=1, epochs=50)  # a third of the limit
    single = heavy.work()
    n = budget.limit("regression") // single + 1  # one seed more than fit
    assert budget.excess(heavy) is None and seeds.work({"run": heavy}, n) == n * single
    note = seeds.excess({"run": heavy}, n)
    assert note is not None and f"over the regression lab's limit of {budget.limit('regression'):.3g}" in note
    assert f"at most {n - 1} seeds fit" in note
    with pytest.raises(ValueError, match="at most"):
        seeds.run({"run": heavy}, n, refuse=True)
    assert seeds.excess({"run": heavy}, n - 1) is None


@pytest.mark.parametrize("n", [0, seeds.MAX_SEEDS + 1, 2.5, "3"])
def test_a_bad_number_of_seeds_is_one_line_naming_it(n):
    with pytest.raises(ValueError, match="seeds"):
        seeds.run({"run": SMALL}, n)


def test_the_sentence_gives_the_winners_median_first():
    """"b is lower than a (median <b's> against <a's>)": the numbers in the order the names are said."""
    from lab.insight.seeds import rank_test

    words = rank_test("final loss", "a", "b", [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0], lower_is_better=True).words()
    assert words.startswith("final loss: b is lower than a, and the difference holds") and "median 2.5 against 6.5" in words
