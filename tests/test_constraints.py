"""What a field allows, declared once: each constraint alone, then every lab config's declared bounds.

The bound test walks every lab's config (nested configs and the items of tuple fields included):
at a closed bound the value is accepted and the next value outside is refused; at an open bound
the bound itself is refused and the next value inside accepted. A refusal is a ValueError that
names the field, the value and the allowed range. A cross-field ``check()`` may refuse a value
within the range for its own reason: those combinations are listed in `CROSS_FIELD`, each with
the words of the config's ``check()`` docstring that document it, and only they are skipped.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from numbers import Integral, Real
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.config import Config, field
from lab.constraints import Boolean, FieldError, Interval, Items, Nested, Options, Text
from lab.experiments import LABS, config_class
from lab.experiments.curve import CurveConfig
from lab.experiments.descent import DescentConfig
from lab.experiments.kmeans import KMeansConfig
from lab.experiments.qlearning import QLearningConfig
from lab.experiments.regression import RegressionConfig
from lab.schedules import ScheduleConfig
from lab.validation import check_bool, check_choice, check_number, check_vector

HUGE = 2**1024  # past the largest float: float(HUGE) raises OverflowError


def refusal(constraint, value, name="x") -> str:
    with pytest.raises(ValueError) as info:
        constraint.check(name, value)
    return str(info.value)


# ----------------------------------------------------------------------------- Interval


@pytest.mark.parametrize(("closed", "low_in", "high_in"), [
    ("both", True, True), ("left", True, False), ("right", False, True), ("neither", False, False),
])
def test_interval_ends_belong_to_it_as_declared(closed, low_in, high_in):
    real = Interval(Real, 0.0, 1.0, closed=closed)
    assert real.accepts(0.0) is low_in and real.accepts(1.0) is high_in
    assert real.accepts(math.nextafter(0.0, 1.0)) and real.accepts(math.nextafter(1.0, 0.0))
    assert not real.accepts(math.nextafter(0.0, -1.0)) and not real.accepts(math.nextafter(1.0, 2.0))
    integer = Interval(Integral, 1, 10, closed=closed)
    assert integer.accepts(1) is low_in and integer.accepts(10) is high_in
    assert integer.accepts(2) and integer.accepts(9) and not integer.accepts(0) and not integer.accepts(11)


@pytest.mark.parametrize(("interval", "words"), [
    (Interval(Real, 0, 100, closed="right"), "a number in (0, 100]"),
    (Interval(Real, 0, 1, closed="left"), "a number in [0, 1)"),
    (Interval(Integral, 1, None), "an integer in [1, inf)"),
    (Interval(Integral, None, 5, closed="neither"), "an integer in (-inf, 5)"),
    (Interval(Real), "a number in (-inf, inf)"),
    (Interval(Real, 0.05, 0.5), "a number in [0.05, 0.5]"),
])
def test_interval_describes_its_range(interval, words):
    assert interval.describe() == words


def test_interval_refusals_name_the_field_the_value_and_the_range():
    lr = Interval(Real, 0, 100, closed="right")
    assert refusal(lr, 0.0, "lr") == "lr=0.0 is out of range; allowed: a number in (0, 100]"
    assert refusal(lr, 100.5, "lr") == "lr=100.5 is out of range; allowed: a number in (0, 100]"
    assert refusal(lr, "0.1", "lr") == "lr='0.1' is not a number; allowed: a number in (0, 100]"
    assert refusal(lr, math.nan, "lr") == "lr=nan is not finite; allowed: a number in (0, 100]"
    assert refusal(lr, -math.inf, "lr") == "lr=-inf is not finite; allowed: a number in (0, 100]"
    steps = Interval(Integral, 1, 10)
    assert refusal(steps, 1.0, "steps") == "steps=1.0 is not an integer; allowed: an integer in [1, 10]"
    assert refusal(steps, math.nan, "steps") == "steps=nan is not an integer; allowed: an integer in [1, 10]"


def test_interval_integers_and_reals_and_booleans():
    real, integer = Interval(Real, 0, 2), Interval(Integral, 0, 2)
    assert real.accepts(1) and real.accepts(1.5) and real.accepts(np.float64(1.5)) and real.accepts(np.int64(1))
    assert integer.accepts(1) and integer.accepts(np.int64(1))
    assert not integer.accepts(1.0) and not integer.accepts(1.5)
    for interval in (real, integer):
        assert not interval.accepts(True) and not interval.accepts(False)
        assert not interval.accepts(None) and not interval.accepts("1") and not interval.accepts([1])


def test_interval_huge_integers_are_refused_by_name_never_overflow():
    for interval in (Interval(Integral, 0, None), Interval(Real), Interval(Integral)):
        message = refusal(interval, HUGE, "seed")
        assert message.startswith("seed=1797693134862315907") and "is out of range" in message and len(message) < 200
        assert "is out of range" in refusal(interval, -HUGE, "seed")
    # integer ends are compared exactly, not through floats
    seed = Interval(Integral, 0, 2**63 - 1)
    assert seed.accepts(2**63 - 1) and not seed.accepts(2**63)
    assert refusal(seed, 2**63, "seed") == "seed=9223372036854775808 is out of range; allowed: an integer in [0, 9.22337e+18]"


def test_interval_refuses_a_declaration_that_makes_no_sense():
    with pytest.raises(ValueError, match="kind="):
        Interval(int, 0, 1)
    with pytest.raises(ValueError, match="closed='open'"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(ValueError, match="low=2 is above high=1"):
        Interval(Real, 2, 1)


@settings(max_examples=200, deadline=None)
@given(low=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6), closed=st.sampled_from(["both", "left", "right", "neither"]),
       value=st.floats(allow_nan=True, allow_infinity=True))
def test_interval_accepts_exactly_the_finite_values_in_its_range(low, width, closed, value):
    high = low + width
    interval = Interval(Real, low, high, closed=closed)
    inside = (low < value < high) or (value == low and closed in ("both", "left")) or (value == high and closed in ("both", "right"))
    assert interval.accepts(value) is inside


# ----------------------------------------------------------------------------- Options, Boolean, Text, Items, Nested


def test_options_compare_by_value_and_type():
    names = Options(("gd", "adam"))
    assert names.accepts("gd") and names.accepts(np.str_("adam")) and not names.accepts("lion")
    assert refusal(names, "lion", "optimizer") == "optimizer='lion' is not allowed; choose one of 'gd', 'adam'"
    kernels = Options((3, 5))
    assert kernels.accepts(3) and not kernels.accepts(3.0) and not kernels.accepts(True)
    assert not Options((1, 0)).accepts(True) and not Options((1, 0)).accepts(False)
    assert not Options((0.5, 1.0)).accepts(1) and not Options((0.5,)).accepts(math.nan)


def test_options_searched_values_are_a_part_of_the_values():
    assert Options(("a", "b")).searched == ("a", "b")
    assert Options(("a", "b", "csv"), searched=["a", "b"]).searched == ("a", "b")
    assert Options(("a", "b", "csv"), searched=["a"]).accepts("csv")  # searched or not, every value is allowed
    with pytest.raises(ValueError, match=r"searched=\['z'\] are not among the values"):
        Options(("a", "b"), searched=["a", "z"])


def test_boolean_is_true_or_false_only():
    flag = Boolean()
    assert flag.accepts(True) and flag.accepts(False)
    for value in (0, 1, 1.0, "True", None, np.bool_(True)):
        assert not flag.accepts(value)
    assert refusal(flag, 1, "standardize") == "standardize=1 is not allowed; choose True or False"


def test_text_is_a_non_empty_string_within_its_length():
    assert Text(3).accepts("abc") and not Text(3).accepts("abcd") and not Text(3).accepts("")
    assert Text(None).accepts("x" * 10_000) and not Text(None).accepts("") and not Text(None).accepts(5)
    assert Text(None, example="SFFG").describe() == "a non-empty text such as 'SFFG'"
    assert Text(10).describe() == "a non-empty text of at most 10 characters"


def test_items_check_the_count_and_name_the_bad_item():
    pair = Items(Interval(Real, 0, 1, closed="left"), 2, 2)
    assert pair.accepts((0.0, 0.5)) and not pair.accepts((0.5,)) and not pair.accepts([0.0, 0.5])
    assert refusal(pair, (0.5, 1.0), "betas") == "betas[1]=1.0 is out of range; allowed: a number in [0, 1)"
    assert refusal(pair, (0.5,), "betas") == "betas=(0.5,) is not allowed; give 2 items, each a number in [0, 1)"
    some = Items(Options(("a", "b")), 1, 3)
    assert some.describe() == "1 to 3 items, each one of 'a', 'b'"
    assert not some.accepts(()) and not some.accepts(("a",) * 4) and some.accepts(("b", "a"))
    unbounded = Items(Text(None), 0, None)
    assert unbounded.describe() == "any number of items, each a non-empty text"
    assert unbounded.accepts(()) and unbounded.accepts(("c",) * 1000)
    assert Items(Interval(Real), 1, None).describe() == "at least 1 items, each a number in (-inf, inf)"
    assert "rows[1][0]=nan is not finite" in refusal(Items(Items(Interval(Real), 1, None)), ((1.0,), (math.nan,)), "rows")


def test_nested_needs_an_instance_of_its_class():
    schedule = Nested(ScheduleConfig)
    assert schedule.accepts(ScheduleConfig()) and not schedule.accepts({"name": "cosine"}) and not schedule.accepts("cosine")
    assert refusal(schedule, "cosine", "schedule") == "schedule='cosine' is not allowed; give a ScheduleConfig"


def test_long_values_are_shortened_in_messages():
    message = refusal(Text(5), "x" * 500, "name")
    assert len(message) < 150 and "..." in message


# ----------------------------------------------------------------------------- lab.validation: the same checks as one-liners


def test_validation_helpers_are_the_constraints():
    with pytest.raises(ValueError, match=r"lr=0 is out of range; allowed: a number in \(0, inf\)"):
        check_number("lr", 0, 0, low_open=True)
    with pytest.raises(ValueError, match=r"momentum=1.0 is out of range; allowed: a number in \[0, 1\)"):
        check_number("momentum", 1.0, 0, 1, high_open=True)
    with pytest.raises(ValueError, match=r"patience=1.5 is not an integer"):
        check_number("patience", 1.5, 0, integer=True)
    with pytest.raises(ValueError, match=r"patience=1797.* is out of range"):
        check_number("patience", HUGE, 0, integer=True)
    check_number("window", 2**63, 1, integer=True)
    with pytest.raises(ValueError, match=r"mode='up' is not allowed; choose one of 'min', 'max'"):
        check_choice("mode", "up", ("min", "max"))
    with pytest.raises(ValueError, match="restore_best=0 is not allowed; choose True or False"):
        check_bool("restore_best", 0)
    with pytest.raises(ValueError, match=r"betas\[0\]=-0.1 is out of range"):
        check_vector("betas", (-0.1, 0.5), 2, 0, 1)


# ----------------------------------------------------------------------------- a config reads its declarations


@dataclasses.dataclass(frozen=True)
class _Toy(Config):
    rate: float = field(0.5, help="a rate", allowed=Interval(Real, 0, 1, closed="right"))
    size: int | None = field(None, help="a size", allowed=Interval(Integral, 1, 8))
    note: str = field("free", help="undeclared")

    def check(self) -> None:
        if self.size is not None and self.rate == 1 and self.size > 4:
            raise ValueError(f"size={self.size} is above 4 while rate=1")


def test_a_config_checks_its_declarations_then_its_own_check():
    assert _Toy.constraints() == {"rate": Interval(Real, 0, 1, closed="right"), "size": Interval(Integral, 1, 8)}
    assert _Toy(size=None).size is None  # None where the hint admits it
    with pytest.raises(ValueError, match=r"rate=0 is out of range; allowed: a number in \(0, 1\]"):
        _Toy(rate=0)
    with pytest.raises(ValueError, match="size=9 is out of range"):
        _Toy(rate=1, size=9)  # the field's own range is checked before the cross-field rule
    with pytest.raises(ValueError, match="size=5 is above 4 while rate=1"):
        _Toy(rate=1, size=5)
    _Toy.check_field("size", 8)
    with pytest.raises(ValueError, match="size=0 is out of range"):
        _Toy.check_field("size", 0)


def test_from_dict_refuses_keys_of_any_type_by_name():
    with pytest.raises(ValueError, match="unknown field.*: 1, zz; known: note, rate, size"):
        _Toy.from_dict({1: 2, "zz": 3, "rate": 0.5})


# ----------------------------------------------------------------------------- every lab: numbers past what a float holds


def _numeric(hint: Any) -> bool:
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return any(a in (int, float) for a in args)


def _fields(cls: type[Config], prefix: str = "") -> list[tuple[str, Any, dataclasses.Field]]:
    """(dotted name, hint, field) of every field, nested configs' fields included."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, type) and issubclass(hint, Config):
            out += _fields(hint, prefix + f.name + ".")
        else:
            out.append((prefix + f.name, hint, f))
    return out


def _nested_dict(name: str, value: Any) -> dict[str, Any]:
    *parents, leaf = name.split(".")
    data: dict[str, Any] = {leaf: value}
    for part in reversed(parents):
        data = {part: data}
    return data


NUMERIC = [(lab, name) for lab in LABS for name, hint, _ in _fields(config_class(lab)) if _numeric(hint)]


@pytest.mark.parametrize(("lab", "name"), NUMERIC)
@pytest.mark.parametrize("value", [HUGE, -HUGE, 10**400, math.nan, math.inf, -math.inf])
def test_from_dict_refuses_unrepresentable_numbers_naming_the_setting(lab, name, value):
    with pytest.raises(ValueError) as info:
        config_class(lab).from_dict(_nested_dict(name, value))
    assert str(info.value).startswith(name + "="), str(info.value)  # nested fields by their dotted path


def _number_tuples(lab: str) -> list[tuple[str, tuple]]:
    cls, out = config_class(lab), []
    for name, hint, _ in _fields(cls):
        default: Any = cls()
        for part in name.split("."):
            default = getattr(default, part)
        if typing.get_origin(hint) is tuple and isinstance(default, tuple) and default and _numeric(typing.get_args(hint)[0]):
            out.append((name, default))
    return out


TUPLES = [(lab, name, default) for lab in LABS for name, default in _number_tuples(lab)]


@pytest.mark.parametrize(("lab", "name", "default"), TUPLES)
@pytest.mark.parametrize("value", [HUGE, math.nan, -math.inf])
def test_from_dict_refuses_unrepresentable_numbers_inside_tuples(lab, name, default, value):
    items = [value, *default[1:]]
    with pytest.raises(ValueError) as info:
        config_class(lab).from_dict(_nested_dict(name, items))
    assert str(info.value).startswith(name + "[0]="), str(info.value)


@pytest.mark.parametrize("value", [HUGE, math.nan, math.inf])
def test_explicit_kmeans_centres_refuse_unrepresentable_numbers(value):
    with pytest.raises(ValueError, match=r"^init_centers\[0\]\[1\]="):
        KMeansConfig.from_dict({"init": "explicit", "k": 1, "init_centers": [[0.0, value]]})


_JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(2**1023, 2**1100), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=5,
)
_ANY_FIELD = [(lab, f.name) for lab in LABS for f in dataclasses.fields(config_class(lab))]


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(_ANY_FIELD), value=_JUNK)
def test_from_dict_refuses_anything_with_a_value_error_only(case, value):
    lab, name = case
    try:
        config_class(lab).from_dict({name: value})
    except ValueError:
        pass  # any other exception (TypeError, OverflowError, KeyError) fails the test


# ----------------------------------------------------------------------------- every lab: each declared bound


#: Values within a field's range that a config's own check() refuses, with the words of that
#: check()'s docstring that say so: (config, field) -> (refused(value), documented words).
CROSS_FIELD: dict[tuple[str, str], tuple[Any, str]] = {
    ("KMeansConfig", "n_samples"): (lambda v: v < KMeansConfig().k, "k <= n_samples"),
    ("QLearningConfig", "epsilon_start"): (lambda v: v < QLearningConfig().epsilon_end, "epsilon_end above epsilon_start"),
    ("CurveConfig", "epochs"): (lambda v: v < CurveConfig().onset, "onset <= epochs"),
    ("CurveConfig", "onset"): (lambda v: v > CurveConfig().epochs, "onset <= epochs"),
    ("RegressionConfig", "effective_rank"): (lambda v: v > RegressionConfig().n_features, "effective_rank <= n_features"),
}


@dataclasses.dataclass(frozen=True)
class Bounded:
    """One declared interval of a lab: the config class, the dotted field, the item index (tuple fields)."""

    lab: str
    name: str
    index: int | None
    interval: Interval

    def __str__(self) -> str:
        return f"{self.lab}:{self.name}" + ("" if self.index is None else f"[{self.index}]")

    @property
    def shown(self) -> str:
        """The name a refusal gives: the leaf field, and the item index."""
        leaf = self.name.rsplit(".", 1)[-1]
        return leaf if self.index is None else f"{leaf}[{self.index}]"

    def owner(self) -> type[Config]:
        cls = config_class(self.lab)
        for part in self.name.split(".")[:-1]:
            cls = typing.get_type_hints(cls)[part]
        return cls

    def build(self, value: Any) -> Config:
        """The lab's default config with this field (or item) set to `value`."""
        return _set(config_class(self.lab)(), self.name.split("."), self.index, value)

    def refused_by_check(self, value: Any) -> bool:
        found = CROSS_FIELD.get((self.owner().__name__, self.name.rsplit(".", 1)[-1]))
        return found is not None and found[0](value)


def _set(config: Config, path: list[str], index: int | None, value: Any) -> Config:
    head, *rest = path
    if rest:
        return dataclasses.replace(config, **{head: _set(getattr(config, head), rest, index, value)})
    if index is not None:
        items = list(getattr(config, head))
        items[index] = value
        value = tuple(items)
    return dataclasses.replace(config, **{head: value})


def _bounded(lab: str) -> list[Bounded]:
    cls, out = config_class(lab), []
    for name, _, f in _fields(cls):
        allowed = f.metadata.get("allowed")
        if isinstance(allowed, Interval):
            out.append(Bounded(lab, name, None, allowed))
        elif isinstance(allowed, Items) and isinstance(allowed.item, Interval):
            default: Any = cls()
            for part in name.split("."):
                default = getattr(default, part)
            if isinstance(default, tuple) and default:
                out += [Bounded(lab, name, i, allowed.item) for i in sorted({0, len(default) - 1})]
    return out


BOUNDED = [b for lab in LABS for b in _bounded(lab)]


def test_the_cross_field_skips_are_documented_by_check():
    for (owner, _), (_, words) in CROSS_FIELD.items():
        cls = next(b.owner() for b in BOUNDED if b.owner().__name__ == owner)
        assert words in (cls.check.__doc__ or ""), (owner, words)


def _accepted(case: Bounded, value: Any) -> None:
    if case.refused_by_check(value):
        return
    config = case.build(value)
    leaf = case.name.split(".")
    got: Any = config
    for part in leaf:
        got = getattr(got, part)
    assert (got if case.index is None else got[case.index]) == value


def _refused(case: Bounded, value: Any) -> None:
    with pytest.raises(ValueError) as info:
        case.build(value)
    message = str(info.value)
    assert message.startswith(f"{case.shown}={value!r} "), message
    assert case.interval.describe() in message, message


def _outside(interval: Interval, end: float, side: int) -> Any:
    """The next value past `end` on `side` (-1 below, +1 above)."""
    return int(end) + side if interval.integer else math.nextafter(float(end), side * math.inf)


def _at(interval: Interval, end: float) -> Any:
    return int(end) if interval.integer else float(end)


@pytest.mark.parametrize("case", BOUNDED, ids=str)
def test_each_declared_bound_is_kept_exactly(case):
    interval = case.interval
    for end, side, open_ in ((interval.low, -1, interval.low_open), (interval.high, 1, interval.high_open)):
        if end is None:
            continue
        if open_:
            _refused(case, _at(interval, end))
            _accepted(case, _outside(interval, end, -side))
        else:
            _accepted(case, _at(interval, end))
            _refused(case, _outside(interval, end, side))


def _inside(interval: Interval) -> st.SearchStrategy:
    low, high = interval.low, interval.high
    if interval.integer:
        lo = None if low is None else int(low) + (1 if interval.low_open else 0)
        hi = None if high is None else int(high) - (1 if interval.high_open else 0)
        return st.integers(lo if lo is not None else (hi or 0) - 10**6, hi if hi is not None else (lo or 0) + 10**6)
    return st.floats(low, high, exclude_min=interval.low_open, exclude_max=interval.high_open, allow_nan=False, allow_infinity=False)


def _beyond(interval: Interval) -> st.SearchStrategy:
    sides = []
    if interval.low is not None:
        sides.append(st.integers(int(interval.low) - 10**6, int(interval.low) - 1) if interval.integer
                     else st.floats(max_value=math.nextafter(float(interval.low), -math.inf), allow_infinity=False))
    if interval.high is not None:
        sides.append(st.integers(int(interval.high) + 1, int(interval.high) + 10**6) if interval.integer
                     else st.floats(min_value=math.nextafter(float(interval.high), math.inf), allow_infinity=False))
    return st.one_of(sides) if sides else st.nothing()


@pytest.mark.parametrize("case", BOUNDED, ids=str)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_values_inside_a_declared_range_are_accepted_and_values_beyond_refused(case, data):
    _accepted(case, data.draw(_inside(case.interval), label="inside"))
    if case.interval.low is not None or case.interval.high is not None:
        _refused(case, data.draw(_beyond(case.interval), label="beyond"))


# ----------------------------------------------------------------------------- the configs converted here, by hand


@pytest.mark.parametrize(("build", "message"), [
    (lambda: DescentConfig(optimizer="momentum", momentum=0.0), "momentum=0.0 is out of range; allowed: a number in (0, 1)"),
    (lambda: DescentConfig(momentum=0.0), None),  # gd, rmsprop: 0 is no momentum, allowed
    (lambda: DescentConfig(surface="quadratic", start=(100.0, 0.0)), "start[0]=100.0 is out of range; allowed: a number in"),
    (lambda: DescentConfig(start=(0.0,)), "start=(0.0,) is not allowed; give 2 items"),
    (lambda: DescentConfig(schedule="cosine"), "schedule='cosine' is not allowed; give a ScheduleConfig"),
    (lambda: KMeansConfig(k=4, n_samples=3), "k=4 is larger than n_samples=3"),
    (lambda: KMeansConfig(dataset="csv", k=4, n_samples=3), None),  # an upload has its own rows
    (lambda: KMeansConfig(columns=("a", "")), "columns[1]='' is not allowed; give a non-empty text"),
    (lambda: KMeansConfig(init="explicit", k=2, init_centers=((0.0,),)), "with init='explicit' give k=2 rows"),
    (lambda: QLearningConfig(stop_on=("optimal", "soon")), "stop_on[1]='soon' is not allowed; choose one of 'optimal'"),
    (lambda: QLearningConfig(env="Taxi-v3"), "env='Taxi-v3' is not allowed; choose one of 'FrozenLake-v1', 'Taxi-v4'"),
    (lambda: QLearningConfig(epsilon_decay="constant", epsilon_start=0.01, epsilon_end=0.5), None),
    (lambda: QLearningConfig(map_name="custom", desc=("S", "")), "desc[1]='' is not allowed; give a non-empty text"),
])
def test_declarations_and_cross_field_rules_by_hand(build, message):
    if message is None:
        build()
        return
    with pytest.raises(ValueError) as info:
        build()
    assert message in str(info.value)


def test_the_converted_configs_keep_the_ranges_they_had():
    """Copied from the check_number/check_choice calls these declarations replaced (an edit here changes behaviour)."""
    from lab.experiments.descent import surfaces
    from lab.experiments.kmeans.experiment import DATASETS, INITS, MAX_ROWS
    from lab.experiments.qlearning.envs import MAP_NAMES, SUPPORTED
    from lab.experiments.qlearning.experiment import ALGORITHMS, DECAYS, ENGINES, STOP_RULES
    from lab.optim import OPTIMIZERS

    def real(low=None, high=None, closed="both"):
        return Interval(Real, low, high, closed)

    def integer(low=None, high=None):
        return Interval(Integral, low, high)

    descent = DescentConfig.constraints()
    assert {name: descent[name] for name in descent if name != "schedule"} == {
        "surface": Options(surfaces.SURFACES), "optimizer": Options(OPTIMIZERS), "lr": real(0, 100, "right"),
        "momentum": real(0, 1, "left"), "alpha": real(0, 1, "left"), "betas": Items(real(0, 1, "left"), 2, 2),
        "eps": real(0, 1, "right"), "weight_decay": real(0, 10), "steps": integer(1, 1_000_000), "start": Items(real(), 2, 2),
        "dampening": real(0, 1), "centered": Boolean(), "rho": real(0, 1), "amsgrad": Boolean(), "momentum_decay": real(0, 1),
        "lr_decay": real(0, 1), "initial_accumulator_value": real(0, 100),
        "noise": real(0, 1e4), "tol": real(0, 1e3), "divergence": real(0, 1e100, "right"), "seed": integer(0, 2**32 - 1),
    }
    assert descent["schedule"] == Nested(ScheduleConfig)
    kmeans = KMeansConfig.constraints()
    assert {name: kmeans[name] for name in kmeans if name not in ("init_centers", "columns")} == {
        "dataset": Options(DATASETS, searched=[d for d in DATASETS if d != "csv"]), "n_samples": integer(2, MAX_ROWS),
        "n_features": integer(1, 100), "centers": integer(1, 50), "cluster_std": real(0, 100, "right"), "noise": real(0, 10),
        "standardize": Boolean(), "k": integer(1, 50), "init": Options(INITS, searched=("k-means++", "random")),
        "n_init": integer(1, 100), "tol": real(0, 1), "max_iter": integer(1, 10_000), "seed": integer(0, 2**32 - 1),
    }
    qlearning = QLearningConfig.constraints()
    assert {name: qlearning[name] for name in qlearning if name not in ("desc", "map_name")} == {
        "env": Options(SUPPORTED), "map_size": integer(2, 32), "map_p": real(0, 1, "right"), "map_seed": integer(0, 2**32 - 1),
        "is_slippery": Boolean(), "algorithm": Options(ALGORITHMS), "alpha": real(0, 1, "right"), "gamma": real(0, 1),
        "epsilon_start": real(0, 1), "epsilon_end": real(0, 1), "epsilon_decay": Options(DECAYS), "epsilon_rate": real(0, 10),
        "episodes": integer(1, 1_000_000), "max_steps": integer(1, 100_000), "n_agents": integer(1, 1024),
        "engine": Options(ENGINES), "eval_every": integer(1), "stop_on": Items(Options(STOP_RULES), 0, None),
        "tol": real(0), "q_tol": real(0), "window": integer(1, 100_000), "reward_threshold": real(), "seed": integer(0, 2**63 - 1),
    }
    assert qlearning["map_name"].values == MAP_NAMES and "custom" not in qlearning["map_name"].searched


def test_a_refused_value_is_a_field_error_carrying_the_setting_not_only_text():
    with pytest.raises(FieldError) as caught:
        Interval(Integral, 1, 10).check("every", 0)
    error = caught.value
    assert isinstance(error, ValueError) and (error.name, error.value) == ("every", 0)
    assert str(error) == "every=0 is out of range; allowed: an integer in [1, 10]"
    assert str(error.within("schedule")) == "schedule.every=0 is out of range; allowed: an integer in [1, 10]"


@pytest.mark.parametrize("make, name", [
    (lambda: RegressionConfig.from_dict({"schedule": {"name": "step", "every": 0}}), "schedule.every"),
    (lambda: RegressionConfig.from_dict({"stopping": {"patience": -1}}), "stopping.patience"),
    (lambda: RegressionConfig.from_dict({"effective_rank": 40, "n_features": 3}), "effective_rank"),
    (lambda: KMeansConfig(k=30, n_samples=10), "k"),
])
def test_a_nested_field_is_named_by_the_dotted_path_the_user_set(make, name):
    with pytest.raises(FieldError) as caught:
        make()
    assert caught.value.name == name and str(caught.value).startswith(f"{name}=")
