"""The run store: round trips, workspaces, filters, export/import, and what a bad file gets."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab.records import Decision, Kind, RunResult, Step
from lab.runs import runfile
from lab.runs.store import (
    RunStore,
    check_workspace,
    default_db_path,
    default_name,
    new_workspace,
    package_versions,
    workspace_from_query,
)
from tests.pg import fresh_database
from tests.runfixtures import TinyConfig, register, scalar


@pytest.fixture(autouse=True)
def tiny_lab(monkeypatch):
    register(monkeypatch)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A new, empty store: an SQLite file, then a database on the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return RunStore(tmp_path / "runs.db")
    return RunStore(fresh_database(request.getfixturevalue("postgres_url")))


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same_steps(a: list[Step], b: list[Step]) -> bool:
    """Equal step indices, metric names and values bit for bit (so NaN equals NaN)."""
    if len(a) != len(b):
        return False
    for s, t in zip(a, b):
        if s.step != t.step or set(s.metrics) != set(t.metrics):
            return False
        if any(bits(float(s.metrics[k])) != bits(float(t.metrics[k])) for k in s.metrics):
            return False
    return True


def test_save_get_result_round_trip(store):
    original = lab.run(TinyConfig(noise=0.05, seed=7, steps=40))
    run_id = store.save("local", "tiny", original, tags=["baseline", "noisy"])
    stored = store.get("local", run_id)
    assert stored.id == run_id
    assert stored.tags == ("baseline", "noisy")
    assert stored.seed == 7
    assert stored.decision == original.decision
    rebuilt = stored.result()
    assert rebuilt.config == original.config
    assert same_steps(rebuilt.steps, original.steps)
    assert rebuilt.decision == original.decision
    assert rebuilt.seconds == original.seconds
    assert rebuilt.history().equals(original.history())


def test_sparse_and_non_finite_histories_survive(store):
    original = lab.run(TinyConfig(blow_up_at=7, val_every=3))
    assert original.decision.kind == "non_finite"
    assert math.isinf(original.last("train/loss"))
    stored = store.get("local", store.save("local", "tiny", original))
    assert same_steps(stored.steps, original.steps)
    assert [s.step for s in stored.steps if "val/loss" in s.metrics] == [0, 3, 6]
    summary = store.list("local")[0]
    assert math.isinf(summary.final["train/loss"]) and summary.decision_kind == "non_finite"


def test_artifacts_keep_small_json_values_only(store):
    stored = store.get("local", store.save("local", "tiny", lab.run(TinyConfig())))
    assert stored.artifacts["weights"] == [0.0, 1.0, 2.0]
    assert stored.artifacts["note"] == "tiny"
    assert isinstance(stored.artifacts["final_loss"], float)
    assert "huge" not in stored.artifacts and "model" not in stored.artifacts


def test_summarize_artifacts_rules():
    from lab.runs.store import summarize_artifacts

    kept = summarize_artifacts({
        "i": np.int64(3), "f": np.float32(0.5), "nan": float("nan"), "t": (1, 2), "d": {"a": [1, {"b": 2}]},
        "deep": [[[[[[1]]]]]], "keys": {1: "x"}, "big": list(range(5000)), "s": "x" * 10_000, "none": None,
        3: "not a str key",
    })
    assert kept == {"i": 3, "f": 0.5, "nan": None, "t": [1, 2], "d": {"a": [1, {"b": 2}]}, "none": None}
    json.dumps(kept, allow_nan=False)


def test_default_name_and_versions(store):
    assert default_name("tiny", {"optimizer": "adam", "lr": 0.01, "seed": 1}) == "adam lr=0.01"
    assert default_name("kmeans", {"k": 3, "seed": 1}) == "k=3"
    assert default_name("curve", {"seed": 4}) == "curve seed=4"
    versions = package_versions()
    assert versions["python"].count(".") == 2 and versions["numpy"] == np.__version__
    stored = store.get("local", store.save("local", "tiny", lab.run(TinyConfig(optimizer="adam", lr=0.25)), name="  "))
    assert stored.name == "adam lr=0.25"
    assert stored.versions["numpy"] == np.__version__


def test_list_filters_and_order(store):
    a = store.save("local", "tiny", lab.run(TinyConfig()), name="a", tags=["x"])
    b = store.save("local", "tiny", lab.run(TinyConfig(blow_up_at=2)), name="b", tags=["x", "y"])
    c = store.save("local", "other", lab.run(TinyConfig(lr=0.5)), name="c")
    assert [r.id for r in store.list("local")] == [c, b, a]
    assert [r.id for r in store.list("local", lab="tiny")] == [b, a]
    assert [r.id for r in store.list("local", tag="x")] == [b, a]
    assert [r.id for r in store.list("local", tag="y")] == [b]
    assert [r.id for r in store.list("local", decision_kind="non_finite")] == [b]
    assert [r.id for r in store.list("local", lab="tiny", tag="x", decision_kind=Kind.BUDGET)] == [a]
    assert store.list("local", limit=1)[0].id == c
    summary = store.list("local", tag="y")[0]
    assert not hasattr(summary, "steps")
    assert summary.n_steps == 3 and summary.config["blow_up_at"] == 2


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_round_trips_through_the_store_and_the_run_file(store, kind):
    ran = lab.run(TinyConfig(steps=5))
    result = RunResult(ran.config, ran.steps, Decision(kind, f"ended: {kind.word}", 4, 2 if kind is Kind.PATIENCE else None))
    run_id = store.save("local", "tiny", result)
    assert store.get("local", run_id).decision == result.decision
    assert store.get("local", run_id).decision.kind is kind
    assert [s.id for s in store.list("local", decision_kind=kind)] == [run_id]
    assert store.list("local")[0].decision_kind is kind
    record = json.loads(store.export_json("local"))["runs"][0]["decision"]
    assert record == {"kind": kind.value, "reason": f"ended: {kind.word}", "step": 4, "best_step": result.decision.best_step}
    [copy] = store.import_json("dest", store.export_json("local"))
    assert store.get("dest", copy).decision == result.decision


def _version_1_store(path: Path, kinds: list[str]) -> list[str]:
    """A run store as version 1 wrote it: runs under the old kind names, user_version 1."""
    store = RunStore(path)
    ids = [store.save("local", "tiny", lab.run(TinyConfig(steps=3)), name=old) for old in kinds]
    con = sqlite3.connect(path)
    for run_id, old in zip(ids, kinds):
        con.execute("UPDATE runs SET decision_kind = ? WHERE id = ?", (old, run_id))
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    return ids


def test_old_max_steps_and_tolerance_runs_load_as_budget_and_converged(tmp_path):
    path = tmp_path / "old.db"
    budget, converged = _version_1_store(path, ["max_steps", "tolerance"])
    store = RunStore(path)
    assert store.get("local", budget).decision.kind is Kind.BUDGET
    assert store.get("local", converged).decision.kind is Kind.CONVERGED
    assert [s.id for s in store.list("local", decision_kind="max_steps")] == [budget]  # old names still filter
    assert [s.id for s in store.list("local", decision_kind=Kind.CONVERGED)] == [converged]
    con = sqlite3.connect(path)
    assert sorted(row[0] for row in con.execute("SELECT decision_kind FROM runs")) == ["budget", "converged"]
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    con.close()


def test_an_old_run_file_with_stop_and_max_steps_imports_as_budget(store):
    doc = _doc(store)
    doc["runs"][0]["decision"].update(stop=True, kind="max_steps")
    [run_id] = store.import_json("dest", json.dumps(doc).encode())
    assert store.get("dest", run_id).decision.kind is Kind.BUDGET


def test_an_unknown_kind_filter_is_refused(store):
    with pytest.raises(ValueError, match="kind='exploded' is not allowed"):
        store.list("local", decision_kind="exploded")


def test_rename_tags_delete(store):
    run_id = store.save("local", "tiny", lab.run(TinyConfig()))
    store.rename("local", run_id, "  my best run ")
    store.set_tags("local", run_id, ["keep", "keep", " paper "])
    stored = store.get("local", run_id)
    assert stored.name == "my best run" and stored.tags == ("keep", "paper")
    with pytest.raises(ValueError, match="name"):
        store.rename("local", run_id, "")
    with pytest.raises(ValueError, match="tags"):
        store.set_tags("local", run_id, "not-a-list")
    assert store.delete("local", run_id) is True
    assert store.delete("local", run_id) is False
    with pytest.raises(KeyError):
        store.get("local", run_id)
    with pytest.raises(KeyError):
        store.rename("local", run_id, "x")
    assert scalar(store, "SELECT COUNT(*) FROM histories") == 0


def test_workspaces_never_see_each_other(store):
    alice, bob = new_workspace(), new_workspace()
    assert alice != bob and len(alice) >= 22
    a = store.save(alice, "tiny", lab.run(TinyConfig()), name="alice's")
    b = store.save(bob, "tiny", lab.run(TinyConfig(lr=0.2)), name="bob's")
    assert [r.id for r in store.list(alice)] == [a]
    assert [r.id for r in store.list(bob)] == [b]
    assert store.list("local") == []
    with pytest.raises(KeyError):
        store.get(alice, b)
    with pytest.raises(KeyError):
        store.export_json(alice, [b])
    with pytest.raises(KeyError):
        store.export_csv(bob, [a])
    with pytest.raises(KeyError):
        store.rename(alice, b, "stolen")
    with pytest.raises(KeyError):
        store.set_tags(alice, b, ["x"])
    assert store.delete(alice, b) is False
    assert store.get(bob, b).name == "bob's"
    everything = json.loads(store.export_json(alice))
    assert [r["name"] for r in everything["runs"]] == ["alice's"]
    assert alice.encode() not in store.export_json(alice)
    assert store.count(alice) == 1 and store.count(bob) == 1


@pytest.mark.parametrize("bad", ["", "a b", "../x", "x" * 65, None, 3])
def test_bad_workspace_ids_are_refused(store, bad):
    with pytest.raises(ValueError, match="workspace"):
        check_workspace(bad)
    with pytest.raises(ValueError, match="workspace"):
        store.list(bad)


def test_workspace_from_query():
    assert workspace_from_query("anything", shared=False) == ("local", False)
    ws = new_workspace()
    assert workspace_from_query(ws, shared=True) == (ws, False)
    for bad in (None, "", "local", "a b", "x" * 65):
        fresh, created = workspace_from_query(bad, shared=True)
        assert created and fresh != bad and check_workspace(fresh) == fresh


def test_export_import_into_another_workspace_gives_equal_runs(store):
    ids = [
        store.save("local", "tiny", lab.run(TinyConfig(noise=0.1, seed=1)), tags=["t"]),
        store.save("local", "tiny", lab.run(TinyConfig(blow_up_at=4)), name="diverges"),
    ]
    data = store.export_json("local", ids)
    json.loads(data)  # standard JSON: no NaN/Infinity literals
    assert b"NaN" not in data and b"Infinity" not in data
    new_ids = store.import_json("team", data)
    assert len(new_ids) == 2 and not set(new_ids) & set(ids)
    for old, new in zip(ids, new_ids):
        a, b = store.get("local", old), store.get("team", new)
        assert (a.lab, a.name, a.tags, a.created_at, a.config, a.seed, a.versions, a.decision, a.artifacts, a.seconds) == (
            b.lab, b.name, b.tags, b.created_at, b.config, b.seed, b.versions, b.decision, b.artifacts, b.seconds)
        assert same_steps(a.steps, b.steps)
        assert b.result().config == a.result().config


def test_export_csv_is_the_long_history(store):
    result = lab.run(TinyConfig(noise=0.01, steps=12))
    run_id = store.save("local", "tiny", result)
    rows = list(csv.reader(io.StringIO(store.export_csv("local", [run_id]).decode())))
    assert rows[0] == ["run", "step", "metric", "value"]
    frame = result.history()
    assert len(rows) - 1 == len(frame)
    for row, (step, metric, value) in zip(rows[1:], frame.itertuples(index=False)):
        assert row[0] == run_id and int(row[1]) == step and row[2] == metric and float(row[3]) == value


# ----------------------------------------------------------------------------- bad files


def _file(store) -> bytes:
    store.save("local", "tiny", lab.run(TinyConfig(steps=30)), name="good one")
    return store.export_json("local")


def _doc(store) -> dict:
    return json.loads(_file(store))


def _refused(store, data, match):
    before = store.count("dest")
    with pytest.raises(ValueError, match=match):
        store.import_json("dest", data)
    assert store.count("dest") == before


def test_truncated_files_are_refused(store):
    data = _file(store)
    for cut in (1, 10, len(data) // 3, len(data) // 2, len(data) - 1):
        _refused(store, data[:cut], "not valid JSON|truncated")
    _refused(store, b"", "empty")
    _refused(store, b"\xff\xfe{}", "UTF-8")


def _mutated(store, change):
    doc = _doc(store)
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.update(format="something else"), "not a Convergence Lab run file"),
        (lambda d: d.update(version=99), "newer"),
        (lambda d: d.update(version="1"), "version"),
        (lambda d: d.update(runs={}), "list of runs"),
        (lambda d: d.update(runs=[]), "no runs"),
        (lambda d: d.update(extra=1), "unknown top-level"),
        (lambda d: d["runs"].append(3), "run 2 is not an object"),
        (lambda d: d["runs"][0].pop("history"), "missing history"),
        (lambda d: d["runs"][0].update(evil="x"), "unknown evil"),
        (lambda d: d["runs"][0].update(name=5), "name must be text"),
        (lambda d: d["runs"][0].update(tags="a,b"), "tags must be a list"),
        (lambda d: d["runs"][0].update(seed=1.5), "seed must be a whole number"),
        (lambda d: d["runs"][0].update(seconds=-1), "seconds"),
        (lambda d: d["runs"][0].update(created_at="yesterday"), "created_at"),
        (lambda d: d["runs"][0]["decision"].update(kind="exploded"), "decision kind"),
        (lambda d: d["runs"][0]["decision"].update(step="3"), "decision.step"),
        (lambda d: d["runs"][0]["history"].update(steps=[0, 1]), "one value per step"),
        (lambda d: d["runs"][0]["history"]["steps"].__setitem__(0, "zero"), "whole numbers"),
        (lambda d: d["runs"][0]["history"]["metrics"]["lr"].__setitem__(3, "1.0"), "not a number"),
        (lambda d: d["runs"][0]["history"]["metrics"]["lr"].__setitem__(3, [1]), "not a number"),
        (lambda d: d["runs"][0]["config"].update(lr=-3.0), r"'good one'.*config does not validate.*lr"),
        (lambda d: d["runs"][0]["config"].update(bogus=1), r"'good one'.*unknown field"),
        (lambda d: d["runs"][0]["config"].update(lr="0.1"), r"'good one'.*lr"),
        (lambda d: d["runs"][0].update(lab="nope"), r"'good one'.*lab='nope' is not known"),
        (lambda d: d["runs"][0].update(config=[]), "config must be an object"),
    ],
)
def test_wrong_schema_is_refused_with_a_message(store, change, match):
    _refused(store, _mutated(store, change), match)


def test_hostile_json_is_refused(store):
    good = _file(store)
    _refused(store, b"[" * 100_000 + b"]" * 100_000, "nests values")
    _refused(store, b'{"a":' * 50 + b"1" + b"}" * 50, "nests values")
    _refused(store, good.replace(b'"seconds":', b'"seconds":1e999,"x":', 1), "too large")
    _refused(store, good.replace(b'"seconds":', b'"seconds":' + b"9" * 5000 + b',"x":', 1), "too long")
    _refused(store, good.replace(b'"seconds":', b'"seconds":NaN,"x":', 1), "not standard JSON")
    _refused(store, good.replace(b'"format"', b'"version":1,"format"', 1), "appear twice")
    with pytest.raises(ValueError, match="limit"):
        store.import_json("dest", good, max_bytes=len(good) - 1)
    assert store.count("dest") == 0


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert runfile.nesting_depth(b'{"a": "[[[[[[[[[[", "b": [1, {"c": "]}\\"[["}]}') == 3


def test_a_bad_run_after_good_ones_imports_nothing(store):
    doc = _doc(store)
    good = doc["runs"][0]
    bad = json.loads(json.dumps(good))
    bad["name"] = "the bad one"
    bad["config"]["steps"] = 0
    doc["runs"] = [good, good, bad]
    _refused(store, json.dumps(doc).encode(), r"run 3 \('the bad one'\).*steps")
    doc["runs"] = [good, good]
    assert len(store.import_json("dest", json.dumps(doc).encode())) == 2


# ----------------------------------------------------------------------------- where the file lives


def test_db_path_env_then_secrets_then_user_folder(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "app"
    (cwd / ".streamlit").mkdir(parents=True)
    home.mkdir()
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert default_db_path(env, cwd, home).name == "runs.db"
    (cwd / ".streamlit" / "secrets.toml").write_text('CONVERGENCE_LAB_DB = "data/runs.db"\n')
    assert default_db_path(env, cwd, home) == cwd / "data" / "runs.db"
    assert default_db_path({**env, "CONVERGENCE_LAB_DB": str(tmp_path / "e.db")}, cwd, home) == tmp_path / "e.db"
    (cwd / ".streamlit" / "secrets.toml").write_text("CONVERGENCE_LAB_DB = [unclosed\n")
    with pytest.raises(ValueError, match="secrets.toml"):
        default_db_path(env, cwd, home)


def test_user_folder_default_on_linux(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    assert default_db_path({}, tmp_path, tmp_path / "h") == tmp_path / "h" / ".local" / "share" / "convergence-lab" / "runs.db"
    assert default_db_path({"XDG_DATA_HOME": "/x"}, tmp_path, tmp_path) == Path("/x/convergence-lab/runs.db")


def test_not_a_database_file_gets_a_message(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ValueError, match="run store"):
        RunStore(path)


# ----------------------------------------------------------------------------- threads


def test_threads_saving_at_once_lose_nothing(store):
    errors = []

    def work(worker):
        try:
            for i in range(10):
                store.save("local", "tiny", lab.run(TinyConfig(seed=worker * 100 + i)), name=f"w{worker}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = sorted(r.name for r in store.list("local"))
    assert names == sorted(f"w{w}-{i}" for w in range(6) for i in range(10))


# ----------------------------------------------------------------------------- fuzzing the importer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_json_is_refused_with_a_value_error(store, value):
    data = json.dumps({"format": "convergence-lab/runs", "version": 1, "runs": [value]}).encode()
    with pytest.raises(ValueError):
        store.import_json("fuzz", data)
    assert store.count("fuzz") == 0


@given(st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_files_import_whole_or_not_at_all(store, data):
    if store.count("local") == 0:
        store.save("local", "tiny", lab.run(TinyConfig(steps=8, val_every=3)), name="original")
    raw = bytearray(store.export_json("local"))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    before = store.count("fuzz")
    try:
        ids = store.import_json("fuzz", bytes(raw))
    except ValueError:
        assert store.count("fuzz") == before
    else:
        assert len(ids) == 1 and store.count("fuzz") == before + 1
        store.get("fuzz", ids[0]).result()
