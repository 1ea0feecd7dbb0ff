"""The base every lab config shares: a lossless round trip to plain dicts.

Configs are frozen dataclasses with a one-line description per field and, where the field
has limits, its constraint (`lab.constraints`), both declared once in `field`. Building a config
checks every declared constraint, then the config's own cross-field ``check()``. ``to_dict`` gives JSON-ready data (tuples become lists, nested configs
become dicts) and ``from_dict`` rebuilds the same config from it, so a config can travel
through a URL, the run store or a sweep and come back equal.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, ClassVar, Literal, TypeVar, Union

from lab import registry
from lab.constraints import Constraint, FieldError

C = TypeVar("C", bound="Config")


class Config:
    """Mixin for frozen dataclass configs. Subclasses set `lab`: the id of their `lab.registry` entry."""

    lab: ClassVar[str] = ""

    @property
    def step_unit(self) -> str:
        """What one step of this lab is, in the plural ("epochs", "episodes"), as its registry entry
        declares; every stop reason says it."""
        return registry.step_unit(self.lab)

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            allowed = f.metadata.get("allowed")
            value = getattr(self, f.name)
            if allowed is None or (value is None and admits_none(hints[f.name])):
                continue
            allowed.check(f.name, value)
        self.check()

    def check(self) -> None:
        """Checks that span several fields (each field's own constraint is checked before this)."""

    @classmethod
    def constraints(cls) -> dict[str, Constraint]:
        """Each constrained field's declared constraint, by field name."""
        return {f.name: f.metadata["allowed"] for f in dataclasses.fields(cls) if f.metadata.get("allowed") is not None}

    @classmethod
    def check_field(cls, name: str, value: Any) -> None:
        """Check one value against field `name`'s declaration (for a function that takes a field's value alone)."""
        cls.constraints()[name].check(name, value)

    def experiment(self) -> Any:
        """The experiment this config runs (see `lab.loop.Experiment`)."""
        raise NotImplementedError

    def rules(self) -> list[Any]:
        """The stop rules the lab always applies (divergence guards, its tolerance)."""
        return []

    def work(self) -> int | None:
        """The work a run of this config does, in units a lab's limit (`lab.budget`) counts; None: not counted."""
        return None

    @property
    def budget(self) -> int | None:
        """The most steps a run of this config takes (for the decision's reason)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """The config a `to_dict` gave; a nested config's dict may name its own class under ``__config__``."""
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__} needs a mapping of fields, got {type(data).__name__}")
        if data.get("__config__") == cls.__name__:
            data = {k: v for k, v in data.items() if k != "__config__"}
        data = cls.upgrade(data)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(map(str, set(data) - names))  # str: a hand-built dict may have keys of any type
        if unknown:
            raise ValueError(f"unknown field(s) for {cls.__name__}: {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        hints = _hints(cls)
        kwargs = {}
        for name, value in data.items():
            try:
                kwargs[name] = _load(hints[name], value)
            except FieldError as exc:  # a nested config refused one of its fields: name it by its path
                raise exc.within(name) from None
        return cls(**kwargs)

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """An older shape of this config's dict (a saved run, an old file) in today's; by default unchanged."""
        return data

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        """Each field's one-line description, taken from the `help` metadata."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}


def field(default: Any = dataclasses.MISSING, *, help: str, allowed: Constraint | None = None, in_url: bool = True,
          **kwargs: Any) -> Any:
    """A dataclass field with its one-line description and its constraint kept in metadata.

    `help` feeds --help and tooltips; `allowed` (a `lab.constraints.Constraint`) is what the
    field may hold, read by validation, widgets, sweeps and the URL parser. ``in_url=False``
    keeps a field out of links in both directions (`lab.share`): a setting of the server, not of
    the run, that a visitor's link must not choose (torch threads).
    """
    return dataclasses.field(default=default, metadata={"help": help, "allowed": allowed, "in_url": in_url}, **kwargs)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def admits_none(hint: Any) -> bool:
    """Whether a field's type hint allows None (``int | None``): then None passes its constraint."""
    return typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def _dump(value: Any) -> Any:
    if isinstance(value, Config):
        return {"__config__": type(value).__name__, **value.to_dict()}
    if isinstance(value, (tuple, list)):
        return [_dump(v) for v in value]
    return value


def _load(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if isinstance(value, dict):
            for option in options:
                if isinstance(option, type) and issubclass(option, Config) and value.get("__config__") == option.__name__:
                    return _load(option, value)
        if isinstance(value, list):
            for option in options:
                if typing.get_origin(option) in (tuple, list):
                    return _load(option, value)
        return value
    if isinstance(hint, type) and issubclass(hint, Config) and isinstance(value, dict):
        data = {k: v for k, v in value.items() if k != "__config__"}
        return hint.from_dict(data)
    if origin is tuple and isinstance(value, (list, tuple)):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v) for v in value)
        if len(args) == len(value):
            return tuple(_load(a, v) for a, v in zip(args, value))
        return tuple(value)
    if origin is Literal:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return value  # too large for a float: the field's constraint refuses it by name
    return value
