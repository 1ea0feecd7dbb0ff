"""Decision kinds: one word and one role each, old names read once, and every rule fits the declared Rule API."""

from __future__ import annotations

import importlib
import math
import pkgutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lab
from lab.experiments.descent.experiment import Runaway
from lab.experiments.kmeans.lloyd import LloydConvergence
from lab.experiments.qlearning.rules import RollingThreshold, Settled
from lab.records import LEGACY_KINDS, Decision, Kind, Role, Step
from lab.stopping import Divergence, EarlyStopping, NeverStop, Rule, StepBudget, Tolerance
from lab.stopping.conventions import LightningStopping, SklearnNoImprovement

WORDS = {
    Kind.CONVERGED: "converged", Kind.THRESHOLD: "threshold", Kind.PATIENCE: "patience", Kind.DIVERGED: "diverged",
    Kind.NON_FINITE: "not finite", Kind.BUDGET: "budget", Kind.PRUNED: "pruned", Kind.CANCELLED: "stopped by you",
}
ROLES = {
    Kind.CONVERGED: Role.SUCCESS, Kind.THRESHOLD: Role.SUCCESS, Kind.PATIENCE: Role.SUCCESS,
    Kind.DIVERGED: Role.FAILURE, Kind.NON_FINITE: Role.FAILURE,
    Kind.BUDGET: Role.NEUTRAL, Kind.PRUNED: Role.NEUTRAL, Kind.CANCELLED: Role.USER,
}


def test_every_kind_has_its_word_and_role():
    assert set(WORDS) == set(ROLES) == set(Kind)
    for kind in Kind:
        assert (kind.word, kind.role) == (WORDS[kind], ROLES[kind])
    assert len({kind.word for kind in Kind}) == len(Kind)  # no two kinds read alike on a page


def test_a_kind_is_its_stored_name():
    assert Kind.BUDGET == "budget" and f"{Kind.NON_FINITE}" == "non_finite" and Kind("patience") is Kind.PATIENCE
    assert {kind.value for kind in Kind} == {"converged", "threshold", "patience", "diverged", "non_finite", "budget",
                                             "pruned", "cancelled"}


def test_converged_and_failed_read_the_role():
    for kind in Kind:
        decision = Decision(kind, "why", 3)
        assert decision.converged == (kind.role is Role.SUCCESS)
        assert decision.failed == (kind.role is Role.FAILURE)
        assert not (decision.converged and decision.failed)


def test_old_names_map_once():
    assert LEGACY_KINDS == {"max_steps": Kind.BUDGET, "tolerance": Kind.CONVERGED}
    assert Kind.parse("max_steps") is Kind.BUDGET and Kind.parse("tolerance") is Kind.CONVERGED
    assert Decision("max_steps", "old run", 9).kind is Kind.BUDGET
    assert all(Kind.parse(kind.value) is kind for kind in Kind)


@pytest.mark.parametrize("bad", ["bored", "", "BUDGET", True, 3, None, ["budget"]])
def test_an_unknown_kind_is_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"kind=.* is not allowed; choose one of converged, threshold"):
        Decision(bad, "why", 0)


def test_a_decision_has_no_stop_flag():
    decision = Decision(Kind.PATIENCE, "why", 4, 2)
    assert not hasattr(decision, "stop")
    assert (decision.kind, decision.reason, decision.step, decision.best_step) == (Kind.PATIENCE, "why", 4, 2)


# ---------------------------------------------------------------- the declared Rule API

#: One instance of every Rule in lab/ (the test below fails when a new rule is missing here).
RULES = [
    NeverStop(), EarlyStopping("loss", patience=2, restore_best=True), Tolerance("loss", 0.5), Divergence("loss", 10.0),
    StepBudget(5), LightningStopping("loss", patience=2), SklearnNoImprovement("loss", n_iter_no_change=2),
    RollingThreshold("loss", 1.0, 2), Settled("loss", 1.0, 2, success="x"), LloydConvergence(4, prefix=""), Runaway("loss", 10.0),
]


def _all_rule_classes() -> set[type]:
    for info in pkgutil.walk_packages(lab.__path__, "lab."):
        if not info.name.startswith(("lab.ui", "lab.__main__")):
            importlib.import_module(info.name)
    found, todo = set(), [Rule]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("lab.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_rule_in_lab_is_checked_here():
    assert {type(rule) for rule in RULES} == _all_rule_classes()


def _fits_the_api(rule: Rule) -> None:
    assert isinstance(rule.unit, str) and rule.unit
    assert isinstance(rule.restore_best, bool)
    assert isinstance(rule.improved, bool)
    assert rule.best_step is None or isinstance(rule.best_step, int)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: type(r).__name__)
def test_every_rule_declares_what_the_loop_reads(rule):
    rule.reset()
    _fits_the_api(rule)
    for i, value in enumerate([3.0, 2.0, 2.5, 0.25, 0.25, 0.1, math.inf]):
        decision = rule.update(Step(i, {"loss": value, "x": 0.0, "y": 0.0, "changed": 1.0, "shift": 1.0, "tol": 0.0}))
        _fits_the_api(rule)
        if decision is not None:
            assert decision.kind in Kind and decision.step == i and decision.reason
            break


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=30), st.integers(0, 4), st.floats(0, 1))
def test_early_stopping_improved_marks_the_new_best_step(values, patience, min_delta):
    # the loop snapshots the model when `improved`; restoring is right only if that step is `best_step`
    rule = EarlyStopping("loss", patience=patience, min_delta=min_delta, restore_best=True)
    for i, value in enumerate(values):
        before = rule.best_step
        decision = rule.update(Step(i, {"loss": value}))
        if rule.improved:
            assert rule.best_step == i
        else:
            assert rule.best_step == before
        if decision is not None:
            break


def test_a_restoring_run_reports_the_rules_best_step():
    from tests.test_loop import ValuesConfig

    rule = EarlyStopping("loss", patience=1, restore_best=True)
    result = lab.run(ValuesConfig(values=(4.0, 1.0, 3.0, 5.0)), stopping=rule)
    assert (result.decision.kind, result.decision.step, result.decision.best_step) == (Kind.PATIENCE, 2, 1)
    assert result.artifacts["model"] == 1 and result.decision.reason.endswith("; restored the weights of step 1")


# ---------------------------------------------------------------- what pages read


def test_every_kind_has_a_chart_marker_and_every_role_a_banner():
    from lab.ui import charts, page

    assert set(charts.KIND_SHAPES) == set(Kind)
    assert set(page._BANNERS) == set(Role)
    failure_shapes = {charts.KIND_SHAPES[k] for k in Kind if k.role is Role.FAILURE}
    assert failure_shapes == {"cross"} and "cross" not in {charts.KIND_SHAPES[k] for k in Kind if k.role is not Role.FAILURE}


@pytest.mark.parametrize("kind", list(Kind))
def test_the_stop_mark_and_the_stop_point_say_the_kinds_word(kind):
    from lab.records import RunResult
    from lab.ui import charts

    decision = Decision(kind, "why", 1)
    marks = charts.decision_marks(decision)
    assert marks[0].data["kind"].tolist() == [f"stop: {kind.word}"]
    result = RunResult(None, [Step(0, {"loss": 2.0}), Step(1, {"loss": 1.0})], decision)
    point = charts.stop_points({"run": result}, "loss")
    assert point.data["decision"].tolist() == [kind.word]
    assert kind.word in point.to_dict(validate=False)["encoding"]["shape"]["scale"]["domain"]
