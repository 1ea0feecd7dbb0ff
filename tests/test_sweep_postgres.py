"""Distributed sweeps: worker processes on one PostgreSQL database, as on several machines.

The test starts its own PostgreSQL server (Debian's ``postgresql`` package: initdb and
pg_ctl) in a temporary folder on a free localhost port, as the ``postgres`` user (or
``nobody``) when run as root, since the server refuses to run as root. Without PostgreSQL
it skips, except under CI=true, where it fails: CI must install the package.
"""

from __future__ import annotations

import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from lab import cli
from lab.experiments.descent import DescentConfig
from lab.sweep import Space, best_trial, load_sweep, runner, trials_table
from tests.sweep_helpers import check_ran_once

PARAMS = ["lr=float:0.01:0.4:log:4", "optimizer=choice:gd,adam"]


def _pg_bin() -> Path | None:
    for candidate in [os.environ.get("PG_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _as_user() -> tuple[list[str], str | None]:
    """The command prefix that drops root (PostgreSQL will not run as root), and that user."""
    if os.geteuid() != 0:
        return [], None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"], user
    pytest.fail("running as root and neither a postgres nor a nobody user exists to run PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    bin_dir = _pg_bin()
    if bin_dir is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql): initdb and pg_ctl not found"
        if os.environ.get("CI"):
            pytest.fail("under CI the distributed sweep test must run: " + reason)
        pytest.skip(reason)
    prefix, user = _as_user()
    root = Path(tempfile.mkdtemp(prefix="lab-pg-"))
    if user is not None:
        shutil.chown(root, user)
    data, port = root / "data", _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            pytest.fail(f"{' '.join(cmd[:1])} failed: {done.stdout}\n{done.stderr}\n{log}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "lab", "--no-sync", "-E", "UTF8")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lab", "sweeps")
        yield f"postgresql://lab@127.0.0.1:{port}/sweeps"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(root, ignore_errors=True)


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


def test_two_worker_processes_share_one_database_grid(postgres_url, tmp_path):
    code, out, err = _cli("sweep", "create", "--storage", postgres_url, "--study", "pg-grid", "--lab", "descent",
                          *[w for p in PARAMS for w in ("--param", p)], "--set", "steps=30", "--report-every", "10", "--sampler", "grid")
    assert code == 0, err
    outputs = _workers(postgres_url, "pg-grid", tmp_path / "runs.db")
    study, spec = load_sweep(postgres_url, "pg-grid")
    space = Space.parse(DescentConfig, PARAMS)
    check_ran_once(study, space.grid_size(), space)
    counts = [int(o.rsplit("worker done: ", 1)[1].split()[0]) for o in outputs]
    assert sum(counts) == space.grid_size()
    assert len({t.user_attrs["worker"] for t in study.get_trials() if "retired" not in t.user_attrs}) == 2
    code, out, err = _cli("sweep", "status", "--storage", postgres_url, "--study", "pg-grid")
    assert code == 0 and f"best: trial {best_trial(study).number}" in out


def test_two_worker_processes_keep_the_exact_budget_with_tpe(postgres_url, tmp_path):
    code, out, err = _cli("sweep", "create", "--storage", postgres_url, "--study", "pg-tpe", "--lab", "descent",
                          "--param", "lr=float:0.001:0.5:log", "--param", "optimizer=choice:gd,adam,momentum",
                          "--set", "steps=30", "--report-every", "10", "--sampler", "tpe", "--trials", "12")
    assert code == 0, err
    _workers(postgres_url, "pg-tpe", tmp_path / "runs.db")
    study, _ = load_sweep(postgres_url, "pg-tpe")
    check_ran_once(study, 12)
    table = trials_table(study)
    assert len(table.drop_duplicates(["lr", "optimizer"])) == 12


def test_a_killed_worker_leaves_a_trial_that_the_next_worker_retries(postgres_url, tmp_path):
    assert _cli("sweep", "create", "--storage", postgres_url, "--study", "pg-kill", "--lab", "descent",
                *[w for p in PARAMS for w in ("--param", p)], "--set", "steps=30", "--report-every", "10", "--sampler", "grid")[0] == 0
    study, spec = load_sweep(postgres_url, "pg-kill")
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = study.ask()
    spec.space.suggest(orphan, grid=True)
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{dead.pid}")
    _workers(postgres_url, "pg-kill", tmp_path / "runs.db", n=1)
    space = Space.parse(DescentConfig, PARAMS)
    table = trials_table(study)
    assert len(table) == space.grid_size() and set(table["state"]) <= {"complete", "pruned"}
    assert study.get_trials()[0].user_attrs["retired"] == "stale"
    retry = [t for t in study.get_trials() if t.user_attrs.get("retry_of") == 0]
    assert len(retry) == 1 and retry[0].params == study.get_trials()[0].params
