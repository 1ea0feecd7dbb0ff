"""The Classifier and CNN pages in a real browser: they load, a slider moved by keyboard redraws the curves."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import chart_pixels, no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _press(page, slider_name: str, key: str, times: int = 1) -> None:
    slider = page.get_by_role("slider", name=slider_name).first
    slider.scroll_into_view_if_needed()
    slider.focus()
    for _ in range(times):
        slider.press(key)


def _changed(page, before: str, index: int = 0, timeout_ms: int = 40_000) -> bool:
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(500)
        waited += 500
        wait_idle(page, timeout=60_000)
        if chart_pixels(page, index) != before:
            return True
    return False


def _open(page, app_url: str, path: str) -> None:
    open_page(page, app_url, path)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    wait_idle(page, timeout=60_000)


def test_classifier(page, app_url):
    _open(page, app_url, "Classifier")
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 5  # loss, accuracy, ROC, PR, confusion
    screenshot(page, "classifier")
    before = chart_pixels(page, 0)
    _press(page, "patience (epochs)", "ArrowLeft", 10)
    assert _changed(page, before, 0)
    no_exception(page)


def test_cnn(page, app_url):
    _open(page, app_url, "CNN")
    screenshot(page, "cnn")
    before = chart_pixels(page, 0)
    _press(page, "epochs", "ArrowLeft", 4)
    assert _changed(page, before, 0)
    no_exception(page)
