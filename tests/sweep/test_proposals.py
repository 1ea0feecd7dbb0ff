"""The sweep's proposed search space is read from the fields' declared constraints, and from nothing else."""

from __future__ import annotations

import dataclasses
import math
from numbers import Integral, Real
from typing import Any, ClassVar

import pytest

from lab.config import Config, field
from lab.constraints import Boolean, Interval, Items, Nested, Options, Text
from lab.experiments import LABS, config_class
from lab.experiments.descent import DescentConfig
from lab.experiments.kmeans import KMeansConfig
from lab.experiments.qlearning import QLearningConfig
from lab.schedules import SCHEDULES, ScheduleConfig
from lab.sweep import Choice, FloatRange, IntRange, searchable
from lab.sweep.space import NOT_SEARCHED, declaration, propose, scalar_fields


def _default(cls: type[Config], name: str) -> Any:
    value: Any = cls()
    for part in name.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("lab", list(LABS))
def test_searchable_is_what_the_declarations_say(lab):
    cls = config_class(lab)
    dims = searchable(cls)
    for name in scalar_fields(cls):
        allowed, default = declaration(cls, name), _default(cls, name)
        wanted = allowed is not None and name.rsplit(".", 1)[-1] not in NOT_SEARCHED and (
            isinstance(allowed, Boolean)
            or (isinstance(allowed, Options) and len(allowed.searched) > 1)
            or (isinstance(allowed, Interval) and default is not None)
        )
        assert (name in dims) is wanted, name
        if not wanted:
            continue
        dim = dims[name]
        if isinstance(allowed, Boolean):
            assert dim == Choice((False, True))
        elif isinstance(allowed, Options):
            assert dim == Choice(allowed.searched)
        else:
            assert type(dim) is (IntRange if allowed.integer else FloatRange), name
            assert allowed.accepts(dim.low) and allowed.accepts(dim.high), (name, dim)
            assert dim.low <= default <= dim.high, (name, dim, default)
            assert dim.log is (dim.low > 0 and dim.high / dim.low >= 10), (name, dim)
            if default > 0:  # the window around a positive default
                assert dim.low >= (max(1, default // 4) if allowed.integer else default / 10) - 1e-12, (name, dim)
                assert dim.high <= (4 * default if allowed.integer else default * 10) + 1e-12, (name, dim)
            else:
                assert default - 1 <= dim.low and dim.high <= default + 1, (name, dim)


_SEEN: list[tuple[float, int]] = []


@dataclasses.dataclass(frozen=True)
class _Watched(Config):
    """A config that notes every value its check() is shown."""

    lab: ClassVar[str] = "watched"
    rate: float = field(0.1, help="a rate", allowed=Interval(Real, 0, 1))
    size: int = field(8, help="a size", allowed=Interval(Integral, 1, 64))
    mode: str = field("a", help="a mode", allowed=Options(("a", "b", "c"), searched=("a", "b")))
    flag: bool = field(False, help="a flag", allowed=Boolean())
    free: float = field(0.5, help="no declaration")
    name: str = field("x", help="a text", allowed=Text())
    maybe: float | None = field(None, help="None by default", allowed=Interval(Real, 0, 1))
    seed: int = field(0, help="a seed", allowed=Interval(Integral, 0, 10))
    schedule: ScheduleConfig = field(ScheduleConfig(), help="nested", allowed=Nested(ScheduleConfig))
    widths: tuple[int, ...] = field((4,), help="a tuple", allowed=Items(Interval(Integral, 1, 9)))

    def check(self) -> None:
        _SEEN.append((self.rate, self.size))


def test_proposals_try_no_value_on_the_config():
    _SEEN.clear()
    dims = searchable(_Watched)
    assert set(_SEEN) == {(0.1, 8)}  # only ever the defaults, to read them
    assert dims["rate"] == FloatRange(0.01, 1.0, log=True)
    assert dims["size"] == IntRange(2, 32, log=True)
    assert dims["mode"] == Choice(("a", "b"))
    assert dims["flag"] == Choice((False, True))
    assert dims["schedule.name"] == Choice(SCHEDULES) and dims["schedule.staircase"] == Choice((False, True))
    # undeclared, a text, None by default, a seed, a tuple: none is proposed
    assert not {"free", "name", "maybe", "seed", "widths"} & set(dims)


@pytest.mark.parametrize(("allowed", "default", "expected"), [
    (Interval(Real, 0, 100, closed="right"), 0.1, FloatRange(0.01, 1.0, log=True)),
    (Interval(Real, 0, 1e-2, closed="right"), 1e-3, FloatRange(1e-4, 1e-2, log=True)),
    (Interval(Real, 0, 1, closed="left"), 0.99, FloatRange(0.099, 1 - (1 - 0.099) / 100, log=True)),  # open end stepped in by 1 %
    (Interval(Real, 0, 0.6, closed="left"), 0.5, FloatRange(0.05, 0.6 - 0.55 / 100, log=True)),
    (Interval(Real, 0.3, 1), 0.5, FloatRange(0.3, 1.0)),  # under a decade: linear
    (Interval(Real, 0, 1e4), 0.0, FloatRange(0.0, 1.0)),  # a zero default: one unit either side, cut to the range
    (Interval(Real), 0.0, FloatRange(-1.0, 1.0)),  # unbounded both ways: the window is the finite stand-in
    (Interval(Real, -5, 0), -2.0, FloatRange(-3.0, -1.0)),
    (Interval(Real, -1, 0, closed="right"), 0.0, FloatRange(-0.99, 0.0)),
    (Interval(Integral, 1, 1_000_000), 200, IntRange(50, 800, log=True)),
    (Interval(Integral, 1, 100), 2, IntRange(1, 8)),
    (Interval(Integral, 2, 32), 8, IntRange(2, 32, log=True)),
    (Interval(Integral, 0, None), 0, IntRange(0, 1)),
    (Interval(Integral), -3, IntRange(-4, -2)),
    (Interval(Integral, 0, 4, closed="neither"), 1, IntRange(1, 3)),  # an open integer end steps in by one
    (Interval(Integral, 0, 10, closed="neither"), 5, IntRange(1, 9)),
    (Interval(Integral, 3, 3), 3, None),  # a single value: nothing to search
    (Interval(Real, 0.5, 0.5), 0.5, None),
    (Interval(Real, 0, 1), None, None),  # no default: no centre
    (Options(("a",)), "a", None),
    (Options(("a", "b", "c"), searched=("a",)), "a", None),
    (Options(("x", "y")), "x", Choice(("x", "y"))),
    (Boolean(), True, Choice((False, True))),
    (Text(), "t", None),
    (Items(Interval(Real)), (1.0,), None),
    (Nested(ScheduleConfig), ScheduleConfig(), None),
])
def test_propose_by_hand(allowed, default, expected):
    dim = propose(allowed, default)
    if expected is None or isinstance(expected, Choice):
        assert dim == expected
        return
    assert type(dim) is type(expected) and dim.log is expected.log and dim.points == expected.points
    assert math.isclose(dim.low, expected.low, abs_tol=1e-15) and math.isclose(dim.high, expected.high, abs_tol=1e-15)


def test_the_labs_searched_here_by_hand():
    descent = searchable(DescentConfig)
    assert descent["lr"] == FloatRange(0.01, 1.0, log=True)
    assert descent["steps"] == IntRange(50, 800, log=True)
    assert descent["noise"] == FloatRange(0.0, 1.0)
    assert descent["divergence"] == FloatRange(1e9, 1e11, log=True)
    assert descent["schedule.warmup_steps"] == IntRange(0, 1)
    assert not {"momentum", "eps", "weight_decay", "start", "betas", "seed"} & set(descent)  # None default, tuples, seed
    kmeans = searchable(KMeansConfig)
    assert kmeans["init"] == Choice(("k-means++", "random"))  # explicit needs centres
    assert "csv" not in kmeans["dataset"].values  # csv needs an upload
    assert kmeans["n_features"] == IntRange(1, 8) and kmeans["k"] == IntRange(1, 12, log=True)
    qlearning = searchable(QLearningConfig)
    assert qlearning["map_name"] == Choice(("4x4", "8x8", "random"))  # custom needs a desc
    assert qlearning["env"] == Choice(("FrozenLake-v1", "Taxi-v4", "CliffWalking-v1"))
    assert qlearning["gamma"] == FloatRange(0.099, 1.0, log=True)
    assert qlearning["map_seed"] == IntRange(0, 1)
    assert not {"max_steps", "reward_threshold", "desc", "stop_on", "seed"} & set(qlearning)


def test_declaration_finds_nested_fields():
    assert declaration(DescentConfig, "schedule.factor") == Interval(Real, 0, 1, closed="neither")
    assert declaration(DescentConfig, "lr") == Interval(Real, 0, 100, closed="right")
    assert declaration(_Watched, "free") is None
