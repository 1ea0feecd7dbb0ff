"""Sharing and comparing in a real browser: a link reproduces a run in a fresh context; the Runs page overlays runs."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import chart_pixels, no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _banner(page) -> str:
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="at epoch").first
    alert.wait_for(timeout=120_000)
    return alert.inner_text()


def _settle(page) -> None:
    page.wait_for_timeout(800)
    wait_idle(page)


def test_a_shared_link_reproduces_the_run_in_a_fresh_browser(page, app_url, browser):
    open_page(page, app_url, "Early_stopping")
    slider = page.get_by_role("slider", name="patience (epochs)")
    slider.focus()
    for _ in range(4):
        slider.press("ArrowRight")
    _settle(page)
    noise = page.get_by_role("slider", name="noise")
    noise.focus()
    noise.press("ArrowRight")
    _settle(page)
    page.wait_for_url(lambda url: "patience=9" in url and "noise=" in url, timeout=120_000)
    _settle(page)
    seen = _banner(page)
    link = page.url

    fresh = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(link)
        other.wait_for_selector('[data-testid="stApp"]')
        _settle(other)
        no_exception(other)
        assert _banner(other) == seen
    finally:
        fresh.close()


def test_runs_page_overlays_saved_runs_and_its_link_reopens_them(page, app_url, browser):
    open_page(page, app_url, "Optimizers")
    open_page(page, app_url, "Runs")
    chooser = page.get_by_role("combobox").filter(has_text="").last
    page.get_by_text("runs to compare, rename, tag, export or delete").scroll_into_view_if_needed()
    box = page.locator('[data-testid="stMultiSelect"]').last
    for _ in range(2):
        box.click()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        _settle(page)
    page.keyboard.press("Escape")
    _settle(page)
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    before = chart_pixels(page, 0)
    metric = page.locator('[data-testid="stSelectbox"]').filter(has_text="metric to overlay")
    metric.click()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    _settle(page)
    assert chart_pixels(page, 0) != before
    no_exception(page)
    assert chooser is not None
    screenshot(page, "runs")
    page.wait_for_url(lambda url: "runs=" in url and "metric=" in url, timeout=120_000)
    seen = _choice(page)
    fresh = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(page.url)
        other.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=120_000)
        _settle(other)
        no_exception(other)
        assert _choice(other) == seen and len(seen[0]) == 2 and seen[1]
    finally:
        fresh.close()


def _choice(page) -> tuple[list[str], str]:
    """The runs chosen (the chooser's chips) and the metric overlaid, as the page shows them."""
    chips = page.locator('[data-testid="stMultiSelect"]').last.locator(".react-aria-ComboBox [data-tag]").all_inner_texts()
    metric = page.get_by_role("combobox", name="metric to overlay").input_value()
    return sorted(chips), metric
