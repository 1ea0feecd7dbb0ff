"""The seed spread in a real browser on two labs: Schedules (10 seeds of two settings, the bands,
the box plots and the comparison in words; the README's screenshot) and Classifier (Stop keeps
the seeds that finished)."""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import SHOTS, click_until, no_exception, open_page, wait_idle

pytestmark = pytest.mark.e2e

EXPANDER = "Seed spread: run several seeds, and tell a difference from luck"


def _open_spread(page, app_url: str, path: str) -> int:
    open_page(page, app_url, path)
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=120_000)
    charts = page.locator('[data-testid="stVegaLiteChart"]').count()
    page.get_by_text(EXPANDER).click()
    page.get_by_role("button", name="Run 10 seeds").wait_for(timeout=120_000)
    return charts


def test_schedules_spread_draws_bands_boxes_and_words(page, app_url):
    charts = _open_spread(page, app_url, "Schedules")
    page.get_by_role("button", name="Run 10 seeds").click()
    page.get_by_text("Mann-Whitney p =", exact=False).first.wait_for(timeout=120_000)  # only the results say it
    wait_idle(page)
    no_exception(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == charts + 5  # 3 bands, 2 box plots
    words = page.locator('[data-testid="stExpander"]').last.inner_text()
    assert "final gap/optimum:" in words and "decision step:" in words and "Mann-Whitney p =" in words
    spread = page.locator('[data-testid="stExpander"]').last
    spread.scroll_into_view_if_needed()
    page.mouse.move(0, 0)  # no chart toolbar in the picture
    page.wait_for_timeout(1000)  # the charts' last paint
    SHOTS.mkdir(parents=True, exist_ok=True)
    spread.screenshot(path=str(SHOTS / "seed-spread.png"))


def test_classifier_stop_keeps_the_finished_seeds(page, app_url):
    _open_spread(page, app_url, "Classifier")
    page.get_by_role("button", name="Run 10 seeds").click()
    page.get_by_text("1 of 10 runs done", exact=False).first.wait_for(timeout=120_000)
    click_until(page, page.locator('[data-testid="stExpander"]').last.get_by_role("button", name="Stop"),
                page.get_by_text("Stopped after", exact=False).first)
    wait_idle(page)
    no_exception(page)
    note = page.get_by_text("Stopped after", exact=False).inner_text()
    finished = int(note.split("Stopped after ")[1].split(" of ")[0])
    spread = page.locator('[data-testid="stExpander"]').last
    assert 1 <= finished < 10 and spread.locator('[data-testid="stVegaLiteChart"]').count() == 5  # 3 bands, 2 box plots
    spread.screenshot(path=str(SHOTS / "seed-spread-stopped.png"))
