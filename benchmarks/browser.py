"""What a visitor waits for in a real browser (Debian's chromium through Playwright).

1. First visit: a fresh server (and an empty numba cache, as on a fresh deploy) -> the Q-learning
   page done, opened straight away (it compiles its kernel itself), or after the home page
   (whose background thread compiled it meanwhile); and with numba's on-disk cache filled.
2. Key press to done: a slider moved by one key press on a page already drawn, until the
   script run has finished (medians of `REPEATS`).
3. While the Playground trains (default network, 2000 epochs, no early stopping): the redraws a
   second the browser shows (distinct epoch readouts over `WATCH` seconds) and the seconds from a
   click on Stop to "stopped by you" (medians of `REPEATS` runs).

    python benchmarks/browser.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

REPEATS = 5
HOME_PAUSE = 10.0  # seconds a visitor spends on the home page before opening a lab
#: page path -> the slider's label, for the key-press measurement.
SLIDERS = {"Optimizers": "steps", "Classifier": "epochs", "CNN": "epochs", "Q-learning": "episodes"}
WATCH = 5.0
EPOCH = "[...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].map(e => e.innerText)[0] ?? ''"
STATE = "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


@contextmanager
def server(numba_cache: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NUMBA_CACHE_DIR": numba_cache, "CONVERGENCE_LAB_DB": str(Path(numba_cache) / "runs.db")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def open_done(page, url: str) -> None:
    """Open `url` and wait until its first script run has drawn a chart and finished."""
    page.goto(url)
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=300_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=300_000)


def first_visit(browser, via_home: bool, numba_cache: str) -> float:
    """Seconds from the request for the Q-learning page to its run done, on a fresh server."""
    with server(numba_cache) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        if via_home:
            open_done(page, url)
            page.wait_for_timeout(HOME_PAUSE * 1000)
        start = time.perf_counter()
        open_done(page, f"{url}/Q-learning")
        seconds = time.perf_counter() - start
        page.close()
    return seconds


def key_press(browser, url: str, path: str, label: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    open_done(page, f"{url}/{path}")
    slider = page.get_by_role("slider", name=label).first
    slider.scroll_into_view_if_needed()
    times = []
    for i in range(REPEATS + 1):
        slider.focus()
        start = time.perf_counter()
        slider.press("ArrowLeft" if i % 2 else "ArrowRight")
        page.wait_for_function(f"{STATE} === 'running'", timeout=10_000, polling=10)
        page.wait_for_function(f"{STATE} === 'notRunning'", timeout=300_000, polling=10)
        times.append(time.perf_counter() - start)
    page.close()
    return statistics.median(times[1:])


def while_training(browser, url: str) -> tuple[float, float]:
    """Redraws a second the browser shows while the Playground trains, and the Stop click's seconds to its banner."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{url}/Playground?stopping.enabled=0&epochs=2000&seed=3")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stProgress"]')]
                           .some(p => /epoch ([3-9]|\\d\\d)/.test(p.innerText))""", timeout=300_000, polling=50)
    seen, start = set(), time.perf_counter()
    while time.perf_counter() - start < WATCH:
        seen.add(page.evaluate(EPOCH))
        page.wait_for_timeout(20)
    start = time.perf_counter()
    page.locator(".st-key-pg_stop button").first.click(force=True)
    page.get_by_text("stopped by you", exact=False).first.wait_for(timeout=300_000)
    stop = time.perf_counter() - start
    page.close()
    return len(seen - {""}) / WATCH, stop


def main() -> None:
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cold = {via: first_visit(browser, via, tempfile.mkdtemp()) for via in (False, True)}
        cache = tempfile.mkdtemp()
        first_visit(browser, False, cache)  # fills numba's on-disk cache
        cached = first_visit(browser, False, cache)
        print("first visit to Q-learning on a fresh server (request -> run done):")
        print(f"  straight to the page, empty numba cache         : {cold[False]:6.2f} s")
        print(f"  home page first ({HOME_PAUSE:.0f} s), empty numba cache : {cold[True]:6.2f} s")
        print(f"  straight to the page, numba cache filled        : {cached:6.2f} s")
        print(f"key press to done (median of {REPEATS}, after one warm-up press):")
        with server(cache) as url:
            for path, label in SLIDERS.items():
                print(f"  {path:12s} {label:9s}: {key_press(browser, url, path, label):6.2f} s")
            rates, stops = zip(*(while_training(browser, url) for _ in range(REPEATS)))
            print(f"Playground while it trains (median of {REPEATS} runs): {statistics.median(rates):.1f} redraws/s shown, "
                  f"Stop to its banner {statistics.median(stops):.2f} s")
        browser.close()


if __name__ == "__main__":
    main()
