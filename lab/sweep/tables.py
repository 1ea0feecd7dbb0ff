"""Tidy pandas tables of a sweep, for the page and the command line.

Trials retired by the runner (a surplus trial from a race for the last slot, a stale trial
that was retried) are left out: they never ran a config to the end.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lab.records import Kind

if TYPE_CHECKING:
    import pandas as pd

TRIAL_COLUMNS = ["number", "state", "value", "metric", "steps", "decision", "run_id"]
#: Most rows or columns a heatmap shows for a numeric field (more distinct values are binned).
HEATMAP_BINS = 8


def _counted(study: Any) -> list[Any]:
    return [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("retired") is None]


def trials_table(study: Any) -> pd.DataFrame:
    """One row per trial: number, state, each parameter, value, metric, steps, decision (its kind's word), run_id."""
    import pandas as pd

    trials = _counted(study)
    names: list[str] = []
    for t in trials:
        for name in t.params:
            if name not in names:
                names.append(name)
    rows = []
    for t in trials:
        state = t.state.name.lower()
        # sweeps of older versions stored a pruned run's decision as "cancelled"
        kind = Kind.PRUNED if state == "pruned" else t.user_attrs.get("decision")
        decision = None if kind is None else Kind.parse(kind).word
        row = {"number": t.number, "state": state, **{n: t.params.get(n) for n in names},
               "value": t.value if t.values else None, "metric": t.user_attrs.get("metric"),
               "steps": t.user_attrs.get("steps"), "decision": decision,
               "run_id": t.user_attrs.get("run_id")}
        rows.append(row)
    columns = ["number", "state", *names, *TRIAL_COLUMNS[2:]]
    return pd.DataFrame(rows, columns=columns).sort_values("number", ignore_index=True)


def _direction(study: Any) -> int:
    from optuna.study import StudyDirection

    return 1 if study.direction == StudyDirection.MINIMIZE else -1


def best_trial(study: Any) -> Any | None:
    """The completed trial with the best value, or None before any completed."""
    from optuna.trial import TrialState

    done = [t for t in _counted(study) if t.state == TrialState.COMPLETE and t.value is not None]
    if not done:
        return None
    sign = _direction(study)
    return min(done, key=lambda t: (sign * t.value, t.number))


def history_table(study: Any) -> pd.DataFrame:
    """Every finished trial in order: number, value, best (the best completed value so far), outcome.

    ``outcome`` is the word of the run's decision ("converged", "budget", "diverged", "pruned", ...).
    A pruned trial's value is the objective where it was pruned; a trial whose objective is not
    finite (it diverged) has value NaN: the history shows it, but it never becomes the best.
    """
    import pandas as pd
    from optuna.trial import TrialState

    sign = _direction(study)
    rows, best = [], math.inf
    for t in sorted(_counted(study), key=lambda t: t.number):
        if t.state == TrialState.PRUNED:
            value, outcome = t.user_attrs.get("metric"), Kind.PRUNED.word
        elif t.state == TrialState.COMPLETE and t.value is not None:
            value, outcome = t.value, Kind.parse(t.user_attrs.get("decision", Kind.BUDGET.value)).word
        else:
            continue
        value = value if value is not None and math.isfinite(value) else math.nan
        if t.state == TrialState.COMPLETE and math.isfinite(value):
            best = min(best, sign * value)
        rows.append({"number": t.number, "value": value, "best": sign * best if math.isfinite(best) else math.nan,
                     "outcome": outcome})
    return pd.DataFrame(rows, columns=["number", "value", "best", "outcome"])


def bin_values(values: pd.Series, bins: int = HEATMAP_BINS) -> pd.Series:
    """A numeric field with more than `bins` distinct values, as `bins` ordered ranges ("0.001–0.003").

    A random or TPE search draws a new value every trial, so one cell per value would leave the
    heatmap nearly empty. Ranges are equal on a log scale when the values span over 20x and are
    positive (as a log-scale lr does), else equal in width. Fewer values pass through unchanged.
    """
    import numpy as np
    import pandas as pd

    if values.dtype.kind not in "if" or values.nunique() <= bins:
        return values
    x = values.astype(float)
    lo, hi = float(x.min()), float(x.max())
    edges = np.geomspace(lo, hi, bins + 1) if lo > 0 and hi / lo > 20 else np.linspace(lo, hi, bins + 1)
    if values.dtype.kind == "i":  # whole-number ranges: (a, b] holds a+1..b
        edges = np.unique(np.round(edges))
        labels = [f"{int(a) if i == 0 else int(a) + 1}–{int(b)}" for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    else:
        labels = [f"{a:.3g}–{b:.3g}" for a, b in zip(edges[:-1], edges[1:])]
    return pd.cut(x, edges, labels=labels, include_lowest=True, ordered=True)


def heatmap(study: Any, x_field: str, y_field: str, column: str = "value", agg: str = "mean") -> pd.DataFrame:
    """`column` (value, metric or steps) over two fields, aggregated per cell: x, y, column, count.

    Completed trials only; a cell's `count` says how many trials it holds and `diverged` how many of
    them ended non-finite (a diverged run's value); the cell's value aggregates the others, so a
    cell where every trial diverged has no value. A numeric field with many distinct values is
    binned into ordered ranges first (`bin_values`).
    """
    import pandas as pd

    table = trials_table(study)
    for name in (x_field, y_field):
        if name not in table.columns or name in TRIAL_COLUMNS:
            params = [c for c in table.columns if c not in TRIAL_COLUMNS]
            raise ValueError(f"{name!r} is not a searched field of this sweep; searched: {', '.join(params) or 'none yet'}")
    if x_field == y_field:
        raise ValueError("a heatmap needs two different fields")
    if column not in ("value", "metric", "steps"):
        raise ValueError(f"column={column!r} is not allowed; choose value, metric or steps")
    done = table[(table["state"] == "complete") & table[column].notna()]
    if done.empty:
        return pd.DataFrame(columns=[x_field, y_field, column, "count", "diverged"])
    values = done[column].astype(float)
    finite = values.map(math.isfinite)
    done = done.assign(**{name: bin_values(done[name]) for name in (x_field, y_field)},
                       _finite=values.where(finite), _diverged=~finite)
    grouped = done.groupby([x_field, y_field], dropna=False, observed=True).agg(
        **{column: ("_finite", agg), "count": ("_finite", "size"), "diverged": ("_diverged", "sum")})
    return grouped.reset_index()


def importances(study: Any) -> pd.DataFrame:
    """Each parameter's importance (optuna's fANOVA), largest first; empty with too few trials."""
    import optuna
    import pandas as pd

    empty = pd.DataFrame(columns=["param", "importance"])
    complete = [t for t in _counted(study) if t.state == optuna.trial.TrialState.COMPLETE
                and t.value is not None and math.isfinite(t.value)]
    if len(complete) < 2:
        return empty
    finite = [t.value for t in complete]
    worst = max(finite) if _direction(study) == 1 else min(finite)

    def target(t: Any) -> float:
        return t.value if t.value is not None and math.isfinite(t.value) else worst

    try:
        found = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0), target=target)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return empty
    return pd.DataFrame(sorted(found.items(), key=lambda kv: -kv[1]), columns=["param", "importance"])
