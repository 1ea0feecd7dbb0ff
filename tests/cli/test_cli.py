"""The command line: headless runs that are saved, settings parsed by type, runs list/show/export/import."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lab
from lab.cli import commands as cli
from lab.records import Step
from lab.runs.store import RunStore
from lab.share import to_query
from tests.runfixtures import TinyConfig, register

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def tiny_lab(monkeypatch):
    register(monkeypatch)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "runs.db"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_run_saves_the_run_with_the_given_settings(db, tmp_path):
    code, out, err = run_cli("run", "tiny", "lr=0.25", "steps=30", "schedule.name=cosine", "optimizer=adam",
                             "--tag", "cli", "--db", str(db), "--json", str(tmp_path / "run.json"))
    assert code == 0, err
    expected = lab.run(TinyConfig(lr=0.25, steps=30, optimizer="adam", schedule=TinyConfig().schedule.replace(name="cosine")))
    assert f"decision: budget: {expected.decision.reason}" in out
    assert f"train/loss={expected.last('train/loss'):.6g}" in out
    [summary] = RunStore(db).list("local")
    assert summary.name == "adam lr=0.25" and summary.tags == ("cli",)
    assert f"saved:    {summary.id}" in out
    stored = RunStore(db).get("local", summary.id)
    assert stored.result().config == expected.config
    assert stored.steps == expected.steps
    doc = json.loads((tmp_path / "run.json").read_bytes())
    assert doc["runs"][0]["config"]["lr"] == 0.25
    assert RunStore(tmp_path / "other.db").import_json("local", (tmp_path / "run.json").read_bytes())


def test_no_save_still_writes_the_run_file(db, tmp_path):
    code, out, _ = run_cli("run", "tiny", "--no-save", "--quiet", "--db", str(db), "--json", str(tmp_path / "r.json"))
    assert code == 0 and "saved:" not in out
    assert not db.exists()
    imported = RunStore(tmp_path / "x.db").import_json("local", (tmp_path / "r.json").read_bytes())
    assert RunStore(tmp_path / "x.db").get("local", imported[0]).steps == lab.run(TinyConfig()).steps


def test_data_option_hands_the_csv_to_the_lab(db, tmp_path):
    (tmp_path / "d.csv").write_text("a,name\n2,x\n4,y\n")
    code, out, err = run_cli("run", "tiny", "lr=0.5", "steps=1", "--db", str(db), "--data", str(tmp_path / "d.csv"))
    assert code == 0 and "train/loss=1.5" in out
    assert "note: ignored non-numeric column(s): name" in err
    (tmp_path / "e.csv").write_text("")
    code, _, err = run_cli("run", "tiny", "--db", str(db), "--data", str(tmp_path / "e.csv"))
    assert code == 2 and "error: the file is empty" in err


def test_bad_settings_are_refused_naming_each_field(db):
    code, out, err = run_cli("run", "tiny", "lr=fast", "steps=0", "nope=1", "schedule.name=zigzag", "--db", str(db))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert any(line.startswith("error: lr='fast'") and "not a number" in line for line in lines)
    assert any(line.startswith("error: steps=0") and "out of range" in line for line in lines)
    assert any(line.startswith("error: nope: not a setting") for line in lines)
    assert any(line.startswith("error: schedule.name") for line in lines)
    assert not db.exists() or RunStore(db).list("local") == []
    assert run_cli("run", "tiny", "lr", "--db", str(db))[0] == 2
    assert run_cli("run", "nolab", "--db", str(db))[2].startswith("error: lab='nolab' is not known")


def test_help_documents_every_field_of_every_lab(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    docs = TinyConfig.field_docs()
    defaults = to_query(TinyConfig())
    for name in ("optimizer", "lr", "steps", "noise", "seed", "blow_up_at", "verbose"):
        assert any(line.split()[0] == f"{name}={defaults[name]}" and docs[name] in line
                   for line in text.splitlines() if line.strip())
    assert "schedule.name=constant" in text and "schedule: constant" in text
    assert "descent" in text and "curve" in text


def test_runs_list_show_export_import_delete(db, tmp_path):
    for lr in ("0.1", "0.2"):
        assert run_cli("run", "tiny", f"lr={lr}", "--quiet", "--db", str(db))[0] == 0
    assert run_cli("run", "tiny", "blow_up_at=3", "--quiet", "--db", str(db), "--workspace", "elsewhere")[0] == 0
    store = RunStore(db)
    newer, older = store.list("local")

    code, out, _ = run_cli("runs", "list", "--db", str(db))
    assert code == 0 and out.index(newer.id) < out.index(older.id)
    assert "non_finite" not in out
    assert "non_finite" in run_cli("runs", "list", "--db", str(db), "--workspace", "elsewhere")[1]
    assert run_cli("runs", "list", "--db", str(db), "--kind", "non_finite")[1].startswith("no saved runs")

    code, out, _ = run_cli("runs", "show", older.id, "--db", str(db))
    assert code == 0 and "sgd lr=0.1" in out and "  lr=0.1" in out.splitlines() and older.decision_reason in out
    code, _, err = run_cli("runs", "show", older.id, "--db", str(db), "--workspace", "elsewhere")
    assert code == 1 and "no run" in err

    code, _, _ = run_cli("runs", "export", older.id, "--format", "csv", "--out", str(tmp_path / "o.csv"), "--db", str(db))
    rows = list(csv.reader((tmp_path / "o.csv").open()))
    assert rows[0] == ["run", "step", "metric", "value"] and {r[0] for r in rows[1:]} == {older.id}
    code, _, _ = run_cli("runs", "export", "--out", str(tmp_path / "all.json"), "--db", str(db))
    assert len(json.loads((tmp_path / "all.json").read_bytes())["runs"]) == 2

    code, out, _ = run_cli("runs", "import", str(tmp_path / "all.json"), "--db", str(db), "--workspace", "copy")
    assert code == 0 and len(store.list("copy")) == 2
    (tmp_path / "bad.json").write_bytes((tmp_path / "all.json").read_bytes()[:-5])
    code, _, err = run_cli("runs", "import", str(tmp_path / "bad.json"), "--db", str(db), "--workspace", "copy2")
    assert code == 1 and "not valid JSON" in err and store.list("copy2") == []

    assert run_cli("runs", "delete", older.id, "--db", str(db), "--workspace", "elsewhere")[0] == 1
    assert run_cli("runs", "delete", older.id, "--db", str(db))[0] == 0
    assert [r.id for r in store.list("local")] == [newer.id]
    assert run_cli("runs", "list", "--db", str(db), "--workspace", "no way")[0] == 1


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_and_in_a_log():
    tty = _Tty()
    bar = cli.ProgressBar(20, tty, every=0.0)
    for i in range(20):
        bar(Step(i, {"train/loss": 1.0 / (i + 1)}))
    bar.close()
    text = tty.getvalue()
    assert text.count("\r") == 21 and text.endswith("\n")
    assert "[" + "#" * 30 + "] 20/20" in text and "train/loss=0.05" in text

    log = io.StringIO()
    bar = cli.ProgressBar(1000, log)
    for i in range(1000):
        bar(Step(i, {"loss": 1.0}))
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in log.getvalue()
    assert "100/1000" in lines[0] and "1000/1000" in lines[-1]


_CLI = "from lab import experiments; experiments.LABS['tiny'] = 'tests.runfixtures:TinyConfig'; from lab.cli import main; raise SystemExit(main())"


def test_python_m_lab_help_works_without_the_labs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONVERGENCE_LAB_DB": str(tmp_path / "r.db")}
    for argv in (["--help"], ["run", "--help"], ["runs", "list"]):
        done = subprocess.run([sys.executable, "-m", "lab", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "no saved runs" in done.stdout and str(tmp_path / "r.db") in done.stdout


@pytest.mark.slow
def test_ctrl_c_ends_the_run_as_cancelled_and_saves_it(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONVERGENCE_LAB_DB": str(tmp_path / "r.db")}
    proc = subprocess.Popen([sys.executable, "-c", _CLI, "run", "tiny", "steps=10000000", "lr=1e-9"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "r.db").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "decision: cancelled: stopped by you" in out
    [summary] = RunStore(tmp_path / "r.db").list("local")
    assert summary.decision_kind == "cancelled" and 0 < summary.n_steps < 10_000_000


def test_data_for_a_lab_without_data_is_a_one_line_error(db, tmp_path):
    (tmp_path / "d.csv").write_text("a\n1\n2\n")
    code, out, err = run_cli("run", "descent", "--no-save", "--quiet", "--data", str(tmp_path / "d.csv"))
    assert code == 2 and out == ""
    assert err == "error: --data: the descent lab trains on data of its own and takes no CSV\n"


@pytest.mark.parametrize("command", ["data", "import"])
def test_devices_and_named_pipes_are_refused_without_reading(db, tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo), str(tmp_path)):
        argv = (("run", "tiny", "--no-save", "--quiet", "--data", path) if command == "data"
                else ("runs", "import", path, "--db", str(db)))
        started = time.perf_counter()
        code, _, err = run_cli(*argv)
        assert time.perf_counter() - started < 2.0
        assert code in (1, 2) and err == f"error: {path} is not a regular file (a folder, pipe or device); give a file\n"


def test_a_file_over_the_limit_is_refused_before_reading(db, tmp_path, monkeypatch):
    from lab import uploads

    monkeypatch.setattr(uploads, "MAX_BYTES", 10)
    (tmp_path / "d.csv").write_text("a\n" + "1\n" * 20)
    code, _, err = run_cli("run", "tiny", "--no-save", "--quiet", "--data", str(tmp_path / "d.csv"))
    assert code == 2 and "the limit is" in err


def test_the_run_file_is_written_before_a_save_that_fails(db, tmp_path, monkeypatch):
    from lab.runs.store import StoreError

    def full(*args, **kwargs):
        raise StoreError("the run store cannot be used right now: database or disk is full")

    monkeypatch.setattr(RunStore, "save", full)
    code, out, err = run_cli("run", "tiny", "--quiet", "--db", str(db), "--json", str(tmp_path / "run.json"))
    assert code == 1 and "saved:" not in out and f"written:  {tmp_path / 'run.json'}" in out
    assert err == (f"error: the run was not saved: the run store cannot be used right now: database or disk is full; "
                   f"the run is in {tmp_path / 'run.json'}\n")
    [imported] = RunStore(tmp_path / "x.db").import_json("local", (tmp_path / "run.json").read_bytes())
    assert RunStore(tmp_path / "x.db").get("local", imported).steps == lab.run(TinyConfig()).steps
