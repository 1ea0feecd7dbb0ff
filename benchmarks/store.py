"""How fast a 50,000-step run is saved and read back, by the store and by the usual alternatives.

    python benchmarks/store.py

Compared in the same run, on the same history (50,000 steps; three metrics every step,
plus one every tenth step):

- ``RunStore`` (this project): one row per run plus one binary column blob, one transaction;
- a JSON column: the same row with the history as JSON text (``json.dumps`` of the columns);
- a steps table: one row per (run, step, metric, value), ``executemany`` (what MLflow-style
  metric tables and ``pandas.DataFrame.to_sql`` do);
- ``pandas.DataFrame.to_sql`` / ``read_sql`` of the long history, what a pandas user would write.

Times are medians of several repeats; the ratio is the alternative's time over the store's.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataclasses import dataclass  # noqa: E402

import pandas as pd  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402
from lab import experiments  # noqa: E402
from lab.config import Config  # noqa: E402
from lab.records import RunResult, Step  # noqa: E402
from lab.runs import (
    history_blob,  # noqa: E402
    runfile,  # noqa: E402
)
from lab.runs.store import RunStore  # noqa: E402
from lab.stopping import Decision, Kind  # noqa: E402

N = 50_000
REPEATS = 5


@dataclass(frozen=True)
class BenchConfig(Config):
    lr: float = 0.01
    seed: int = 0


experiments.LABS["bench"] = "__main__:BenchConfig"
_Config = BenchConfig


def make_steps(n: int = N) -> list[Step]:
    steps = []
    for i in range(n):
        m = {"train/loss": 1.0 / (i + 1), "grad/norm": 0.5 / (i + 1) ** 0.5, "lr": 0.01}
        if i % 10 == 0:
            m["val/loss"] = 1.1 / (i + 1)
        steps.append(Step(i, m))
    return steps


def connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    return con


def main() -> None:
    steps = make_steps()
    result = RunResult(_Config(), steps, Decision(Kind.BUDGET, "budget", N - 1), {}, 1.0)
    tmp = Path(tempfile.mkdtemp())
    rows: list[tuple[str, float, float, int]] = []

    store = RunStore(tmp / "store.db")
    ids: list[str] = []
    save = median_seconds(lambda: ids.append(store.save("local", "bench", result)), REPEATS)
    load = median_seconds(lambda: store.get("local", ids[-1]), REPEATS)
    size = len(history_blob.encode(steps))
    rows.append(("RunStore (binary columns)", save, load, size))

    con = connect(tmp / "json.db")
    con.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, history TEXT)")

    def json_save():
        text = json.dumps(runfile.history_columns(steps))
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO runs (history) VALUES (?)", (text,))
        con.execute("COMMIT")

    def json_load():
        text = con.execute("SELECT history FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        runfile.steps_from_columns(json.loads(text), "bench")

    rows.append(("JSON text column", median_seconds(json_save, REPEATS), median_seconds(json_load, REPEATS),
                 len(json.dumps(runfile.history_columns(steps)))))

    con = connect(tmp / "table.db")
    con.execute("CREATE TABLE metrics (run INTEGER, step INTEGER, metric TEXT, value REAL)")
    con.execute("CREATE INDEX metrics_run ON metrics (run)")
    counter = iter(range(10**9))

    def table_save():
        run = next(counter)
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?)",
                        ((run, s.step, k, v) for s in steps for k, v in s.metrics.items()))
        con.execute("COMMIT")

    def table_load():
        out: dict[int, dict[str, float]] = {}
        for step, metric, value in con.execute("SELECT step, metric, value FROM metrics WHERE run = 0 ORDER BY rowid"):
            out.setdefault(step, {})[metric] = value
        [Step(k, v) for k, v in out.items()]

    rows.append(("steps table (row per value)", median_seconds(table_save, REPEATS), median_seconds(table_load, REPEATS), 0))

    frame = result.history()
    con = sqlite3.connect(tmp / "pandas.db")

    def pandas_save():
        frame.assign(run=1).to_sql("history", con, if_exists="append", index=False)
        con.commit()

    def pandas_load():
        pd.read_sql("SELECT step, metric, value FROM history WHERE run = 1", con)

    rows.append(("pandas to_sql / read_sql", median_seconds(pandas_save, 3), median_seconds(pandas_load, 3), 0))

    print(f"history: {N:,} steps, {sum(len(s.metrics) for s in steps):,} values; medians of {REPEATS} repeats\n")
    print(f"{'format':30} {'save ms':>9} {'x store':>8} {'read ms':>9} {'x store':>8} {'bytes':>11}")
    base_save, base_load = rows[0][1], rows[0][2]
    for name, s, r, b in rows:
        print(f"{name:30} {s * 1e3:9.1f} {s / base_save:8.1f} {r * 1e3:9.1f} {r / base_load:8.1f} {b or '':>11}")

    for _ in range(200):
        store.save("local", "bench", RunResult(_Config(), steps[:200], result.decision, {}, 0.1))
    listing = median_seconds(lambda: store.list("local"), REPEATS)
    export = median_seconds(lambda: store.export_json("local", [ids[0]]), 3)
    data = store.export_json("local", [ids[0]])
    importing = median_seconds(lambda: store.import_json("other", data), 3)
    print(f"\nlist() of {store.count('local')} runs: {listing * 1e3:.1f} ms (no histories read)")
    print(f"export_json of the 50k-step run: {export * 1e3:.0f} ms, {len(data) / 1e6:.1f} MB; "
          f"import_json (parse, check, validate, write): {importing * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
