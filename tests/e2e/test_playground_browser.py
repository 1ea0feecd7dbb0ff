"""The Playground in a real browser: it loads and learns the circle, changing the data redraws the surface,
and the page's address opened in a fresh browser context shows the same decision and figures; a screenshot."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.pagetools import ROOT, changed, chart_pixels, no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _shown(page) -> tuple[str, list[str]]:
    """The decision banner and the readouts, once the run is done."""
    page.wait_for_selector("text=output at epoch", timeout=120_000)
    wait_idle(page, timeout=120_000)
    banners = page.locator('[data-testid="stAlert"]').all_inner_texts()
    decision = next((b for b in banners if "epoch" in b.lower()), "")
    return decision, page.locator('[data-testid="stMetricValue"]').all_inner_texts()[:5]


def test_playground_learns_redraws_on_new_data_and_its_link_reproduces_the_decision(page, browser, app_url):
    open_page(page, app_url, "Playground")
    decision, figures = _shown(page)
    assert "stopped at epoch" in decision.lower() and figures[2] == "100.0%", (decision, figures)
    no_exception(page)
    before = chart_pixels(page, 0)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="data").first.click()
    page.get_by_role("option", name="XOR").click()
    assert changed(page, before, 0)
    no_exception(page)
    decision, figures = _shown(page)
    assert "epoch" in decision and "?" in page.url, page.url
    shot = screenshot(page, "playground")
    shutil.copy(shot, ROOT / "docs" / "screenshots" / "playground.png")
    fresh = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(page.url, timeout=120_000)
        other.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
        assert _shown(other) == (decision, figures)
        no_exception(other)
    finally:
        fresh.close()
