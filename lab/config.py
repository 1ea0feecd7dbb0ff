"""The base every lab config shares: a lossless round trip to plain dicts.

Configs are frozen dataclasses with a one-line docstring per field; they validate in
``__post_init__``. ``to_dict`` gives JSON-ready data (tuples become lists, nested configs
become dicts) and ``from_dict`` rebuilds the same config from it, so a config can travel
through a URL, the run store or a sweep and come back equal.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Literal, TypeVar, Union

C = TypeVar("C", bound="Config")


class Config:
    """Mixin for frozen dataclass configs. Subclasses set `lab` (the lab's short name)."""

    lab: ClassVar[str] = ""
    #: what one step of this lab is, in the plural ("epochs", "episodes"); every stop reason says it
    step_unit: ClassVar[str] = "steps"

    def experiment(self) -> Any:
        """The experiment this config runs (see `lab.loop.Experiment`)."""
        raise NotImplementedError

    def rules(self) -> list[Any]:
        """The stop rules the lab always applies (divergence guards, its tolerance)."""
        return []

    @property
    def budget(self) -> int | None:
        """The most steps a run of this config takes (for the decision's reason)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__} needs a mapping of fields, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown field(s) for {cls.__name__}: {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        hints = typing.get_type_hints(cls)
        kwargs = {name: _load(hints[name], value) for name, value in data.items()}
        return cls(**kwargs)

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_docs(cls) -> dict[str, str]:
        """Each field's one-line description, taken from the `help` metadata."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}


def field(default: Any = dataclasses.MISSING, *, help: str, **kwargs: Any) -> Any:
    """A dataclass field with its one-line description kept in metadata (for --help and tooltips)."""
    return dataclasses.field(default=default, metadata={"help": help}, **kwargs)


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
        return float(value)
    return value
