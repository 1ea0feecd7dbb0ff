"""The Sweeps page in a real browser: run a grid sweep, switch to random search with fewer trials, the charts change."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def test_sweeps(page, app_url):
    open_page(page, app_url, "Sweeps")
    page.get_by_role("button", name="Run the sweep").click()
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=120_000)
    wait_idle(page, timeout=120_000)
    no_exception(page)
    screenshot(page, "sweeps")
    before = chart_pixels(page, 0)
    page.get_by_text("random", exact=True).click()
    wait_idle(page)
    press(page, "trials (grid: all points)", "ArrowLeft", 10)
    wait_idle(page)
    page.get_by_role("button", name="Run the sweep").click()
    assert changed(page, before, 0, timeout_ms=120_000)
    no_exception(page)
