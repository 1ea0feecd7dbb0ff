"""The insight views on their pages: each preset's lesson read off the page (rates, stability map, basins)."""

from __future__ import annotations

import json
import math

import pytest

from lab.insight import theory

OPTIMIZERS = "pages/1_Optimizers.py"
RAVINE = (2.0, 100.0)


def _frames(at, title_start: str):
    """Every dataset of the chart whose title starts with `title_start`, as DataFrames."""
    import pyarrow as pa

    for el in at.get("vega_lite_chart"):
        title = json.loads(el.proto.spec).get("title") or ""
        if str(title).startswith(title_start) or title_start in str(title):
            return [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in el.proto.datasets]
    raise AssertionError(f"no chart titled {title_start!r}")


def _rates(at):
    return next(d.value for d in at.dataframe if "measured ρ" in d.value.columns).set_index("run")


def _ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_home_reads_the_rate_of_gd_on_x_squared(open_app):
    at = open_app("app.py")
    line = next(m.value for m in at.markdown if "Rate of convergence" in m.value)
    assert "measured ρ = 0.8," in line and "theory ρ = 0.8" in line  # |1 − 2·0.1|
    at.select_slider(key="home.lr").set_value(1.1).run()
    assert any("Growing by ρ = 1.2" in c.value for c in at.caption)
    assert _phases(at) == {"oscillating", "diverging"}  # x = (−1.2)^t: flips sign and grows
    at.select_slider(key="home.lr").set_value(0.3).run()
    assert _phases(at) == set()  # x = 0.4^t: one way, shrinking


def _phases(at) -> set[str]:
    """The phase notes drawn on the page's first chart."""
    import pyarrow as pa

    frames = [pa.ipc.open_stream(ds.data.data).read_pandas() for ds in at.get("vega_lite_chart")[0].proto.datasets]
    return {p for f in frames if "phase" in f.columns for p in f["phase"]}


def test_momentum_at_its_optimum_reads_the_sqrt_kappa_rate(open_app):
    at = open_app(OPTIMIZERS)
    at.button(key="opt.preset.optimizers/momentum-optimum").click().run()
    _ok(at)
    table = _rates(at)
    best = (math.sqrt(50) - 1) / (math.sqrt(50) + 1)
    assert table.loc["Momentum", "measured ρ"] == pytest.approx(best, rel=0.01)
    assert table.loc["Momentum", "measured ρ"] == pytest.approx(table.loc["Momentum", "theory ρ"], rel=0.01)
    assert table.loc["Gradient descent", "measured ρ"] == pytest.approx(theory.optimal_gd(RAVINE)[1], rel=0.01)


def test_past_the_stability_edge_the_map_diverges_beyond_two_over_lambda_max(open_app):
    at = open_app(OPTIMIZERS)
    at.button(key="opt.preset.optimizers/stability-edge").click().run()
    _ok(at)
    cells = next(f for f in _frames(at, "gd on ravine") if "outcome" in f.columns)
    gd = cells[cells["second"] == 0]
    edge = theory.gd_edge(RAVINE)
    assert (gd[gd["lr"] > edge * 1.01]["outcome"] == "diverged").all()
    assert (gd[(gd["lr"] < edge * 0.97) & (gd["lr"] > edge / 2)]["outcome"] == "converged").all()
    assert any("diverged at step" in m.value for m in at.markdown)  # the race's own GD run


def test_basins_on_himmelblau_end_in_its_four_minima(open_app):
    at = open_app(OPTIMIZERS)
    at.selectbox(key="opt.surface").select("himmelblau").run()
    _ok(at)
    cells = next(f for f in _frames(at, "where each start ends") if "end" in f.columns)
    assert set(cells["end"]) == {"minimum (3, 2)", "minimum (-2.81, 3.13)", "minimum (-3.78, -3.28)", "minimum (3.58, -1.85)"}


def test_regression_map_shows_momentum_moving_the_edge(open_app):
    at = open_app("pages/4_Regression.py")
    at.button(key="reg.preset.momentum_edge").click().run()
    _ok(at)
    assert any("Converged at epoch" in s.value for s in at.success)  # this run: lr 1, μ 0.5
    edge = float(next(c.value for c in at.caption if "GD: η < 2/λmax = " in c.value).split("GD: η < 2/λmax = ")[1].split(";")[0])
    assert 0.8 < edge < 0.9
    said = " ".join(c.value for c in at.caption)
    assert f"uses momentum μ = 0.5, whose edge is {1.5 * edge:.4g}: below that, it can converge" in said
    cells = next(f for f in _frames(at, "momentum, full batch") if "outcome" in f.columns)
    gd = cells[cells["second"] == 0]
    assert (gd[gd["lr"] > edge * 1.01]["outcome"] == "diverged").all()  # the bottom row: red past 2/λmax ...
    assert (gd[(gd["lr"] < edge * 0.97) & (gd["lr"] > edge / 2)]["outcome"] == "converged").all()
    half = cells[cells["second"] == 0.48]  # ... and at μ ≈ 0.5 the edge is at 2(1 + μ)/λmax
    assert (half[half["lr"] > edge * 1.48 * 1.01]["outcome"] != "converged").all()
    assert (half[half["lr"] > edge * 1.48 * 1.1]["outcome"] == "diverged").all()
    assert (half[(half["lr"] < edge * 1.48 * 0.97) & (half["lr"] > edge)]["outcome"] == "converged").all()


@pytest.mark.parametrize("page", ["pages/4_Regression.py", "pages/7_K-means.py", "pages/8_Q-learning.py"])
def test_each_lab_page_shows_its_rate_line(open_app, page):
    at = open_app(page, timeout=180)
    _ok(at)
    line = next(m.value for m in at.markdown if "Rate of convergence" in m.value)
    if "Regression" in page:
        assert "theory ρ = 0." in line  # full-batch GD: theory from the Gram matrix's eigenvalues


def test_kmeans_basins_colour_each_start_by_its_optimum(open_app):
    at = open_app("pages/7_K-means.py", timeout=180)
    at.toggle(key="km.insight.basins").set_value(True).run()
    _ok(at)
    caption = next(c.value for c in at.caption if "distinct local optima" in c.value)
    assert "of 64 starts reach the best found" in caption
