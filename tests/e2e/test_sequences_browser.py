"""The Sequences page in a real browser: it loads, another model redraws the curves, a typed sentence gets its
prediction, and the page's address opened in a fresh browser context shows the same decision and figures."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.pagetools import ROOT, chart_pixels, no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e

DECISION_WORDS = ("stopped", "budget", "diverged")


def _shown(page) -> tuple[str, list[str]]:
    """The decision banner and the run's metrics (the typed sentence's prediction left out), once the run is done."""
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    wait_idle(page, timeout=120_000)
    banners = page.locator('[data-testid="stAlert"]').all_inner_texts()
    decision = next((b for b in banners if any(w in b.lower() for w in DECISION_WORDS)), "")
    metrics = page.locator('[data-testid="stMetric"]').all_inner_texts()
    return decision, [m for m in metrics if not m.startswith("prediction")]


def test_change_the_model_type_a_sentence_and_reopen_the_link(page, browser, app_url):
    open_page(page, app_url, "Sequences")
    _shown(page)
    before = chart_pixels(page, 0)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="model").first.click()
    page.get_by_role("option", name="GRU").click()
    page.wait_for_timeout(800)
    decision, figures = _shown(page)
    assert chart_pixels(page, 0) != before and decision
    box = page.get_by_label("Type a sentence for the trained model")
    box.fill("the acting was not very good")
    box.press("Enter")
    page.get_by_text("positive so far, read from the hidden state").first.wait_for(timeout=120_000)
    wait_idle(page)
    prediction = page.locator('[data-testid="stMetric"]').filter(has_text="prediction").inner_text()
    assert "negative" in prediction
    no_exception(page)
    shot = screenshot(page, "sequences")
    shutil.copy(shot, ROOT / "docs" / "screenshots" / "sequences.png")
    url = page.url
    assert "model=gru" in url
    fresh = browser.new_context(viewport={"width": 1440, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(url)
        other.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
        assert _shown(other) == (decision, figures)
        no_exception(other)
    finally:
        fresh.close()
