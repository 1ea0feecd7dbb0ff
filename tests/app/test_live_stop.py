"""What the Stop button keeps: the partial run, ended as "stopped by the user" in the lab's unit."""

from __future__ import annotations

import lab
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.records import RunResult
from lab.ui.live import _as_cancelled


def _partial(config, n: int) -> RunResult:
    full = lab.run(config)
    return RunResult(config, full.steps[:n], None, {}, 0.0)


def test_a_stopped_run_keeps_its_steps_and_names_the_unit():
    stopped = _as_cancelled(_partial(CurveConfig(), 12))
    assert len(stopped.steps) == 12
    assert (stopped.decision.kind, stopped.decision.step) == ("cancelled", 11)
    assert stopped.decision.reason == "stopped by the user at epoch 11"
    assert _as_cancelled(_partial(DescentConfig(), 5)).decision.reason == "stopped by the user at step 4"


def test_a_finished_run_is_kept_as_it_is():
    finished = lab.run(CurveConfig())
    assert _as_cancelled(finished) is finished
