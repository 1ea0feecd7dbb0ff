"""Saved runs in an embedded SQLite file, each visible only in its workspace.

Every finished, stopped or diverged run can be saved with its config, seed, package
versions, full history, decision, small artifacts, wall time and an editable name and
tags. One SQLite file (standard library only) in WAL mode, or one PostgreSQL database for a
deployment of several replicas (`lab.runs.backends`); each save is one transaction, so
threads and processes writing at once wait for each other (busy timeout, then a few
retries) instead of corrupting the store or losing a run, and a process killed mid-write
leaves every committed run intact. The history is one
compact binary blob per run (`lab.runs.history_blob`) in its own table, so listing runs never
reads histories.

Workspaces: every call takes a workspace id. On a shared deployment each visitor gets an
unguessable one (`new_workspace`) carried in the URL; locally everything lives in "local".

Where the file is: `default_db_path` (the ``CONVERGENCE_LAB_DB`` environment variable, else
``CONVERGENCE_LAB_DB`` in ``.streamlit/secrets.toml``, else a per-user data folder).
"""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import os
import platform
import re
import secrets
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from lab.records import LEGACY_KINDS, Decision, Kind, RunResult, Step
from lab.runs import history_blob, runfile
from lab.runs.backends import SCHEMA, is_url, open_backend
from lab.runs.runfile import check_name, check_tags, decision_dict, summarize_artifacts
from lab.share import describe_differences, diff_configs, short

__all__ = [
    "LOCAL", "RunStore", "RunSummary", "StoreError", "StoredRun", "check_workspace", "default_db_path", "default_name",
    "describe_differences", "diff_configs", "new_workspace", "package_versions", "summarize_artifacts", "unsaved_run",
    "workspace_from_query",
]

LOCAL = "local"
ENV_VAR = "CONVERGENCE_LAB_DB"
#: 2: decision kinds renamed (`lab.records.LEGACY_KINDS`), rows of version 1 are renamed on opening
SCHEMA_VERSION = 2
RETRIES = 5
MAX_NAME = runfile.MAX_NAME

_WORKSPACE = re.compile(r"[A-Za-z0-9_-]{1,64}")

T = TypeVar("T")

_SUMMARY_COLUMNS = ("id, lab, name, tags, created_at, config, seed, decision_kind, decision_reason, "
                    "decision_step, best_step, seconds, n_steps, final")


# ----------------------------------------------------------------------------- where, who, what


def new_workspace() -> str:
    """A fresh, unguessable workspace id (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def check_workspace(workspace: Any) -> str:
    """The workspace id if well formed (1-64 of A-Z a-z 0-9 _ -), else ValueError."""
    if not isinstance(workspace, str) or not _WORKSPACE.fullmatch(workspace):
        raise ValueError("workspace must be 1 to 64 letters, digits, '-' or '_'")
    return workspace


def workspace_from_query(value: str | None, *, shared: bool) -> tuple[str, bool]:
    """The workspace for an app session, and whether it is new (the page then puts it in the URL).

    Locally (`shared` False) everything lives in "local". On a shared deployment the ``ws``
    query parameter names the workspace; a missing or malformed one gets a fresh id.
    """
    if not shared:
        return LOCAL, False
    if isinstance(value, str) and _WORKSPACE.fullmatch(value) and value != LOCAL:
        return value, False
    return new_workspace(), True


def default_db_path(environ: Mapping[str, str] | None = None, cwd: Path | None = None,
                    home: Path | None = None) -> Path | str:
    """Where runs are saved: $CONVERGENCE_LAB_DB, else Streamlit secrets, else a per-user data folder.

    The secrets file is read directly (``.streamlit/secrets.toml`` in the working directory,
    then in the home folder), with the key ``CONVERGENCE_LAB_DB`` at the top level. Either
    may hold an SQLite file path or a ``postgresql://`` URL (returned as it is, a string).
    """
    env = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else Path(cwd)
    home = Path.home() if home is None else Path(home)
    if env.get(ENV_VAR):
        return env[ENV_VAR] if is_url(env[ENV_VAR]) else Path(env[ENV_VAR]).expanduser()
    for secrets_file in (cwd / ".streamlit" / "secrets.toml", home / ".streamlit" / "secrets.toml"):
        value = _secret(secrets_file)
        if is_url(value):
            return value
        if value:
            path = Path(value).expanduser()
            return path if path.is_absolute() else cwd / path
    return _user_data_dir(env, home) / "runs.db"


def _secret(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    value = data.get(ENV_VAR)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{ENV_VAR} in {path} must be a file path or a postgresql:// URL in quotes")
    return value


def user_data_dir() -> Path:
    """This user's data folder for Convergence Lab (where the run file goes by default)."""
    return _user_data_dir(os.environ, Path.home())


def _user_data_dir(env: Mapping[str, str], home: Path) -> Path:
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local") / "convergence-lab"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "convergence-lab"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "convergence-lab"


_PACKAGES = (("numpy", "numpy"), ("torch", "torch"), ("sklearn", "scikit-learn"), ("gymnasium", "gymnasium"),
             ("pandas", "pandas"))


def package_versions() -> dict[str, str]:
    """Python's version and those of the numeric packages this process has imported."""
    versions = {"python": platform.python_version()}
    for module, dist in _PACKAGES:
        if module in sys.modules:
            try:
                versions[module] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = getattr(sys.modules[module], "__version__", None)
                if isinstance(version, str):
                    versions[module] = version
    return versions


_HEADLINE = ("optimizer", "model", "env", "surface", "dataset", "init", "algorithm")
_NUMBERS = ("lr", "k", "alpha", "gamma", "epsilon", "batch_size", "hidden", "layers")


def default_name(lab: str, config: Mapping[str, Any]) -> str:
    """A name a person recognises, from the config: e.g. "adam lr=0.01" (else the lab and seed)."""
    parts = []
    for key in _HEADLINE:
        if isinstance(config.get(key), str):
            parts.append(config[key])
            break
    parts += [f"{key}={short(config[key])}" for key in _NUMBERS if key in config and config[key] is not None][:2]
    if not parts:
        parts.append(lab)
        if isinstance(config.get("seed"), int):
            parts.append(f"seed={config['seed']}")
    return " ".join(parts)[:MAX_NAME]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Saved:
    """What every saved run is known by: its id, lab, name, tags, time of saving, config and seed."""

    id: str
    lab: str
    name: str
    tags: tuple[str, ...]
    created_at: str
    config: dict[str, Any]
    seed: int | None


@dataclass(frozen=True)
class RunSummary(_Saved):
    """A saved run without its history: what the runs table lists."""

    decision_kind: Kind
    decision_reason: str
    decision_step: int
    best_step: int | None
    seconds: float
    n_steps: int
    final: dict[str, float]


@dataclass(frozen=True)
class StoredRun(_Saved):
    """A saved run in full. `result()` rebuilds the RunResult (with a real config object)."""

    versions: dict[str, str]
    decision: Decision
    artifacts: dict[str, Any]
    seconds: float
    steps: list[Step] = field(repr=False)

    def result(self) -> RunResult:
        from lab import experiments

        config = experiments.config_from_dict(self.lab, self.config)
        return RunResult(config, list(self.steps), self.decision, dict(self.artifacts), self.seconds)

    def final(self) -> dict[str, float]:
        return history_blob.last_values(self.steps)

    def to_record(self) -> dict[str, Any]:
        """This run as a record of the run file (JSON data, no workspace)."""
        return {
            "id": self.id, "lab": self.lab, "name": self.name, "tags": list(self.tags), "created_at": self.created_at,
            "config": self.config, "seed": self.seed, "versions": self.versions,
            "decision": decision_dict(self.decision), "artifacts": self.artifacts, "seconds": self.seconds,
            "history": runfile.history_columns(self.steps),
        }


def _floats_json(values: Mapping[str, float]) -> str:
    return json.dumps({k: runfile.encode_float(v) for k, v in values.items()}, allow_nan=False)


def _floats_from_json(text: str) -> dict[str, float]:
    return {k: runfile.decode_float(v) for k, v in json.loads(text).items()}


def unsaved_run(lab: str, result: RunResult, name: str | None = None, tags: Iterable[str] = ()) -> StoredRun:
    """What `RunStore.save` would store for `result` (with an empty id): for a run file without a store."""
    config = result.config.to_dict() if hasattr(result.config, "to_dict") else dict(result.config)
    return StoredRun(
        id="",
        lab=_check_lab(lab),
        name=_check_name(name, lab, config),
        tags=_tags(tags),
        created_at=_now(),
        config=config,
        seed=config.get("seed") if isinstance(config.get("seed"), int) else None,
        versions=package_versions(),
        decision=result.decision,
        artifacts=summarize_artifacts(result.artifacts),
        seconds=float(result.seconds),
        steps=result.steps,
    )


def _summary(row: tuple) -> RunSummary:
    (run_id, lab, name, tags, created_at, config, seed, kind, reason, step, best_step, seconds, n_steps, final) = row
    return RunSummary(run_id, lab, name, tuple(json.loads(tags)), created_at, json.loads(config), seed, Kind.parse(kind),
                      reason, step, best_step, seconds, n_steps, _floats_from_json(final))


# ----------------------------------------------------------------------------- the store


class RunStore:
    """Saved runs in one SQLite file or PostgreSQL database. Safe to share between threads and processes.

    Each call opens its own short-lived connection, so one RunStore may be used from any
    thread (Streamlit runs each session in its own thread). What differs between the two
    databases is in `lab.runs.backends`.
    """

    def __init__(self, location: str | os.PathLike[str] | None = None) -> None:
        self._db = open_backend(default_db_path() if location is None else location)
        #: the SQLite file (None for PostgreSQL)
        self.path: Path | None = self._db.path
        #: where the runs are, for messages (a URL without its password)
        self.where = self._db.where
        self._retry(self._init_schema)

    def __repr__(self) -> str:
        return f"RunStore({self.where!r})"

    # -- connections and transactions

    def _retry(self, fn: Callable[[], T]) -> T:
        for attempt in range(RETRIES):
            try:
                return fn()
            except self._db.errors as exc:
                if not self._db.is_busy(exc):
                    raise StoreError(f"the run store cannot be used right now: {self._db.message(exc)}") from None
                if attempt == RETRIES - 1:
                    raise StoreError(f"the run store stays busy: {self._db.message(exc)}") from None
                time.sleep(0.05 * 2**attempt + secrets.randbelow(50) / 1000)
        raise AssertionError("unreachable")

    def _transaction(self, begin: str, fn: Callable[[Any], T]) -> T:
        """Run `fn` in one transaction (all or nothing) on a fresh connection."""
        con = self._db.connect()
        try:
            con.execute(begin)
            try:
                result = fn(con)
                con.execute("COMMIT")
            except BaseException:
                self._db.rollback(con)
                raise
            return result
        finally:
            con.close()

    def _write(self, fn: Callable[[Any], T]) -> T:
        """Run `fn` in one write transaction, retried while the store stays locked."""
        return self._retry(lambda: self._transaction(self._db.begin_write, fn))

    def _read(self, fn: Callable[[Any], T]) -> T:
        return self._retry(lambda: self._transaction(self._db.begin_read, fn))

    def _init_schema(self) -> None:
        def upgrade(con: Any) -> None:
            version = self._db.version(con)
            if version > SCHEMA_VERSION:
                raise ValueError(f"the run store {self.where} was made by a newer version of Convergence Lab")
            if version < SCHEMA_VERSION:
                for statement in SCHEMA.format(**self._db.types).split(";"):
                    if statement.strip():
                        con.execute(statement)
                for old, kind in LEGACY_KINDS.items():
                    con.execute("UPDATE runs SET decision_kind = ? WHERE decision_kind = ?", (kind.value, old))
                self._db.set_version(con, SCHEMA_VERSION)

        def attempt() -> None:
            con = self._db.connect()
            try:
                self._db.prepare(con)
            finally:
                con.close()
            self._transaction(self._db.begin_write, upgrade)

        try:
            attempt()
        except self._db.database_errors as exc:
            if isinstance(exc, self._db.errors) and self._db.is_busy(exc):
                raise
            raise ValueError(f"cannot use {self.where} as a run store: {self._db.message(exc)}") from None

    # -- writing

    def save(self, workspace: str, lab: str, result: RunResult, name: str | None = None,
             tags: Iterable[str] = ()) -> str:
        """Save a finished run; returns its id. The name defaults to one made from the config."""
        workspace = check_workspace(workspace)
        prepared = _prepare(vars(unsaved_run(lab, result, name, tags)))
        return self._write(lambda con: _insert(con, workspace, prepared))

    def import_json(self, workspace: str, data: bytes | str, *, max_bytes: int = runfile.MAX_BYTES) -> list[str]:
        """Import a run file (from `export_json`) into `workspace`; the new ids, in file order.

        Every run is checked (format, types, sizes, config validation) before any is
        written, and all are written in one transaction: a bad file imports nothing and
        raises ValueError with a message that names the run and the problem.
        """
        workspace = check_workspace(workspace)
        prepared = [_prepare(record) for record in runfile.parse_file(data, max_bytes=max_bytes)]
        return self._write(lambda con: [_insert(con, workspace, p) for p in prepared])

    def delete(self, workspace: str, run_id: str) -> bool:
        """Delete a run; False if this workspace has no such run."""
        workspace = check_workspace(workspace)
        return self._write(lambda con: con.execute(
            "DELETE FROM runs WHERE workspace = ? AND id = ?", (workspace, run_id)).rowcount > 0)

    def rename(self, workspace: str, run_id: str, name: str) -> None:
        """Give a run a new name (1 to 200 characters); KeyError if this workspace has no such run."""
        workspace = check_workspace(workspace)
        self._update(workspace, run_id, "name", check_name(name))

    def set_tags(self, workspace: str, run_id: str, tags: Iterable[str]) -> None:
        """Replace a run's tags; KeyError if this workspace has no such run."""
        workspace = check_workspace(workspace)
        self._update(workspace, run_id, "tags", json.dumps(list(_tags(tags))))

    def _update(self, workspace: str, run_id: str, column: str, value: str) -> None:
        changed = self._write(lambda con: con.execute(
            f"UPDATE runs SET {column} = ? WHERE workspace = ? AND id = ?", (value, workspace, run_id)).rowcount)
        if not changed:
            raise KeyError(_missing(run_id))

    # -- reading

    def get(self, workspace: str, run_id: str) -> StoredRun:
        """A run in full; KeyError if this workspace has no run with this id."""
        workspace = check_workspace(workspace)
        runs = self._read(lambda con: _fetch(con, self._db.order, workspace, [run_id]))
        return runs[0]

    def list(self, workspace: str, lab: str | None = None, tag: str | None = None,
             decision_kind: str | None = None, limit: int | None = None) -> list[RunSummary]:
        """The workspace's runs, newest first, without histories; optionally filtered.

        `decision_kind` is a `Kind` or its name (an old name such as "max_steps" too); ValueError if unknown.
        """
        workspace = check_workspace(workspace)
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM runs WHERE workspace = ?"
        args: list[Any] = [workspace]
        if lab is not None:
            sql += " AND lab = ?"
            args.append(lab)
        if decision_kind is not None:
            sql += " AND decision_kind = ?"
            args.append(Kind.parse(decision_kind).value)
        if tag is not None:
            sql += f" AND {self._db.has_tag}"
            args.append(tag)
        sql += f" ORDER BY created_at DESC, {self._db.order} DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = self._read(lambda con: con.execute(sql, args).fetchall())
        return [_summary(row) for row in rows]

    def count(self, workspace: str) -> int:
        """How many runs the workspace holds."""
        workspace = check_workspace(workspace)
        return self._read(lambda con: con.execute("SELECT COUNT(*) FROM runs WHERE workspace = ?", (workspace,)).fetchone()[0])

    def export_json(self, workspace: str, ids: Iterable[str] | None = None) -> bytes:
        """The runs (all of the workspace's if `ids` is None) as a run file with full histories.

        The file never contains the workspace id, so sharing it does not share the workspace.
        """
        return runfile.dumps([run.to_record() for run in self._runs(workspace, ids)])

    def export_csv(self, workspace: str, ids: Iterable[str] | None = None) -> bytes:
        """The runs' histories as a long CSV table: run, step, metric, value (run is the run id)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", "step", "metric", "value"])
        for run in self._runs(workspace, ids):
            writer.writerows((run.id, s.step, csv_cell(name), repr(float(value)))
                             for s in run.steps for name, value in s.metrics.items())
        return out.getvalue().encode("utf-8")

    def _runs(self, workspace: str, ids: Iterable[str] | None) -> list[StoredRun]:
        workspace = check_workspace(workspace)
        if ids is None:
            return self._read(lambda con: _fetch(con, self._db.order, workspace, None))
        wanted = list(ids)
        return self._read(lambda con: _fetch(con, self._db.order, workspace, wanted))


#: What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class StoreError(ValueError):
    """The store cannot be read or written (a read-only file or folder, a full disk); the
    message is one line for the user, like every ValueError of the store."""


def _missing(run_id: str) -> str:
    return f"no run {str(run_id)[:40]!r} in this workspace"


def _tags(tags: Any) -> tuple[str, ...]:
    return check_tags(tags if isinstance(tags, str) or not isinstance(tags, Iterable) else list(tags))


def _check_lab(lab: Any) -> str:
    if not isinstance(lab, str) or not lab or len(lab) > 64:
        raise ValueError("lab must be a short name such as 'descent'")
    return lab


def _check_name(name: Any, lab: str, config: Mapping[str, Any]) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        return default_name(lab, config)
    return check_name(name)


def _prepare(record: dict[str, Any]) -> dict[str, Any]:
    """Everything a row needs, encoded outside the transaction (the write lock is held briefly)."""
    steps = record["steps"]
    decision = record["decision"]
    config_json = json.dumps(record["config"], allow_nan=False)
    return {
        "lab": record["lab"], "name": record["name"], "tags": json.dumps(list(record["tags"])),
        "created_at": record["created_at"], "config": config_json, "seed": record["seed"],
        "versions": json.dumps(record["versions"]), "decision_stop": 1,
        "decision_kind": decision.kind.value, "decision_reason": decision.reason, "decision_step": int(decision.step),
        "best_step": None if decision.best_step is None else int(decision.best_step),
        "artifacts": json.dumps(record["artifacts"], allow_nan=False), "seconds": record["seconds"],
        "n_steps": len(steps), "final": _floats_json(history_blob.last_values(steps)),
        "blob": history_blob.encode(steps),
    }


def _insert(con: Any, workspace: str, p: dict[str, Any]) -> str:
    while True:
        run_id = secrets.token_hex(6)
        inserted = con.execute(
            "INSERT INTO runs (id, workspace, lab, name, tags, created_at, config, seed, versions, decision_stop, "
            "decision_kind, decision_reason, decision_step, best_step, artifacts, seconds, n_steps, final) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (run_id, workspace, p["lab"], p["name"], p["tags"], p["created_at"], p["config"], p["seed"],
             p["versions"], p["decision_stop"], p["decision_kind"], p["decision_reason"], p["decision_step"],
             p["best_step"], p["artifacts"], p["seconds"], p["n_steps"], p["final"]),
        ).rowcount
        if not inserted:  # an id already taken (one chance in 2**48 per run): draw another
            continue
        con.execute("INSERT INTO histories (run_id, blob) VALUES (?, ?)", (run_id, p["blob"]))
        return run_id


def _fetch(con: Any, order: str, workspace: str, ids: list[str] | None) -> list[StoredRun]:
    sql = ("SELECT r.id, r.lab, r.name, r.tags, r.created_at, r.config, r.seed, r.versions, "
           "r.decision_kind, r.decision_reason, r.decision_step, r.best_step, r.artifacts, r.seconds, h.blob "
           "FROM runs r JOIN histories h ON h.run_id = r.id WHERE r.workspace = ?")
    if ids is None:
        rows = con.execute(sql + f" ORDER BY r.created_at, r.{order}", (workspace,)).fetchall()
    else:
        rows = []
        for run_id in ids:
            row = con.execute(sql + " AND r.id = ?", (workspace, run_id)).fetchone() if isinstance(run_id, str) else None
            if row is None:
                raise KeyError(_missing(run_id))
            rows.append(row)
    return [_stored(row) for row in rows]


def _stored(row: tuple) -> StoredRun:
    (run_id, lab, name, tags, created_at, config, seed, versions, kind, reason, step, best_step,
     artifacts, seconds, blob) = row
    return StoredRun(run_id, lab, name, tuple(json.loads(tags)), created_at, json.loads(config), seed,
                     json.loads(versions), Decision(kind, reason, step, best_step),
                     json.loads(artifacts), seconds, history_blob.decode(blob))

