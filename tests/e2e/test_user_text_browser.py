"""User text with Markdown images, in a real browser: a CSV header on Regression and an imported
run's name on Runs are shown as written, and the browser asks no host but the app's own."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

import lab
from lab.experiments.descent import DescentConfig
from lab.runs.store import LOCAL, RunStore
from tests.e2e.pagetools import no_exception, open_page, wait_idle

pytestmark = pytest.mark.e2e

PLANTED = "planted.invalid"
IMAGE = f"![seen](http://{PLANTED}/pixel.png)"


def run_file(tmp_path) -> bytes:
    store = RunStore(tmp_path / "source.db")
    run_id = store.save(LOCAL, "descent", lab.run(DescentConfig(surface="quadratic", optimizer="gd", lr=0.1, steps=20)), name=IMAGE)
    return store.export_json(LOCAL, [run_id])


def test_markdown_images_in_user_text_fetch_nothing(page, app_url, tmp_path):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url))

    open_page(page, app_url, "Regression")
    page.get_by_text("my CSV", exact=True).click()
    wait_idle(page, timeout=120_000)
    header = f"a,{IMAGE},price\n" + "".join(f"{i},{i % 3},{2 * i + 1}\n" for i in range(30))
    page.locator('input[type="file"]').first.set_input_files(
        files=[{"name": "planted.csv", "mimeType": "text/csv", "buffer": header.encode()}])
    page.wait_for_selector(f"text={PLANTED}", timeout=120_000)
    wait_idle(page, timeout=120_000)
    no_exception(page)
    assert page.locator(f'img[src*="{PLANTED}"]').count() == 0

    open_page(page, app_url, "Runs")
    page.get_by_text("Import runs from a JSON export").click()
    page.locator('input[type="file"]').first.set_input_files(
        files=[{"name": "runs.json", "mimeType": "application/json", "buffer": run_file(tmp_path)}])
    page.wait_for_selector("text=Imported 1 run", timeout=120_000)
    open_page(page, app_url, "Runs")  # the list above the importer was drawn before the import
    chooser = page.locator('[data-testid="stMultiSelect"]').filter(has_text="runs to compare")
    chooser.locator("input").click()
    page.keyboard.type("seen")
    option = page.get_by_role("option").filter(has_text=IMAGE).first
    option.wait_for(timeout=120_000)
    option.click()
    page.keyboard.press("Escape")
    page.wait_for_selector(f"text=Open “{IMAGE}” in its lab", timeout=120_000)
    wait_idle(page, timeout=120_000)
    no_exception(page)
    assert page.locator(f'img[src*="{PLANTED}"]').count() == 0

    assert hosts == {"127.0.0.1"}, hosts
