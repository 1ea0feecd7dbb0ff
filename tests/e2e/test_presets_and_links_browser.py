"""K-means and Q-learning in a real browser: every preset clicked shows its lesson's outcome, and
the page's own address, opened in a fresh browser context, shows the same decision and figures."""

from __future__ import annotations

import pytest

from lab.experiments.kmeans import PRESETS as KMEANS
from lab.experiments.qlearning import PRESETS as QLEARNING
from tests.e2e.pagetools import no_exception, wait_idle

pytestmark = pytest.mark.e2e

#: What each preset's decision banner says, as its lesson claims.
EXPECTED = {
    ("K-means", "stuck_random_init"): "converged", ("K-means", "anisotropic_split"): "converged",
    ("K-means", "kmeanspp_fewer_iterations"): "converged",
    ("Q-learning", "no_exploration"): "episode budget", ("Q-learning", "slippery"): "converged",
    ("Q-learning", "low_gamma"): "episode budget", ("Q-learning", "high_alpha"): "episode budget",
}


def _shown(page) -> tuple[str, list[str]]:
    """The decision banner and every metric on the page, once the run is done."""
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    wait_idle(page, timeout=120_000)
    banners = page.locator('[data-testid="stAlert"]').all_inner_texts()
    decision = next((b for b in banners if any(w in b.lower() for w in ("converged", "budget", "diverged"))), "")
    return decision, page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def _click_preset(page, title: str) -> None:
    page.get_by_role("button", name=title).first.click()
    page.wait_for_timeout(800)
    wait_idle(page, timeout=180_000)


@pytest.mark.parametrize("path, presets", [("K-means", KMEANS), ("Q-learning", QLEARNING)])
def test_every_preset_then_its_link_in_a_fresh_context(page, browser, app_url, path, presets):
    page.goto(f"{app_url}/{path}")
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    _shown(page)  # the first visit compiles numba: up to a minute on a loaded machine
    for name, preset in presets.items():
        _click_preset(page, preset.title)
        no_exception(page)
        decision, _ = _shown(page)
        assert EXPECTED[(path, name)] in decision.lower(), (name, decision)
    decision, figures = _shown(page)
    url = page.url
    assert "?" in url  # the last preset's settings are in the address
    fresh = browser.new_context(viewport={"width": 1440, "height": 1800})
    try:
        other = fresh.new_page()
        other.goto(url)
        other.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
        no_exception(other)
        assert _shown(other) == (decision, figures)
    finally:
        fresh.close()
