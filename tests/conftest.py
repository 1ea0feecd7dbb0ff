"""Suite-wide rules under CI: a skipped browser test fails the run (they must really run there), and
Hypothesis draws the same examples every run (a new counterexample is found on a developer's machine,
where the draws stay random, never as a red CI that the change did not cause)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.pg import postgres_url  # noqa: F401  (the session's PostgreSQL server, for every test module)

settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

_skipped_e2e: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail") and "/e2e/" in report.nodeid.replace("\\", "/"):  # an xfail is no skip
        _skipped_e2e.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped_e2e:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"CI: {len(_skipped_e2e)} browser test(s) were skipped; under CI they must run:", red=True)
            for nodeid in _skipped_e2e[:10]:
                reporter.write_line(f"  {nodeid}", red=True)
