"""The lab registry: every entry's page exists and calls its own header, every lab's config class
imports and agrees with its entry, its sweep defaults are a usable search, and its monitors and
step unit are what its runs record and say."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import lab
from lab import registry
from lab.experiments import LABS, config_class
from lab.stopping import singular
from lab.sweep import Space
from lab.sweep.space import scalar_fields

ROOT = Path(__file__).resolve().parents[1]

#: Short runs of each lab (a few seconds in all), for what its runs record and say.
SHORT = {"descent": {"steps": 20}, "curve": {"epochs": 60}, "regression": {"epochs": 3}, "classifier": {"epochs": 2},
         "cnn": {"epochs": 1}, "kmeans": {"n_samples": 200}, "qlearning": {"episodes": 30},
         "playground": {"epochs": 3}, "sequences": {"epochs": 1, "n_sentences": 200}}


def _setup_calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "page.setup"]


def _literal_keys(tree: ast.AST) -> list[str]:
    """Every widget key written as a plain string in a page file."""
    return [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
            if kw.arg == "key" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)]


def test_ids_are_the_keys_and_unique():
    assert all(key == entry.id for key, entry in registry.LABS.items())
    assert all(key == entry.id for key, entry in registry.PAGES.items())
    pages = list(registry.PAGES.values())
    assert len({p.file for p in pages}) == len({p.prefix for p in pages}) == len({p.title for p in pages}) == len(pages)
    assert pages[0].file == "app.py"


@pytest.mark.parametrize("page", registry.PAGES.values(), ids=lambda p: p.id)
def test_each_page_file_exists_and_uses_its_entry(page):
    path = ROOT / page.file
    assert path.exists()
    tree = ast.parse(path.read_text())
    calls = _setup_calls(tree)
    if page.id == "home":
        assert calls == [] and page.question == ""
    else:
        assert [ast.literal_eval(call.args[0]) for call in calls] == [page.id]
        assert page.question.endswith((".", "?")) and page.title and page.icon
    assert all(key.startswith(f"{page.prefix}.") for key in _literal_keys(tree)), page.prefix


def test_lab_pages_set_their_prefix_from_setup():
    """A lab page's ``P`` is what ``page.setup`` returns, so its prefix is written only in the registry."""
    for page in registry.PAGES.values():
        if page.lab is None:
            continue
        tree = ast.parse((ROOT / page.file).read_text())
        assigned = [ast.unparse(node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["P"]]
        assert assigned == [f"page.setup('{page.id}')"], page.file


@pytest.mark.parametrize("entry", registry.LABS.values(), ids=lambda e: e.id)
def test_each_lab_config_imports_and_agrees_with_its_entry(entry):
    cls = config_class(entry.id)
    assert f"{cls.__module__.rpartition('.')[0]}:{cls.__name__}" == entry.config == LABS[entry.id]
    assert cls.lab == entry.id
    assert cls().step_unit == entry.step_unit
    base = cls.from_dict({**cls().to_dict(), **entry.sweep.base})
    space = Space.parse(cls, [f"{name}={text}" for name, text in entry.sweep.fields.items()])
    assert set(space.dims) == set(entry.sweep.fields) <= set(scalar_fields(cls))
    space.check(cls, base)
    assert entry.monitor == entry.monitors[0] and len({m.metric for m in entry.monitors}) == len(entry.monitors)
    assert {m.direction for m in entry.monitors} <= {"min", "max"}


@pytest.mark.parametrize("entry", registry.LABS.values(), ids=lambda e: e.id)
def test_runs_record_the_monitors_and_say_the_step_unit(entry):
    result = lab.run(config_class(entry.id)().replace(**SHORT[entry.id]))
    recorded = set().union(*(step.metrics for step in result.steps))
    assert {m.metric for m in entry.monitors} <= recorded
    assert singular(entry.step_unit) in result.decision.reason


def test_step_units_as_taught():
    assert {lab: registry.step_unit(lab) for lab in ("descent", "kmeans", "qlearning", "classifier", "no-such-lab")} == {
        "descent": "steps", "kmeans": "iterations", "qlearning": "episodes", "classifier": "epochs", "no-such-lab": "steps"}


def test_every_lab_has_a_page_and_descent_reopens_in_optimizers():
    assert {page.lab for page in registry.PAGES.values()} - {None} == set(registry.LABS)
    for lab_id in registry.LABS:
        assert registry.page_of(lab_id).lab == lab_id
    assert [p.id for p in registry.PAGES.values() if p.lab == "descent"] == ["optimizers", "schedules"]
    assert registry.page_of("descent").id == "optimizers"
    assert registry.page_of("tiny") is None


def test_reading_the_registry_imports_no_torch():
    code = ("import sys; from lab import registry, experiments; from lab.cli import commands; "
            "commands.build_parser(lab_help=False); print(len(registry.LABS), len(experiments.LABS), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(len(registry.LABS))] * 2 + ["False"]
