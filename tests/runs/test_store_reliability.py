"""The store under stress: processes killed mid-write, and many processes saving at once.

Each test runs on an SQLite file and on a database of the tests' PostgreSQL server (`tests.pg`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lab
from lab.runs.store import RunStore
from tests.pg import fresh_database
from tests.runfixtures import TinyConfig, register, scalar

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """Where the store lives: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    return fresh_database(request.getfixturevalue("postgres_url"))

# Saves the same 5,000-step run again and again, printing each id once its save returned.
# With "hang" as second argument it stops inside the transaction of its third save (after
# the runs row, before the history) and says so, so the test can kill it right there.
_SAVER = """
import sys, time
import lab
from lab.runs import store as store_module
from lab.runs.store import RunStore
from tests.runfixtures import TinyConfig

store = RunStore(sys.argv[1])
result = lab.run(TinyConfig(steps=5000, lr=1e-4, noise=0.01, seed=1))
insert = store_module._insert
count = 0

def hanging_insert(con, workspace, prepared):
    con.execute("INSERT INTO runs (id, workspace, lab, name, tags, created_at, config, seed, versions, decision_stop, "
                "decision_kind, decision_reason, decision_step, best_step, artifacts, seconds, n_steps, final) "
                "SELECT 'halfwritten0', workspace, lab, name, tags, created_at, config, seed, versions, decision_stop, "
                "decision_kind, decision_reason, decision_step, best_step, artifacts, seconds, n_steps, final "
                "FROM runs LIMIT 1")
    print("inside", flush=True)
    time.sleep(60)

i = 0
while True:
    if len(sys.argv) > 2 and i == 2:
        store_module._insert = hanging_insert
    run_id = store.save("local", "tiny", result, name=f"run-{i}")
    print(run_id, flush=True)
    i += 1
"""


def _start(db: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _SAVER, str(db), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read_until(proc: subprocess.Popen, stop) -> list[str]:
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the saver ended early: {proc.stderr.read()[-2000:]}")
        lines.append(line.strip())
        if stop(lines):
            return lines


def _check_sqlite_file(db: str) -> None:
    """SQLite's own checks of the file (PostgreSQL keeps its pages and foreign keys itself)."""
    if db.startswith("postgresql://"):
        return
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []


def _check_intact(db: str, saved_ids: list[str], expected) -> None:
    _check_sqlite_file(db)
    store = RunStore(db)
    assert scalar(store, "SELECT COUNT(*) FROM runs WHERE id NOT IN (SELECT run_id FROM histories)") == 0
    for run_id in saved_ids:
        stored = store.get("local", run_id)
        assert stored.steps == expected.steps
        assert stored.decision == expected.decision


@pytest.mark.slow
def test_sigkill_mid_write_leaves_every_completed_run(db, monkeypatch):
    register(monkeypatch)
    expected = lab.run(TinyConfig(steps=5000, lr=1e-4, noise=0.01, seed=1))
    saved: list[str] = []
    for round_, wait in enumerate((0.0, 0.013, 0.031)):
        proc = _start(db)
        try:
            saved += _read_until(proc, lambda lines, n=3 + round_: len(lines) >= n)
            time.sleep(wait)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        _check_intact(db, saved, expected)

    proc = _start(db, "hang")
    try:
        lines = _read_until(proc, lambda lines: lines[-1] == "inside")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    saved += lines[:-1]
    _check_intact(db, saved, expected)
    store = RunStore(db)
    ids = {r.id for r in store.list("local")}
    assert "halfwritten0" not in ids
    assert set(saved) <= ids
    # the store still takes new runs after all that
    assert store.get("local", store.save("local", "tiny", expected)).steps == expected.steps


def _save_many(db: str, worker: int, barrier) -> None:
    store = RunStore(db)
    results = [lab.run(TinyConfig(seed=worker * 1000 + i, noise=0.1, steps=25 + i % 5)) for i in range(50)]
    barrier.wait(timeout=60)
    for i, result in enumerate(results):
        store.save("shared", "tiny", result, name=f"p{worker}-{i}", tags=[f"p{worker}"])


@pytest.mark.slow
def test_eight_processes_saving_fifty_runs_each(db, monkeypatch):
    register(monkeypatch)
    RunStore(db)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(8)
    procs = [ctx.Process(target=_save_many, args=(db, w, barrier)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * 8

    store = RunStore(db)
    summaries = store.list("shared")
    assert len(summaries) == 400
    assert sorted(s.name for s in summaries) == sorted(f"p{w}-{i}" for w in range(8) for i in range(50))
    for summary in summaries:
        worker, i = map(int, summary.name[1:].split("-"))
        assert summary.tags == (f"p{worker}",)
        stored = store.get("shared", summary.id)
        assert stored.seed == worker * 1000 + i
        again = lab.run(stored.result().config)
        assert stored.steps == again.steps
        assert stored.decision == again.decision
    _check_sqlite_file(db)
