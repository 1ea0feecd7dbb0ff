"""Reading a user's CSV into numbers, with a clear message for every way it can be unusable."""

from __future__ import annotations

import io
from typing import IO

import pandas as pd

#: The largest upload the labs read, in bytes (Streamlit refuses larger ones before us: see
#: `.streamlit/config.toml`; this guards scripts and notebooks too).
MAX_BYTES = 5 * 1024 * 1024


def read_numeric_csv(source: bytes | str | IO, *, max_bytes: int = MAX_BYTES, min_rows: int = 2,
                     max_rows: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The numeric columns of a CSV, rows with missing values dropped; and notes to show the user.

    Raises ValueError with a message meant for the user when the file is too large, empty, not
    a CSV, has duplicated headers, no numeric column, or too few complete rows.
    """
    raw = _as_bytes(source)
    if len(raw) > max_bytes:
        raise ValueError(f"the file is {len(raw) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        frame = pd.read_csv(io.BytesIO(raw))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"the file is not a readable CSV ({type(exc).__name__})") from exc
    names = [str(c) for c in frame.columns]
    dupes = sorted({n.split(".")[0] for n in names if _is_mangled_duplicate(n, names)})
    if dupes:
        raise ValueError(f"the header repeats column name(s) {', '.join(dupes)}; give each column its own name")
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    keep = [c for c in numeric.columns if numeric[c].notna().any()]
    if not keep:
        raise ValueError("the file has no numeric column")
    notes = []
    dropped_cols = [str(c) for c in frame.columns if c not in keep]
    if dropped_cols:
        notes.append(f"ignored non-numeric column(s): {', '.join(dropped_cols)}")
    numeric = numeric[keep]
    complete = numeric.dropna()
    if len(complete) < len(numeric):
        notes.append(f"dropped {len(numeric) - len(complete)} row(s) with missing or non-numeric values")
    if len(complete) < min_rows:
        raise ValueError(f"the file has {len(complete)} complete row(s); at least {min_rows} are needed")
    if max_rows is not None and len(complete) > max_rows:
        raise ValueError(f"the file has {len(complete)} rows; at most {max_rows} are allowed")
    complete.columns = [str(c) for c in complete.columns]
    return complete.reset_index(drop=True), notes


def _as_bytes(source: bytes | str | IO) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str):
        return source.encode()
    data = source.read()
    return data.encode() if isinstance(data, str) else data


def _is_mangled_duplicate(name: str, names: list[str]) -> bool:
    """pandas renames a repeated header `a` to `a.1`; spot those."""
    base, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.isdigit() and base in names
