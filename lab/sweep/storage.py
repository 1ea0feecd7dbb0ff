"""Where a sweep lives: an Optuna journal file by default, or any SQLAlchemy database URL.

- ``None`` / ``""``: ``sweeps.journal`` next to the run store (`lab.runs.store.default_db_path`);
- a plain path or ``journal:///path``: an Optuna journal file. Appends go through a file
  lock, so several worker processes on one machine share it, and a restart reads it back;
- ``sqlite:///path``, ``postgresql://user:pw@host:port/db``, ``mysql+pymysql://...``: an
  RDB storage (PostgreSQL lets workers on many machines share one study). A bare
  ``postgresql://`` uses the psycopg 3 driver.

An unreachable database fails fast (a 5 s connect timeout) with `StorageError`, whose
message names the URL without its password.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lab.redaction import redact, redact_message

CONNECT_TIMEOUT_S = 5


class StorageError(ValueError):
    """The sweep storage cannot be opened or reached."""


def default_journal() -> Path:
    from lab.runs.store import default_db_path, user_data_dir

    runs = default_db_path()
    # runs kept in PostgreSQL: the journal goes to the per-user data folder
    return (runs.parent if isinstance(runs, Path) else user_data_dir()) / "sweeps.journal"


def _is_url(text: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) is not None


def open_storage(url: str | Path | None = None) -> Any:
    """An Optuna storage for `url` (see the module docstring)."""
    import optuna

    text = "" if url is None else str(url)
    if not text or not _is_url(text) or text.startswith("journal://"):
        path = Path(text.removeprefix("journal://")) if text else default_journal()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            backend = optuna.storages.journal.JournalFileBackend(str(path))
        except OSError as exc:
            raise StorageError(f"cannot open the sweep journal {path}: {exc}") from None
        return optuna.storages.JournalStorage(backend)
    if text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text.removeprefix("postgresql://")
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if text.startswith("postgresql") or text.startswith("mysql"):
        engine_kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    elif text.startswith("sqlite"):
        engine_kwargs["connect_args"] = {"timeout": 30}
    try:
        return optuna.storages.RDBStorage(text, engine_kwargs=engine_kwargs)
    except ImportError as exc:
        raise StorageError(f"no database driver for {redact(str(url))}: {redact_message(exc, str(url))}; install one (psycopg for PostgreSQL)") from None
    except Exception as exc:  # sqlalchemy's errors, whatever the driver
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageError(f"cannot reach the sweep storage {redact(str(url))}: {redact_message(first, str(url))}") from None
