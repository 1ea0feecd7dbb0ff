"""Real-browser tests: a Streamlit server on a free loopback port, Debian's chromium via Playwright.

Outside CI the tests skip with a reason when chromium is absent; under CI (CI=true) a
missing browser is an error, so browser tests can never be skipped silently there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium for the browser tests")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args():
    return {"viewport": {"width": 1400, "height": 1800}}


@contextlib.contextmanager
def serve(db: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `streamlit run app.py` on a free loopback port with `env` added; yield (its base URL, the process).

    Its stderr goes to a file beside `db` (a pipe nobody reads blocks the server, and its worker
    processes, once it is full)."""
    port = _free_port()
    env = {**os.environ, "CONVERGENCE_LAB_DB": str(db), **env}
    log = (Path(db).parent / "server.log").open("w+b")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        log.seek(0)
        pytest.fail(f"streamlit did not start: {log.read().decode(errors='replace')[-2000:]}")
    try:
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Start `streamlit run app.py` once for the session; yield its base URL."""
    with serve(tmp_path_factory.mktemp("db") / "runs.db") as (url, _):
        yield url
