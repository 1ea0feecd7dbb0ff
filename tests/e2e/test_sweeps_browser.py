"""The Sweeps page in a real browser: run a grid sweep, its URL opened in a fresh context shows the same study;
switch to random search with fewer trials, the charts change; Stop ends a long sweep and keeps what it did."""

from __future__ import annotations

import re

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e

WAIT = 120_000
STOP = ".st-key-sw-stop button >> visible=true"  # the page's Stop (Streamlit's header has a Stop of its own)


def _study(page) -> str:
    """The line naming the study on show and its trial count."""
    line = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile(r"^Study ")).first
    line.wait_for(timeout=WAIT)
    return line.inner_text()


def test_sweeps(page, app_url, browser):
    open_page(page, app_url, "Sweeps")
    page.get_by_role("button", name="Run the sweep").click()
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=WAIT)
    wait_idle(page, timeout=WAIT)
    no_exception(page)
    screenshot(page, "sweeps")
    page.wait_for_url(lambda url: "study=" in url, timeout=WAIT)
    seen = _study(page)
    fresh = browser.new_context(viewport={"width": 1400, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(page.url, timeout=WAIT)
        other.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=WAIT)
        wait_idle(other, timeout=WAIT)
        no_exception(other)
        assert _study(other) == seen
        assert other.locator('[data-testid="stVegaLiteChart"]').count() >= 3
    finally:
        fresh.close()

    before = chart_pixels(page, 0)
    page.get_by_text("random", exact=True).click()
    wait_idle(page)
    press(page, "trials (grid: all points)", "ArrowLeft", 10)
    wait_idle(page)
    page.get_by_role("button", name="Run the sweep").click()
    assert changed(page, before, 0, timeout_ms=WAIT)
    no_exception(page)

    press(page, "trials (grid: all points)", "End")
    wait_idle(page)
    page.get_by_role("button", name="Run the sweep").click()
    page.locator('[data-testid="stProgress"]').filter(has_text=re.compile(r"\d+ of 100 trials")).wait_for(timeout=WAIT)
    page.locator(STOP).click(timeout=WAIT)
    note = page.locator('[data-testid="stAlert"]').filter(has_text="Stopped by you after")
    note.wait_for(timeout=WAIT)
    wait_idle(page)
    no_exception(page)
    done = int(re.search(r"after (\d+) trial", note.inner_text()).group(1))
    assert 1 <= done < 100
    assert f": {done} trials" in _study(page) or f": {done} trial" in _study(page)
    assert page.locator(STOP).count() == 0
