"""Stop in a real browser, through the worker pool: a long run is stopped mid-way, and the page shows
the model trained so far evaluated ("stopped by you at epoch N" and the lab's final views), not a
restart and not an empty board. Classifier (torch MLP), Playground (the numpy network) and Sequences
(a torch LSTM): the three engines a run can be long in."""

from __future__ import annotations

import re

import pytest

from tests.e2e.pagetools import click_until, no_exception, wait_idle

pytestmark = pytest.mark.e2e

#: page, the epochs of a run far longer than the test, the page's widget prefix, a text of its final views
CASES = [
    ("Classifier?batch_size=1&stopping.enabled=0&seed=3", 500, "clf", "Held-out test split"),
    ("Playground?batch_size=1&stopping.enabled=0&seed=3", 2000, "pg", "Backpropagation step by step"),
    ("Sequences?stopping.enabled=0&seed=3", 500, "seq", "Validation sentences still wrong"),
]


@pytest.mark.parametrize(("link", "epochs", "prefix", "final"), CASES, ids=[c[2] for c in CASES])
def test_stop_keeps_the_trained_model_and_draws_its_final_views(page, app_url, link, epochs, prefix, final):
    page.goto(f"{app_url}/{link}&epochs={epochs}", timeout=120_000)
    page.wait_for_function(  # a few epochs in (the progress line says which)
        """() => [...document.querySelectorAll('[data-testid="stProgress"]')]
                 .some(p => /running run: epoch ([3-9]|\\d\\d)/.test(p.innerText))""", timeout=120_000, polling=200)
    banner = page.get_by_text(re.compile(r"stopped by you at epoch \d+", re.IGNORECASE)).first
    click_until(page, page.locator(f".st-key-{prefix}_stop button").first, banner)  # the page's Stop, not the header's
    wait_idle(page)
    no_exception(page)
    epoch = int(re.search(r"at epoch (\d+)", banner.inner_text()).group(1))
    assert 3 <= epoch < epochs - 1, banner.inner_text()  # stopped mid-way, not at the end
    page.get_by_text(final, exact=False).first.wait_for(timeout=120_000)  # the stopped model, evaluated and drawn
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 3
    page.wait_for_timeout(3000)  # nothing restarts the run behind the banner
    assert page.get_by_text(re.compile(r"running run: epoch")).count() == 0
