"""lab/ui/charts.py: stop marks read by kind (colour, shape, legend), zeros stay on log charts, one label format."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lab.records import Decision, Kind, Role, RunResult, Step
from lab.ui import charts


def _result(kind: Kind, values=(2.0, 1.0)) -> RunResult:
    steps = [Step(i, {"loss": v}) for i, v in enumerate(values)]
    return RunResult(None, steps, Decision(kind, "why", len(values) - 1))


@pytest.mark.parametrize(
    "kind, colour",
    [(Kind.BUDGET, "#8a8a8a"), (Kind.CONVERGED, "#2ca02c"), (Kind.DIVERGED, "#d62728"), (Kind.NON_FINITE, "#d62728"),
     (Kind.PATIENCE, "#e69f00"), (Kind.THRESHOLD, "#e69f00")],
)
def test_the_stop_rule_has_the_kinds_colour(kind, colour):
    rule = charts.decision_marks(Decision(kind, "why", 3))[0].to_dict(validate=False)
    assert rule["mark"]["color"] == colour


def test_every_kind_has_its_own_look_and_failures_alone_are_red():
    assert set(charts.KIND_COLOURS) == set(Kind) == set(charts.KIND_SHAPES) == set(charts.KIND_BADGES)
    red = {kind for kind in Kind if charts.KIND_COLOURS[kind] == charts.RED}
    assert red == {kind for kind in Kind if kind.role is Role.FAILURE}
    assert charts.BEST_COLOUR != charts.GREEN  # "best" must not read as "converged"


def test_stop_points_keep_each_kinds_shape_whatever_the_other_kinds_and_show_a_legend():
    """The shape of a kind does not depend on which other kinds a chart holds (no alphabetical order)."""
    one = charts.runs_chart({"a": _result(Kind.CONVERGED)}, "loss", title="")
    two = charts.runs_chart({"a": _result(Kind.BUDGET), "b": _result(Kind.CONVERGED)}, "loss", title="")
    for chart in (one, two):
        enc = chart.to_dict()["layer"][1]["encoding"]  # validates against the Vega-Lite schema
        shapes = dict(zip(enc["shape"]["scale"]["domain"], enc["shape"]["scale"]["range"]))
        fills = dict(zip(enc["fill"]["scale"]["domain"], enc["fill"]["scale"]["range"]))
        assert shapes["converged"] == "circle" and fills["converged"] == charts.GREEN
        assert enc["shape"]["legend"]["title"] == "stop"
    enc = two.to_dict()["layer"][1]["encoding"]
    assert dict(zip(enc["fill"]["scale"]["domain"], enc["fill"]["scale"]["range"]))["budget"] == charts.GREY


def test_zeros_are_drawn_on_a_log_chart_at_the_floor_with_their_true_value():
    frame = pd.DataFrame({"step": [0, 1, 2, 3], "metric": "q", "value": [1.0, 1e-3, 0.0, math.nan]})
    drawn = charts.finite(frame, log=True)
    assert drawn["step"].tolist() == [0, 1, 2]
    assert drawn["value"].tolist() == [1.0, 1e-3, 1e-4] and drawn["actual"].tolist() == [1.0, 1e-3, 0.0]
    assert charts.finite(frame)["value"].tolist() == [1.0, 1e-3, 0.0]


def test_every_numeric_axis_uses_one_label_format():
    frame = pd.DataFrame({"step": [0, 1], "metric": "loss", "value": [1e14, 1.0]})
    spec = charts.line_chart(frame, log=True).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelExpr"] == charts.AXIS_LABELS
    spec = charts.runs_chart({"a": _result(Kind.BUDGET)}, "loss", title="").to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelExpr"] == charts.AXIS_LABELS


def test_an_axis_drawn_without_the_helper_gets_the_same_label_format():
    frame = pd.DataFrame({"x": [1.0, 2e5], "y": [0.0, 3e-7]})
    spec = alt.Chart(frame).mark_point().encode(x=alt.X("x:Q"), y=alt.Y("y:Q", scale=alt.Scale(type="symlog"))).to_dict()
    assert alt.theme.active == "convergence_lab"
    assert spec["config"]["axisQuantitative"]["labelExpr"] == charts.AXIS_LABELS


def test_fixed_colours_win_over_the_palette():
    scale = charts.colour_scale(["x", "y"], {"y": "#123456"}).to_dict()
    assert scale["range"] == [charts.PALETTE[0], "#123456"]


def test_decision_lines_say_each_runs_kind_in_its_colour_and_its_reason():
    text = charts.decision_lines({"GD": _result(Kind.BUDGET), "Adam": _result(Kind.CONVERGED)})
    assert text.splitlines() == ["- **GD** :gray-badge[budget] why", "- **Adam** :green-badge[converged] why"]


def _layers(spec: dict, data: dict | None = None):
    """Each drawing layer with the data it reads (its own, or the one of the layer chart around it)."""
    data = spec.get("data", data)
    for layer in spec.get("layer", [spec]):
        yield from _layers(layer, data) if "layer" in layer else [(layer, layer.get("data", data))]


def _tooltip_fields(chart) -> list[tuple[list[str], set[str]]]:
    """Each layer's tooltip fields beside the columns of the data it draws."""
    spec = chart.to_dict(validate=False)
    found = []
    for layer, data in _layers(spec):
        tips = layer.get("encoding", {}).get("tooltip", [])
        rows = spec.get("datasets", {}).get((data or {}).get("name"), [{}])
        found.append(([t["field"] for t in tips], set(rows[0]) if rows else set()))
    return found


def test_tooltips_of_clipped_charts_show_the_value_as_recorded():
    """Issue 12: after `finite` floors zeros on a log scale, a tooltip must say 0 (``actual``), not the floor."""
    from lab.ui import nets_views, qlearning_views

    frame = pd.DataFrame({"step": [0, 1, 2], "metric": "q", "value": [1.0, 1e-3, 0.0]})
    built = [
        charts.line_chart(frame, log=True),
        charts.runs_chart({"a": _result(Kind.CONVERGED, (1.0, 0.0))}, "loss", title="", log=True),
        qlearning_views._chart(frame, None, None, title="", log=True),
        nets_views._dots(frame, log=True),
    ]
    clipped = 0
    for chart in built:
        for fields, columns in _tooltip_fields(chart):
            if "actual" in columns:
                clipped += 1
                assert "value" not in fields and "actual" in fields, fields
    assert clipped == len(built)


def test_the_playground_images_use_the_charts_colour_scale_clamped_and_interpolated_in_rgb():
    """Hand-computed: the ends and the middle are the scale's colours, a quarter is halfway between
    orange (245, 147, 34) and white (232, 234, 235), values outside the domain clamp, NaN is white."""
    from lab.ui import playground_views as views

    rgb = views._rgb(np.array([-2.0, 0.0, 0.25, 0.5, 1.0, 3.0, np.nan]), "classification").tolist()
    assert rgb == [[245, 147, 34], [245, 147, 34], [238, 190, 134], [232, 234, 235], [8, 119, 189], [8, 119, 189],
                   [232, 234, 235]]
    assert views._rgb(np.array([-1.0, 0.0, 1.0]), "regression").tolist() == [[245, 147, 34], [232, 234, 235], [8, 119, 189]]
