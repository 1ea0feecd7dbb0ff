"""Early stopping, Regression, Classifier and CNN in a real browser: every preset clicked shows its
lesson and a decision, the page's own URL opened in a fresh browser context shows the same decision
and figures, and the README's screenshot of each page (1440 wide) is retaken from its default view."""

from __future__ import annotations

import re
import shutil

import pytest

from lab.experiments import classifier, cnn, curve, regression
from tests.e2e.pagetools import ROOT, no_exception, screenshot, wait_idle

pytestmark = pytest.mark.e2e

#: URL path, the README's screenshot name, the page's presets
PAGES = [
    ("Early_stopping", "early_stopping", curve.PRESETS),
    ("Regression", "regression", regression.PRESETS),
    ("Classifier", "classifier", classifier.PRESETS),
    ("CNN", "cnn", cnn.PRESETS),
]
DECISION = re.compile(r"(stopped|converged|diverged|ran its whole|budget).* (at )?epoch", re.I)


def _settle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    page.wait_for_timeout(500)
    wait_idle(page, timeout=180_000)
    page.wait_for_selector('[data-testid="stAlert"]', timeout=180_000)
    wait_idle(page, timeout=180_000)
    no_exception(page)


def _decision(page) -> str:
    """The decision banner's words (the lesson box, which starts with the preset's title, left out)."""
    texts = [t.strip() for t in page.locator('[data-testid="stAlert"]').all_inner_texts()]
    found = [t for t in texts if DECISION.search(t)]
    assert found, texts
    return found[-1]


def _figures(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def _view(page, expected: tuple[str, list[str]] | None = None, timeout_ms: int = 120_000) -> tuple[str, list[str]]:
    """The decision and figures once the browser has drawn them: the script state turns notRunning before a
    loaded browser has rendered the last elements (the Regression link's figures came about a second after
    it), so read until two reads a second apart agree, or until the view equals `expected`."""
    view, waited = None, 0
    while waited < timeout_ms:
        page.wait_for_timeout(1000)
        waited += 1000
        wait_idle(page, timeout=timeout_ms)
        now = (_decision(page), _figures(page))
        if now == expected or (expected is None and now == view):
            return now
        view = now
    return view


@pytest.mark.parametrize(("path", "name", "presets"), PAGES, ids=["early_stopping", "regression", "classifier", "cnn"])
def test_presets_links_and_screenshot(browser, app_url, path, name, presets):
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    page = context.new_page()
    page.goto(f"{app_url}/{path}")  # the first run of a torch page takes a while on a loaded machine
    _settle(page)
    shot = screenshot(page, name)
    shutil.copy(shot, ROOT / "docs" / "screenshots" / f"{name}.png")
    for preset in presets.values():
        page.get_by_role("button", name=preset.title).click()
        page.wait_for_selector(f'[data-testid="stAlert"]:has-text("{preset.title}")', timeout=180_000)
        _settle(page)
        view, url = _view(page), page.url
        fresh = browser.new_context(viewport={"width": 1440, "height": 2400})
        other = fresh.new_page()
        other.goto(url)
        _settle(other)
        assert _view(other, expected=view) == view, (preset.title, url)
        assert other.locator(f'[data-testid="stAlert"]:has-text("{preset.title}")').count() == 0  # a link shows no lesson
        fresh.close()
    context.close()
