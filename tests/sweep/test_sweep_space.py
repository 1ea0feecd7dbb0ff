"""Search spaces and objectives: proposals from the config dataclasses, parsing, and every refusal."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.experiments import LABS, config_class
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.records import Kind, RunResult, Step
from lab.stopping import Decision
from lab.sweep import MAX_GRID, Choice, FloatRange, IntRange, Objective, Space, searchable
from lab.sweep.space import apply, parse_dimension, scalar_fields


@pytest.mark.parametrize("lab", list(LABS))
def test_every_lab_gets_a_space_whose_every_value_its_config_accepts(lab):
    cls = config_class(lab)
    space = Space.from_config(cls)
    space.check(cls)  # raises if the config rejects an end of a proposed range or a choice
    for name, dim in space.dims.items():
        assert name in scalar_fields(cls)
        assert name.rsplit(".", 1)[-1] != "seed"
        for value in dim.grid():
            apply(cls(), {name: value})


def test_proposals_read_choices_and_ranges_from_the_declarations():
    dims = searchable(DescentConfig)
    from lab.experiments.descent import surfaces
    from lab.optim import OPTIMIZERS

    assert set(dims["optimizer"].values) == set(OPTIMIZERS)
    assert set(dims["surface"].values) == set(surfaces.SURFACES)
    assert set(dims["schedule.name"].values) >= {"constant", "cosine"}
    assert dims["schedule.staircase"] == Choice((False, True))
    lr = dims["lr"]
    assert isinstance(lr, FloatRange) and lr.log and lr.low < DescentConfig().lr < lr.high <= 100
    assert isinstance(dims["steps"], IntRange)


def test_grid_points():
    assert IntRange(1, 4).grid() == [1, 2, 3, 4]
    assert IntRange(1, 1000, log=True, points=4).grid() == [1, 10, 100, 1000]
    assert FloatRange(0.0, 1.0, points=3).grid() == [0.0, 0.5, 1.0]
    pts = FloatRange(1e-3, 1.0, log=True, points=4).grid()
    assert [round(math.log10(p), 9) for p in pts] == [-3, -2, -1, 0]
    space = Space({"lr": FloatRange(0.1, 1, points=3), "optimizer": Choice(("gd", "adam"))})
    assert space.grid_size() == 6


def test_apply_sets_nested_fields_and_validates():
    config = apply(DescentConfig(), {"schedule.name": "cosine", "lr": 0.5})
    assert config.schedule.name == "cosine" and config.lr == 0.5
    with pytest.raises(ValueError, match="lr"):
        apply(DescentConfig(), {"lr": -1.0})


def test_json_round_trip():
    space = Space({"lr": FloatRange(1e-3, 1, log=True, points=4), "steps": IntRange(5, 50),
                   "schedule.name": Choice(("constant", "cosine")), "schedule.staircase": Choice((False, True))})
    assert Space.from_json(space.to_json()) == space
    objective = Objective("val/loss", "max", "last")
    assert Objective.from_json(objective.to_json()) == objective


def test_parse_types_choices_by_the_field():
    space = Space.parse(DescentConfig, ["lr=float:1e-4:1:log", "optimizer=choice:gd,adam", "steps=int:10:100:3",
                                        "schedule.staircase=choice:0,1"])
    assert space.dims["lr"] == FloatRange(1e-4, 1.0, log=True)
    assert space.dims["optimizer"] == Choice(("gd", "adam"))
    assert space.dims["steps"] == IntRange(10, 100, points=3)
    assert space.dims["schedule.staircase"] == Choice((False, True))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Space({}), "the search space is empty"),
    (lambda: FloatRange(1.0, 0.1), "needs low < high, got low=1.0, high=0.1"),
    (lambda: IntRange(5, 5), "needs low < high"),
    (lambda: FloatRange(0.0, 1.0, log=True), "log-scale float range needs low > 0, got low=0.0"),
    (lambda: IntRange(-1, 10, log=True), "log-scale int range needs low > 0"),
    (lambda: IntRange(1.5, 3), "int range low=1.5 is not an integer"),
    (lambda: FloatRange(0, math.inf), "high=inf is not a finite number"),
    (lambda: FloatRange(0, 1, points=1), "points >= 2"),
    (lambda: Choice(()), "at least one value"),
    (lambda: Choice(("a", "a")), "repeat a value"),
    (lambda: Choice(((1, 2),)), "give strings, numbers or booleans"),
    (lambda: Space({"lr": FloatRange(0.1, 1, points=40), "steps": IntRange(1, 40, points=40)}).grid(),
     f"the grid has 1600 points, more than MAX_GRID={MAX_GRID}"),
    (lambda: Space({"lrx": FloatRange(0.1, 1)}).check(DescentConfig), "unknown field(s) for DescentConfig: lrx; known: alpha"),
    (lambda: Space({"lr": FloatRange(0.1, 1000)}).check(DescentConfig),
     "lr: the value 1000.0 is rejected by DescentConfig: lr=1000.0 is out of range"),
    (lambda: Space({"optimizer": Choice(("gd", "lbfgs"))}).check(DescentConfig),
     "optimizer: the value 'lbfgs' is rejected by DescentConfig"),
    (lambda: Space.from_config(DescentConfig, ["seed"]), "no proposed range for seed"),
    (lambda: Space.parse(DescentConfig, ["lr"]), "write a search dimension as field=choice"),
    (lambda: Space.parse(DescentConfig, ["nope=float:0:1"]), "unknown field 'nope' for DescentConfig; known:"),
    (lambda: Space.parse(DescentConfig, ["lr=float:0:1", "lr=float:0:2"]), "lr is searched twice"),
    (lambda: Space.parse(DescentConfig, ["lr=gauss:0:1"]), "lr: unknown kind 'gauss'"),
    (lambda: Space.parse(DescentConfig, ["lr=float:a:1"]), "lr: 'a' and '1' are not both numbers"),
    (lambda: Space.parse(DescentConfig, ["lr=float:0.1:1:cubic"]), "lr: unknown option 'cubic'"),
    (lambda: Space.parse(DescentConfig, ["steps=choice:ten"]), "steps:"),
    (lambda: Objective("loss", "down"), "direction='down' is not allowed"),
    (lambda: Objective("", "min"), "metric='' is not allowed"),
    (lambda: Objective("loss", "min", "median"), "take='median' is not allowed"),
])
def test_bad_input_is_refused_with_a_clear_message(build, message):
    with pytest.raises(ValueError) as info:
        build()
    assert message in str(info.value)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["choice", "int", "float", "bogus", ""]),
       parts=st.lists(st.one_of(st.text(max_size=6), st.floats(allow_nan=True).map(repr), st.integers(-5, 5).map(str),
                                st.just("log")), max_size=4))
def test_parse_dimension_fuzz(kind, parts):
    text = kind + ":" + ":".join(parts) if kind != "choice" else "choice:" + ",".join(parts)
    try:
        dim = parse_dimension(float, text, "lr")
    except ValueError as exc:
        assert str(exc).startswith("lr: ")
        return
    assert dim.grid() and all(isinstance(v, (int, float)) for v in dim.grid())


# ----------------------------------------------------------------------------- objective


def _result(values, kind=Kind.BUDGET, step=None, budget=10):
    steps = [Step(i, {"loss": v}) for i, v in enumerate(values)]
    config = CurveConfig(epochs=budget, onset=0) if budget else None
    return RunResult(config, steps, Decision(kind, "x", len(values) - 1 if step is None else step))


def test_objective_best_and_last():
    result = _result([3.0, 1.0, 2.0])
    assert Objective("loss", "min", "best").metric_value(result) == 1.0
    assert Objective("loss", "min", "last").metric_value(result) == 2.0
    assert Objective("loss", "max", "best").metric_value(result) == 3.0
    assert Objective("missing").metric_value(result) == math.inf


def test_steps_to_converge_is_the_decision_step_or_the_budget():
    assert Objective().steps(_result([3, 2, 1], kind=Kind.CONVERGED, step=2)) == 2
    assert Objective().steps(_result([3, 2, 1], kind=Kind.BUDGET)) == 10
    assert Objective().steps(_result([3, 2, 1], kind="cancelled")) == 10


def test_tie_break_prefers_the_faster_run_and_never_reorders_distinct_metrics():
    objective = Objective("loss", "min", "last")
    fast, slow = _result([1, 0.5], kind=Kind.CONVERGED, step=1), _result([1, 0.5, 0.5, 0.5], kind=Kind.CONVERGED, step=3)
    assert objective.score(fast)[0] < objective.score(slow)[0]
    better_but_slow = _result([1, 0.5, 0.5, 0.4999], kind=Kind.CONVERGED, step=3)
    assert objective.score(better_but_slow)[0] < objective.score(fast)[0]
    maximize = Objective("loss", "max", "last")
    assert maximize.score(fast)[0] > maximize.score(slow)[0]


def test_diverged_runs_score_the_worst_value():
    diverged = _result([1.0, 0.1, 1e12], kind="diverged")
    assert Objective("loss", "min").score(diverged)[0] == math.inf
    assert Objective("loss", "max").score(diverged)[0] == -math.inf
    assert Objective("loss", "min", "last").score(_result([1.0, math.nan], kind=Kind.BUDGET))[0] == math.inf
    assert Objective("loss", "min", "best").score(_result([1.0, math.nan], kind=Kind.BUDGET))[0] < 1.1
