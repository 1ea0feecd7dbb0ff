"""The README's door says what the project needs, and stays true as the project changes."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_it_names_the_python_that_pyproject_requires():
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    version = re.fullmatch(r">=\s*(\d+\.\d+)", required).group(1)
    assert f"Python {version} or newer" in README


def test_it_counts_the_postgresql_tests():
    tree = ast.parse((ROOT / "tests/sweep/test_sweep_postgres.py").read_text())
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert f"the {len(tests)} tests in `tests/sweep/test_sweep_postgres.py`" in README
    assert "PostgreSQL" in README and "skipped" in README


def test_it_gives_the_fast_subset_with_markers_that_exist():
    assert 'python -m pytest -m "not e2e and not slow"' in README
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    assert {m.split(":")[0] for m in markers} >= {"e2e", "slow"}
