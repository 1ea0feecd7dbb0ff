"""Helpers for the browser tests: open a page, wait for the script, see a chart change, screenshot."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the script run has finished (and the connection is up)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def open_page(page, url: str, path: str = "") -> None:
    page.goto(f"{url}/{path}", timeout=120_000)
    page.wait_for_selector('[data-testid="stApp"]', timeout=120_000)
    page.wait_for_timeout(300)
    wait_idle(page, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def chart_pixels(page, index: int = 0) -> str:
    """A hash of what one chart shows on screen: it changes when the chart redraws with other data."""
    chart = page.locator('[data-testid="stVegaLiteChart"]').nth(index)
    chart.scroll_into_view_if_needed()
    return hashlib.sha256(chart.screenshot()).hexdigest()


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def click_until(page, button, done, timeout: float = 120_000) -> None:
    """Click `button` as a user does while a run redraws the page, until `done` (a locator) shows.

    Playwright's own click waits for the button to be stable for two animation frames and scrolls it
    into view first; a board redrawing several times a second on a loaded machine may give it neither
    for a long time (the button is there and clickable all along). A user clicks where it is (the
    browser queues the click until its thread is free) and clicks again if nothing happens."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            button.scroll_into_view_if_needed(timeout=5_000)
        except Exception:  # a busy page may not scroll in time: a button in view needs none
            pass
        try:
            box = button.bounding_box(timeout=10_000)
            if box is not None:
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        except Exception:  # redrawn while we looked: the next try finds it again
            pass
        try:
            done.wait_for(timeout=10_000)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _value(slider) -> float:
    return float(slider.evaluate("e => e.value"))


def press(page, slider_name: str, key: str, times: int = 1, timeout: float = 120_000) -> None:
    """Move a slider with the keyboard, as a person does, and wait until it rests where the keys lead.

    A press made while a rerun redraws the slider can be lost on a loaded machine (CI once saw five
    ArrowLeft presses never reach the URL), so after the presses the slider's own value (Streamlit 1.67
    draws an ``<input type=range>`` with min, max and step) is read back and a press repeated until it
    rests, idle, at the value `times` presses of `key` lead to."""
    slider = page.get_by_role("slider", name=slider_name).first
    wait_idle(page, timeout)
    low, high, step = (float(slider.get_attribute(name)) for name in ("min", "max", "step"))
    start = _value(slider)
    sign = {"ArrowRight": 1, "ArrowUp": 1, "ArrowLeft": -1, "ArrowDown": -1}.get(key, 0)
    target = {"Home": low, "End": high}.get(key, min(high, max(low, start + sign * times * step)))
    slider.scroll_into_view_if_needed()
    slider.focus()
    for _ in range(times):
        slider.press(key)
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        wait_idle(page, timeout)
        now = _value(slider)
        if abs(now - target) <= step / 2:
            page.wait_for_timeout(500)
            wait_idle(page, timeout)
            if abs(_value(slider) - target) <= step / 2:
                return
            continue
        slider.scroll_into_view_if_needed()
        slider.focus()
        slider.press("ArrowRight" if now < target else "ArrowLeft")
        page.wait_for_timeout(300)
    raise AssertionError(f"slider {slider_name!r} never rested at {target}: it shows {_value(slider)}")


def changed(page, before: str, index: int = 0, timeout_ms: int = 120_000) -> bool:
    """Wait until chart `index` shows something other than `before` (False if it never does)."""
    waited = 0
    while waited < timeout_ms:
        page.wait_for_timeout(500)
        waited += 500
        wait_idle(page, timeout=120_000)
        if chart_pixels(page, index) != before:
            return True
    return False
