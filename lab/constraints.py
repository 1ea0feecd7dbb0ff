"""What a config field allows, declared once as data (in the style of scikit-learn's ``_parameter_constraints``).

A field declares its constraint beside its default and help text::

    lr: float = field(0.1, help="learning rate", allowed=Interval(Real, 0, 100, closed="right"))
    optimizer: str = field("gd", help="optimizer", allowed=Options(OPTIMIZERS))
    hidden: tuple[int, ...] = field((16, 8), help="widths", allowed=Items(Interval(Integral, 1, 512), 0, 6))

Everything that needs to know what a field allows reads the declaration: `Config` validation
and its messages, the widgets' ranges, the sweep's search space and the URL parser's type
coercion. ``None`` is allowed exactly when the field's type hint admits it. A check that spans
several fields (a start point inside the chosen surface's box) stays in the config's ``check()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

Closed = Literal["both", "left", "right", "neither"]


class FieldError(ValueError):
    """A value one field refuses: `name` is the setting (dotted inside nested configs), `value` the value,
    `why` the rest of the message. ``str()`` reads ``"{name}={value} {why}"``.

    Callers that only show the message catch `ValueError`; those that must know which setting
    failed (the URL codec's fall-back, a nested config's path) read the attributes, never the text.
    """

    def __init__(self, name: str, value: Any, why: str) -> None:
        super().__init__(f"{name}={_show(value)} {why}")
        self.name, self.value, self.why = name, value, why

    def within(self, path: str) -> FieldError:
        """The same error named by its path from an enclosing config (``every`` -> ``schedule.every``)."""
        return FieldError(f"{path}.{self.name}", self.value, self.why)


class Constraint:
    """What one value may be. `check` raises FieldError naming the field, the value and what is allowed."""

    def check(self, name: str, value: Any) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """What is allowed, in words (the end of every message)."""
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        try:
            self.check("value", value)
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class Interval(Constraint):
    """A number in a range: `kind` is `Integral` or `Real`; `closed` says which ends belong to it.

    ``None`` for an end means unbounded on that side. Booleans are never numbers here, and a
    real field takes an integer value (``lr=1``) as the float it stands for. `searched`, when
    given, is the (low, high) a sweep proposes with the other fields at their defaults, for a
    field whose usual window around its default would cross another field's limit.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    closed: Closed = "both"
    searched: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in (Integral, Real):
            raise ValueError(f"Interval kind={self.kind!r} is not allowed; give numbers.Integral or numbers.Real")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval closed={self.closed!r} is not allowed; choose both, left, right or neither")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Interval low={self.low!r} is above high={self.high!r}")

    @property
    def integer(self) -> bool:
        return self.kind is Integral

    @property
    def low_open(self) -> bool:
        return self.low is not None and self.closed in ("right", "neither")

    @property
    def high_open(self) -> bool:
        return self.high is not None and self.closed in ("left", "neither")

    def describe(self) -> str:
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'an integer' if self.integer else 'a number'} in {left}{lo}, {hi}{right}"

    def check(self, name: str, value: Any) -> None:
        allowed = self.describe()
        kind = "an integer" if self.integer else "a number"
        if isinstance(value, bool) or not isinstance(value, Integral if self.integer else Real):
            raise FieldError(name, value, f"is not {kind}; allowed: {allowed}")
        try:
            number = float(value)
        except OverflowError:
            raise FieldError(name, value, f"is out of range; allowed: {allowed}") from None
        if not math.isfinite(number):
            raise FieldError(name, value, f"is not finite; allowed: {allowed}")
        low, high = self.low, self.high
        if (low is not None and (value < low or (self.low_open and value == low))) \
                or (high is not None and (value > high or (self.high_open and value == high))):
            raise FieldError(name, value, f"is out of range; allowed: {allowed}")


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values (strings, numbers), compared by equality and type; booleans never match numbers.

    `searched` is the part of `values` a sweep may try with the other fields at their defaults
    (all of them unless told): a value that needs another field set (k-means' ``init="explicit"``
    needs its centres) or data the user uploads (``"csv"``) is allowed but not searched.
    """

    values: tuple[Any, ...]
    searched: tuple[Any, ...]

    def __init__(self, values: Iterable[Any], searched: Iterable[Any] | None = None) -> None:
        object.__setattr__(self, "values", tuple(values))
        object.__setattr__(self, "searched", self.values if searched is None else tuple(searched))
        stray = [v for v in self.searched if v not in self.values]
        if stray:
            raise ValueError(f"Options searched={stray!r} are not among the values {self.values!r}")

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))

    def check(self, name: str, value: Any) -> None:
        if isinstance(value, bool) or not any(isinstance(value, type(v)) and value == v for v in self.values):
            raise FieldError(name, value, f"is not allowed; choose {self.describe()}")


@dataclass(frozen=True)
class Boolean(Constraint):
    """True or False (not 0 or 1)."""

    def describe(self) -> str:
        return "True or False"

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, bool):
            raise FieldError(name, value, "is not allowed; choose True or False")


@dataclass(frozen=True)
class Text(Constraint):
    """A non-empty string of at most `max_length` characters (``None``: no limit)."""

    max_length: int | None = 200
    example: str = ""

    def describe(self) -> str:
        hint = f" such as {self.example!r}" if self.example else ""
        limit = "" if self.max_length is None else f" of at most {self.max_length} characters"
        return f"a non-empty text{limit}{hint}"

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, str) or not value or (self.max_length is not None and len(value) > self.max_length):
            raise FieldError(name, value, f"is not allowed; give {self.describe()}")


@dataclass(frozen=True)
class Items(Constraint):
    """A tuple whose every item meets `item`, with `min_length` to `max_length` items (``None``: no most)."""

    item: Constraint
    min_length: int = 0
    max_length: int | None = 64

    def describe(self) -> str:
        if self.max_length is None:
            count = f"at least {self.min_length}" if self.min_length else "any number of"
        elif self.min_length == self.max_length:
            count = f"{self.min_length}"
        else:
            count = f"{self.min_length} to {self.max_length}"
        return f"{count} items, each {self.item.describe()}"

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, tuple) or len(value) < self.min_length \
                or (self.max_length is not None and len(value) > self.max_length):
            raise FieldError(name, value, f"is not allowed; give {self.describe()}")
        for i, v in enumerate(value):
            self.item.check(f"{name}[{i}]", v)


@dataclass(frozen=True)
class Nested(Constraint):
    """A nested config of the given class (it validated itself when it was built)."""

    cls: type

    def describe(self) -> str:
        return f"a {self.cls.__name__}"

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, self.cls):
            raise FieldError(name, value, f"is not allowed; give {self.describe()}")


def _show(value: Any) -> str:
    """A value for a message: its repr, shortened, so a 400-digit number or a huge text stays one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:40] + "..." + text[-12:]
