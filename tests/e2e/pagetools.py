"""Helpers for the browser tests: open a page, wait for the script, see a chart change, screenshot."""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the script run has finished (and the connection is up)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def open_page(page, url: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    page.wait_for_timeout(300)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def chart_pixels(page, index: int = 0) -> str:
    """A hash of what one chart shows on screen: it changes when the chart redraws with other data."""
    chart = page.locator('[data-testid="stVegaLiteChart"]').nth(index)
    chart.scroll_into_view_if_needed()
    return hashlib.sha256(chart.screenshot()).hexdigest()


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def press(page, slider_name: str, key: str, times: int = 1) -> None:
    """Move a slider with the keyboard, as a person does."""
    slider = page.get_by_role("slider", name=slider_name).first
    slider.scroll_into_view_if_needed()
    slider.focus()
    for _ in range(times):
        slider.press(key)


def changed(page, before: str, index: int = 0, timeout_ms: int = 60_000) -> bool:
    """Wait until chart `index` shows something other than `before` (False if it never does)."""
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(500)
        waited += 500
        wait_idle(page, timeout=60_000)
        if chart_pixels(page, index) != before:
            return True
    return False
