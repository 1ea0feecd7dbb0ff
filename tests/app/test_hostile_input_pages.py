"""Hostile uploads, run files, names and tags on the pages that take them: each page shows a
one-line message (or uses the file) and never an exception; user text never reaches the
page as Markdown (an image in a CSV header or a run name is shown escaped)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab.experiments.descent import DescentConfig
from lab.runs.store import LOCAL, RunStore
from tests.app.apptools import shown

IMAGE = "![x](http://planted.example/a.png)"
WIDE = (",".join(f"c{i}" for i in range(10_000)) + "\n" + (",".join("1" for _ in range(10_000)) + "\n") * 30).encode()
BIG_INT = ("loss,val_loss\n" + "".join(f"{'9' * 400},{i + 1}\n" for i in range(3)) + "1,2\n" * 20).encode()
MARKDOWN_HEADER = (f"a,{IMAGE},val_loss\n" + "".join(f"{i},x,{1 / (i + 1)}\n" for i in range(20))).encode()
HOSTILE_FILES = {"wide": WIDE, "big int": BIG_INT, "markdown header": MARKDOWN_HEADER,
                 "binary": bytes(range(256)) * 8, "utf-16": "a,b\n1,2\n3,4\n".encode("utf-16")}
#: The pages that take a CSV: (page, how to switch it to an upload, the uploader's key).
UPLOADERS = {
    "regression": ("pages/4_Regression.py", lambda at: at.radio(key="reg.dataset").set_value("csv"), "reg.file"),
    "early stopping": ("pages/3_Early_stopping.py", lambda at: at.radio(key="es.source").set_value("upload"), "es.file"),
    "kmeans": ("pages/7_K-means.py", lambda at: at.selectbox(key="km.dataset").select("csv"), "km.file"),
}


def page_text(at) -> str:
    """Every Markdown body the page shows (errors, warnings, captions, markdown, page links)."""
    bodies = [e.value for kind in ("error", "warning", "caption", "markdown", "info", "success") for e in getattr(at, kind)]
    return " | ".join(bodies + [link.proto.label for link in at.get("page_link")])


def assert_no_markup(at) -> None:
    """No image or link opens unescaped: ``![`` and ``](`` only as ``\\!\\[`` and ``\\](``."""
    text = page_text(at)
    assert not re.search(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(", text), text


def upload(at, key: str, name: str, data: bytes):
    at.file_uploader(key=key).set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", sorted(UPLOADERS))
def test_hostile_csvs_get_a_message_never_an_exception(open_app, page):
    path, switch, key = UPLOADERS[page]
    at = open_app(path)
    switch(at).run()
    for name, data in HOSTILE_FILES.items():
        upload(at, key, f"{name}.csv", data)
        assert_no_markup(at)
    upload(at, key, "wide.csv", WIDE)
    assert any("10000 columns; at most 256" in shown(e.value) for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize("page", sorted(UPLOADERS))
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300), st.text(alphabet=",\n0123456789.-e+naif\"x![]()", max_size=300).map(str.encode)))
def test_fuzzed_uploads_never_raise_on_the_page(open_app, page, data):
    path, switch, key = UPLOADERS[page]
    at = open_app(path)
    switch(at).run()
    upload(at, key, "fuzz.csv", data)


@pytest.fixture
def saved(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(path))
    runs = RunStore(path)
    run_id = runs.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.1, steps=20)), name=IMAGE)
    return runs, run_id


def test_a_run_named_with_an_image_links_as_text(open_app, saved):
    runs, run_id = saved
    at = open_app("pages/9_Runs.py")
    at.multiselect(key="runs.chosen").set_value([run_id]).run()
    assert not at.exception
    assert_no_markup(at)
    assert any(shown(link.proto.label) == f"Open “{IMAGE}” in its lab" for link in at.get("page_link"))


@pytest.mark.parametrize("name, tags, message", [
    ("", None, "allowed: 1 to 200"), ("   ", None, "allowed: 1 to 200"), ("x" * 300, None, "has 300 characters"),
    (None, "y" * 65, "has 65 characters"), (None, ",".join(f"t{i}" for i in range(33)), "at most 32"),
])
def test_refused_names_and_tags_are_one_line_messages(open_app, saved, name, tags, message):
    runs, run_id = saved
    at = open_app("pages/9_Runs.py")
    at.multiselect(key="runs.chosen").set_value([run_id]).run()
    if name is not None:
        at.text_input(key=f"runs.name.{run_id}").input(name).run()
        at.button(key="runs.rename").click().run()
    else:
        at.text_input(key="runs.tags").input(tags).run()
        at.button(key="runs.settags").click().run()
    assert not at.exception, at.exception
    assert any(message in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert runs.get(LOCAL, run_id).name == IMAGE and runs.get(LOCAL, run_id).tags == ()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.text(max_size=220), tags=st.text(max_size=300))
def test_fuzzed_names_and_tags_never_raise_on_the_page(open_app, saved, name, tags):
    runs, run_id = saved
    at = open_app("pages/9_Runs.py")
    at.multiselect(key="runs.chosen").set_value([run_id]).run()
    at.text_input(key="runs.tags").input(tags).run()
    at.button(key="runs.settags").click().run()
    assert not at.exception, at.exception
    at.text_input(key=f"runs.name.{runs.get(LOCAL, run_id).id}").input(name).run()
    if any(b.key == "runs.rename" for b in at.button):
        at.button(key="runs.rename").click().run()
    assert not at.exception, at.exception
    assert_no_markup(at)


@pytest.mark.parametrize("doc", [
    b'"' + b'\\"' * 32_000,
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps({"format": "convergence-lab/runs", "version": 1, "runs": [{"name": IMAGE}]}).encode(),
    json.dumps({"format": "convergence-lab/runs", "version": 1, "runs": [1e308, 10**30]}).encode(),
])
def test_hostile_run_files_are_refused_in_one_line(open_app, saved, doc):
    at = open_app("pages/9_Runs.py")
    at.file_uploader(key="runs.import").set_value(("runs.json", doc, "application/json")).run()
    assert not at.exception, at.exception
    assert any("Nothing was imported" in shown(m.value) for m in at.markdown)
    assert_no_markup(at)
