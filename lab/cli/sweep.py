"""``python -m lab sweep create|worker|status``: sweeps from the command line (see `lab.cli`)."""

from __future__ import annotations

import argparse
import math
import signal
import threading
from typing import Any, TextIO

from lab import budget, experiments


def add_parser(sub: Any, store_options: Any) -> None:
    """Add the ``sweep`` command group to the main parser's subcommands."""
    sweep = sub.add_parser("sweep", help="hyperparameter sweeps: create one, run workers, show its status",
                           description="Sweeps on Optuna. The storage is a journal file (default: sweeps.journal next to "
                           "the run store) or a database URL (postgresql://user:pw@host/db) that workers on many "
                           "machines share. See docs/SWEEPS.md.")
    sub_actions = sweep.add_subparsers(dest="action", required=True)
    create = sub_actions.add_parser("create", help="define a sweep (runs nothing)",
                                    description="Define a sweep; then run `sweep worker` (as many as you like, anywhere).")
    _storage(create)
    create.add_argument("--lab", required=True, help="which lab: " + ", ".join(sorted(experiments.LABS)))
    create.add_argument("--param", action="append", default=[], metavar="FIELD=SPEC",
                        help="a searched field: lr=float:1e-4:1:log, steps=int:10:100, optimizer=choice:gd,adam "
                        "(ranges take :log and a number of grid points, as lr=float:0.01:1:log:4); repeatable")
    create.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="a fixed setting for every trial")
    create.add_argument("--metric", default="loss", help="metric to optimize (default: loss)")
    create.add_argument("--direction", choices=("min", "max"), default="min")
    create.add_argument("--take", choices=("best", "last"), default="best", help="the metric's best over the run, or its last value")
    create.add_argument("--sampler", choices=("grid", "random", "tpe"), default="tpe")
    create.add_argument("--trials", type=int, default=None, help="trial budget (default: the grid's size, or 20)")
    create.add_argument("--seed", type=int, default=0)
    create.add_argument("--no-prune", action="store_true", help="run every trial to its end (no median pruning)")
    create.add_argument("--report-every", type=int, default=None, help="steps between reports to the pruner (default: budget/20)")
    create.add_argument("--startup-trials", type=int, default=3, help="complete trials before the median rule prunes (default: 3)")
    create.add_argument("--warmup-steps", type=int, default=0, help="steps of each trial before it may be pruned (default: 0)")
    create.add_argument("--workspace", default="local", help="workspace the trials' runs are saved in (default: local)")
    create.add_argument("--no-limit", action="store_true", help="create it even past the lab's work limit (trials x a trial's work)")
    worker = sub_actions.add_parser("worker", help="join a sweep and run trials until its budget is used")
    _storage(worker)
    worker.add_argument("--trials", type=int, default=None, help="run at most this many trials here")
    worker.add_argument("--worker-index", type=int, default=0, help="offsets the sampler's seed so workers do not repeat each other")
    worker.add_argument("--quiet", action="store_true", help="no line per trial")
    store_options(worker)
    worker.set_defaults(workspace=None)
    status = sub_actions.add_parser("status", help="the trials and the best so far")
    _storage(status)


def _storage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storage", default=None, help="journal file path or database URL (default: sweeps.journal next to the run store)")
    parser.add_argument("--study", required=True, help="the sweep's name")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.action == "create":
        return _create(args, out)
    if args.action == "worker":
        return _worker(args, out, err)
    return _status(args, out)


def _create(args: argparse.Namespace, out: TextIO) -> int:
    from lab.cli.settings import parse_settings, within_limit
    from lab.sweep import Objective, Space, create_sweep
    from lab.sweep.runner import DEFAULT_TRIALS

    cls = experiments.config_class(args.lab)
    base = parse_settings(cls, args.set)
    space = Space.parse(cls, args.param)
    if args.trials is not None or args.sampler != "grid":
        trials = args.trials or DEFAULT_TRIALS
    else:
        trials = space.grid_size()
    within_limit(budget.sweep_excess(base, space, trials), args.no_limit)
    objective = Objective(args.metric, args.direction, args.take)
    study = create_sweep(args.lab, space, objective, args.sampler, args.trials, storage=args.storage, study_name=args.study,
                         seed=args.seed, base=base, prune=not args.no_prune, report_every=args.report_every,
                         startup_trials=args.startup_trials, warmup_steps=args.warmup_steps, workspace=args.workspace)
    attrs = study.user_attrs
    print(f"created sweep {study.study_name!r}: lab {args.lab}, {attrs['sampler']} sampler, {attrs['trials']} trials, "
          f"{args.direction} {args.metric} ({args.take})", file=out)
    for name, dim in space.dims.items():
        print(f"  {name} = {dim.text()}", file=out)
    where = f" --storage {args.storage}" if args.storage else ""
    print(f"run workers with: python -m lab sweep worker --study {study.study_name}{where}", file=out)
    return 0


def _worker(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from lab.cli.settings import catch_interrupt
    from lab.sweep import worker

    def report(trial: Any) -> None:
        if not args.quiet:
            params = "  ".join(f"{k}={_show(v)}" for k, v in trial.params.items())
            value = "" if trial.value is None else f"  value={_show(trial.value)}"
            print(f"trial {trial.number}: {trial.state.name.lower()}{value}  {params}", file=out, flush=True)

    stop = threading.Event()
    previous = catch_interrupt(stop, err)
    try:
        done = worker(args.storage, args.study, n_trials=args.trials, worker_index=args.worker_index, db=args.db,
                      workspace=args.workspace, on_trial=report, stop=stop)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        print("interrupted: the trial in progress was given back; run `sweep worker` again to resume", file=out)
    print(f"worker done: {done} trial(s) run here", file=out)
    return 0


def _status(args: argparse.Namespace, out: TextIO) -> int:
    from lab.sweep import best_trial, load_sweep, trials_table

    study, spec = load_sweep(args.storage, args.study)
    table = trials_table(study)
    counts = table["state"].value_counts().to_dict() if not table.empty else {}
    print(f"sweep {args.study!r}: lab {spec.lab}, {spec.sampler} sampler, {spec.objective.direction} {spec.objective.metric}; "
          f"{len(table)}/{spec.trials} trials: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet"), file=out)
    if not table.empty:
        shown = table.drop(columns=["decision"]).copy()
        print(shown.to_string(index=False, float_format=_show), file=out)
    best = best_trial(study)
    if best is None:
        print("best: none completed yet", file=out)
    else:
        params = "  ".join(f"{k}={_show(v)}" for k, v in best.params.items())
        print(f"best: trial {best.number}  value={_show(best.value)}  {params}  run {best.user_attrs.get('run_id')}", file=out)
    return 0


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)

