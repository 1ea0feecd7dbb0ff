"""Checks of single values at the edge (a rule's or an optimizer's arguments), as one-line calls.

Config fields declare their constraint instead (`lab.constraints`, through `lab.config.field`);
these helpers are the same constraints for code that takes plain arguments, so every message
reads alike: the name, the bad value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

from lab.constraints import Boolean, Interval, Items, Options


def check_number(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> None:
    """Raise ValueError unless `value` is a finite number (an integer if asked) in the range."""
    closed = {(False, False): "both", (False, True): "left", (True, False): "right", (True, True): "neither"}
    Interval(Integral if integer else Real, low, high, closed[low_open, high_open]).check(name, value)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    Options(choices).check(name, value)


def check_bool(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is True or False."""
    Boolean().check(name, value)


def check_vector(name: str, value: Any, length: int, low: float | None = None, high: float | None = None) -> None:
    """Raise ValueError unless `value` is a tuple of `length` finite numbers within [low, high]."""
    Items(Interval(Real, low, high), length, length).check(name, value)
