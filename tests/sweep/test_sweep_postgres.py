"""Distributed sweeps: worker processes on one PostgreSQL database, as on several machines.

The tests start their own PostgreSQL server (`tests.pg`); without PostgreSQL they skip,
except under CI, where they fail: CI must install the package.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
from pathlib import Path

import pytest

from lab.cli import commands as cli
from lab.experiments.descent import DescentConfig
from lab.sweep import Space, best_trial, load_sweep, runner, trials_table
from tests.pg import fresh_database
from tests.sweep_helpers import check_ran_once

PARAMS = ["lr=float:0.01:0.4:log:4", "optimizer=choice:gd,adam"]


@pytest.fixture(scope="module")
def sweeps_url(postgres_url):
    return fresh_database(postgres_url)


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(list(argv), out, err), out.getvalue(), err.getvalue()


def _workers(url: str, study: str, db: Path, n: int = 2) -> list[str]:
    env = dict(os.environ, CONVERGENCE_LAB_DB=str(db))
    procs = [subprocess.Popen(runner.worker_command(url, study, i, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for i in range(n)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    return [out for out, _ in outputs]


pytestmark = pytest.mark.slow


def test_two_worker_processes_share_one_database_grid(sweeps_url, tmp_path):
    code, out, err = _cli("sweep", "create", "--storage", sweeps_url, "--study", "pg-grid", "--lab", "descent",
                          *[w for p in PARAMS for w in ("--param", p)], "--set", "steps=30", "--report-every", "10", "--sampler", "grid")
    assert code == 0, err
    outputs = _workers(sweeps_url, "pg-grid", tmp_path / "runs.db")
    study, spec = load_sweep(sweeps_url, "pg-grid")
    space = Space.parse(DescentConfig, PARAMS)
    check_ran_once(study, space.grid_size(), space)
    counts = [int(o.rsplit("worker done: ", 1)[1].split()[0]) for o in outputs]
    assert sum(counts) == space.grid_size()
    assert len({t.user_attrs["worker"] for t in study.get_trials() if "retired" not in t.user_attrs}) == 2
    code, out, err = _cli("sweep", "status", "--storage", sweeps_url, "--study", "pg-grid")
    assert code == 0 and f"best: trial {best_trial(study).number}" in out


def test_two_worker_processes_keep_the_exact_budget_with_tpe(sweeps_url, tmp_path):
    code, out, err = _cli("sweep", "create", "--storage", sweeps_url, "--study", "pg-tpe", "--lab", "descent",
                          "--param", "lr=float:0.001:0.5:log", "--param", "optimizer=choice:gd,adam,momentum",
                          "--set", "steps=30", "--report-every", "10", "--sampler", "tpe", "--trials", "12")
    assert code == 0, err
    _workers(sweeps_url, "pg-tpe", tmp_path / "runs.db")
    study, _ = load_sweep(sweeps_url, "pg-tpe")
    check_ran_once(study, 12)
    table = trials_table(study)
    assert len(table.drop_duplicates(["lr", "optimizer"])) == 12


def test_a_killed_worker_leaves_a_trial_that_the_next_worker_retries(sweeps_url, tmp_path):
    assert _cli("sweep", "create", "--storage", sweeps_url, "--study", "pg-kill", "--lab", "descent",
                *[w for p in PARAMS for w in ("--param", p)], "--set", "steps=30", "--report-every", "10", "--sampler", "grid")[0] == 0
    study, spec = load_sweep(sweeps_url, "pg-kill")
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = study.ask()
    spec.space.suggest(orphan, grid=True)
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{dead.pid}")
    _workers(sweeps_url, "pg-kill", tmp_path / "runs.db", n=1)
    space = Space.parse(DescentConfig, PARAMS)
    table = trials_table(study)
    assert len(table) == space.grid_size() and set(table["state"]) <= {"complete", "pruned"}
    assert study.get_trials()[0].user_attrs["retired"] == "stale"
    retry = [t for t in study.get_trials() if t.user_attrs.get("retry_of") == 0]
    assert len(retry) == 1 and retry[0].params == study.get_trials()[0].params
