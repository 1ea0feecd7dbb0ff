"""The Classifier and CNN pages in a real browser: they load, a slider moved by keyboard redraws the curves."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def _open(page, app_url: str, path: str) -> None:
    open_page(page, app_url, path)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    wait_idle(page, timeout=120_000)


def test_classifier(page, app_url):
    _open(page, app_url, "Classifier")
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 5  # loss, accuracy, ROC, PR, confusion
    screenshot(page, "classifier")
    before = chart_pixels(page, 0)
    press(page, "patience (epochs)", "ArrowLeft", 10)
    assert changed(page, before, 0)
    no_exception(page)


def test_cnn(page, app_url):
    _open(page, app_url, "CNN")
    screenshot(page, "cnn")
    before = chart_pixels(page, 0)
    press(page, "epochs", "ArrowLeft", 4)
    assert changed(page, before, 0)
    no_exception(page)
