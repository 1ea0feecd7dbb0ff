"""Settings in the URL: a config to flat string query parameters and back, losslessly.

Each field becomes one parameter named after it; nested configs use dotted names
(``schedule.name``). Values are plain text a person can edit in the address bar:

- floats with ``repr`` (round-trips exactly), ints as digits, bools as ``1`` / ``0``;
- ``None`` as the empty string (an Optional string that is itself empty is written ``\\-``);
- tuples as comma lists (``16,8``; the empty tuple is ``()``; commas inside strings are
  escaped with a backslash);
- an Optional or a union of configs also gets the bare key, holding the class name (or
  empty for None); a dict field is compact JSON.

Reading is forgiving: a parameter that does not parse or does not validate falls back to
the default field by field, and each one gives a note that names the parameter and why.
Keys that are not settings (``ws``, ``page``) are ignored. The command line uses the same
parsing with ``strict=True``, where any note is an error.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union

from lab.config import Config

#: Longest text accepted for one number (a URL is user input).
_MAX_NUMBER_CHARS = 64
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_EMPTY_TUPLE = "()"
_EMPTY_STR = "\\-"


# ----------------------------------------------------------------------------- type hints


def _options(hint: Any) -> tuple[list[Any], bool]:
    """The non-None alternatives of a hint, and whether None is allowed."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = typing.get_args(hint)
        return [a for a in args if a is not type(None)], type(None) in args
    return [hint], False


def _is_config(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, Config)


def _config_options(hint: Any) -> list[type]:
    """The config classes a field may hold, if it holds configs at all."""
    options, _ = _options(hint)
    configs = [o for o in options if _is_config(o)]
    return configs if configs and len(configs) == len(options) else []


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


# ----------------------------------------------------------------------------- one value


def format_value(hint: Any, value: Any) -> str:
    """One field value as query text (not for nested configs: those take dotted keys)."""
    options, optional = _options(hint)
    if value is None:
        return ""
    if optional and len(options) == 1 and options[0] is str:
        return _EMPTY_STR if value == "" else ("\\" + value if value.startswith("\\") else value)
    return _format(options[0] if len(options) == 1 else _pick(options, value), value, in_tuple=False)


def _pick(options: list[Any], value: Any) -> Any:
    for option in options:
        origin = typing.get_origin(option) or option
        if isinstance(origin, type) and isinstance(value, origin):
            return option
    return options[0]


def _format(hint: Any, value: Any, *, in_tuple: bool) -> str:
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        if len(value) == 0:
            return _EMPTY_TUPLE
        args = typing.get_args(hint)
        if not args:
            element_hints = [Any] * len(value)
        elif origin is list or (len(args) == 2 and args[1] is Ellipsis):
            element_hints = [args[0]] * len(value)
        else:
            element_hints = list(args)
        return ",".join(_format(h, v, in_tuple=True) for h, v in zip(element_hints, value))
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not in_tuple:
            return value
        if value == "":
            return _EMPTY_STR
        return value.replace("\\", "\\\\").replace(",", "\\,").replace("(", "\\(")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    raise TypeError(f"cannot put a {type(value).__name__} in a URL")


def parse_value(hint: Any, text: str) -> Any:
    """Parse one query text by the field's type hint; ValueError saying why it does not parse."""
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    options, optional = _options(hint)
    if optional and text == "":
        return None
    if optional and len(options) == 1 and options[0] is str:
        if text == _EMPTY_STR:
            return ""
        return text[1:] if text.startswith("\\") else text
    errors = []
    for option in options:
        try:
            return _parse(option, text, in_tuple=False)
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError(errors[0] if len(errors) == 1 else "; ".join(errors))


def _parse(hint: Any, text: str, *, in_tuple: bool) -> Any:
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        args = typing.get_args(hint)
        if text in (_EMPTY_TUPLE, ""):
            items: list[str] = []
        else:
            items = _split(text)
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            element = args[0] if args else Any
            values = [_parse(element, item, in_tuple=True) for item in items]
        elif args:
            if len(items) != len(args):
                raise ValueError(f"give {len(args)} comma-separated values, got {len(items)}")
            values = [_parse(a, item, in_tuple=True) for a, item in zip(args, items)]
        else:
            values = items
        return tuple(values) if origin is tuple else values
    if origin is Literal:
        for choice in typing.get_args(hint):
            if _format(type(choice), choice, in_tuple=in_tuple) == text or str(choice) == text:
                return choice
        raise ValueError(f"not one of {', '.join(map(str, typing.get_args(hint)))}")
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError("not a yes/no value (use 1 or 0)")
    if hint is int:
        if len(text) > _MAX_NUMBER_CHARS:
            raise ValueError("too long for a number")
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("not a whole number") from None
    if hint is float:
        if len(text) > _MAX_NUMBER_CHARS:
            raise ValueError("too long for a number")
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError("not a number") from None
    if hint is str:
        if not in_tuple:
            return text
        return "" if text == _EMPTY_STR else _unescape(text)
    if (origin or hint) is dict:
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError("not a JSON object") from None
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        return value
    if hint is Any:
        return _unescape(text) if in_tuple else text
    raise ValueError(f"cannot read a {getattr(hint, '__name__', hint)} from the URL")


def _split(text: str) -> list[str]:
    """Split on commas not preceded by a backslash, keeping the escapes for `_unescape`."""
    items, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _unescape(text: str) -> str:
    out, escaped = [], False
    for ch in text:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


# ----------------------------------------------------------------------------- whole configs


def to_query(config: Config, *, only_changed: bool = False) -> dict[str, str]:
    """The config as string query parameters (every field, or only those unlike the defaults).

    The full form is the default: a link then means the same run even after a default changes.
    """
    params: dict[str, str] = {}
    _emit(config, "", params)
    if only_changed:
        defaults: dict[str, str] = {}
        _emit(type(config)(), "", defaults)
        params = {k: v for k, v in params.items() if defaults.get(k) != v}
    return params


def _emit(config: Config, prefix: str, params: dict[str, str]) -> None:
    hints = _hints(type(config))
    for f in dataclasses.fields(config):
        key, hint, value = prefix + f.name, hints[f.name], getattr(config, f.name)
        configs = _config_options(hint)
        if configs:
            _, optional = _options(hint)
            if value is None:
                params[key] = ""
                continue
            if optional or len(configs) > 1:
                params[key] = type(value).__name__
            _emit(value, key + ".", params)
        else:
            try:
                params[key] = format_value(hint, value)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{key}: {exc}") from None


def from_query(
    config_cls: type[Config],
    params: Mapping[str, str],
    *,
    base: Config | None = None,
    strict: bool = False,
) -> tuple[Config, list[str]]:
    """Rebuild a config from query parameters; notes say which parameters were not used and why.

    Fields missing from `params` keep `base` (the class defaults unless given). A parameter
    that does not parse or validate keeps the base value and adds a note naming it. With
    ``strict=True`` (the command line) unknown keys are errors too, and any problem raises
    ValueError listing them all, one per line.
    """
    if base is None:
        base = config_cls()
    notes = _Notes(strict)
    if strict:
        names = {f.name for f in dataclasses.fields(config_cls)}
        for key in params:
            if key.split(".", 1)[0] not in names:
                notes.append(f"{key}: not a setting of {config_cls.lab or config_cls.__name__}; settings: {', '.join(sorted(names))}")
    config = _build(config_cls, base, params, "", notes)
    if strict and notes:
        raise ValueError("\n".join(notes))
    return config, list(notes)


def _show(value: Any) -> str:
    if isinstance(value, Config):
        return type(value).__name__
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Notes(list):
    """The notes of one `from_query`; a fallback note says what is used instead (not when strict)."""

    def __init__(self, strict: bool) -> None:
        super().__init__()
        self.strict = strict

    def fallback(self, text: str, used: Any) -> None:
        self.append(text if self.strict else f"{text}; using {_show(used)}")


def _build(cls: type[Config], base: Config, params: Mapping[str, str], prefix: str, notes: _Notes) -> Config:
    hints = _hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    if prefix:
        for key in params:
            if key.startswith(prefix) and key[len(prefix):].split(".", 1)[0] not in fields:
                notes.append(f"{key}: {cls.__name__} has no such setting (any more); ignored")
    changes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in fields:
        key, hint, current = prefix + name, hints[name], getattr(base, name)
        configs = _config_options(hint)
        if configs:
            value = _nested(configs, hint, current, params, key, notes)
            if value is not current:
                changes[name], sources[name] = value, key
            continue
        if key not in params:
            continue
        try:
            value = parse_value(hint, params[key])
        except ValueError as exc:
            notes.fallback(f"{key}={params[key]!r}: {exc}", current)
            continue
        if not _same(value, current):
            changes[name], sources[name] = value, key
    if not changes:
        return base
    try:
        return dataclasses.replace(base, **changes)
    except (ValueError, TypeError):
        pass
    config = base
    for name, value in changes.items():
        try:
            config = dataclasses.replace(config, **{name: value})
        except (ValueError, TypeError) as exc:
            key, why = sources[name], str(exc)
            if not why.startswith(f"{name}="):
                why = f"{key}={params.get(key, _show(value))!r}: {why}"
            elif key != name:
                why = f"{key}: {why}"
            notes.fallback(why, getattr(config, name))
    return config


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _nested(configs: list[type], hint: Any, current: Any, params: Mapping[str, str], key: str, notes: _Notes) -> Any:
    _, optional = _options(hint)
    chosen: type | None = type(current) if isinstance(current, Config) else None
    if key in params:
        text = params[key]
        if text == "" and optional:
            return None
        by_name = {c.__name__: c for c in configs}
        if text in by_name:
            chosen = by_name[text]
        else:
            allowed = ", ".join(list(by_name) + (["empty for none"] if optional else []))
            notes.fallback(f"{key}={text!r}: not one of {allowed}", current)
            return current
    has_keys = any(k.startswith(key + ".") for k in params)
    if chosen is None:
        if not has_keys and key not in params:
            return current
        chosen = configs[0]
    start = current if isinstance(current, chosen) else chosen()
    return _build(chosen, start, params, key + ".", notes)


# ----------------------------------------------------------------------------- config differences


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A `to_dict()` mapping with nested configs as dotted keys (a nested class name under the bare key)."""
    flat: dict[str, Any] = {}
    for name, value in data.items():
        if name == "__config__":
            flat[prefix[:-1] or name] = value
        elif isinstance(value, Mapping):
            flat.update(flatten(value, prefix + name + "."))
        else:
            flat[prefix + name] = value
    return flat


def diff_configs(configs: list[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The fields whose values differ between configs (as `to_dict()` output), dotted for nested ones.

    Each entry lists the value in every config, in order; a field a config lacks shows as None.
    """
    flats = [flatten(c) for c in configs]
    keys: list[str] = []
    seen: set[str] = set()
    for flat in flats:
        for key in flat:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    diff = {}
    for key in keys:
        values = [flat.get(key) for flat in flats]
        if any(not _same(values[0], v) for v in values[1:]):
            diff[key] = values
    return diff


def short(value: Any) -> str:
    """A value as a legend shows it: 4 significant digits, lists in parentheses."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(short(v) for v in value) + ")"
    if value is None:
        return "none"
    return str(value)


def describe_differences(configs: list[Mapping[str, Any]], *, max_fields: int = 4) -> list[str]:
    """One label per config naming what sets it apart, e.g. ``"lr=0.1, optimizer=adam"``.

    Only differing fields appear (at most `max_fields`); configs that do not differ get "".
    """
    diff = diff_configs(configs)
    keys = list(diff)[:max_fields]
    return [", ".join(f"{key}={short(diff[key][i])}" for key in keys) for i in range(len(configs))]
