"""The live runner every lab page uses.

It runs `lab.run` in a worker process (`lab.workers`: the server's thread stays free and
concurrent visitors use every core; `workers()` says how many, 0 = in the script run itself),
feeds the steps the worker sends back to the page and redraws a placeholder with the whole
(small) history at most every `REDRAW_SECONDS` (longer while more runs wait than there are
workers), plus the final state. A visitor has one run in
a worker at a time: a new one cancels the one before. A finished result is kept in
`st.session_state` under the page's key and its fingerprint (configs, rules, data), so a
rerun that changes nothing draws it again without recomputing.

Any click (Stop, a widget) interrupts the run: Streamlit raises a control exception at the
next `st.*` call, which the throttled redraw (or, while no step arrives, the progress line)
makes. The runner catches it there, cancels the run (the worker's loop reads the flag between
steps), lets the loop end the run as cancelled (so the model trained so far is evaluated: test metrics, ROC, policy)
and keeps that result before letting the exception go on. If the click was Stop, the next
run finds it and draws every final view of it, "stopped by you at epoch N".

Until the new run first draws, the previous result stays on screen (Streamlit dims what the
running script has not redrawn yet): the board's placeholder is only created when it draws.

`draw(results, final)` gets ``{label: RunResult}``; while running, ``final`` is False, the
results are partial (``decision`` is None) and `draw` must not create widgets (they would be
created twice in one script run). The final call may.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

import lab
from lab import workers as pool
from lab.records import RunResult
from lab.stopping import singular
from lab.ui import runs
from lab.ui.text import plain

REDRAW_SECONDS = 0.25
#: The longest a Stop click's script run waits for the stopped run to keep its result (then it starts anew).
STOP_WAIT_SECONDS = 15.0
#: How long a run stopped by a click may take to end at its next step in its worker.
CANCEL_WAIT = 60.0
_JOB = "_live_job"  # the visitor's run in a worker, if any

Draw = Callable[[dict[str, RunResult], bool], None]


def fingerprint(configs: Mapping[str, Any], stopping: Any = None, data_id: str = "") -> str:
    """A key that changes whenever anything that shapes the runs changes."""
    payload = {
        "configs": {label: [type(c).__name__, c.to_dict()] for label, c in configs.items()},
        "stopping": repr(stopping),
        "data": data_id,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=repr).encode()).hexdigest()


def _partial(config: Any, steps: list, started: float) -> RunResult:
    return RunResult(config, list(steps), None, {}, time.perf_counter() - started)  # type: ignore[arg-type]


def live_runs(
    key: str,
    configs: Mapping[str, Any],
    draw: Draw,
    *,
    stopping: Any = None,
    data: Any = None,
    data_id: str = "",
) -> dict[str, RunResult]:
    """Run each config (in order) live, or draw the kept results if nothing changed.

    `stopping` is one rule (or a factory ``label -> rule``) applied to every run.
    """
    state_key = f"_live_{key}"
    fp = fingerprint(configs, stopping if not callable(stopping) or hasattr(stopping, "update") else None, data_id)
    kept = st.session_state.get(state_key)
    bar = st.empty()
    stop_slot = st.empty()
    stop_clicked = stop_slot.button("Stop", key=f"{key}_stop", help="End the run here and keep what it did")
    view = _Board()

    if kept and kept["fingerprint"] == fp and stop_clicked:
        _wait_for_the_stopped_run(kept)
    if kept and kept["fingerprint"] == fp and (kept["complete"] or (stop_clicked and kept.get("stopped"))):
        if not kept["complete"]:
            kept["complete"] = True
            runs.save(kept["results"])
        stop_slot.empty()
        with view.container():
            draw(kept["results"], True)
        return kept["results"]

    results: dict[str, RunResult] = {}
    entry = {"fingerprint": fp, "results": results, "complete": False}
    st.session_state[state_key] = entry  # filled in place below: after a click, a session-state write raises again
    labels = list(configs)
    last_draw = -math.inf  # the first step draws at once: a change shows its first live point without waiting
    interrupt: list[BaseException] = []
    for index, label in enumerate(labels):
        config = configs[label]
        rule = stopping(label) if callable(stopping) and not hasattr(stopping, "update") else stopping
        steps: list = []
        started = time.perf_counter()
        budget = config.budget or 0
        unit = singular(config.step_unit)

        def progress(started=True, steps=steps, index=index, budget=budget, label=label, unit=unit) -> None:
            done = (index + min(1.0, len(steps) / budget if budget else 0.0)) / len(labels)
            if steps:
                text = f"running {label}: {unit} {steps[-1].step}"
            else:  # a run in a worker that has not sent a step yet
                text = "starting (a worker's first run of a lab imports its engine)…" if started else "waiting for a free worker…"
                text = f"{label}: {text}" if len(labels) > 1 else text
            bar.progress(done, text=text)

        def on_step(step, steps=steps, config=config, label=label, started=started, progress=progress):
            nonlocal last_draw
            steps.append(step)
            now = time.perf_counter()
            if interrupt or now - last_draw < REDRAW_SECONDS or now - last_draw < _spacing():
                return
            last_draw = now
            results[label] = _partial(config, steps, started)
            try:
                progress()
                with view.container():
                    draw(dict(results), False)
            except ScriptControlException as exc:  # a click: end this run where it is (see the module's docstring)
                interrupt.append(exc)
            last_draw = time.perf_counter()  # a slow draw must not make every following step redraw

        def waiting(started: bool, progress=progress) -> None:
            """While no step arrives from the worker: a call into streamlit, so that a click is noticed."""
            try:
                progress(started)
            except ScriptControlException as exc:
                interrupt.append(exc)

        try:
            result = _run(config, data, rule, on_step, interrupt, waiting)
        except Exception as exc:  # a bad upload or a bug: say so and keep the last good result
            return _failed(state_key, kept, bar, stop_slot, view, draw, f"{label}: {exc}" if len(labels) > 1 else str(exc))
        if result is None:
            results.pop(label, None)
        else:
            results[label] = result
        if interrupt:
            entry["stopped"] = True
            raise interrupt[0]
    st.session_state[state_key] = {"fingerprint": fp, "results": results, "complete": True}
    runs.save(results)
    bar.empty()
    stop_slot.empty()
    with view.container():
        draw(results, True)
    return results


def _wait_for_the_stopped_run(kept: dict, most: float = STOP_WAIT_SECONDS) -> None:
    """With fast reruns the Stop click's script run starts while the stopped run is still ending in its
    own thread (the worker evaluates the model trained so far): wait until that run has kept its result."""
    deadline = time.monotonic() + most
    while not (kept["complete"] or kept.get("stopped")) and time.monotonic() < deadline:
        time.sleep(0.05)


def workers() -> int:
    """How many worker processes train the runs: $CONVERGENCE_LAB_WORKERS, else the secret ``workers``,
    else `lab.workers.default_workers()`; 0 trains in the script's own thread."""
    value = os.environ.get(pool.ENV)
    if value is None:
        try:
            value = st.secrets.get("workers")
        except Exception:  # no secrets file, or one that does not parse: the default
            value = None
    return pool.configured(value)


def _spacing() -> float:
    """Seconds between redraws: `REDRAW_SECONDS`, stretched while more runs are in the pool than it has
    workers. Every visitor's chart is drawn by the server's one Python thread at a time: 8 visitors
    redrawing 4 times a second kept a core busy with charts that the workers' runs needed."""
    workers_pool = pool.shared(workers())
    if workers_pool is None:
        return REDRAW_SECONDS
    return REDRAW_SECONDS * max(1.0, workers_pool.running() / workers_pool.workers)


def _run(config: Any, data: Any, rule: Any, on_step: Callable, interrupt: list, waiting: Callable[[bool], None]) -> RunResult | None:
    """`lab.run` in a worker process with its steps fed to `on_step` as they arrive, or in this
    thread when there are no workers. None when a click came before a worker took the run."""
    workers_pool = pool.shared(workers())
    if workers_pool is None:
        return lab.run(config, data=data, stopping=rule, on_step=on_step, cancel=lambda: bool(interrupt))
    previous = st.session_state.get(_JOB)
    if previous is not None:  # one run per visitor: a run left behind (another page, a lost rerun) ends now
        previous.cancel()
    job = st.session_state[_JOB] = workers_pool.submit(config, data=data, stopping=rule)
    try:
        while not interrupt and not job.done():
            arrived = job.poll(REDRAW_SECONDS)
            if job.view is not None and hasattr(data, "receive"):
                data.receive(job.view)  # the network as the worker has it (the Playground's surfaces)
            for step in arrived:
                on_step(step)
            if not arrived:
                waiting(job.started)
        if interrupt:  # the click goes on whatever happens here: keep what the worker trained, if it began
            job.cancel()
            job.poll(0)
            try:
                return job.result(timeout=CANCEL_WAIT) if job.started else None
            except Exception:
                return None
        return job.result()
    finally:
        job.cancel()
        if not interrupt and st.session_state.get(_JOB) is job:  # after a click, session state raises again
            del st.session_state[_JOB]


class _Board:
    """The placeholder the results are drawn in, created on the first draw (see the module's docstring)."""

    def __init__(self) -> None:
        self._slot: Any = None

    def container(self) -> Any:
        if self._slot is None:
            self._slot = st.empty()
        return self._slot.container()


def live_run(key: str, config: Any, draw: Callable[[RunResult, bool], None], *, stopping: Any = None,
             data: Any = None, data_id: str = "") -> RunResult | None:
    """`live_runs` for a single config (None when the run failed and nothing ran before)."""
    results = live_runs(key, {"run": config}, lambda rs, final: draw(rs["run"], final) if "run" in rs else None,
                        stopping=stopping, data=data, data_id=data_id)
    return results.get("run")


def _failed(state_key, kept, bar, stop_slot, view, draw, message: str) -> dict[str, RunResult]:
    bar.empty()
    stop_slot.empty()
    st.session_state[state_key] = kept
    with view.container():
        st.error(f"The run could not finish: {plain(message)}")
        if kept and kept["complete"]:
            st.caption("Showing the last result that ran.")
            draw(kept["results"], True)
    return kept["results"] if kept and kept["complete"] else {}


def kept_results(key: str) -> dict[str, RunResult] | None:
    """The last results of a page's live runs (to keep showing them when new settings are invalid)."""
    kept = st.session_state.get(f"_live_{key}")
    return kept["results"] if kept and kept["complete"] else None
