"""Where the run store keeps its rows: an SQLite file (embedded default) or a PostgreSQL database.

`lab.runs.store` writes its SQL once, with ``?`` placeholders and the few words both
databases share; everything that differs lives here, in two small classes with one
interface: how to connect, how a write transaction starts, the column types of the schema,
where the schema version is kept, which column orders rows by insertion, how to test a
run's tags, and which driver errors mean "busy, try again".

PostgreSQL is for a deployment of several app replicas (one store for a whole class):
``postgresql://user:password@host:port/database``, through psycopg 3 (the driver the
sweeps use). Its messages never show the password (`lab.redaction`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from lab.redaction import redact, redact_message

BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5
URL_SCHEMES = ("postgresql://", "postgres://")

#: The tables, with the types that differ between the databases as {placeholders}.
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workspace TEXT NOT NULL,
    lab TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    config TEXT NOT NULL,
    seed {int},
    versions TEXT NOT NULL,
    decision_stop {int} NOT NULL, -- always 1 (every decision stops the run), kept so version 1 files need no rebuild
    decision_kind TEXT NOT NULL,
    decision_reason TEXT NOT NULL,
    decision_step {int} NOT NULL,
    best_step {int},
    artifacts TEXT NOT NULL,
    seconds {real} NOT NULL,
    n_steps {int} NOT NULL,{extra}
    final TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_workspace ON runs (workspace, created_at);
CREATE TABLE IF NOT EXISTS histories (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    blob {blob} NOT NULL
);
"""


def is_url(location: Any) -> bool:
    """Whether `location` names a PostgreSQL database rather than an SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def open_backend(location: str | os.PathLike[str]) -> SQLite | Postgres:
    """The backend for an SQLite path or a ``postgresql://`` URL."""
    return Postgres(location) if is_url(location) else SQLite(Path(location))


class NotYetWal(sqlite3.OperationalError):
    """The file could not be switched to WAL yet (another connection holds it): busy, try again."""


class SQLite:
    """One SQLite file in WAL mode; ``BEGIN IMMEDIATE`` makes writers wait for each other."""

    errors: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
    database_errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)
    order = "rowid"
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN"  # a read transaction sees one snapshot of the file
    has_tag = "EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)"
    types = {"int": "INTEGER", "real": "REAL", "blob": "BLOB", "extra": ""}

    def __init__(self, path: Path) -> None:
        if str(path) == ":memory:":
            raise ValueError("RunStore needs a file; use a temporary file instead of :memory:")
        self.path = path
        self.where = redact(str(path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot create the run store's folder {redact(str(path.parent))}: "
                             f"{exc.strerror or type(exc).__name__}") from None

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    def prepare(self, con: sqlite3.Connection) -> None:
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise NotYetWal(f"database is locked (journal mode stays {mode})")

    def version(self, con: sqlite3.Connection) -> int:
        return con.execute("PRAGMA user_version").fetchone()[0]

    def set_version(self, con: sqlite3.Connection, version: int) -> None:
        con.execute(f"PRAGMA user_version = {int(version)}")

    def rollback(self, con: sqlite3.Connection) -> None:
        if con.in_transaction:
            con.execute("ROLLBACK")

    def is_busy(self, exc: BaseException) -> bool:
        """Another connection holds the lock: SQLite's primary result code (extended codes included),
        or a switch to WAL that another connection still holds off. Read from codes, never from message text."""
        if isinstance(exc, NotYetWal):
            return True
        code = getattr(exc, "sqlite_errorcode", None)  # None when raised by hand, not by SQLite
        return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)

    def message(self, exc: BaseException) -> str:
        return str(exc)


class _PgConnection:
    """A psycopg connection that takes the store's ``?`` placeholders."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def execute(self, sql: str, args: Any = ()) -> Any:
        args = tuple(args)
        return self._con.execute(sql.replace("?", "%s") if args else sql, args or None)

    def close(self) -> None:
        self._con.close()


class Postgres:
    """One PostgreSQL database shared by every replica; rows ordered by a ``seq`` column.

    A write is one READ COMMITTED transaction (each run has its own random id, so writers
    never wait for each other); the schema is created under an advisory lock, so replicas
    starting at once do not race, and its version is kept in the table ``lab_schema``.
    """

    order = "seq"
    begin_write = "BEGIN"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ"  # one snapshot for an export's several selects
    has_tag = "EXISTS (SELECT 1 FROM jsonb_array_elements_text(runs.tags::jsonb) AS t(value) WHERE t.value = ?)"
    types = {"int": "BIGINT", "real": "DOUBLE PRECISION", "blob": "BYTEA", "extra": "\n    seq BIGSERIAL,"}
    #: pg_advisory_xact_lock's key for creating or upgrading the schema (any fixed number)
    _SCHEMA_LOCK = 7_310_245

    def __init__(self, url: str) -> None:
        import psycopg

        self.path = None
        self.url = url
        self.where = redact(url)
        self._psycopg = psycopg
        self.errors = (psycopg.OperationalError,)
        self.database_errors = (psycopg.Error,)

    def connect(self) -> _PgConnection:
        try:
            con = self._psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except self._psycopg.ProgrammingError as exc:  # a malformed URL
            raise ValueError(f"cannot use {self.where} as a run store: {self.message(exc)}") from None
        return _PgConnection(con)

    def prepare(self, con: _PgConnection) -> None:
        """Nothing to set up before the schema transaction."""

    def version(self, con: _PgConnection) -> int:
        con.execute(f"SELECT pg_advisory_xact_lock({self._SCHEMA_LOCK})")
        con.execute("CREATE TABLE IF NOT EXISTS lab_schema (version INTEGER NOT NULL)")
        row = con.execute("SELECT max(version) FROM lab_schema").fetchone()
        return row[0] or 0

    def set_version(self, con: _PgConnection, version: int) -> None:
        con.execute("DELETE FROM lab_schema")
        con.execute("INSERT INTO lab_schema (version) VALUES (?)", (int(version),))

    def rollback(self, con: _PgConnection) -> None:
        # outside a transaction PostgreSQL only warns; on a lost connection the server has rolled back already
        with contextlib.suppress(self._psycopg.OperationalError):
            con.execute("ROLLBACK")

    def is_busy(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        return isinstance(exc, errors.SerializationFailure | errors.DeadlockDetected | errors.LockNotAvailable)

    def message(self, exc: BaseException) -> str:
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        return redact_message(first, self.url)
