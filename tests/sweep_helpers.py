"""Checks shared by the sweep tests: every trial ran exactly once, and the best is the true best."""

from __future__ import annotations

from lab.sweep import Space, best_trial, trials_table


def grid_points(space: Space) -> set[tuple]:
    import itertools

    grid = space.grid()
    return {tuple(sorted(zip(grid, values))) for values in itertools.product(*grid.values())}


def params_of(row, names) -> tuple:
    return tuple(sorted((n, row[n]) for n in names))


def check_ran_once(study, n: int, space: Space | None = None) -> None:
    """Numbers 0..n-1, each complete or pruned, each with its own saved run; grid: each point once."""
    table = trials_table(study)
    assert sorted(table["number"]) == list(range(n))
    assert set(table["state"]) <= {"complete", "pruned"}
    assert table["run_id"].notna().all() and table["run_id"].is_unique
    if space is not None:
        seen = [params_of(row, space.dims) for _, row in table.iterrows()]
        assert len(set(seen)) == len(seen) == n
        assert set(seen) == grid_points(space)
    best = best_trial(study)
    complete = table[table["state"] == "complete"]
    assert best.value == complete["value"].min()
    assert best.number == complete.sort_values(["value", "number"]).iloc[0]["number"]
