"""Hostile input to every parser of outside input: uploads, run files, names and tags, database
URLs in messages, CSV export. Each either works or raises ValueError with a one-line message;
nothing else escapes, and no input takes long (the time bounds are generous on purpose: the
old code took tens of seconds on the same files)."""

from __future__ import annotations

import csv
import io
import json
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.experiments.curve import curve_from_csv
from lab.experiments.regression.data import regression_data_from_csv
from lab.redaction import redact, redact_message
from lab.runs import runfile
from lab.runs.store import RunStore, StoreError, csv_cell
from lab.uploads import MAX_COLUMNS, read_header, read_numeric_csv
from tests.runfixtures import register

CRAFTED_RUN_FILE = b'"' + b'\\"' * 32_000
WIDE_CSV = (b",".join(b"c%d" % i for i in range(10_000)) + b"\n"
            + (b",".join(b"1" for _ in range(10_000)) + b"\n") * 30)
READERS = {
    "numeric": lambda raw: read_numeric_csv(raw),
    "regression": lambda raw: regression_data_from_csv(raw),
    "curve": lambda raw: curve_from_csv(raw),
    "kmeans": lambda raw: read_numeric_csv(raw, max_rows=200_000),
}


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text and "/work/" not in text, text
    return text


def refused_or_read(read, raw):
    try:
        read(raw)
    except ValueError as exc:
        one_line(exc)


# ----------------------------------------------------------------------------- time bounds


def test_the_crafted_run_file_is_refused_within_two_seconds():
    started = time.perf_counter()
    with pytest.raises(ValueError, match="not valid JSON|not a Convergence Lab run file"):
        runfile.parse_file(CRAFTED_RUN_FILE)
    assert time.perf_counter() - started < 2.0


def test_the_crafted_string_scan_is_linear():
    """The nesting check over 80 copies of the crafted file (5 MB) still takes well under a second."""
    started = time.perf_counter()
    assert runfile.nesting_depth(CRAFTED_RUN_FILE * 80) == 0
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_10000_column_csv_is_refused_within_two_seconds(reader):
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"10000 columns; at most {MAX_COLUMNS}"):
        READERS[reader](WIDE_CSV)
    assert time.perf_counter() - started < 2.0


def test_a_header_of_millions_of_columns_is_refused_fast():
    started = time.perf_counter()
    with pytest.raises(ValueError, match="columns; at most"):
        read_header(b"," * 5_000_000 + b"\n")
    assert time.perf_counter() - started < 2.0


def test_a_million_rows_are_read_and_one_more_is_refused():
    frame, _ = read_numeric_csv(b"a\n" + b"1\n" * 1_000_000)
    assert frame.shape == (1_000_000, 1)
    with pytest.raises(ValueError, match="more than 1000000 rows"):
        read_numeric_csv(b"a\n" + b"1\n" * 1_000_001)


def test_a_file_object_is_read_at_most_one_byte_past_the_limit():
    class Endless(io.RawIOBase):
        asked: list[int] = []

        def read(self, size=-1):
            assert size >= 0, "an endless file must not be read to its end"
            self.asked.append(size)
            return b"1" * size

    with pytest.raises(ValueError, match="limit is"):
        read_numeric_csv(Endless(), max_bytes=1000)
    assert Endless.asked == [1001]


# ----------------------------------------------------------------------------- hand-made cases


def test_a_400_digit_integer_is_a_non_numeric_cell():
    frame, notes = read_numeric_csv(b"a,b\n" + b"9" * 400 + b",2\n3,4\n5,6\n")
    assert frame.to_dict("list") == {"a": [3.0, 5.0], "b": [4.0, 6.0]}
    assert any("dropped 1 row" in n for n in notes)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_400_digit_integers_never_overflow(reader):
    big = b"1" * 400
    raw = b"loss,val_loss,x\n" + b"".join(b"%s,%d,%d\n" % (big, i + 1, i) for i in range(12)) + b"1,2,3\n" * 12
    refused_or_read(READERS[reader], raw)


@pytest.mark.parametrize("text, year", [("0001-01-01T00:00:00+01:00", 1), ("9999-12-31T23:59:59-05:00", 9999)])
def test_a_created_at_outside_years_1_to_9999_in_utc_is_refused_by_name(text, year):
    with pytest.raises(ValueError, match="created_at=.* out of range.*years 1 to 9999"):
        runfile._timestamp(text)


def test_names_and_tags_name_the_value_and_the_range():
    with pytest.raises(ValueError, match=r"name='   ' has 0 characters .*allowed: 1 to 200"):
        runfile.check_name("   ")
    with pytest.raises(ValueError, match=r"name='xxxx.*\.\.\. has 300 characters .*allowed: 1 to 200"):
        runfile.check_name("x" * 300)
    assert runfile.check_name("  " + "x" * 200 + " ") == "x" * 200
    with pytest.raises(ValueError, match=r"the tag 'yyyy.*has 65 characters .*allowed: 1 to 64"):
        runfile.check_tags(["y" * 65])
    with pytest.raises(ValueError, match="more than 32 distinct tags given; allowed: at most 32"):
        runfile.check_tags([f"t{i}" for i in range(33)])
    assert runfile.check_tags([f"t{i % 32}" for i in range(100)]) == tuple(f"t{i}" for i in range(32))


@pytest.mark.parametrize("url, secret", [
    ("postgresql://lab:p@ssw0rd@db.example:5432/runs", "p@ssw0rd"),
    ("postgresql://lab:s3cret@db.example/runs", "s3cret"),
    ("postgresql://db.example/runs?user=lab&password=hunter2&sslmode=require", "hunter2"),
    ("postgresql://lab:pa/ss@db.example/runs", "pa/ss"),
])
def test_redaction_hides_the_password_in_the_url_and_in_messages(url, secret):
    tail = secret.rpartition("@")[2]
    assert tail not in redact(url) and "***" in redact(url)
    assert "db.example" in redact(url)
    message = redact_message(f'connection to {url} failed: password "{secret}" refused', url)
    assert tail not in message and "db.example" in message


def test_redaction_leaves_urls_without_a_password_alone():
    for url in ("sqlite:///tmp/runs.db", "postgresql://lab@db.example/runs", "journal:///tmp/s.journal"):
        assert redact(url) == url


def test_sweep_storage_errors_never_print_the_password():
    from lab.sweep.storage import StorageError, open_storage

    url = "postgresql://lab:p@ssw0rd@127.0.0.1:9/runs"
    with pytest.raises(StorageError) as info:
        open_storage(url)
    assert "ssw0rd" not in str(info.value) and "p@ss" not in str(info.value)


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_quoted(cell):
    assert csv_cell(cell) == "'" + cell


def test_export_csv_neutralises_imported_metric_names(tmp_path, monkeypatch):
    register(monkeypatch)
    import lab
    from tests.runfixtures import TinyConfig

    store = RunStore(tmp_path / "runs.db")
    run_id = store.save("local", "tiny", lab.run(TinyConfig(steps=2)))
    record = json.loads(store.export_json("local", [run_id]))["runs"][0]
    record["history"]["metrics"] = {"=HYPERLINK(\"http://x\")": [1.0, 2.0][:len(record["history"]["steps"])]}
    store.import_json("w2", runfile.dumps([record]))
    rows = list(csv.reader(io.StringIO(store.export_csv("w2").decode())))
    assert {row[2] for row in rows[1:]} == {"'=HYPERLINK(\"http://x\")"}


def test_a_store_in_a_folder_that_cannot_exist_is_a_one_line_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="cannot create the run store's folder") as info:
        RunStore(tmp_path / "file" / "sub" / "runs.db")
    one_line(info.value)


def test_a_store_that_cannot_be_written_is_a_store_error(tmp_path, monkeypatch):
    import sqlite3

    store = RunStore(tmp_path / "runs.db")

    def read_only(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store._db, "connect", read_only)
    with pytest.raises(StoreError, match="cannot be used right now: attempt to write a readonly database"):
        store.delete("local", "abc")


# ----------------------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

cells = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "NaN", "", "1e999", "-1e-999", "0x10", "1_000", "=1+1", "\"a,b\"", "'"]),
    st.text(max_size=12),
)


@st.composite
def csv_files(draw):
    n_cols = draw(st.integers(1, 6))
    header = draw(st.lists(st.text(min_size=0, max_size=10), min_size=n_cols, max_size=n_cols))
    rows = draw(st.lists(st.lists(cells, min_size=n_cols, max_size=n_cols), max_size=25))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(raw=st.one_of(csv_files(), st.binary(max_size=400)), reader=st.sampled_from(sorted(READERS)))
def test_fuzzed_uploads_are_read_or_refused_by_name(raw, reader):
    refused_or_read(READERS[reader], raw)


@FUZZ
@given(raw=csv_files())
def test_fuzzed_uploads_give_only_finite_or_infinite_floats(raw):
    try:
        frame, _ = read_numeric_csv(raw)
    except ValueError:
        return
    values = frame.to_numpy()
    assert values.dtype == np.float64 and not np.isnan(values).any()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**60), max_value=10**60), st.floats(allow_nan=False),
              st.text(max_size=20), st.sampled_from(["nan", "inf", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00",
                                                     "10000-01-01", "2026-01-01T00:00:00"])),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(st.text(max_size=8), children, max_size=5)),
    max_leaves=30,
)
RECORD_FIELDS = dict(zip(runfile.RECORD_KEYS, [st.just("descent")] + [json_values] * (len(runfile.RECORD_KEYS) - 1)))


@st.composite
def run_files(draw):
    kind = draw(st.sampled_from(["value", "record", "deep", "text"]))
    if kind == "value":
        doc = draw(json_values)
    elif kind == "record":
        record = {k: draw(v) for k, v in RECORD_FIELDS.items()}
        record["created_at"] = draw(st.one_of(json_values, st.datetimes().map(lambda d: d.isoformat())))
        doc = {"format": runfile.FORMAT, "version": draw(st.sampled_from([1, 0, 2, "1"])), "runs": [record]}
    elif kind == "deep":
        depth = draw(st.integers(1, 5000))
        return draw(st.sampled_from([b"[", b"{\"a\":"])) * depth + b"1" + b"]" * depth
    else:
        return draw(st.binary(max_size=300))
    return json.dumps(doc, allow_nan=True).encode()


@FUZZ
@given(raw=run_files())
def test_fuzzed_run_files_are_imported_or_refused_by_name(raw, tmp_path):
    store = RunStore(tmp_path / "fuzz.db")
    try:
        store.import_json("local", raw)
    except ValueError as exc:
        one_line(exc)


@FUZZ
@given(name=st.text(max_size=300), tags=st.lists(st.text(max_size=80), max_size=40))
def test_fuzzed_names_and_tags_are_kept_or_refused_by_name(name, tags, tmp_path, monkeypatch):
    register(monkeypatch)
    import lab
    from tests.runfixtures import TinyConfig

    store = RunStore(tmp_path / "names.db")
    run_id = store.list("local")[0].id if store.count("local") else store.save("local", "tiny", lab.run(TinyConfig(steps=2)))
    try:
        store.rename("local", run_id, name)
    except ValueError as exc:
        assert "allowed: 1 to 200" in one_line(exc)
    else:
        assert store.get("local", run_id).name == name.strip()
    try:
        store.set_tags("local", run_id, tags)
    except ValueError as exc:
        assert "allowed:" in one_line(exc)
    else:
        assert set(store.get("local", run_id).tags) == {t.strip() for t in tags}


def test_blank_lines_before_a_wide_header_do_not_hide_it():
    raw = b"\n\n\n" + b",".join(b"c%d" % i for i in range(10_000)) + b"\n" + b"1," * 9_999 + b"1\n"
    started = time.perf_counter()
    with pytest.raises(ValueError, match="10000 columns; at most 256"):
        read_numeric_csv(raw)
    assert time.perf_counter() - started < 2.0
