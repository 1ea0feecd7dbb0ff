"""Reading a user's CSV into numbers, with a clear message for every way it can be unusable."""

from __future__ import annotations

import csv
import io
from typing import IO

import pandas as pd

#: The largest upload the labs read, in bytes (Streamlit refuses larger ones before us: see
#: `.streamlit/config.toml`; this guards scripts and notebooks too).
MAX_BYTES = 5 * 1024 * 1024
#: The most columns a CSV may have. Checked on the header alone, before any row is parsed, so a
#: wide file never becomes a matrix of its width (regression builds a features x features matrix).
MAX_COLUMNS = 256
#: The most rows a CSV may have (labs may allow fewer).
MAX_ROWS = 1_000_000
#: The longest header name kept in full in messages and notes.
MAX_NAME = 80


def read_numeric_csv(source: bytes | str | IO, *, max_bytes: int = MAX_BYTES, min_rows: int = 2,
                     max_rows: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The numeric columns of a CSV, rows with missing values dropped; and notes to show the user.

    Raises ValueError with a message meant for the user when the file is too large, too wide
    (more than `MAX_COLUMNS`), too long (more than `max_rows`, at most `MAX_ROWS`), empty, not a
    CSV, has duplicated headers, no numeric column, or too few complete rows. An integer beyond
    the float range (400 digits) is not a number here: its row is dropped like one with text.
    """
    max_rows = MAX_ROWS if max_rows is None else min(max_rows, MAX_ROWS)
    raw = upload_bytes(source, max_bytes)
    read_header(raw)
    try:
        frame = pd.read_csv(io.BytesIO(raw), nrows=max_rows + 1)
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise ValueError(f"the file is not a readable CSV ({type(exc).__name__})") from None
    if len(frame) > max_rows:
        raise ValueError(f"the file has more than {max_rows} rows; at most {max_rows} are allowed")
    names = [str(c) for c in frame.columns]
    dupes = sorted({n.split(".")[0] for n in names if _is_mangled_duplicate(n, names)})
    if dupes:
        raise ValueError(f"the header repeats column name(s) {', '.join(map(short_name, dupes))}; give each column its own name")
    numeric = frame.apply(_to_float)
    keep = [c for c in numeric.columns if numeric[c].notna().any()]
    if not keep:
        raise ValueError("the file has no numeric column")
    notes = []
    dropped_cols = [str(c) for c in frame.columns if c not in keep]
    if dropped_cols:
        notes.append(f"ignored non-numeric column(s): {', '.join(map(short_name, dropped_cols))}")
    numeric = numeric[keep]
    complete = numeric.dropna()
    if len(complete) < len(numeric):
        notes.append(f"dropped {len(numeric) - len(complete)} row(s) with missing or non-numeric values")
    if len(complete) < min_rows:
        raise ValueError(f"the file has {len(complete)} complete row(s); at least {min_rows} are needed")
    complete.columns = [str(c) for c in complete.columns]
    return complete.reset_index(drop=True), notes


def read_header(source: bytes | str | IO, *, max_bytes: int = MAX_BYTES) -> list[str]:
    """The column names of a CSV, read from its first record only; ValueError if the file is too
    large, empty, unreadable or has more than `MAX_COLUMNS` columns.

    Read with the `csv` module, which is linear in the header's length: pandas takes seconds
    over a header of 10,000 names and minutes over millions.
    """
    raw = upload_bytes(source, max_bytes)
    if not raw.strip():
        raise ValueError("the file is empty")
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="replace", newline="")
    try:
        header = next((row for row in csv.reader(text) if row), [])  # pandas skips blank lines too
    except csv.Error as exc:
        raise ValueError(f"the file is not a readable CSV ({exc})") from None
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"the file has {len(header)} columns; at most {MAX_COLUMNS} are allowed")
    return header


def short_name(name: str) -> str:
    """A column name on one line (line breaks and other control characters shown as spaces) and cut
    to `MAX_NAME` characters, for messages: an uploaded header can be long or hold a line break."""
    name = "".join(c if c.isprintable() else " " for c in str(name))
    return name if len(name) <= MAX_NAME else name[:MAX_NAME] + "..."


def _to_float(column: pd.Series) -> pd.Series:
    """A column as floats, NaN where a cell is not a number or an integer too large for a float
    (pandas' own conversion raises OverflowError on those)."""
    try:
        return pd.to_numeric(column, errors="coerce").astype(float)
    except OverflowError:
        return column.map(_cell_float).astype(float)


def _cell_float(cell: object) -> float:
    try:
        return float(cell)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def upload_bytes(source: bytes | str | IO, max_bytes: int = MAX_BYTES) -> bytes:
    """The upload's bytes, refused above `max_bytes` (a file object is read at most one byte past it)."""
    if isinstance(source, bytes):
        data: bytes | str = source
    elif isinstance(source, str):
        data = source.encode("utf-8", errors="replace")
    else:
        data = source.read(max_bytes + 1)
        data = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    return data


def _is_mangled_duplicate(name: str, names: list[str]) -> bool:
    """pandas renames a repeated header `a` to `a.1`; spot those."""
    base, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix.isdigit() and base in names
