"""A search space over a lab's config fields: choices, integer and float ranges, log scale.

Fields are named as in the URL and the command line, nested ones dotted (``schedule.name``).
`searchable(cls)` proposes a dimension for every scalar field of any lab's config that declares
its constraint (`lab.constraints`), so a new lab is searchable without extra code; a field that
declares nothing is not proposed, and nothing is learnt by trying values. `propose` turns one
declaration into one dimension:

- `Boolean` gives ``Choice((False, True))``; `Options` a choice of its ``searched`` values (the ones
  that run with the other fields at their defaults), none when fewer than two;
- `Interval` gives an `IntRange` or `FloatRange` around the field's default, cut to the declared
  interval: a real default d > 0 spans [d/10, 10 d], an integer n > 0 spans [max(1, n // 4), 4 n],
  and a default of 0 or below spans one unit either side ([d - 1, d + 1]). This window is also the
  finite stand-in for an unbounded end. An open end is stepped inside, by one for integers and by
  1 % of the range for reals. The scale is logarithmic when the range spans a decade or more
  (high / low >= 10) with low > 0;
- a field whose default is None is not proposed (None means "the library's own default", so the
  range would have no centre), nor a seed (`NOT_SEARCHED`: searching a seed finds luck).

`Space.check` refuses what a run would refuse later: unknown fields, empty spaces, bad ranges,
grids past `MAX_GRID`, values the config rejects.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lab.config import Config
from lab.constraints import Boolean, Constraint, Interval, Options
from lab.share import parse_value

#: The most points a grid search may have (a grid is run to the end, one run per point).
MAX_GRID = 1000
#: Points per range in a grid when a range does not say.
GRID_POINTS = 5
#: Fields never proposed by `searchable` (searching a seed finds luck, not a setting).
NOT_SEARCHED = ("seed",)

Scalar = bool | int | float | str


@dataclass(frozen=True)
class Choice:
    """One of a few values (strings, numbers, booleans)."""

    values: tuple[Scalar, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise ValueError("a choice needs at least one value")
        for v in self.values:
            if not isinstance(v, (bool, int, float, str)):
                raise ValueError(f"choice value {v!r} is not allowed; give strings, numbers or booleans")
        if len(set(map(repr, self.values))) != len(self.values):
            raise ValueError(f"choice values {list(self.values)!r} repeat a value")

    def grid(self) -> list[Scalar]:
        return list(self.values)

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.values))

    def ends(self) -> list[Scalar]:
        return list(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "choice", "values": list(self.values)}

    def text(self) -> str:
        return "choice:" + ",".join(map(str, self.values))


@dataclass(frozen=True)
class _Range:
    low: float
    high: float
    log: bool = False
    points: int = GRID_POINTS
    kind: typing.ClassVar[str] = ""

    def __post_init__(self) -> None:
        for end in ("low", "high"):
            value = getattr(self, end)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{self.kind} range {end}={value!r} is not a finite number")
        if self.low >= self.high:
            raise ValueError(f"{self.kind} range needs low < high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scale {self.kind} range needs low > 0, got low={self.low!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 2:
            raise ValueError(f"a {self.kind} range needs points >= 2 for a grid, got {self.points!r}")

    def ends(self) -> list[Scalar]:
        return [self.low, self.high]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "low": self.low, "high": self.high, "log": self.log, "points": self.points}

    def text(self) -> str:
        return f"{self.kind}:{self.low!r}:{self.high!r}" + (":log" if self.log else "") + f":{self.points}"

    def _spaced(self) -> list[float]:
        n = self.points
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            return [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
        return [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]


@dataclass(frozen=True)
class IntRange(_Range):
    """Integers from low to high inclusive, optionally on a log scale."""

    kind: typing.ClassVar[str] = "int"

    def __post_init__(self) -> None:
        for end in ("low", "high"):
            value = getattr(self, end)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"int range {end}={value!r} is not an integer")
        super().__post_init__()

    def grid(self) -> list[int]:
        if self.high - self.low + 1 <= self.points:
            return list(range(int(self.low), int(self.high) + 1))
        return sorted({int(round(v)) for v in self._spaced()})

    def suggest(self, trial: Any, name: str) -> int:
        return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)


@dataclass(frozen=True)
class FloatRange(_Range):
    """Real numbers from low to high, optionally on a log scale (a grid takes `points` of them)."""

    kind: typing.ClassVar[str] = "float"

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", float(self.low) if isinstance(self.low, int) and not isinstance(self.low, bool) else self.low)
        object.__setattr__(self, "high", float(self.high) if isinstance(self.high, int) and not isinstance(self.high, bool) else self.high)
        super().__post_init__()

    def grid(self) -> list[float]:
        return self._spaced()

    def suggest(self, trial: Any, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)


Dimension = Choice | IntRange | FloatRange


def dimension_from_dict(data: Mapping[str, Any]) -> Dimension:
    kind = data.get("kind")
    if kind == "choice":
        return Choice(tuple(data["values"]))
    if kind == "int":
        return IntRange(data["low"], data["high"], data.get("log", False), data.get("points", GRID_POINTS))
    if kind == "float":
        return FloatRange(data["low"], data["high"], data.get("log", False), data.get("points", GRID_POINTS))
    raise ValueError(f"unknown dimension kind {kind!r}; known: choice, int, float")


# ----------------------------------------------------------------------------- fields of a config


def scalar_fields(cls: type[Config], prefix: str = "") -> dict[str, Any]:
    """Every field a sweep can set, dotted name -> type hint (nested configs flattened)."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, type) and issubclass(hint, Config):
            out.update(scalar_fields(hint, prefix + f.name + "."))
        elif _is_scalar(hint):
            out[prefix + f.name] = hint
    return out


def _is_scalar(hint: Any) -> bool:
    """bool, int, float or str, or one of them or None."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    return all(a in (bool, int, float, str, type(None)) for a in (typing.get_args(hint) if union else (hint,)))


def declaration(cls: type[Config], name: str) -> Constraint | None:
    """The constraint a (dotted) field declares, or None when it declares none."""
    *parents, leaf = name.split(".")
    for part in parents:
        cls = typing.get_type_hints(cls)[part]
    return cls.constraints().get(leaf)


def _default(cls: type[Config], name: str) -> Any:
    value: Any = cls()
    for part in name.split("."):
        value = getattr(value, part)
    return value


def apply(config: Config, params: Mapping[str, Any]) -> Config:
    """`config` with dotted fields set (validated by the config, so a bad value raises ValueError)."""
    data = config.to_dict()
    for name, value in params.items():
        node = data
        *parents, leaf = name.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    return type(config).from_dict(data)


def propose(allowed: Constraint, default: Any) -> Dimension | None:
    """The dimension a declaration proposes around a field's default (see the module's docstring), or None."""
    if isinstance(allowed, Boolean):
        return Choice((False, True))
    if isinstance(allowed, Options):
        return Choice(allowed.searched) if len(allowed.searched) > 1 else None
    if not isinstance(allowed, Interval) or default is None:
        return None
    integer = allowed.integer
    if allowed.searched is not None:
        lo, hi = allowed.searched
        return (IntRange if integer else FloatRange)(lo, hi, log=lo > 0 and hi / lo >= 10)
    if default > 0:
        lo, hi = (max(1, default // 4), 4 * default) if integer else (default / 10, default * 10)
    else:
        lo, hi = default - 1, default + 1
    low = -math.inf if allowed.low is None else allowed.low
    high = math.inf if allowed.high is None else allowed.high
    lo, hi = max(lo, low), min(hi, high)
    if allowed.low_open and lo == low:
        lo = low + 1 if integer else low + (hi - low) / 100
    if allowed.high_open and hi == high:
        hi = high - 1 if integer else high - (high - lo) / 100
    if not lo < hi:
        return None
    return (IntRange if integer else FloatRange)(lo, hi, log=lo > 0 and hi / lo >= 10)


def searchable(cls: type[Config]) -> dict[str, Dimension]:
    """A proposed dimension for each field worth searching (a starting point for a page or a user)."""
    out = {}
    for name in scalar_fields(cls):
        allowed = declaration(cls, name)
        if name.split(".")[-1] in NOT_SEARCHED or allowed is None:
            continue
        dim = propose(allowed, _default(cls, name))
        if dim is not None:
            out[name] = dim
    return out


# ----------------------------------------------------------------------------- the space


@dataclass(frozen=True)
class Space:
    """Named dimensions to search; `check(cls)` validates it against a lab's config."""

    dims: Mapping[str, Dimension]

    def __post_init__(self) -> None:
        object.__setattr__(self, "dims", dict(self.dims))
        if not self.dims:
            raise ValueError("the search space is empty; give at least one field to search")

    @classmethod
    def from_config(cls, config_cls: type[Config], names: Iterable[str] | None = None) -> Space:
        """The proposed dimensions of `searchable`, all of them or the named ones."""
        proposals = searchable(config_cls)
        if names is None:
            return cls(proposals)
        names = list(names)
        unknown = [n for n in names if n not in proposals]
        if unknown:
            raise ValueError(f"no proposed range for {', '.join(unknown)}; searchable fields of "
                             f"{config_cls.__name__}: {', '.join(sorted(proposals))}")
        return cls({n: proposals[n] for n in names})

    def grid_size(self) -> int:
        return math.prod(len(d.grid()) for d in self.dims.values())

    def grid(self) -> dict[str, list[Any]]:
        """Each field's grid points (for optuna's GridSampler); ValueError past `MAX_GRID`."""
        size = self.grid_size()
        if size > MAX_GRID:
            raise ValueError(f"the grid has {size} points, more than MAX_GRID={MAX_GRID}; "
                             "use fewer values or points, or the random or tpe sampler")
        return {name: d.grid() for name, d in self.dims.items()}

    def suggest(self, trial: Any, *, grid: bool = False) -> dict[str, Any]:
        """One point, asked of an optuna trial (a grid asks each field for one of its grid points)."""
        if grid:
            return {name: trial.suggest_categorical(name, d.grid()) for name, d in self.dims.items()}
        return {name: d.suggest(trial, name) for name, d in self.dims.items()}

    def check(self, config_cls: type[Config], base: Config | None = None) -> None:
        """ValueError for unknown fields or values the config rejects (each checked alone on `base`)."""
        known = scalar_fields(config_cls)
        unknown = [n for n in self.dims if n not in known]
        if unknown:
            raise ValueError(f"unknown field(s) for {config_cls.__name__}: {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        base = config_cls() if base is None else base
        for name, dim in self.dims.items():
            for value in dim.ends():
                try:
                    apply(base, {name: value})
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{name}: the value {value!r} is rejected by {config_cls.__name__}: {exc}") from None

    def to_json(self) -> str:
        return json.dumps({name: d.to_dict() for name, d in self.dims.items()})

    @classmethod
    def from_json(cls, text: str) -> Space:
        return cls({name: dimension_from_dict(d) for name, d in json.loads(text).items()})

    @classmethod
    def parse(cls, config_cls: type[Config], specs: Iterable[str]) -> Space:
        """A space from command-line words ``field=kind:args`` (see `parse_dimension`)."""
        known = scalar_fields(config_cls)
        dims: dict[str, Dimension] = {}
        for spec in specs:
            name, sep, text = spec.partition("=")
            if not sep or not name:
                raise ValueError(f"{spec!r}: write a search dimension as field=choice:a,b or field=float:LOW:HIGH[:log][:POINTS]")
            if name not in known:
                raise ValueError(f"unknown field {name!r} for {config_cls.__name__}; known: {', '.join(sorted(known))}")
            if name in dims:
                raise ValueError(f"{name} is searched twice")
            dims[name] = parse_dimension(known[name], text, name)
        space = cls(dims)
        space.check(config_cls)
        return space


def parse_dimension(hint: Any, text: str, name: str = "field") -> Dimension:
    """``choice:a,b,c`` (values typed by the field), ``int:LOW:HIGH[:log][:POINTS]``, ``float:LOW:HIGH[:log][:POINTS]``."""
    kind, _, rest = text.partition(":")
    if kind == "choice":
        if not rest:
            raise ValueError(f"{name}: a choice needs values, as choice:a,b")
        try:
            return Choice(tuple(parse_value(hint, item) for item in rest.split(",")))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    if kind not in ("int", "float"):
        raise ValueError(f"{name}: unknown kind {kind!r}; write choice:a,b, int:LOW:HIGH or float:LOW:HIGH (add :log for a log scale)")
    parts = rest.split(":")
    if len(parts) < 2:
        raise ValueError(f"{name}: write {kind}:LOW:HIGH[:log][:POINTS]")
    number = int if kind == "int" else float
    try:
        low, high = number(parts[0]), number(parts[1])
    except ValueError:
        raise ValueError(f"{name}: {parts[0]!r} and {parts[1]!r} are not both {'integers' if kind == 'int' else 'numbers'}") from None
    log, points = False, GRID_POINTS
    for extra in parts[2:]:
        if extra == "log":
            log = True
        elif extra.isdigit():
            points = int(extra)
        else:
            raise ValueError(f"{name}: unknown option {extra!r}; use log or a number of grid points")
    try:
        return (IntRange if kind == "int" else FloatRange)(low, high, log, points)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
