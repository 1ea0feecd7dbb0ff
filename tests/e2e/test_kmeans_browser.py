"""The K-means page in a real browser: it loads, changing k redraws the points, no exception; a screenshot."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_kmeans(page, app_url):
    open_page(page, app_url, "K-means")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    assert page.get_by_text("same result").count() == 1
    page.get_by_role("button", name="Stretched blobs are split the wrong way").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    page.wait_for_selector("text=final inertia of each restart")
    before = chart_pixels(page, 0)
    press(page, "k (clusters to find)", "ArrowRight", 2)
    assert changed(page, before, 0)
    no_exception(page)
    page.get_by_text("Choosing k: the elbow").click()
    page.wait_for_timeout(500)
    wait_idle(page)
    page.wait_for_selector("text=silhouette score by k")
    no_exception(page)
    screenshot(page, "kmeans")
