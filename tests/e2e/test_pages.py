"""Each page in a real browser: it loads without an exception, a setting changes, the chart redraws.

Screenshots land in artifacts/screenshots/ (the README's come from there).
"""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_home(page, app_url):
    open_page(page, app_url)
    before = chart_pixels(page)
    press(page, "learning rate", "End")
    assert changed(page, before)
    assert "diverged at step" in page.get_by_text("diverged at step").first.inner_text().lower()
    no_exception(page)
    screenshot(page, "home_diverged")  # the README shows "home": the default lr, converged (test_truth_browser)


def test_optimizers(page, app_url):
    open_page(page, app_url, "Optimizers")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    screenshot(page, "optimizers")
    before = chart_pixels(page, 1)
    press(page, "steps", "Home")  # one key: each press reruns the race, and 100 of them outlast a loaded machine
    assert changed(page, before, 1)
    no_exception(page)


def test_schedules(page, app_url):
    open_page(page, app_url, "Schedules")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    page.get_by_role("button", name="Reduce on plateau cuts when the loss flattens").click()
    wait_idle(page)
    page.wait_for_timeout(1000)
    wait_idle(page)
    before = chart_pixels(page, 1)
    press(page, "gradient noise (std)", "ArrowRight", 5)
    assert changed(page, before, 1)
    no_exception(page)
    screenshot(page, "schedules")


def test_early_stopping(page, app_url):
    open_page(page, app_url, "Early_stopping")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    before = chart_pixels(page, 0)
    press(page, "patience (epochs)", "ArrowRight", 8)
    assert changed(page, before, 0)
    no_exception(page)
    screenshot(page, "early_stopping")
