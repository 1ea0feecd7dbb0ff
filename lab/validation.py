"""Checks for config fields at the edge: each error names the field, the value and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


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
    kind = "an integer" if integer else "a number"
    allowed = f"{kind} in {_interval(low, high, low_open, high_open)}"
    ok_type = isinstance(value, Integral) if integer else isinstance(value, Real)
    if isinstance(value, bool) or not ok_type:
        raise ValueError(f"{name}={value!r} is not {kind}; allowed: {allowed}")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is not finite; allowed: {allowed}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name}={value!r} is out of range; allowed: {allowed}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name}={value!r} is out of range; allowed: {allowed}")


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise ValueError unless `value` is one of `choices`."""
    choices = list(choices)
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, choices))}")


def check_bool(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not allowed; choose True or False")


def check_vector(name: str, value: Any, length: int, low: float | None = None, high: float | None = None) -> None:
    """Raise ValueError unless `value` is a tuple of `length` finite numbers within [low, high]."""
    if not isinstance(value, tuple) or len(value) != length:
        raise ValueError(f"{name}={value!r} is not allowed; give {length} numbers")
    for i, v in enumerate(value):
        check_number(f"{name}[{i}]", v, low, high)
