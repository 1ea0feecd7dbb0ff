"""The work budget of what a visitor starts as one: a race (the sum of its runs), a sweep (trials x a
trial's mean work over the space's grid), and `python -m lab run` / `sweep create` (refused past the
limit unless --no-limit). Each refusal is the same one-line note naming the estimate and the limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab import budget, registry
from lab.cli import commands as cli
from lab.experiments.classifier import ClassifierConfig
from lab.experiments.descent import DescentConfig
from lab.sweep import Space
from lab.sweep.runner import DEFAULT_TRIALS
from lab.sweep.space import Choice, IntRange
from lab.ui import sweep_views
from tests.app.apptools import shown

ROOT = Path(__file__).resolve().parents[1]


def test_a_race_counts_the_sum_of_its_runs():
    race = [DescentConfig(optimizer=name, steps=steps) for name, steps in (("gd", 400_000), ("adam", 400_000), ("momentum", 300_000))]
    assert all(budget.excess(c) is None for c in race)  # each alone is within the limit of 1e6 steps
    note = budget.total_excess(race)
    assert note == ("this race's work is about 1.1e+06 units (the sum over its 3 runs of steps (one optimizer; a race of "
                    "several counts each of its runs)), over the descent lab's limit of 1e+06 per run")
    assert budget.total_excess(race[:2]) is None and budget.total_excess([]) is None


def test_a_sweep_counts_its_trials_times_the_mean_trial_over_the_grid():
    base = DescentConfig()
    space = Space({"steps": IntRange(100_000, 300_000, points=3), "optimizer": Choice(("gd", "adam"))})
    # grid: steps 100k, 200k, 300k for each optimizer: a mean of 200k steps a trial
    assert budget.sweep_work(base, space, 4) == 4 * 200_000
    assert budget.sweep_excess(base, space, 5) is None  # 1e6: at the limit
    note = budget.sweep_excess(base, space, 6)
    assert note.startswith("this sweep's work is about 1.2e+06 units (6 trials x a trial's mean steps")
    assert note.endswith("over the descent lab's limit of 1e+06 per run") and "\n" not in note


def test_a_larger_grid_is_sampled_and_refused_points_are_no_trials():
    space = Space.from_config(ClassifierConfig)  # every searchable field: far more than SWEEP_SAMPLE points
    assert space.grid_size() > budget.SWEEP_SAMPLE
    work = budget.sweep_work(ClassifierConfig(), space, 1)
    assert work == budget.sweep_work(ClassifierConfig(), space, 1) > 0  # seeded: the same estimate each time
    only_refused = Space({"steps": IntRange(1, 3, points=3)})
    assert budget.sweep_work(DescentConfig(start=(0.5, 0.5)), only_refused, 3) == 3 * 2


@pytest.mark.parametrize("lab_id", sorted(registry.LABS))
def test_every_labs_default_sweep_is_within_its_limit(lab_id):
    lab = registry.LABS[lab_id]
    space = sweep_views.space_from(lab_id, dict(lab.sweep.fields))
    assert budget.sweep_excess(sweep_views.base_config(lab_id), space, DEFAULT_TRIALS) is None


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_the_command_line_refuses_a_run_past_the_limit_unless_no_limit(tmp_path):
    code, out, err = _cli("run", "classifier", "epochs=500", "batch_size=1", "hidden=512,512,512", "--no-save", "--quiet")
    assert code == 2 and not out
    assert err.startswith("error: this run's work is about") and "over the classifier lab's limit of 2e+10 per run" in err
    assert err.strip().endswith("add --no-limit to run it anyway") and err.count("\n") == 1


def test_no_limit_runs_it(monkeypatch):
    monkeypatch.setattr(budget, "limit", lambda lab: 10)
    assert _cli("run", "descent", "steps=20", "--no-save", "--quiet")[0] == 2
    code, out, err = _cli("run", "descent", "steps=20", "--no-save", "--quiet", "--no-limit")
    assert code == 0 and "steps:    21" in out, err


def test_sweep_create_refuses_past_the_limit_unless_no_limit(tmp_path):
    common = ["sweep", "create", "--storage", str(tmp_path / "s.journal"), "--lab", "descent", "--sampler", "grid",
              "--param", "steps=int:400000:600000:3"]
    code, out, err = _cli(*common, "--study", "heavy")
    assert code == 1 and "this sweep's work is about 1.5e+06 units (3 trials x a trial's mean steps" in err, err
    code, out, err = _cli(*common, "--study", "heavy", "--no-limit")
    assert code == 0 and "created sweep 'heavy'" in out, err


@pytest.fixture
def shared_app(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("CONVERGENCE_LAB_WORKERS", "0")
    monkeypatch.setenv("CONVERGENCE_LAB_SHARED", "1")
    monkeypatch.setattr(budget, "limit", lambda lab: {"descent": 2000, "curve": 100}.get(lab))

    def _open(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
        return at

    return _open


def _said(at) -> str:
    return " | ".join(shown(e.value) for e in [*at.error, *at.warning])


def test_the_optimizers_race_is_refused_by_its_sum_on_a_shared_deployment(shared_app):
    at = shared_app("pages/1_Optimizers.py")  # four optimizers x 1500 steps: each within 2000, the race not
    said = _said(at)
    assert "this race's work is about 6e+03 units (the sum over its 4 runs of steps" in said, said
    assert "over the descent lab's limit of 2e+03 per run, on this shared deployment" in said
    assert not at.get("vega_lite_chart")  # nothing ran
    at.multiselect(key="opt.optimizers").set_value(["gd"]).run()
    assert not at.exception and "race's work" not in _said(at) and at.get("vega_lite_chart")


def test_a_sweep_past_the_limit_is_refused_on_a_shared_deployment(shared_app):
    at = shared_app("pages/10_Sweeps.py")
    at.selectbox(key="sw.lab").select("curve").run()  # the grid's 9 trials x 100 epochs: 900 over 100
    said = _said(at)
    assert "This search space cannot run: this sweep's work is about 900 units (9 trials x a trial's mean epochs" in said, said
    assert "over the curve lab's limit of 100 per run, on this shared deployment" in said
