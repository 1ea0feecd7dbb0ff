"""The Optimizers page's insight maps in a real browser: click a cell of the stability map and a start of
the basin map, and see the race run with that setting; screenshots of both and of Home's rate readout."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _tab_chart(page, tab: str):
    """The chart in the maps' tab `tab`, after opening that tab."""
    page.get_by_role("tab", name=tab).click()
    chart = page.locator('[role="tabpanel"]:visible [data-testid="stVegaLiteChart"]').first
    chart.wait_for(state="visible", timeout=120_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # the SVG of a few thousand cells draws after the element shows
    return chart


def _click_in_plot(page, chart, fx: float, fy: float) -> None:
    """Click at a share (fx, fy) of the chart's drawing area (its canvas or svg), then wait for the rerun."""
    area = chart.locator("canvas, svg").first
    box = area.bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.wait_for_timeout(800)
    wait_idle(page)


def _rates_text(page) -> str:
    """The rate readout's text: from its heading to the maps' heading."""
    return page.evaluate("() => { const t = document.body.innerText; const i = t.indexOf('Rate of convergence');"
                         " return t.slice(i, t.indexOf('Insight: where', i)); }")


def _slider_value(page, name: str) -> str:
    return page.get_by_role("slider", name=name).first.get_attribute("aria-valuetext") or ""


def test_stability_map_and_basins_click_to_run(page, app_url):
    open_page(page, app_url)
    page.wait_for_selector("text=Rate of convergence")
    screenshot(page, "insight-home")

    open_page(page, app_url, "Optimizers")
    page.get_by_role("button", name="Momentum at its optimum").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    page.wait_for_selector("text=Rate of convergence")
    chart = _tab_chart(page, "Stability map")
    before = _rates_text(page)
    assert "The run matches it" in before
    screenshot(page, "insight-stability")
    _click_in_plot(page, chart, 0.35, 0.3)
    no_exception(page)
    # the click set that cell's lr and momentum (gd's lr on the μ = 0 row) and ran the race again
    page.wait_for_function(
        "before => { const t = document.body.innerText; const i = t.indexOf('Rate of convergence');"
        " return i >= 0 && t.slice(i, t.indexOf('Insight: where', i)) !== before; }",
        arg=before, timeout=120_000)
    wait_idle(page)
    no_exception(page)

    open_page(page, app_url, "Optimizers?surface=himmelblau")
    chart = _tab_chart(page, "Basins of attraction")
    start_x, start_y = _slider_value(page, "start x"), _slider_value(page, "start y")
    _click_in_plot(page, chart, 0.2, 0.25)
    no_exception(page)
    for _ in range(240):  # the click set the race's start to that cell's: both sliders show it
        if (_slider_value(page, "start x"), _slider_value(page, "start y")) != (start_x, start_y):
            break
        page.wait_for_timeout(500)
    assert (_slider_value(page, "start x"), _slider_value(page, "start y")) != (start_x, start_y)
    wait_idle(page)
    _tab_chart(page, "Basins of attraction")
    screenshot(page, "insight-basins")


def _grid_box(page, chart) -> dict:
    """The stability map's cell grid on screen: the largest group of rectangles in the chart's SVG (the
    transparent layer that takes the clicks spans every cell), or the whole drawing where it is a canvas."""
    groups = chart.locator("svg g.mark-rect")
    boxes = [groups.nth(i).bounding_box() for i in range(groups.count())]
    boxes = [b for b in boxes if b]
    return max(boxes, key=lambda b: b["width"] * b["height"]) if boxes else chart.locator("canvas").first.bounding_box()


def test_regression_map_click_runs_a_diverging_cell(page, app_url):
    open_page(page, app_url, "Regression")
    page.get_by_role("button", name="Momentum: the same lr is stable again").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    page.get_by_text("Converged at epoch").first.wait_for(timeout=120_000)
    title = page.get_by_text("momentum, full batch: outcome after 100 epochs")
    chart = page.locator('[data-testid="stVegaLiteChart"]').filter(has=title).first
    if not chart.count():
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = _grid_box(page, chart)
    screenshot(page, "insight-regression")
    # the right edge of the grid: lr about 4.5/λmax, past every μ's edge 2(1 + μ)/λmax
    page.mouse.click(box["x"] + 0.97 * box["width"], box["y"] + 0.5 * box["height"])
    page.get_by_text("Diverged at epoch").first.wait_for(timeout=120_000)
    wait_idle(page)
    no_exception(page)
    lr = float(page.get_by_role("slider", name="learning rate").first.get_attribute("aria-valuetext"))
    assert lr > 2.0  # 2(1 + 0.96)/λmax ≈ 1.65 here
