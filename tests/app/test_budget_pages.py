"""A link beyond its lab's work budget: refused with a note on a shared deployment, a warning locally."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lab import budget
from lab.ui.qlearning_views import DEFAULT
from tests.app.apptools import shown

ROOT = Path(__file__).resolve().parents[2]

CLASSIFIER = {"epochs": "500", "batch_size": "1", "hidden": "512,512,512,512,512", "threads": "64"}
QLEARNING = {"env": "CliffWalking-v1", "engine": "gymnasium", "episodes": "20000", "n_agents": "32", "max_steps": "1000"}


@pytest.fixture
def open_link(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVERGENCE_LAB_DB", str(tmp_path / "runs.db"))

    def _open(page: str, params: dict[str, str], *, shared: bool) -> AppTest:
        monkeypatch.setenv("CONVERGENCE_LAB_SHARED", "1" if shared else "0")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.switch_page(page)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, at.exception
        return at

    return _open


def _texts(elements) -> str:
    return " | ".join(shown(e.value) for e in elements)


@pytest.mark.parametrize("page, params, lab, budget_key", [
    ("pages/5_Classifier.py", CLASSIFIER, "classifier", "clf.epochs"),
    ("pages/8_Q-learning.py", QLEARNING, "qlearning", "ql.episodes"),
])
def test_a_link_over_the_budget_is_refused_on_a_shared_deployment(open_link, page, params, lab, budget_key):
    at = open_link(page, params, shared=True)
    warnings = _texts(at.warning)
    assert "cannot run" in warnings and f"over the {lab} lab's limit" in warnings, warnings
    assert "showing the defaults instead" in warnings
    # the page fell back to its defaults and ran them: the decision of the default run is shown
    assert at.session_state[budget_key] != int(params[budget_key.split(".")[1]])
    assert at.success or at.info, "the default run's decision"


def test_threads_from_a_link_is_ignored_with_a_note(open_link):
    at = open_link("pages/5_Classifier.py", {"threads": "64", "epochs": "5"}, shared=True)
    warnings = _texts(at.warning)
    assert "ignored 'threads'" in warnings and "not a link setting" in warnings, warnings
    assert at.session_state["clf.threads"] == 1
    assert at.session_state["clf.epochs"] == 5
    assert "threads" not in at.query_params


def test_locally_a_heavy_link_is_a_warning_and_runs(open_link):
    """Over the limit, but it stops at once (SGD at lr 100 diverges in its first epoch): locally it runs."""
    link = {"epochs": "500", "batch_size": "1", "optimizer": "sgd", "lr": "100"}
    at = open_link("pages/5_Classifier.py", link, shared=False)
    warnings = _texts(at.warning)
    assert "Heavy run" in warnings and "over the classifier lab's limit" in warnings, warnings
    assert at.session_state["clf.epochs"] == 500 and at.session_state["clf.batch_size"] == 1
    assert at.error, "the divergence (or non-finite loss) decision of the run that went on"


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(episodes=st.integers(1, 1_000_000), n_agents=st.integers(1, 1024), max_steps=st.integers(1, 100_000),
       engine=st.sampled_from(["table", "reference", "gymnasium"]))
def test_random_links_never_start_a_run_over_the_budget(open_link, episodes, n_agents, max_steps, engine):
    """On a shared deployment a Q-learning link is refused (the page back at its defaults) or what the
    page runs, its widgets' values after the link, is within the budget."""
    params = {"episodes": str(episodes), "n_agents": str(n_agents), "max_steps": str(max_steps), "engine": engine}
    at = open_link("pages/8_Q-learning.py", params, shared=True)
    shown_config = DEFAULT.replace(**{name: at.session_state[f"ql.{name}"] for name in params})
    if "cannot run" in _texts(at.warning):
        assert shown_config == DEFAULT
    assert budget.excess(shown_config) is None
