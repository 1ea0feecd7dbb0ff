"""Navigation, page headers, Runs and Sweeps read the lab registry: the sidebar and the home cards list
exactly its pages in order, each page's header is its entry, Sweeps offers exactly its labs with their
declared objectives, and Runs reopens a run of each lab in the page the registry names."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from lab import registry
from lab.experiments import config_class
from lab.schedules import ScheduleConfig

PAGES = list(registry.PAGES.values())


def _url_name(file: str) -> str:
    """The name Streamlit gives a page file in its links: ``pages/3_Early_stopping.py`` -> "Early_stopping"."""
    return "" if file == "app.py" else re.sub(r"^\d+_", "", Path(file).stem)


def test_sidebar_lists_exactly_the_registry_pages_in_order(open_app):
    at = open_app("app.py")
    links = at.sidebar.get("page_link")
    assert [(link.proto.label, link.proto.icon, link.proto.page) for link in links] == [
        (p.title, p.icon, _url_name(p.file)) for p in PAGES]


def test_home_cards_are_the_registry_pages_but_home(open_app):
    at = open_app("app.py")
    cards = [p for p in PAGES if p.id != "home"]
    assert [link.proto.label for link in at.main.get("page_link")] == [f"Open {p.title}" for p in cards]
    assert [link.proto.page for link in at.main.get("page_link")] == [_url_name(p.file) for p in cards]
    titles = [f"**{p.icon} {p.title}**" for p in cards]
    assert [md.value for md in at.markdown if md.value in titles] == titles  # one card each, in the registry's order
    questions = {c.value for c in at.caption}
    assert all(p.question in questions for p in cards)


@pytest.mark.parametrize("page", [registry.PAGES[name] for name in ("runs", "sweeps", "early_stopping", "kmeans")], ids=lambda p: p.id)
def test_page_header_is_its_registry_entry(open_app, page):
    at = open_app(page.file)
    assert [t.value for t in at.title] == [f"{page.icon} {page.title}"]
    assert at.caption[0].value == page.question
    assert len(at.sidebar.get("page_link")) == len(PAGES)


def test_sweeps_offer_exactly_the_registry_labs_and_their_objectives(open_app):
    at = open_app("pages/10_Sweeps.py")
    assert at.selectbox(key="sw.lab").options == list(registry.LABS)
    for lab in registry.LABS.values():
        at.selectbox(key="sw.lab").select(lab.id).run()
        assert not at.exception, lab.id
        assert at.multiselect(key=f"sw.{lab.id}.fields").value == list(lab.sweep.fields)
        assert at.selectbox(key=f"sw.{lab.id}.metric").options == [m.metric for m in lab.monitors]
        assert at.radio(key=f"sw.{lab.id}.{lab.monitor.metric}.direction").value == lab.monitor.direction
        assert at.radio(key=f"sw.{lab.id}.take").value == lab.sweep.take
        for monitor in lab.monitors[1:]:
            at.selectbox(key=f"sw.{lab.id}.metric").select(monitor.metric).run()
            assert at.radio(key=f"sw.{lab.id}.{monitor.metric}.direction").value == monitor.direction, (lab.id, monitor.metric)


def test_runs_reopen_each_lab_in_its_registry_page():
    from lab.ui.runs_views import link

    for lab in registry.LABS:
        target = link(SimpleNamespace(lab=lab, config=config_class(lab)().to_dict()))
        assert target is not None and target[0] == registry.page_of(lab).file, lab
    descent = config_class("descent")
    scheduled = descent(schedule=ScheduleConfig(name="cosine")).to_dict()
    assert link(SimpleNamespace(lab="descent", config=scheduled))[0] == registry.PAGES["schedules"].file
    assert link(SimpleNamespace(lab="tiny", config={})) is None
