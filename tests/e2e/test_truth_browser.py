"""Home, Optimizers and Schedules in a real browser: each preset's lesson read off the page, and a changed
page's own URL opened in a fresh browser context showing the same decisions. Screenshots (1440 wide, tall)
land in artifacts/screenshots/ for the README."""

from __future__ import annotations

import re

import pytest

from tests.e2e.pagetools import no_exception, open_page, press, screenshot, wait_idle

pytestmark = pytest.mark.e2e

WAIT = 120_000
SCREEN = {"width": 1440, "height": 2200}


@pytest.fixture
def wide(browser):
    context = browser.new_context(viewport=SCREEN)
    yield context
    context.close()


def _decisions(page) -> dict[str, tuple[str, int]]:
    """Each run's decision line under the charts: label -> (kind word, step)."""
    found = {}
    for text in page.locator('[data-testid="stMarkdownContainer"] li').all_inner_texts():
        m = re.match(r"(.+?)\s+(converged|budget|diverged|not finite|patience|threshold)\s+.*?at step (\d+)", text)
        if m:
            found[m.group(1)] = (m.group(2), int(m.group(3)))
        elif m := re.match(r"(.+?)\s+budget\s+ran its whole step budget \((\d+) steps\)", text):
            found[m.group(1)] = ("budget", int(m.group(2)))
    return found


def _metrics(page) -> dict[str, float]:
    """Every metric on the page: label -> value (a person's number read back)."""
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): float(value.replace(",", "")) for label, value in zip(labels, values)}


def _lines(page) -> list[str]:
    return page.locator('[data-testid="stMarkdownContainer"] li').all_inner_texts()


def _settle(page, expect: int) -> dict[str, tuple[str, int]]:
    """Wait until the run is over and `expect` decision lines are on the page."""
    waited = 0
    while waited < WAIT:
        page.wait_for_timeout(500)
        waited += 500
        wait_idle(page, timeout=WAIT)
        found = _decisions(page)
        if len(found) == expect:
            return found
    raise AssertionError(f"{expect} decisions never showed: {_decisions(page)}")


def _preset(page, title: str, expect: int) -> dict[str, tuple[str, int]]:
    page.get_by_role("button", name=title).click()
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=stAlert]')].some(e => e.innerText.includes(t))", arg=title, timeout=WAIT)
    return _settle(page, expect)


def _reopened(wide, url: str, expect: int, metrics: int = 0) -> tuple[list[str], dict[str, float]]:
    """The decision lines and (once `metrics` of them show) the metrics of `url` opened in a fresh browser context."""
    page = wide.browser.new_context(viewport=SCREEN).new_page()
    try:
        page.goto(url)
        page.wait_for_selector('[data-testid="stApp"]', timeout=WAIT)
        _settle(page, expect)
        page.wait_for_function("n => document.querySelectorAll('[data-testid=stMetricValue]').length >= n", arg=metrics, timeout=WAIT)
        no_exception(page)
        return _lines(page), _metrics(page)
    finally:
        page.context.close()


def test_home_converges_at_lr_0_1_and_diverges_at_the_top(wide, app_url):
    page = wide.new_page()
    open_page(page, app_url)
    page.get_by_text("Converged at step 62").wait_for(timeout=WAIT)
    screenshot(page, "home")
    press(page, "learning rate", "End")
    page.get_by_text("Diverged at step 26").wait_for(timeout=WAIT)
    no_exception(page)
    page.wait_for_url(re.compile(r"[?&]lr=1\.1\b"), timeout=WAIT)  # the rate is in the address ...
    fresh = wide.browser.new_context(viewport=SCREEN).new_page()
    try:
        fresh.goto(page.url)  # ... and a fresh browser opens the demo at it
        fresh.get_by_text("Diverged at step 26").wait_for(timeout=WAIT)
        assert fresh.get_by_role("slider", name="learning rate").first.get_attribute("aria-valuetext") == "1.1"
        no_exception(fresh)
    finally:
        fresh.context.close()


def test_optimizers_presets_show_their_lessons_and_a_link_reproduces_the_race(wide, app_url):
    page = wide.new_page()
    open_page(page, app_url, "Optimizers")
    _settle(page, 4)

    race = _preset(page, "Momentum overshoots, then wins in the ravine", 2)
    assert race["Gradient descent"][0] == race["Momentum"][0] == "converged"
    assert race["Momentum"][1] * 1.5 < race["Gradient descent"][1]

    race = _preset(page, "Adam vs GD on Rosenbrock", 2)
    assert race["Adam"][0] == "converged" and race["Gradient descent"][0] == "budget"

    race = _preset(page, "The same lr: GD diverges, Adam does not", 2)
    assert race["Gradient descent"][0] == "diverged" and race["Adam"][0] == "converged"

    race = _preset(page, "Saddle: GD lingers, noise escapes", 2)
    assert race["Gradient descent"][0] == "budget" and race["SGD (noisy gradient)"][0] == "converged"
    screenshot(page, "optimizers")

    press(page, "steps", "ArrowLeft", 5)  # 600 -> 550 steps
    page.wait_for_function("() => location.search.includes('steps=550')", timeout=WAIT)
    _settle(page, 2)
    assert _reopened(wide, page.url, 2, len(_metrics(page))) == (_lines(page), _metrics(page))
    no_exception(page)


def test_schedules_presets_and_a_link_reproduces_the_run(wide, app_url):
    page = wide.new_page()
    open_page(page, app_url, "Schedules")
    for title in ("A constant lr stalls at a noise floor; a decaying one keeps converging",
                  "Step decay: each drop lowers the floor", "Reduce on plateau cuts when the loss flattens"):
        runs = _preset(page, title, 2)
        assert all(kind == "budget" and step == 2000 for kind, step in runs.values()), runs
        shown = _metrics(page)
        schedule = next(run for run in runs if run != "constant lr")
        floor = {run: shown[f"{run} · mean loss, last 50 steps"] for run in runs}
        assert floor[schedule] < floor["constant lr"] / 2, (title, shown)
        assert shown[f"{schedule} · final lr"] < shown["constant lr · final lr"]
        no_exception(page)
    screenshot(page, "schedules")
    press(page, "steps", "ArrowLeft", 2)  # 2000 -> 1900 steps
    page.wait_for_function("() => location.search.includes('steps=1900')", timeout=WAIT)
    runs = _settle(page, 2)
    assert {step for _, step in runs.values()} == {1900}
    assert _reopened(wide, page.url, 2, len(_metrics(page))) == (_lines(page), _metrics(page))
