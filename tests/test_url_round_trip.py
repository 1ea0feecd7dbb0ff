"""For every lab: any valid config built from the declared constraints survives config -> URL -> config.

The strategy reads `Config.constraints()` recursively (nested configs included): intervals give
numbers across magnitudes up to their bounds, options their values, items tuples of them, and
None joins in wherever the type hint admits it. A field with no declaration yet keeps its default.
Bad parameters (unknown names, unknown choices, numbers just outside a declared range) become
notes that name the parameter, never exceptions.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from numbers import Integral
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab import experiments
from lab.config import Config
from lab.constraints import Boolean, Constraint, Interval, Items, Nested, Options, Text
from lab.share import from_query, hint_options, in_url, to_query

LABS = sorted(experiments.LABS)


def _config_classes(hint: Any) -> list[type]:
    return [o for o in hint_options(hint) if isinstance(o, type) and issubclass(o, Config)]


def _admits_none(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def values(allowed: Constraint) -> st.SearchStrategy:
    """Any value a constraint accepts."""
    if isinstance(allowed, Interval):
        if allowed.integer:
            low = None if allowed.low is None else math.ceil(allowed.low) + (allowed.low_open and allowed.low == math.ceil(allowed.low))
            high = None if allowed.high is None else math.floor(allowed.high) - (allowed.high_open and allowed.high == math.floor(allowed.high))
            return st.integers(low, high)
        return st.floats(allowed.low, allowed.high, allow_nan=False, allow_infinity=False,
                         exclude_min=allowed.low_open, exclude_max=allowed.high_open)
    if isinstance(allowed, Options):
        return st.sampled_from(allowed.values)
    if isinstance(allowed, Boolean):
        return st.booleans()
    if isinstance(allowed, Text):
        return st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=min(allowed.max_length or 16, 16))
    if isinstance(allowed, Items):
        return st.lists(values(allowed.item), min_size=allowed.min_length, max_size=min(allowed.max_length or 6, 6)).map(tuple)
    if isinstance(allowed, Nested):
        return configs(allowed.cls)
    raise NotImplementedError(f"no strategy for {allowed!r}")


def configs(cls: type[Config]) -> st.SearchStrategy:
    """Any valid config of `cls`: the default with any subset of its declared fields changed to allowed values.

    The changes are applied one at a time and a change the config's cross-field ``check()`` refuses
    is skipped, so every draw is valid (drawing all fields at once makes almost every k-means or
    Q-learning draw break a rule that spans fields). Undeclared fields keep their default.
    """
    hints, declared = typing.get_type_hints(cls), cls.constraints()
    fields = {}
    for f in dataclasses.fields(cls):
        hint, allowed = hints[f.name], declared.get(f.name)
        nested = _config_classes(hint)
        if nested and not isinstance(allowed, Nested):
            strategy = st.one_of([configs(c) for c in nested])
        elif allowed is None:
            continue
        else:
            strategy = values(allowed)
        fields[f.name] = st.none() | strategy if _admits_none(hint) else strategy
    return st.fixed_dictionaries({}, optional=fields).map(lambda changes: _changed(cls(), changes))


def _changed(config: Config, changes: dict[str, Any]) -> Config:
    """`config` with each change that it accepts, in turn."""
    for name, value in changes.items():
        try:
            config = dataclasses.replace(config, **{name: value})
        except ValueError:
            continue
    return config


def _without_unlinked(config):
    default = type(config)()
    return dataclasses.replace(config, **{f.name: getattr(default, f.name) for f in dataclasses.fields(config)
                                          if not in_url(type(config), f.name)})


def through_url(params: dict[str, str]) -> dict[str, str]:
    return dict(parse_qsl(urlencode(params), keep_blank_values=True))


@pytest.mark.parametrize("lab", LABS)
def test_any_valid_config_survives_the_url_unchanged(lab):
    cls = experiments.config_class(lab)

    @given(configs(cls))
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    def check(config):
        params = to_query(config)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
        linked = _without_unlinked(config)  # a field declared in_url=False (threads) stays at its default
        back, notes = from_query(cls, through_url(params))
        assert notes == [] and back == linked
        assert from_query(cls, to_query(config, only_changed=True)) == (linked, [])

    check()


def _declared(cls: type[Config], prefix: str = "") -> dict[str, Constraint]:
    """Every declared constraint of `cls` by dotted name, nested configs included."""
    hints, found = typing.get_type_hints(cls), {}
    for f in dataclasses.fields(cls):
        nested = _config_classes(hints[f.name])
        if nested:
            found.update(_declared(nested[0], f"{prefix}{f.name}."))
        elif f.name in cls.constraints():
            found[prefix + f.name] = cls.constraints()[f.name]
    return found


def _outside(allowed: Constraint) -> list[str]:
    """Texts of values just outside what a constraint allows (empty when there is nothing outside)."""
    if isinstance(allowed, Options):
        return ["zz-not-an-option"]
    if not isinstance(allowed, Interval):
        return []
    texts = []
    for bound, is_open, away in ((allowed.low, allowed.low_open, -math.inf), (allowed.high, allowed.high_open, math.inf)):
        if bound is None:
            continue
        if allowed.kind is Integral:
            texts.append(str(int(bound) if is_open else int(bound) + (1 if away > 0 else -1)))
        else:
            texts.append(repr(float(bound)) if is_open else repr(math.nextafter(float(bound), away)))
    return texts


@pytest.mark.parametrize("lab", LABS)
def test_bad_parameters_become_notes_naming_them_never_exceptions(lab):
    cls = experiments.config_class(lab)
    default = cls()
    cases = [(name, text) for name, allowed in _declared(cls).items() for text in _outside(allowed) if in_url(cls, name)]
    cases += [("no_such_setting", "1"), ("schedule.no_such_setting", "1")]
    for name, text in cases:
        config, notes = from_query(cls, {name: text})
        assert len(notes) <= 1 and config == default, (name, text, notes)
        if name.split(".")[0] in {f.name for f in dataclasses.fields(cls)} and not name.endswith("no_such_setting"):
            assert notes and notes[0].startswith(name) and text in notes[0], (name, text, notes)
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            from_query(cls, {name: text}, strict=True)
