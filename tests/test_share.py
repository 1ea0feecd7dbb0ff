"""Settings in the URL: lossless round trips, a note per bad parameter, and config differences."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import experiments
from lab.config import Config, field
from lab.constraints import Interval, Items, Options
from lab.schedules import SCHEDULES, ScheduleConfig
from lab.share import (
    describe_differences,
    diff_configs,
    flatten,
    from_query,
    lookup,
    parse_setting,
    parse_value,
    to_query,
    unflatten,
)
from lab.validation import check_bool, check_number
from tests.runfixtures import TinyConfig


@dataclass(frozen=True)
class Inner(Config):
    width: int = field(4, help="units")
    labels: tuple[str, ...] = field(("a",), help="names")


@dataclass(frozen=True)
class Outer(Config):
    lr: float = field(0.1, help="learning rate")
    steps: int = field(100, help="steps")
    name: str = field("adam", help="any text")
    flag: bool = field(False, help="a switch")
    start: tuple[float, float] = field((1.0, -1.0), help="a point")
    layers: tuple[int, ...] = field((16, 8), help="layer widths")
    labels: tuple[str, ...] = field((), help="texts")
    limit: float | None = field(None, help="optional number")
    note: str | None = field(None, help="optional text")
    schedule: ScheduleConfig = field(ScheduleConfig(), help="schedule")
    inner: Inner | None = field(None, help="optional nested config")

    def __post_init__(self) -> None:
        check_number("lr", self.lr, 0, low_open=True)
        check_number("steps", self.steps, 1, integer=True)
        check_bool("flag", self.flag)
        for i, v in enumerate(self.start):
            check_number(f"start[{i}]", v)
        for i, v in enumerate(self.layers):
            check_number(f"layers[{i}]", v, 1, integer=True)
        if self.limit is not None:
            check_number("limit", self.limit)


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
finite = st.floats(allow_nan=False, allow_infinity=False)

schedules = st.builds(
    ScheduleConfig,
    name=st.sampled_from(SCHEDULES),
    decay=st.floats(0, 1e6),
    factor=st.floats(0, 1, exclude_min=True, exclude_max=True),
    every=st.integers(1, 10**9),
    staircase=st.booleans(),
    min_lr=st.floats(0, 1e3),
    warmup_steps=st.integers(0, 10**6),
    patience=st.integers(0, 10**6),
    threshold=st.floats(0, 10),
    cooldown=st.integers(0, 10**6),
)

outers = st.builds(
    Outer,
    lr=st.floats(0, 1e300, exclude_min=True),
    steps=st.integers(1, 2**62),
    name=text,
    flag=st.booleans(),
    start=st.tuples(finite, finite),
    layers=st.lists(st.integers(1, 4096), max_size=5).map(tuple),
    labels=st.lists(text, max_size=4).map(tuple),
    limit=st.none() | finite,
    note=st.none() | text,
    schedule=schedules,
    inner=st.none() | st.builds(Inner, width=st.integers(-5, 5), labels=st.lists(text, max_size=3).map(tuple)),
)


def through_url(params: dict[str, str]) -> dict[str, str]:
    """What comes back after the parameters travel in a real query string."""
    return dict(parse_qsl(urlencode(params), keep_blank_values=True))


@given(outers)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_config_round_trips_through_the_url(config):
    params = to_query(config)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert from_query(Outer, through_url(params)) == (config, [])
    assert from_query(Outer, to_query(config, only_changed=True)) == (config, [])


@given(schedules)
@settings(deadline=None)
def test_schedule_configs_round_trip(config):
    assert from_query(ScheduleConfig, through_url(to_query(config))) == (config, [])


def test_the_format_is_readable():
    params = to_query(Outer(labels=("a,b", "", "()"), inner=Inner(width=2), note=""))
    assert params["lr"] == "0.1" and params["steps"] == "100" and params["flag"] == "0"
    assert params["start"] == "1.0,-1.0" and params["layers"] == "16,8"
    assert params["labels"] == "a\\,b,\\-,\\(\\)"
    assert params["limit"] == "" and params["note"] == "\\-"
    assert params["schedule.name"] == "constant" and "schedule" not in params
    assert params["inner"] == "Inner" and params["inner.width"] == "2"
    assert to_query(Outer())["inner"] == "" and to_query(Outer())["labels"] == "()"


def test_other_keys_are_ignored_silently():
    config, notes = from_query(Outer, {"ws": "abc", "page": "runs", "lr": "0.5"})
    assert config == Outer(lr=0.5) and notes == []


@pytest.mark.parametrize(
    "params, field_name, why",
    [
        ({"lr": "fast"}, "lr", "not a number"),
        ({"lr": "-1"}, "lr", "out of range"),
        ({"lr": "1" * 100}, "lr", "too long"),
        ({"steps": "2.5"}, "steps", "not a whole number"),
        ({"flag": "maybe"}, "flag", "yes/no"),
        ({"start": "1,2,3"}, "start", "give 2"),
        ({"layers": "16,x"}, "layers", "not a whole number"),
        ({"layers": "16,0"}, "layers", "out of range"),
        ({"limit": "inf"}, "limit", "not finite"),
        ({"schedule.name": "zigzag"}, "schedule.name", "not allowed"),
        ({"schedule.factor": "2"}, "schedule.factor", "out of range"),
        ({"schedule.name": "step", "schedule.every": "0"}, "schedule.every=0", "out of range"),
        ({"schedule.gone": "1"}, "schedule.gone", "no such setting"),
        ({"inner": "Other"}, "inner", "not one of Inner"),
    ],
)
def test_a_bad_parameter_falls_back_with_a_note_naming_it(params, field_name, why):
    config, notes = from_query(Outer, {**params, "steps": params.get("steps", "7"), "ws": "x"})
    assert len(notes) == 1
    assert notes[0].startswith(field_name) and why in notes[0]
    top = field_name.split(".")[0]
    if top != "steps":
        assert config.steps == 7
    if top in {f.name for f in dataclasses.fields(Outer)} and "." not in field_name:
        assert getattr(config, top) == getattr(Outer(), top)


keys = st.sampled_from(sorted(to_query(Outer(inner=Inner()))) + ["ws", "page", "schedule.zzz", "inner.qq"])


@given(st.dictionaries(keys, text | st.sampled_from(["1", "0", "", "()", "1.5", "-3", "cosine", "Inner"]), max_size=8))
@settings(max_examples=300, deadline=None)
def test_any_parameters_give_a_valid_config_and_notes_that_name_them(params):
    config, notes = from_query(Outer, params)
    assert isinstance(config, Outer)
    for note in notes:
        assert any(note.startswith(key) for key in params)
    assert from_query(Outer, to_query(config)) == (config, [])


@pytest.mark.parametrize("lab", sorted(experiments.LABS))
def test_real_lab_configs_round_trip(lab):
    try:
        cls = experiments.config_class(lab)
    except (ImportError, AttributeError):
        pytest.skip(f"lab {lab} is not on this branch")

    keys = st.sampled_from(sorted(to_query(cls())) + ["ws", "bogus", "schedule.bogus"])
    odd = st.sampled_from(["0", "1", "2.5", "", "()", "1e309", "-0", "nan", "1" * 80, "(1,2),(3)", "\\-", "zz"])

    @given(st.dictionaries(keys, text | odd))
    @settings(max_examples=100, deadline=None)
    def check(params):
        config, notes = from_query(cls, params)
        assert isinstance(config, cls)
        assert all(any(note.startswith(key) for key in params) for note in notes)
        assert from_query(cls, to_query(config)) == (config, [])

    check()


def test_strict_mode_refuses_unknown_and_bad_parameters():
    with pytest.raises(ValueError, match="bogus: not a setting"):
        from_query(Outer, {"bogus": "1"}, strict=True)
    with pytest.raises(ValueError, match="lr"):
        from_query(Outer, {"lr": "-1"}, strict=True)
    assert from_query(Outer, {"schedule.name": "cosine"}, strict=True)[0].schedule.name == "cosine"


def test_nested_keys_without_the_class_key_build_the_optional_config():
    config, notes = from_query(Outer, {"inner.width": "3"})
    assert config.inner == Inner(width=3) and notes == []
    assert from_query(Outer, {"inner": ""}, base=Outer(inner=Inner()))[0].inner is None


def test_dict_fields_travel_as_json_and_unknown_types_name_the_field():
    @dataclass(frozen=True)
    class WithDict(Config):
        weights: dict[str, float] = field(help="weights", default_factory=dict)

    config = WithDict(weights={"b": 2.0, "a": 0.5})
    assert to_query(config) == {"weights": '{"a":0.5,"b":2.0}'}
    assert from_query(WithDict, to_query(config)) == (config, [])
    assert from_query(WithDict, {"weights": "[1]"})[1] == ["weights='[1]': not a JSON object; using {}"]

    @dataclass(frozen=True)
    class WithSet(Config):
        items: frozenset = field(frozenset(), help="a set")

    with pytest.raises(TypeError, match="items: cannot put a frozenset"):
        to_query(WithSet())


def test_parse_value_by_type():
    assert parse_value(float, "1e-3") == 0.001
    assert parse_value(bool, "true") is True and parse_value(bool, "off") is False
    assert parse_value(tuple[int, ...], "()") == ()
    assert parse_value(int | None, "") is None
    assert math.isinf(parse_value(float, "inf"))


def test_diff_configs_flattens_nested_fields():
    configs = [
        TinyConfig(lr=0.1).to_dict(),
        TinyConfig(lr=0.01, optimizer="adam").to_dict(),
        TinyConfig(lr=0.1, schedule=ScheduleConfig(name="cosine")).to_dict(),
    ]
    assert diff_configs(configs) == {
        "optimizer": ["sgd", "adam", "sgd"],
        "lr": [0.1, 0.01, 0.1],
        "schedule.name": ["constant", "constant", "cosine"],
    }
    assert describe_differences(configs) == [
        "optimizer=sgd, lr=0.1, schedule.name=constant",
        "optimizer=adam, lr=0.01, schedule.name=constant",
        "optimizer=sgd, lr=0.1, schedule.name=cosine",
    ]
    assert describe_differences([configs[0], configs[0]]) == ["", ""]
    assert diff_configs([{"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 3], "c": None}]) == {"b": [[1, 2], [1, 3]]}
    assert flatten({"x": {"__config__": "S", "y": 1}}) == {"x": "S", "x.y": 1}


# ----------------------------------------------------------------------------- declared constraints, nested tuples


@dataclass(frozen=True)
class Declared(Config):
    """Fields whose parsing reads their declared constraint."""

    optimizer: str = field("adam", help="a choice", allowed=Options(("sgd", "adam")))
    batch: int | None = field(None, help="a number choice or None", allowed=Options((1, 8, 32)))
    tol: float = field(1e-3, help="a float choice", allowed=Options((0.0, 1e-3, 0.1)))
    rules: tuple[str, ...] = field(("start",), help="choices", allowed=Items(Options(("start", "optimal")), 0, 2))
    centres: tuple[tuple[float, ...], ...] | None = field(None, help="points")
    words: tuple[tuple[str, ...], ...] = field((), help="texts in groups")


def test_a_choice_is_the_option_its_text_names_and_any_other_is_refused_naming_the_allowed():
    config, notes = from_query(Declared, {"optimizer": "sgd", "batch": "1", "tol": "1e-3", "rules": "optimal,start"})
    assert config == Declared(optimizer="sgd", batch=1, tol=0.001, rules=("optimal", "start")) and notes == []
    assert type(config.batch) is int
    config, notes = from_query(Declared, {"optimizer": "nope"})
    assert config == Declared()
    assert notes == ["optimizer='nope': not allowed; choose one of 'sgd', 'adam'; using adam"]
    assert from_query(Declared, {"batch": "2"})[1] == ["batch='2': not allowed; choose one of 1, 8, 32; using none"]
    assert from_query(Declared, {"batch": ""})[0].batch is None
    assert "not allowed" in from_query(Declared, {"rules": "start,finish"})[1][0]
    with pytest.raises(ValueError, match="choose one of 'sgd', 'adam'"):
        parse_value(str, "SGD", Options(("sgd", "adam")))


def test_a_declared_interval_decides_between_integer_and_real():
    assert type(parse_value(Any, "3", Interval(Integral, 0, None))) is int
    assert type(parse_value(float, "3", Interval(Integral, 0, None))) is int
    assert type(parse_value(Any, "3", Interval(Real, 0, None))) is float
    assert type(parse_value(int | None, "3", Interval(Real, 0, None))) is int
    with pytest.raises(ValueError, match="whole number"):
        parse_value(Any, "2.5", Interval(Integral, 0, None))
    assert parse_value(tuple[Any, ...], "1,2", Items(Interval(Integral, 1, 9))) == (1, 2)


def test_a_tuple_inside_a_tuple_travels_in_parentheses():
    config = Declared(centres=((0.5, 1.0), (), (-2.0,)), words=(("a,b", "(c)"), ("",)))
    params = to_query(config)
    assert params["centres"] == "(0.5,1.0),(),(-2.0)"
    assert params["words"] == "(a\\,b,\\(c\\)),(\\-)"
    assert from_query(Declared, through_url(params)) == (config, [])
    assert "parentheses" in from_query(Declared, {"centres": "0.5,1.0"})[1][0]


def test_lookup_follows_dotted_names_into_nested_configs_and_tuple_items():
    assert lookup(Outer, "lr") == (float, None)
    assert lookup(Outer, "schedule.name") == (str, ScheduleConfig.constraints()["name"])
    assert lookup(Outer, "start.1") == (float, None)
    assert lookup(Outer, "inner.width") == (int, None)
    assert lookup(Declared, "rules.0") == (str, Options(("start", "optimal")))
    assert lookup(Outer, "schedule") == (ScheduleConfig, None)
    for missing in ("nope", "lab", "lr.0", "start.2", "schedule.zzz", "schedule.name.x"):
        with pytest.raises(KeyError):
            lookup(Outer, missing)
    assert parse_setting(Outer, "inner", "Inner") == "Inner" and parse_setting(Outer, "inner", "") is None
    assert parse_setting(Declared, "batch", "8") == 8
    with pytest.raises(ValueError, match="not one of Inner"):
        parse_setting(Outer, "inner", "Other")


@given(outers, st.booleans())
@settings(max_examples=200, deadline=None)
def test_unflatten_inverts_flatten(config, split_lists):
    data = config.to_dict()
    flat = flatten(data, split_lists=split_lists)
    assert all(not isinstance(v, dict) for v in flat.values())
    empty_list = any(v == [] for v in flatten(data).values())  # split into no keys at all: nothing to restore
    if not (split_lists and empty_list):
        assert unflatten(flat) == data
    assert Outer.from_dict(unflatten(flatten(data))) == config


def test_flatten_names_list_items_unless_kept_whole():
    data = {"start": [1.0, 2.0], "hidden": [16, 8], "schedule": {"__config__": "S", "name": "cosine"}}
    assert flatten(data, split_lists=True, whole=("hidden",)) == {
        "start.0": 1.0, "start.1": 2.0, "hidden": [16, 8], "schedule": "S", "schedule.name": "cosine"}
    assert unflatten(flatten(data, split_lists=True, whole=("hidden",))) == data
