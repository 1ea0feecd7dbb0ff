"""The Q-learning page in a real browser: it loads, a slider change redraws the curves, the map shows."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _changed(page, before: str, index: int = 0, timeout_ms: int = 20_000) -> bool:
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(500)
        waited += 500
        wait_idle(page)
        if chart_pixels(page, index) != before:
            return True
    return False


def test_qlearning(page, app_url):
    open_page(page, app_url, "Q-learning")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    assert page.get_by_text("red box: a greedy action that is not optimal").count() > 0
    before = chart_pixels(page, 0)
    press(page, "alpha (learning rate)", "ArrowRight", 20)
    assert _changed(page, before, 0)
    no_exception(page)
    page.get_by_role("slider", name="alpha (learning rate)").first.press("Home")
    page.wait_for_timeout(1000)
    wait_idle(page)
    # the slider stops at the declared range's lowest alpha (alpha=0 is refused by the config): no error
    assert page.get_by_text("These settings cannot run").count() == 0
    assert page.locator('[data-testid="stVegaLiteChart"]').count() > 0
    press(page, "alpha (learning rate)", "ArrowRight", 10)
    page.wait_for_timeout(1000)
    wait_idle(page)
    no_exception(page)
    screenshot(page, "qlearning")
