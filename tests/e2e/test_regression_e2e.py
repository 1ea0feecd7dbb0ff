"""The Regression page in a real browser: a slider redraws the curves, a diverging preset says so."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import changed, chart_pixels, no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e




def test_regression(page, app_url):
    open_page(page, app_url, "Regression")
    page.wait_for_selector('[data-testid="stVegaLiteChart"]')
    before = chart_pixels(page, 0)
    press(page, "noise (std of y's noise)", "ArrowRight", 20)
    assert changed(page, before, 0)
    no_exception(page)
    screenshot(page, "regression")


def test_regression_diverging_preset(page, app_url):
    open_page(page, app_url, "Regression")
    page.get_by_role("button", name="Too large a learning rate diverges").click()
    page.get_by_text("Diverged at epoch").first.wait_for(timeout=120_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 5  # MSE, gap, weights, predictions, stability map
    screenshot(page, "regression_diverged")


def test_regression_csv_upload(page, app_url, tmp_path):
    rows = ["size,rooms,city,price"] + [f"{40 + 7 * i},{1 + i % 4},c{i % 3},{1000 + 31 * i + 50 * (i % 4) + 20 * ((7 * i) % 5 - 2)}" for i in range(30)]
    path = tmp_path / "houses.csv"
    path.write_text("\n".join(rows) + "\n")
    open_page(page, app_url, "Regression")
    page.get_by_text("my CSV").click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("2 feature(s): size, rooms").wait_for(timeout=120_000)
    page.get_by_text("ignored non-numeric column(s): city").first.wait_for(timeout=120_000)
    wait_idle(page)
    no_exception(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 5  # MSE, gap, weights, predictions, stability map
    screenshot(page, "regression_csv")
