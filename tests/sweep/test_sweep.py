"""Sweeps on the embedded journal storage: exact budgets, grids, pruning, resume, tables, command line."""

from __future__ import annotations

import io
import math
import os
import socket
import subprocess
import sys
import threading

import pandas as pd
import pytest

from lab.cli import commands as cli
from lab.experiments.descent import DescentConfig
from lab.records import Kind
from lab.runs.store import RunStore
from lab.sweep import (
    HEATMAP_BINS,
    Choice,
    FloatRange,
    Objective,
    Space,
    best_trial,
    bin_values,
    create_sweep,
    heatmap,
    history_table,
    importances,
    load_sweep,
    run_sweep,
    runner,
    trials_table,
    worker,
)
from tests.sweep_helpers import check_ran_once, grid_points, params_of

BASE = DescentConfig(steps=40)
GRID = Space({"lr": FloatRange(0.01, 0.4, log=True, points=3), "optimizer": Choice(("gd", "adam"))})


@pytest.fixture(autouse=True)
def run_db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(path))
    return path


def test_grid_covers_exactly_the_grid_and_every_trial_is_a_saved_run(tmp_path, run_db):
    seen = []
    study = run_sweep("descent", GRID, Objective("loss", "min"), "grid", storage=tmp_path / "s.journal", study_name="g",
                      base=BASE, prune=False, on_trial=seen.append)
    check_ran_once(study, GRID.grid_size(), GRID)
    assert sorted(t.number for t in seen) == list(range(GRID.grid_size()))
    store = RunStore(run_db)
    runs = store.list("local", tag="sweep:g")
    assert len(runs) == GRID.grid_size()
    table = trials_table(study)
    for _, row in table.iterrows():
        run = store.get("local", row["run_id"])
        assert run.name == f"trial {row['number']}"
        assert run.config["lr"] == pytest.approx(row["lr"]) and run.config["optimizer"] == row["optimizer"]
        assert run.config["steps"] == 40  # the base settings hold in every trial
        # the trial's metric is the run's own best loss
        assert row["metric"] == pytest.approx(min(v for _, v in zip(*run.result().series("loss"))))


def test_two_worker_processes_share_the_journal_and_run_each_trial_once(tmp_path):
    space = Space({"lr": FloatRange(0.01, 0.4, log=True, points=4), "optimizer": Choice(("gd", "adam"))})
    finished = []
    study = run_sweep("descent", space, Objective("loss", "min"), "grid", n_workers=2, storage=tmp_path / "s.journal",
                      study_name="two", base=BASE, on_trial=finished.append, poll_s=0.1)
    check_ran_once(study, space.grid_size(), space)
    ran = [t for t in study.get_trials() if t.state.name in ("COMPLETE", "PRUNED")]
    workers = {t.user_attrs["worker"] for t in ran}
    # the worker processes ran the trials, not this one (under load one of the two may finish them all first)
    assert 1 <= len(workers) <= 2 and str(os.getpid()) not in " ".join(workers)
    assert sorted(t.number for t in finished) == list(range(space.grid_size()))


def test_random_sampler_keeps_the_exact_budget_with_two_processes(tmp_path):
    space = Space({"lr": FloatRange(0.01, 0.4, log=True), "momentum": FloatRange(0.1, 0.9)})
    study = run_sweep("descent", space, Objective("loss", "min"), "random", n_trials=9, n_workers=2,
                      storage=tmp_path / "s.journal", base=DescentConfig(steps=30, optimizer="momentum"), poll_s=0.1)
    check_ran_once(study, 9)
    assert study.get_trials()[0].user_attrs  # attrs are stored with each trial
    counted = [t for t in study.get_trials() if "retired" not in t.user_attrs]  # not a worker's surplus ask
    assert len({t.params["lr"] for t in counted}) == 9  # the two workers' samplers are seeded apart


def test_pruning_stops_clearly_bad_configs_and_their_runs_say_so(tmp_path, run_db):
    # On the quadratic bowl lr=0.3 reaches the minimum fast and lr=1e-5 barely moves; gd ignores alpha,
    # so the good runs are identical (never worse than a median of good ones) and so are the bad ones.
    # A bad trial is pruned once as many complete trials are good as bad: in every order of the grid
    # but the few that put nearly all bad points first, so two seeds must prune at least one.
    space = Space({"lr": Choice((0.3, 1e-5)), "alpha": Choice((0.5, 0.6, 0.7, 0.8, 0.9))})
    store = RunStore(run_db)
    pruned_runs = 0
    for seed in (0, 1):
        study = run_sweep("descent", space, Objective("loss", "min"), "grid", storage=tmp_path / "s.journal",
                          study_name=f"p{seed}", base=BASE, report_every=2, startup_trials=2, seed=seed)
        check_ran_once(study, space.grid_size(), space)
        table = trials_table(study)
        pruned = table[table["state"] == "pruned"]
        assert set(pruned["lr"]) <= {1e-5}
        assert best_trial(study).params["lr"] == 0.3
        for _, row in pruned.iterrows():
            run = store.get("local", row["run_id"])
            assert run.decision.kind is Kind.PRUNED
            assert run.decision.reason.startswith(f"pruned by the median rule at step {run.decision.step}")
            assert run.steps[-1].step == run.decision.step < BASE.steps  # the run really stopped there
            assert row["decision"] == "pruned" and row["steps"] == BASE.steps
            pruned_runs += 1
    assert pruned_runs >= 1


def test_a_worker_counts_running_trials_and_stops_at_the_budget(tmp_path):
    storage = tmp_path / "s.journal"
    study = create_sweep("descent", GRID, Objective(), "random", 4, storage=storage, study_name="b", base=BASE)
    busy = study.ask()  # a live worker elsewhere holds this one
    busy.set_user_attr("worker", "another-host:1")
    busy.set_user_attr("beat", 1e18)
    assert worker(storage, "b") == 3
    states = sorted(t.state.name for t in study.get_trials())
    assert states.count("RUNNING") == 1 and len(states) == 4
    assert worker(storage, "b") == 0  # nothing left: a late worker starts nothing


def test_a_surplus_trial_from_a_race_is_retired_not_run(tmp_path, monkeypatch):
    storage = tmp_path / "s.journal"
    create_sweep("descent", GRID, Objective(), "random", 2, storage=storage, study_name="r", base=BASE)
    assert worker(storage, "r") == 2
    monkeypatch.setattr(runner, "budget_left", lambda study, spec: 1)  # as if another worker's trial was not seen yet
    assert worker(storage, "r") == 0
    study, _ = load_sweep(storage, "r")
    surplus = [t for t in study.get_trials() if t.user_attrs.get("retired") == "surplus"]
    assert len(surplus) == 1 and surplus[0].state.name == "FAIL" and surplus[0].number == 2
    check_ran_once(study, 2)


def test_resume_retries_a_trial_left_running_by_a_killed_worker(tmp_path):
    storage = tmp_path / "s.journal"
    study = create_sweep("descent", GRID, Objective(), "grid", storage=storage, study_name="k", base=BASE, prune=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = study.ask()  # what a killed worker leaves: a RUNNING trial with its params set
    GRID.suggest(orphan, grid=True)
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{dead.pid}")
    orphan_params = dict(study.get_trials()[0].params)
    assert worker(storage, "k") == GRID.grid_size()
    trials = study.get_trials()
    assert trials[0].state.name == "FAIL" and trials[0].user_attrs["retired"] == "stale"
    retry = [t for t in trials if t.user_attrs.get("retry_of") == 0]
    assert len(retry) == 1 and retry[0].params == orphan_params and retry[0].state.name == "COMPLETE"
    table = trials_table(study)
    assert len(table) == GRID.grid_size() and set(table["state"]) == {"complete"}
    assert {params_of(row, GRID.dims) for _, row in table.iterrows()} == grid_points(GRID)


def test_a_stale_heartbeat_counts_as_dead():
    class T:
        user_attrs = {"worker": "elsewhere:12", "beat": 1000.0}
        datetime_start = None

    assert runner.is_stale(T(), now=1000.0 + runner.STALE_AFTER_S + 1)
    assert not runner.is_stale(T(), now=1000.0 + runner.STALE_AFTER_S - 1)


def test_tables_history_heatmap_and_importances(tmp_path):
    space = Space({"lr": FloatRange(0.01, 0.4, log=True, points=3), "optimizer": Choice(("gd", "adam", "momentum"))})
    study = run_sweep("descent", space, Objective("loss", "min"), "grid", storage=tmp_path / "s.journal", base=BASE,
                      prune=False)
    table = trials_table(study)
    assert list(table.columns) == ["number", "state", "lr", "optimizer", "value", "metric", "steps", "decision", "run_id"]
    history = history_table(study)
    assert list(history["number"]) == list(table["number"])
    assert history["best"].is_monotonic_decreasing
    assert history["best"].iloc[-1] == table["value"].min()
    cells = heatmap(study, "lr", "optimizer")
    assert len(cells) == 9 and set(cells["count"]) == {1}
    merged = cells.merge(table, on=["lr", "optimizer"], suffixes=("", "_t"))
    assert (merged["value"] == merged["value_t"]).all() and (merged["diverged"] == 0).all()
    ranked = importances(study)
    assert set(ranked["param"]) == {"lr", "optimizer"} and math.isclose(ranked["importance"].sum(), 1.0)
    with pytest.raises(ValueError, match="'momentum' is not a searched field of this sweep; searched: lr, optimizer"):
        heatmap(study, "momentum", "lr")


def test_importances_with_too_few_trials_is_an_empty_table(tmp_path):
    study = create_sweep("descent", GRID, Objective(), "tpe", 3, storage=tmp_path / "s.journal", base=BASE)
    assert importances(study).empty and history_table(study).empty and best_trial(study) is None
    worker(tmp_path / "s.journal", study.study_name, n_trials=1)
    assert importances(study).empty and len(history_table(study)) == 1


def test_the_same_seed_gives_the_same_tpe_sweep(tmp_path):
    space = Space({"lr": FloatRange(0.001, 0.5, log=True), "optimizer": Choice(("gd", "adam"))})
    runs = [run_sweep("descent", space, Objective(), "tpe", 6, storage=tmp_path / f"{i}.journal", base=BASE, seed=7)
            for i in range(2)]
    assert trials_table(runs[0])[["lr", "optimizer", "value"]].equals(trials_table(runs[1])[["lr", "optimizer", "value"]])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sampler": "bayes"}, "sampler='bayes' is not known; choose one of grid, random, tpe"),
    ({"sampler": "grid", "n_trials": 99}, "n_trials=99 is more than the grid's 6 points"),
    ({"n_trials": 0}, "n_trials=0 is not allowed"),
    ({"seed": -1}, "seed=-1 is not allowed"),
    ({"report_every": 0}, "report_every=0 is not allowed"),
    ({"base": "steps=3"}, "base='steps=3' is not a DescentConfig"),
])
def test_create_refuses_bad_settings(tmp_path, kwargs, message):
    args = {"sampler": "tpe", "n_trials": None, **kwargs}
    sampler, n_trials = args.pop("sampler"), args.pop("n_trials")
    with pytest.raises(ValueError) as info:
        create_sweep("descent", GRID, Objective(), sampler, n_trials, storage=tmp_path / "s.journal", **args)
    assert message in str(info.value)


def test_create_refuses_a_duplicate_study_and_worker_an_unknown_one(tmp_path):
    storage = tmp_path / "s.journal"
    create_sweep("descent", GRID, Objective(), "tpe", 2, storage=storage, study_name="dup")
    with pytest.raises(ValueError, match="a study named 'dup' already exists"):
        create_sweep("descent", GRID, Objective(), "tpe", 2, storage=storage, study_name="dup")
    with pytest.raises(ValueError, match="no study named 'other' .* studies there: dup"):
        worker(storage, "other")


# ----------------------------------------------------------------------------- command line


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_create_worker_status(tmp_path, run_db):
    storage = str(tmp_path / "s.journal")
    code, out, err = _cli("sweep", "create", "--storage", storage, "--study", "c", "--lab", "descent",
                          "--param", "lr=float:0.01:0.4:log:3", "--param", "optimizer=choice:gd,adam", "--set", "steps=30",
                          "--metric", "loss", "--direction", "min", "--sampler", "grid")
    assert code == 0, err
    assert "created sweep 'c': lab descent, grid sampler, 6 trials" in out
    study, spec = load_sweep(storage, "c")
    assert spec.base["steps"] == 30 and spec.space.dims["optimizer"] == Choice(("gd", "adam"))
    assert study.user_attrs["lab"] == "descent"
    code, out, err = _cli("sweep", "worker", "--storage", storage, "--study", "c", "--trials", "2", "--db", str(run_db))
    assert code == 0, err
    assert out.count("trial ") == 2 and "worker done: 2 trial(s) run here" in out
    code, out, err = _cli("sweep", "worker", "--storage", storage, "--study", "c", "--quiet", "--db", str(run_db))
    assert code == 0 and "worker done: 4 trial(s) run here" in out
    code, out, err = _cli("sweep", "status", "--storage", storage, "--study", "c")
    assert code == 0, err
    best = best_trial(study)
    assert "6/6 trials" in out and f"best: trial {best.number}" in out and best.user_attrs["run_id"] in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--lab", "descent"], "the search space is empty"),
    (["--lab", "descent", "--param", "lr=float:1:0.1"], "lr: float range needs low < high"),
    (["--lab", "descent", "--param", "lr=float:0:1:log"], "lr: a log-scale float range needs low > 0"),
    (["--lab", "descent", "--param", "wobble=float:0:1"], "unknown field 'wobble' for DescentConfig; known: alpha"),
    (["--lab", "descent", "--param", "lr=float:0.1:1000"], "rejected by DescentConfig: lr=1000.0 is out of range"),
    (["--lab", "descent", "--param", "lr=float:0.01:1:40", "--param", "steps=int:1:40:40", "--sampler", "grid"],
     "the grid has 1600 points, more than MAX_GRID=1000"),
    (["--lab", "nolab", "--param", "lr=float:0.01:1"], "lab='nolab' is not known"),
    (["--lab", "descent", "--param", "lr=float:0.01:1", "--set", "steps=-1"], "steps"),
])
def test_cli_create_bad_input(tmp_path, argv, message):
    code, out, err = _cli("sweep", "create", "--storage", str(tmp_path / "s.journal"), "--study", "bad", *argv)
    assert code == 1 and message in err and not out


def test_cli_unreachable_database_fails_fast_with_a_clear_message():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, out, err = _cli("sweep", "status", "--storage", f"postgresql://u:secret@127.0.0.1:{port}/db", "--study", "x")
    assert code == 1 and "cannot reach the sweep storage postgresql://u:***@127.0.0.1" in err and "secret" not in err


@pytest.mark.timeout(60)
def test_a_database_that_never_answers_times_out():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts the TCP connection, never speaks PostgreSQL
    port = server.getsockname()[1]
    try:
        code, out, err = _cli("sweep", "status", "--storage", f"postgresql://u@127.0.0.1:{port}/db", "--study", "x")
    finally:
        server.close()
    assert code == 1 and "cannot reach the sweep storage" in err


def test_worker_processes_run_from_the_command_line(tmp_path, run_db):
    storage = str(tmp_path / "s.journal")
    assert _cli("sweep", "create", "--storage", storage, "--study", "w", "--lab", "descent", "--param",
                "lr=float:0.01:0.4:log:3", "--param", "optimizer=choice:gd,adam", "--set", "steps=30", "--sampler", "grid")[0] == 0
    procs = [subprocess.Popen(runner.worker_command(storage, "w", i, run_db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    study, _ = load_sweep(storage, "w")
    check_ran_once(study, 6, Space.parse(DescentConfig, ["lr=float:0.01:0.4:log:3", "optimizer=choice:gd,adam"]))
    assert sum(int(out.rsplit("worker done: ", 1)[1].split()[0]) for out, _ in outputs) == 6


def test_on_trial_sees_each_trial_in_process(tmp_path):
    lock, seen = threading.Lock(), []

    def note(trial):
        with lock:
            seen.append((trial.number, trial.state.name))

    run_sweep("descent", GRID, Objective(), "grid", storage=tmp_path / "s.journal", base=BASE, on_trial=note)
    assert [n for n, _ in seen] == list(range(GRID.grid_size()))


def test_a_trial_interrupted_in_this_worker_is_given_back_for_a_retry(tmp_path, monkeypatch):
    import lab

    storage = tmp_path / "s.journal"
    create_sweep("descent", GRID, Objective(), "grid", storage=storage, study_name="i", base=BASE, prune=False)
    real_run = lab.run

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lab, "run", crash)
    with pytest.raises(KeyboardInterrupt):
        worker(storage, "i")
    study, _ = load_sweep(storage, "i")
    first = study.get_trials()[0]
    assert first.state.name == "FAIL" and first.user_attrs["retired"] == "interrupted"
    assert [t.state.name for t in study.get_trials()][1:] == ["WAITING"]
    monkeypatch.setattr(lab, "run", real_run)
    assert worker(storage, "i") == GRID.grid_size()
    table = trials_table(study)
    assert {params_of(row, GRID.dims) for _, row in table.iterrows()} == grid_points(GRID) and len(table) == GRID.grid_size()
    assert table.loc[table["number"] == 1, ["lr", "optimizer"]].iloc[0].tolist() == [first.params["lr"], first.params["optimizer"]]


def test_a_metric_the_lab_does_not_record_stops_the_worker_with_the_known_ones(tmp_path):
    storage = tmp_path / "s.journal"
    create_sweep("descent", GRID, Objective("val/loss"), "grid", storage=storage, study_name="m", base=BASE)
    with pytest.raises(ValueError, match=r"the descent lab does not record the metric 'val/loss'; it records: .*loss"):
        worker(storage, "m")
    code, out, err = _cli("sweep", "worker", "--storage", str(storage), "--study", "m")
    assert code == 1 and "does not record the metric 'val/loss'" in err
    study, _ = load_sweep(storage, "m")
    assert trials_table(study).empty  # the failed attempts are retired, not counted


def test_stop_between_trials_and_mid_trial_then_resume(tmp_path, run_db):
    storage = tmp_path / "s.journal"
    finished, stop = [], threading.Event()

    def note(trial):
        finished.append(trial.number)
        if len(finished) == 2:
            stop.set()

    study = run_sweep("descent", GRID, Objective(), "grid", storage=storage, study_name="s", base=BASE, prune=False,
                      on_trial=note, stop=stop)
    assert finished == [0, 1] and len(study.get_trials()) == 2  # stopped before asking for a third
    calls = {"n": 0}

    def stop_mid_run():  # lab.run asks once per step: this lands on step 10 of the next trial
        calls["n"] += 1
        return calls["n"] > 10

    assert worker(storage, "s", stop=stop_mid_run) == 0
    trials = study.get_trials()
    assert trials[2].state.name == "FAIL" and trials[2].user_attrs["retired"] == "interrupted"
    assert trials[3].state.name == "WAITING" and trials[3].params == trials[2].params
    assert len(RunStore(run_db).list("local", tag="sweep:s")) == 2  # the interrupted run is not saved
    assert worker(storage, "s") == GRID.grid_size() - 2
    table = trials_table(study)
    assert len(table) == GRID.grid_size()
    assert {params_of(row, GRID.dims) for _, row in table.iterrows()} == grid_points(GRID)


def test_heatmap_cells_where_every_trial_diverged_have_no_value(tmp_path):
    space = Space({"lr": FloatRange(0.01, 5, log=True, points=3), "optimizer": Choice(("gd", "momentum"))})
    study = run_sweep("descent", space, Objective("loss", "min"), "grid", storage=tmp_path / "s.journal", base=BASE,
                      prune=False)
    merged = heatmap(study, "lr", "optimizer").merge(trials_table(study), on=["lr", "optimizer"], suffixes=("", "_t"))
    diverged = merged["decision"] == "diverged"
    assert merged["lr"][diverged].round(6).tolist() == [5.0, 5.0] and (merged["value_t"][diverged] == math.inf).all()
    assert merged["value"][diverged].isna().all() and (merged["diverged"] == diverged.astype(int)).all()
    assert (merged["value"][~diverged] == merged["value_t"][~diverged]).all() and (merged["count"] == 1).all()


def test_a_field_with_many_values_is_binned_into_ordered_ranges_on_the_heatmap(tmp_path):
    space = Space({"lr": FloatRange(0.001, 0.5, log=True), "optimizer": Choice(("gd", "adam"))})
    study = run_sweep("descent", space, Objective("loss", "min"), "random", n_trials=30, storage=tmp_path / "s.journal",
                      base=BASE, prune=False)
    table = trials_table(study)
    done = table[(table["state"] == "complete") & table["value"].notna()]
    cells = heatmap(study, "lr", "optimizer")
    ranges = list(cells["lr"].cat.categories)
    assert table["lr"].nunique() == 30 and len(ranges) == HEATMAP_BINS
    assert cells["count"].sum() == len(done) and len(cells) <= 2 * HEATMAP_BINS
    # log-spaced ranges from the smallest to the largest lr drawn, each trial in the range holding its lr
    lows = [float(r.split("–")[0]) for r in ranges]
    assert lows == sorted(lows) and math.isclose(lows[0], table["lr"].min(), rel_tol=1e-2)
    assert math.isclose(lows[2] / lows[1], lows[1] / lows[0], rel_tol=1e-2)
    ranged = done.assign(range=bin_values(done["lr"]).astype(str))
    for lr, label in zip(ranged["lr"], ranged["range"]):
        lo, hi = map(float, label.split("–"))
        assert lo * (1 - 5e-3) <= lr <= hi * (1 + 5e-3)
    means = ranged.groupby(["range", "optimizer"])["value"].agg(["mean", "count"])
    for _, cell in cells.iterrows():
        expected = means.loc[(str(cell["lr"]), cell["optimizer"])]
        assert cell["count"] == expected["count"] and math.isclose(cell["value"], expected["mean"], rel_tol=1e-12)


def test_few_distinct_values_are_not_binned():
    values = pd.Series([0.1, 0.2, 0.1, 0.4])
    assert bin_values(values, bins=3) is values
    assert list(bin_values(pd.Series(range(9)), bins=3)) == ["0–3"] * 4 + ["4–5"] * 2 + ["6–8"] * 3
    assert list(bin_values(pd.Series([0.0, 1.0, 2.0, 3.0, 4.0]), bins=2)) == ["0–2"] * 3 + ["2–4"] * 2


def test_the_trials_table_shows_each_kinds_word_also_for_old_names():
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    study = optuna.create_study()
    lr = {"lr": FloatDistribution(0.001, 1.0)}
    stored = [("non_finite", TrialState.COMPLETE), ("budget", TrialState.COMPLETE), ("max_steps", TrialState.COMPLETE),
              ("tolerance", TrialState.COMPLETE), ("cancelled", TrialState.PRUNED), ("cancelled", TrialState.COMPLETE)]
    for kind, state in stored:
        study.add_trial(create_trial(state=state, value=None if state == TrialState.PRUNED else 1.0, params={"lr": 0.1},
                                     distributions=lr, user_attrs={"decision": kind}))
    study.add_trial(create_trial(state=TrialState.FAIL, params={"lr": 0.1}, distributions=lr))
    # older sweeps stored a pruned run's decision as "cancelled": the trial's state tells it apart
    decisions = trials_table(study)["decision"].tolist()
    assert decisions[:6] == ["not finite", "budget", "budget", "converged", "pruned", "stopped by you"]
    assert pd.isna(decisions[6])  # a failed trial has no decision
