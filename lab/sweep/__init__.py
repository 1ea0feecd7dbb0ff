"""Hyperparameter sweeps over any lab's settings, on Optuna (grid, random, TPE; median pruning).

    from lab.sweep import Space, FloatRange, Choice, Objective, run_sweep, trials_table
    space = Space({"lr": FloatRange(1e-3, 1, log=True), "optimizer": Choice(("gd", "adam"))})
    study = run_sweep("descent", space, Objective("loss", "min"), "tpe", n_trials=20, n_workers=2)
    trials_table(study)

Modules: `space` (what is searched), `objective` (what is optimized), `storage` (where the
study lives), `runner` (create, join, run), `tables` (tidy results). See docs/SWEEPS.md.
"""

from lab.sweep.objective import Objective
from lab.sweep.runner import SAMPLERS, Sweep, create_sweep, load_sweep, retire_stale, run_sweep, worker
from lab.sweep.space import MAX_GRID, Choice, FloatRange, IntRange, Space, searchable
from lab.sweep.storage import StorageError, open_storage
from lab.sweep.tables import HEATMAP_BINS, best_trial, bin_values, heatmap, history_table, importances, trials_table

__all__ = [
    "HEATMAP_BINS", "MAX_GRID", "SAMPLERS", "Choice", "FloatRange", "IntRange", "Objective", "Space", "StorageError", "Sweep",
    "best_trial", "bin_values", "create_sweep", "heatmap", "history_table", "importances", "load_sweep", "open_storage",
    "retire_stale", "run_sweep", "searchable", "trials_table", "worker",
]
