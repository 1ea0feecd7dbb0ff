"""Every lab page on a 1440x900 screen: preset titles are whole, and the board stays in view.

Issue 12 found the settings column taller than the window, so that after a change low down the live
chart was above the fold, and preset buttons that cut their titles. Here, on each page, the settings
column is scrolled with the mouse wheel as a person does until its lowest slider shows, the slider is
moved with the keyboard, and while the page redraws the board's chart must stay in the viewport.
"""

from __future__ import annotations

import pytest

from tests.e2e.pagetools import no_exception, wait_idle

pytestmark = pytest.mark.e2e

SCREEN = {"width": 1440, "height": 900}
PAGES = ["Optimizers", "Schedules", "Early_stopping", "Regression", "Classifier", "CNN", "K-means", "Q-learning"]
SETTINGS = '[data-testid="stColumn"]:has(.st-key-settings)'
BOARD_CHART = f'{SETTINGS} + [data-testid="stColumn"] [data-testid="stVegaLiteChart"]'
#: Each preset button's label: [scrollWidth, clientWidth] (a cut title scrolls wider than it shows).
PRESET_WIDTHS = """() => [...document.querySelectorAll('.st-key-presets button [data-testid="stMarkdownContainer"]')]
    .filter(e => e.clientWidth > 0).map(e => [e.innerText, e.scrollWidth, e.clientWidth])"""


def _in_view(box) -> bool:
    return box is not None and box["y"] < SCREEN["height"] and box["y"] + box["height"] > 0


def _chart_box(page):
    """The board's first chart on screen ({x, y, width, height}), read in one go, or None."""
    return page.evaluate(f"""() => {{ const e = document.querySelector('{BOARD_CHART}');
        if (!e) return null; const r = e.getBoundingClientRect(); return {{x: r.x, y: r.y, width: r.width, height: r.height}} }}""")


def _scroll_settings_to(page, element) -> None:
    """Wheel over the settings column (it scrolls first, then the page) until `element` is on screen."""
    column = page.locator(SETTINGS).bounding_box()
    page.mouse.move(column["x"] + column["width"] / 2, column["y"] + 40)
    for _ in range(60):
        box = element.bounding_box()
        if box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"]:
            return
        page.mouse.wheel(0, 150)
        page.wait_for_timeout(100)
    raise AssertionError("the lowest slider never came into view")


def test_preset_titles_are_whole_and_the_board_stays_in_view(browser, app_url):
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(f"{app_url}/{path}", timeout=120_000)
            page.wait_for_selector(BOARD_CHART, timeout=180_000)
            wait_idle(page, timeout=180_000)
            no_exception(page)
            widths = page.evaluate(PRESET_WIDTHS)
            assert widths, path
            assert all(scroll <= client for _, scroll, client in widths), (path, widths)

            slider = page.locator('.st-key-settings [data-testid="stSlider"]:visible').last.get_by_role("slider")
            _scroll_settings_to(page, slider)
            slider.evaluate("e => e.focus({preventScroll: true})")
            slider.press("ArrowLeft")
            seen, drawn = 0, 0
            page.wait_for_timeout(100)
            while page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "running" or seen < 5:
                box = _chart_box(page)  # None for a moment while the chart is swapped for its redraw
                if box is not None:
                    drawn += 1
                    assert _in_view(box), (path, box)
                seen += 1
                page.wait_for_timeout(150)
            wait_idle(page, timeout=180_000)
            no_exception(page)
            assert drawn and _in_view(_chart_box(page)), path
    finally:
        context.close()
