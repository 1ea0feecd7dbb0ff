"""Saved runs in the app: the visitor's workspace, saving each finished run, comparing with saved ones.

Locally every run goes to the one workspace "local". On a shared deployment (Streamlit
Community Cloud, or ``CONVERGENCE_LAB_SHARED=1``) each visitor gets an unguessable workspace id
that travels in the page address as ``?ws=...``: whoever has the link sees those runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from lab.records import RunResult
from lab.runs import store
from lab.share import describe_differences
from lab.ui import charts
from lab.ui.text import plain

WS_PARAM = "ws"


def shared() -> bool:
    """True on a deployment many visitors share (then each gets a workspace of their own)."""
    flag = os.environ.get("CONVERGENCE_LAB_SHARED", "").lower()
    if flag in ("0", "false", "no"):
        return False
    return flag in ("1", "true", "yes") or Path("/mount/src").is_dir()


def workspace() -> str:
    """This session's workspace; on a shared deployment it is kept in the URL as ?ws=."""
    if "_workspace" not in st.session_state:
        ws, created = store.workspace_from_query(st.query_params.get(WS_PARAM), shared=shared())
        st.session_state["_workspace"] = ws
    ws = st.session_state["_workspace"]
    if ws != store.LOCAL and st.query_params.get(WS_PARAM) != ws:
        st.query_params[WS_PARAM] = ws
    return ws


@st.cache_resource(show_spinner=False)
def _store(path: str) -> store.RunStore:
    return store.RunStore(path)


def run_store() -> store.RunStore:
    return _store(str(store.default_db_path()))


def open_store() -> store.RunStore:
    """The run store, or a one-line error and the end of the page when it cannot be opened."""
    try:
        return run_store()
    except ValueError as exc:
        st.error(f"The saved runs are not available: {plain(exc)}")
        st.stop()


def change(edit: Callable[[], Any]) -> None:
    """Apply an edit of saved runs (rename, tags) and rerun; a refused value is a one-line error."""
    try:
        edit()
    except (ValueError, KeyError) as exc:
        st.error(f"Not changed: {plain(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)}")
        return
    st.rerun()


def save(results: Mapping[str, RunResult]) -> list[str]:
    """Save finished runs; a store that cannot be written is a warning, never a crash."""
    ids = []
    for label, result in results.items():
        lab = getattr(type(result.config), "lab", "")
        if not lab or result.decision is None:
            continue
        try:
            ids.append(run_store().save(workspace(), lab, result, name=_name(label, lab, result)))
        except Exception as exc:  # the run itself is fine; only keeping it failed
            st.warning(f"This run could not be saved: {plain(exc)}")
    return ids


def _name(label: str, lab: str, result: RunResult) -> str | None:
    """A run's name: the label it had on the page ("Adam", "constant lr") with its lr, else the store's default."""
    if label == "run":
        return None
    lr = getattr(result.config, "lr", None)
    return f"{label} lr={lr:g}" if isinstance(lr, float) else label


def compare_section(prefix: str, lab: str, current: Mapping[str, RunResult], metrics: list[str], log: bool = False) -> None:
    """Overlay saved runs of this lab on the current run, one metric at a time, named by their differences."""
    try:
        saved = run_store().list(workspace(), lab=lab, limit=200)
    except Exception as exc:
        st.caption(f"Saved runs are not available: {plain(exc)}")
        return
    with st.expander(f"Compare with saved runs ({len(saved)} saved in this workspace)"):
        if not saved:
            st.caption("Every run you make is saved here automatically; change a setting to have something to compare.")
            return
        labels = {s.id: f"{s.name} · {s.decision_kind.word} at step {s.decision_step} · {s.created_at[11:19]}" for s in saved}
        chosen = st.multiselect("saved runs", list(labels), key=f"{prefix}.compare", format_func=labels.get, max_selections=8)
        metric = st.selectbox("metric", metrics, key=f"{prefix}.compare_metric")
        if not chosen:
            return
        stored = [run_store().get(workspace(), run_id) for run_id in chosen]
        configs = [r.config.to_dict() for r in current.values()] + [s.config for s in stored]
        names = describe_differences(configs)
        overlay = {f"now{': ' + names[i] if names[i] else ''}": r for i, r in enumerate(current.values())}
        for offset, s in enumerate(stored, start=len(current)):
            overlay[f"{s.name}{' (' + names[offset] + ')' if names[offset] else ''}"] = s.result()
        st.altair_chart(charts.runs_chart(overlay, metric, title=f"{metric}: this run against saved runs", log=log), width="stretch")


def import_once(data: bytes) -> str:
    """Import a run file into this workspace once per session (reruns keep the uploaded file)."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    done = st.session_state.setdefault("_imported", {})
    if digest not in done:
        try:
            done[digest] = f"Imported {len(run_store().import_json(workspace(), data))} run(s)."
        except ValueError as exc:
            done[digest] = f"Nothing was imported: {exc}"
    return done[digest]
