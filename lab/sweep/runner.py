"""Define a sweep, join it as a worker, run it with local worker processes.

A sweep is an Optuna study whose user attributes hold everything a worker needs (lab, base
settings, search space, objective, sampler, seed, trial budget), so any process that can
reach the storage can join it: ``worker(storage, name)``.

The trial budget is exact, even with many workers: a trial's *rank* is the number of
earlier trials (lower numbers) that still count; a worker whose new trial ranks past the
budget (two workers raced for the last slot) marks it failed and ``retired: surplus`` before
suggesting anything, and stops. With the grid sampler, trial number k < grid size takes grid
point k (optuna's GridSampler does so when every worker shares the seed, which the study
fixes), so each grid point runs exactly once.

Resuming: a trial still RUNNING whose worker is gone is *stale*: its worker ran on this
machine and its process no longer exists, or its heartbeat (a user attribute refreshed while
it runs, at most every `HEARTBEAT_S`) is older than `STALE_AFTER_S`. Every worker, on
start, marks stale trials failed (``retired: stale``) and queues a retry with the same
parameters (and grid point), which the next free worker runs. A worker stopped by Ctrl-C or
an error in a trial retires that trial itself (``retired: interrupted``) and queues its retry.
Retired trials do not count against the budget.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.config import Config
from lab.experiments import config_class
from lab.redaction import redact, redact_message
from lab.stopping import Decision, Kind, singular
from lab.sweep.objective import Objective
from lab.sweep.space import Space, apply
from lab.sweep.storage import StorageError, open_storage

SAMPLERS = ("grid", "random", "tpe")
HEARTBEAT_S = 30.0
STALE_AFTER_S = 600.0
DEFAULT_TRIALS = 20
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Sweep:
    """Everything a worker needs, as stored in the study's user attributes."""

    lab: str
    space: Space
    objective: Objective
    sampler: str = "tpe"
    trials: int = DEFAULT_TRIALS
    seed: int = 0
    base: dict[str, Any] = field(default_factory=dict)
    prune: bool = True
    report_every: int = 1
    startup_trials: int = 3
    warmup_steps: int = 0
    workspace: str = "local"

    def attrs(self) -> dict[str, Any]:
        return {"lab": self.lab, "space": self.space.to_json(), "objective": self.objective.to_json(),
                "sampler": self.sampler, "trials": self.trials, "seed": self.seed, "base": json.dumps(self.base),
                "prune": self.prune, "report_every": self.report_every, "startup_trials": self.startup_trials,
                "warmup_steps": self.warmup_steps, "workspace": self.workspace}

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any]) -> Sweep:
        if "lab" not in attrs or "space" not in attrs:
            raise ValueError("this study was not created by `lab sweep create` (no lab or space in its user attributes)")
        return cls(lab=attrs["lab"], space=Space.from_json(attrs["space"]), objective=Objective.from_json(attrs["objective"]),
                   sampler=attrs["sampler"], trials=int(attrs["trials"]), seed=int(attrs["seed"]),
                   base=json.loads(attrs["base"]), prune=bool(attrs["prune"]), report_every=int(attrs["report_every"]),
                   startup_trials=int(attrs["startup_trials"]), warmup_steps=int(attrs["warmup_steps"]),
                   workspace=attrs["workspace"])

    def base_config(self) -> Config:
        return config_class(self.lab).from_dict(self.base)

    def make_sampler(self, worker_index: int = 0) -> Any:
        import optuna

        if self.sampler == "grid":
            return _grid_sampler_class()(self.space.grid(), seed=self.seed)
        if self.sampler == "random":
            return optuna.samplers.RandomSampler(seed=self.seed + worker_index)
        return optuna.samplers.TPESampler(seed=self.seed + worker_index, constant_liar=True,
                                          n_startup_trials=max(2, min(10, self.trials // 3)))

    def make_pruner(self) -> Any:
        import optuna

        if not self.prune:
            return optuna.pruners.NopPruner()
        return optuna.pruners.MedianPruner(n_startup_trials=self.startup_trials, n_warmup_steps=self.warmup_steps)


def _grid_sampler_class() -> type:
    import optuna

    class GridSampler(optuna.samplers.GridSampler):
        """Optuna's grid sampler without its ``study.stop()`` once the grid is done: the runner
        counts the budget itself, and asks and tells outside ``study.optimize``."""

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return GridSampler


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def create_sweep(lab: str, space: Space, objective: Objective, sampler: str = "tpe", n_trials: int | None = None, *,
                 storage: str | Path | None = None, study_name: str | None = None, seed: int = 0,
                 base: Config | None = None, prune: bool = True, report_every: int | None = None,
                 startup_trials: int = 3, warmup_steps: int = 0, workspace: str = "local") -> Any:
    """Validate and store a new sweep; returns the optuna study (no trial has run yet)."""
    import optuna

    from lab.runs.store import check_workspace

    cls = config_class(lab)
    base = cls() if base is None else base
    if not isinstance(base, cls):
        raise ValueError(f"base={base!r} is not a {cls.__name__}")
    if not isinstance(space, Space):
        raise ValueError("space must be a lab.sweep.Space")
    if not isinstance(objective, Objective):
        raise ValueError("objective must be a lab.sweep.Objective")
    space.check(cls, base)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not known; choose one of {', '.join(SAMPLERS)}")
    if sampler == "grid":
        space.grid()  # refuses a grid past MAX_GRID
        size = space.grid_size()
        n_trials = size if n_trials is None else n_trials
        if n_trials > size:
            raise ValueError(f"n_trials={n_trials} is more than the grid's {size} points")
    n_trials = DEFAULT_TRIALS if n_trials is None else n_trials
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials={n_trials!r} is not allowed; give a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ValueError(f"seed={seed!r} is not allowed; give an integer in [0, 2**31)")
    budget = getattr(base, "budget", None) or 100
    every = max(1, budget // 20) if report_every is None else report_every
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"report_every={report_every!r} is not allowed; give a positive integer")
    for name, value in (("startup_trials", startup_trials), ("warmup_steps", warmup_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}={value!r} is not allowed; give an integer >= 0")
    check_workspace(workspace)
    spec = Sweep(lab, space, objective, sampler, n_trials, seed, base.to_dict(), bool(prune), every,
                 startup_trials, warmup_steps, workspace)
    name = study_name or f"{lab}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    _quiet_optuna()
    store = open_storage(storage)
    try:
        study = optuna.create_study(storage=store, study_name=name, direction=objective.optuna_direction,
                                    sampler=spec.make_sampler(), pruner=spec.make_pruner())
    except optuna.exceptions.DuplicatedStudyError:
        raise ValueError(f"a study named {name!r} already exists there; pick another name, or join it with `sweep worker`") from None
    for key, value in spec.attrs().items():
        study.set_user_attr(key, value)
    return study


def load_sweep(storage: str | Path | None, study_name: str, worker_index: int = 0) -> tuple[Any, Sweep]:
    """The study (with its sampler and pruner rebuilt) and its `Sweep`."""
    import optuna

    _quiet_optuna()
    store = open_storage(storage)
    try:
        summaries = optuna.get_all_study_summaries(store, include_best_trial=False)
    except Exception as exc:
        raise StorageError(f"cannot read studies from {redact(str(storage))}: {redact_message(exc, str(storage))}") from None
    found = [s for s in summaries if s.study_name == study_name]
    if not found:
        names = ", ".join(sorted(s.study_name for s in summaries)) or "none"
        raise ValueError(f"no study named {study_name!r} in {redact(str(storage or 'the default journal'))}; studies there: {names}")
    spec = Sweep.from_attrs(found[0].user_attrs)
    study = optuna.load_study(study_name=study_name, storage=store, sampler=spec.make_sampler(worker_index),
                              pruner=spec.make_pruner())
    return study, spec


# ----------------------------------------------------------------------------- budget and stale trials


def _counts(trial: Any) -> bool:
    return trial.user_attrs.get("retired") is None


def budget_left(study: Any, spec: Sweep) -> int:
    """Trials still to start (waiting retries are started by whoever asks next)."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    waiting = sum(t.state == TrialState.WAITING for t in trials)
    return max(0, spec.trials - sum(_counts(t) for t in trials)) + waiting


def _rank(study: Any, number: int) -> int:
    return sum(1 for t in study.get_trials(deepcopy=False) if t.number < number and _counts(t))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(trial: Any, now: float | None = None, stale_after: float = STALE_AFTER_S) -> bool:
    """A RUNNING trial whose worker is gone (see the module docstring)."""
    now = time.time() if now is None else now
    host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return True
    beat = trial.user_attrs.get("beat")
    if beat is None and trial.datetime_start is not None:
        beat = trial.datetime_start.timestamp()
    return beat is not None and now - float(beat) > stale_after


def retire_stale(study: Any, stale_after: float = STALE_AFTER_S) -> list[int]:
    """Fail stale trials and queue a retry of each; the numbers of the retired trials."""
    from optuna.trial import TrialState

    return [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if is_stale(t, stale_after=stale_after) and retire(study, t, "stale")]


def retire(study: Any, trial: Any, why: str) -> bool:
    """Mark a RUNNING trial failed (``retired: why``) and queue a retry with its parameters.

    False if another worker finished or retired it first (only one retry is queued).
    """
    import optuna
    from optuna.trial import TrialState

    storage = study._storage
    try:
        storage.set_trial_user_attr(trial._trial_id, "retired", why)
        if not storage.set_trial_state_values(trial._trial_id, TrialState.FAIL):
            return False
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    frozen = storage.get_trial(trial._trial_id)
    study.add_trial(optuna.trial.create_trial(state=TrialState.WAITING, params=frozen.params,
                                              distributions=frozen.distributions, user_attrs={"retry_of": frozen.number},
                                              system_attrs=dict(frozen.system_attrs)))
    return True


# ----------------------------------------------------------------------------- one trial


def run_trial(study: Any, trial: Any, spec: Sweep, base: Config, store: Any, workspace: str, stop: Any = None) -> Any:
    """Run one trial as a lab run, save the run, tell the study; the finished FrozenTrial.

    `stop` (an Event or a callable) ends the run early: the trial is then given back for a
    retry (retired, its run not saved) and None is returned.
    """
    from optuna.trial import TrialState

    import lab

    trial.set_user_attr("worker", WORKER_ID)
    trial.set_user_attr("beat", time.time())
    params = spec.space.suggest(trial, grid=spec.sampler == "grid")
    try:
        config = apply(base, params)
    except ValueError as exc:
        trial.set_user_attr("error", str(exc))
        return study.tell(trial, state=TrialState.FAIL)
    tracker = spec.objective.tracker()
    cancel = threading.Event()
    state = {"last": None, "pruned": None, "beat": time.time()}

    def on_step(step: Any) -> None:
        if not tracker.update(step):
            return
        last = state["last"]
        if last is not None and step.step - last < spec.report_every:
            return
        state["last"] = step.step
        value = tracker.value
        if math.isnan(value):
            return
        trial.report(value, step.step)
        if trial.should_prune():
            state["pruned"] = (step.step, value)
            cancel.set()
        now = time.time()
        if now - state["beat"] > HEARTBEAT_S:
            state["beat"] = now
            trial.set_user_attr("beat", now)

    result = lab.run(config, on_step=on_step, cancel=lambda: cancel.is_set() or _is_set(stop))
    if state["pruned"] is None and _is_set(stop):
        retire(study, trial, "interrupted")
        return None
    pruned = state["pruned"] is not None and result.decision.kind is Kind.CANCELLED
    if pruned:
        at, value = state["pruned"]
        result.decision = Decision(Kind.PRUNED, f"pruned by the median rule at {singular(config.step_unit)} {at}: "
                                   f"{spec.objective.metric} {value:.4g} was worse than the median of earlier trials "
                                   "at that step", at)
    if not tracker.seen and result.steps:
        recorded = sorted({name for step in result.steps for name in step.metrics})
        trial.set_user_attr("retired", "no_metric")
        study.tell(trial, state=TrialState.FAIL)
        raise ValueError(f"the {spec.lab} lab does not record the metric {spec.objective.metric!r}; "
                         f"it records: {', '.join(recorded)}")
    value, metric, steps = spec.objective.score(result)
    run_id = store.save(workspace, spec.lab, result, name=f"trial {trial.number}", tags=(f"sweep:{study.study_name}",))
    for key, attr in (("run_id", run_id), ("metric", metric if math.isfinite(metric) else None), ("steps", steps),
                      ("decision", result.decision.kind.value), ("reason", result.decision.reason)):
        trial.set_user_attr(key, attr)
    if pruned:
        return study.tell(trial, state=TrialState.PRUNED)
    return study.tell(trial, value)


def _is_set(stop: Any) -> bool:
    if stop is None:
        return False
    return stop.is_set() if hasattr(stop, "is_set") else bool(stop())


def worker(storage: str | Path | None, study_name: str, *, n_trials: int | None = None, worker_index: int = 0,
           db: str | Path | None = None, workspace: str | None = None, on_trial: Callable[[Any], None] | None = None,
           stale_after: float = STALE_AFTER_S, stop: Any = None) -> int:
    """Join a sweep and run trials until its budget is used (or `n_trials` of them); the count run here.

    `stop` (a threading.Event or a callable returning True) ends the worker: a trial in
    progress is given back for a retry, and the sweep can be resumed by any worker later.
    """
    from lab.runs.store import RunStore

    study, spec = load_sweep(storage, study_name, worker_index)
    base = spec.base_config()
    store = RunStore(db)
    workspace = spec.workspace if workspace is None else workspace
    retire_stale(study, stale_after)
    done = 0
    while (n_trials is None or done < n_trials) and not _is_set(stop) and budget_left(study, spec) > 0:
        trial = study.ask()
        if _rank(study, trial.number) >= spec.trials:
            from optuna.trial import TrialState

            trial.set_user_attr("retired", "surplus")
            study.tell(trial, state=TrialState.FAIL)
            break
        try:
            frozen = run_trial(study, trial, spec, base, store, workspace, stop)
        except BaseException:  # Ctrl-C or a crash mid-trial: give the trial back for a retry
            retire(study, trial, "interrupted")
            raise
        if frozen is None:
            break
        done += 1
        if on_trial is not None:
            on_trial(frozen)
    return done


def worker_command(storage: str | Path | None, study_name: str, worker_index: int = 0, db: str | Path | None = None,
                   workspace: str | None = None) -> list[str]:
    """The command line of one worker process (``python -m lab sweep worker ...``)."""
    cmd = [sys.executable, "-m", "lab", "sweep", "worker", "--study", study_name, "--worker-index", str(worker_index)]
    if storage is not None:
        cmd += ["--storage", str(storage)]
    if db is not None:
        cmd += ["--db", str(db)]
    if workspace is not None:
        cmd += ["--workspace", workspace]
    return cmd


def run_sweep(lab: str, space: Space, objective: Objective, sampler: str = "tpe", n_trials: int | None = None,
              n_workers: int = 1, storage: str | Path | None = None, study_name: str | None = None, seed: int = 0,
              on_trial: Callable[[Any], None] | None = None, *, base: Config | None = None, db: str | Path | None = None,
              workspace: str = "local", prune: bool = True, report_every: int | None = None,
              startup_trials: int = 3, warmup_steps: int = 0, poll_s: float = 0.5, stop: Any = None) -> Any:
    """Create a sweep and run it to the end (or until `stop` is set); returns the study.

    With ``n_workers > 1`` the trials run in that many worker PROCESSES sharing `storage`
    (``python -m lab sweep worker``, each with its own connection); `on_trial` is then called here, in the
    calling process, for each trial as it finishes (polled every `poll_s`). `stop` (an Event
    or a callable) interrupts the workers (SIGINT): their trials in progress are given back,
    and `worker(storage, study.study_name)` resumes the sweep later.
    """
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ValueError(f"n_workers={n_workers!r} is not allowed; give a positive integer")
    study = create_sweep(lab, space, objective, sampler, n_trials, storage=storage, study_name=study_name, seed=seed,
                         base=base, prune=prune, report_every=report_every, startup_trials=startup_trials,
                         warmup_steps=warmup_steps, workspace=workspace)
    if n_workers == 1:
        worker(storage, study.study_name, db=db, on_trial=on_trial, stop=stop)
        return study
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    logs = [tempfile.TemporaryFile("w+") for _ in range(n_workers)]
    procs = [subprocess.Popen(worker_command(storage, study.study_name, i, db), env=env, stdout=subprocess.DEVNULL,
                              stderr=log, text=True) for i, log in enumerate(logs)]
    seen: set[int] = set()
    try:
        while True:
            running = any(p.poll() is None for p in procs)
            if on_trial is not None:
                for t in study.get_trials(deepcopy=False):
                    if t.state.is_finished() and t.number not in seen and _counts(t):
                        seen.add(t.number)
                        on_trial(t)
            if not running:
                break
            if _is_set(stop):
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGINT)
                for p in procs:
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.terminate()
                continue
            time.sleep(poll_s)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
    failed = []
    for p, log in zip(procs, logs):
        log.seek(0)
        if p.returncode:
            failed.append(f"exit {p.returncode}: {log.read().strip()[-500:]}")
        log.close()
    if failed:
        raise RuntimeError(f"{len(failed)} sweep worker process(es) failed: {failed}")
    return study
