"""A PostgreSQL server of the tests' own, for the sweeps' and the run store's PostgreSQL tests.

The server (Debian's ``postgresql`` package: initdb and pg_ctl) runs in a temporary folder on
a free localhost port, as the ``postgres`` user (or ``nobody``) when the tests run as root,
since the server refuses to run as root. Without PostgreSQL the tests that need it skip,
except under CI (env CI set), where they fail: CI must install the package.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_databases = itertools.count()


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


@contextmanager
def postgres_server(what: str) -> Iterator[str]:
    """A running server; yields the URL of its database ``lab`` (user ``lab``, no password).

    `what` names the tests in the message when PostgreSQL is missing.
    """
    bin_dir = _pg_bin()
    if bin_dir is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql): initdb and pg_ctl not found"
        if os.environ.get("CI"):
            pytest.fail(f"under CI {what} must run: " + reason)
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
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lab", "lab")
        yield f"postgresql://lab@127.0.0.1:{port}/lab"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """The URL of a new, empty database on the server of `server_url`."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One PostgreSQL server for the whole session (the URL of its database ``lab``)."""
    with postgres_server("the PostgreSQL tests") as url:
        yield url
