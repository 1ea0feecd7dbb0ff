"""The live runner every lab page uses.

It runs `lab.run` inside the script run and redraws a placeholder with the whole (small)
history at most every `REDRAW_SECONDS`, plus the final state. A Stop button ends the run
where it is; a widget change interrupts it (Streamlit raises at the next `st.*` call, which
the throttled redraw provides) and the new run starts. A finished result is kept in
`st.session_state` under the page's key and its fingerprint (configs, rules, data), so a
rerun that changes nothing draws it again without recomputing.

`draw(results, final)` gets ``{label: RunResult}``; while running, ``final`` is False, the
results are partial (``decision`` is None) and `draw` must not create widgets (they would be
created twice in one script run). The final call may.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

import lab
from lab.records import RunResult
from lab.stopping import cancelled_decision, singular
from lab.ui import runs

REDRAW_SECONDS = 0.25

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
    view = st.empty()

    if kept and kept["fingerprint"] == fp and (kept["complete"] or stop_clicked):
        if not kept["complete"]:
            kept["results"] = {label: _as_cancelled(r) for label, r in kept["results"].items()}
            kept["complete"] = True
            runs.save(kept["results"])
        stop_slot.empty()
        with view.container():
            draw(kept["results"], True)
        return kept["results"]

    results: dict[str, RunResult] = {}
    st.session_state[state_key] = {"fingerprint": fp, "results": results, "complete": False}
    labels = list(configs)
    last_draw = time.perf_counter()
    for index, label in enumerate(labels):
        config = configs[label]
        rule = stopping(label) if callable(stopping) and not hasattr(stopping, "update") else stopping
        steps: list = []
        started = time.perf_counter()
        budget = getattr(config, "budget", None) or 0
        unit = singular(getattr(config, "step_unit", "steps"))

        def on_step(step, steps=steps, config=config, label=label, started=started, index=index, budget=budget, unit=unit):
            nonlocal last_draw
            steps.append(step)
            now = time.perf_counter()
            if now - last_draw >= REDRAW_SECONDS:
                last_draw = now
                results[label] = _partial(config, steps, started)
                done = (index + min(1.0, len(steps) / budget if budget else 0.0)) / len(labels)
                bar.progress(done, text=f"running {label}: {unit} {step.step}")
                with view.container():
                    draw(dict(results), False)
                last_draw = time.perf_counter()  # a slow draw must not make every following step redraw

        try:
            results[label] = lab.run(config, data=data, stopping=rule, on_step=on_step)
        except Exception as exc:  # a bad upload or a bug: say so and keep the last good result
            return _failed(state_key, kept, bar, stop_slot, view, draw, f"{label}: {exc}" if len(labels) > 1 else str(exc))
        finally:
            if label not in results or results[label].decision is None:
                results[label] = _partial(config, steps, started)
    st.session_state[state_key] = {"fingerprint": fp, "results": results, "complete": True}
    runs.save(results)
    bar.empty()
    stop_slot.empty()
    with view.container():
        draw(results, True)
    return results


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
        st.error(f"The run could not finish: {message}")
        if kept and kept["complete"]:
            st.caption("Showing the last result that ran.")
            draw(kept["results"], True)
    return kept["results"] if kept and kept["complete"] else {}


def _as_cancelled(result: RunResult) -> RunResult:
    if result.decision is not None:
        return result
    last = result.steps[-1].step if result.steps else 0
    return RunResult(result.config, result.steps, cancelled_decision(last, getattr(result.config, "step_unit", "steps")), {}, result.seconds)


def kept_results(key: str) -> dict[str, RunResult] | None:
    """The last results of a page's live runs (to keep showing them when new settings are invalid)."""
    kept = st.session_state.get(f"_live_{key}")
    return kept["results"] if kept and kept["complete"] else None
