"""What only the PostgreSQL run store has: a URL where a file path goes, replicas starting at
once, and messages that never show the password."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

import lab
from lab.cli import commands as cli
from lab.runs.store import RunStore, default_db_path
from lab.sweep.storage import default_journal
from tests.pg import fresh_database
from tests.runfixtures import TinyConfig, register, scalar


@pytest.fixture(autouse=True)
def tiny_lab(monkeypatch):
    register(monkeypatch)


def test_a_url_in_the_environment_or_the_secrets_is_kept_as_it_is(tmp_path, monkeypatch):
    url = "postgresql://lab:pw@db.example:5432/runs"
    (tmp_path / ".streamlit").mkdir()
    assert default_db_path({"CONVERGENCE_LAB_DB": url}, tmp_path, tmp_path) == url
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'CONVERGENCE_LAB_DB = "{url}"\n')
    assert default_db_path({}, tmp_path, tmp_path) == url
    monkeypatch.setenv("CONVERGENCE_LAB_DB", url)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_journal() == Path(tmp_path / "xdg" / "convergence-lab" / "sweeps.journal")


def test_an_unreachable_server_gets_one_line_without_the_password():
    url = "postgresql://lab:s3cr3t-pw@127.0.0.1:1/runs"
    with pytest.raises(ValueError) as info:
        RunStore(url)
    message = str(info.value)
    assert "s3cr3t-pw" not in message and "\n" not in message
    assert message.startswith("cannot use postgresql://lab:***@127.0.0.1:1/runs as a run store")


@pytest.mark.slow
def test_replicas_starting_at_once_share_one_schema(postgres_url):
    url = fresh_database(postgres_url)
    stores, errors = [], []

    def start():
        try:
            stores.append(RunStore(url))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 6
    ids = [s.save("local", "tiny", lab.run(TinyConfig(seed=i)), name=f"r{i}") for i, s in enumerate(stores)]
    assert {r.id for r in stores[0].list("local")} == set(ids)
    assert scalar(stores[0], "SELECT COUNT(*) FROM lab_schema") == 1


def test_the_cli_saves_and_lists_runs_in_postgresql(postgres_url):
    # the tests' server trusts localhost, so it takes (and ignores) any password
    url = fresh_database(postgres_url).replace("postgresql://lab@", "postgresql://lab:hunter22@")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["run", "descent", "steps=20", "--quiet", "--db", url], out, err)
    assert code == 0, err.getvalue()
    assert "saved:" in out.getvalue() and "lab:***@" in out.getvalue() and "hunter22" not in out.getvalue()
    assert RunStore(url).count("local") == 1
    out = io.StringIO()
    assert cli.main(["runs", "list", "--db", url], out, io.StringIO()) == 0
    assert "descent" in out.getvalue()
