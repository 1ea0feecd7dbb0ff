"""Settings in the URL: a config to flat string query parameters and back, losslessly.

Each field becomes one parameter named after it; nested configs use dotted names
(``schedule.name``). Values are plain text a person can edit in the address bar:

- floats with ``repr`` (round-trips exactly), ints as digits, bools as ``1`` / ``0``;
- ``None`` as the empty string (an Optional string that is itself empty is written ``\\-``);
- tuples as comma lists (``16,8``; the empty tuple is ``()``; a tuple inside a tuple is
  written in parentheses, ``(0.5,1.0),(2.0,3.0)``; commas and parentheses inside strings are
  escaped with a backslash);
- an Optional or a union of configs also gets the bare key, holding the class name (or
  empty for None); a dict field is compact JSON.

Reading goes by the field's type hint and its declared constraint (`lab.constraints`): a
field allowing `Options` takes the option whose text matches and refuses any other, naming
the allowed values. It is forgiving: a parameter that does not parse or does not validate
falls back to the default field by field, and each one gives a note that names the parameter
and why.
Keys that are not settings (``ws``, ``page``) are ignored. The command line uses the same
parsing with ``strict=True``, where any note is an error.

This is the one URL codec: the command line's ``field=value`` settings, the Runs page's
links, the sweeps' trial links and the pages' addresses (`lab.ui.links`, through `lookup`)
all read and write it. `flatten` / `unflatten` are the one dict flattener.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Union

from lab.config import Config
from lab.constraints import Constraint, FieldError, Interval, Items, Options

#: Longest text accepted for one number (a URL is user input).
_MAX_NUMBER_CHARS = 64
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_EMPTY_TUPLE = "()"
_EMPTY_STR = "\\-"


# ----------------------------------------------------------------------------- type hints


def hint_options(hint: Any) -> list[Any]:
    """The types a field's hint admits besides None (``int | None`` -> [int])."""
    return _options(hint)[0]


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


@functools.cache
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


def _element_hints(hint: Any, count: int) -> list[Any]:
    """The hint of each of `count` items of a tuple or list hint."""
    args = typing.get_args(hint)
    if not args:
        return [Any] * count
    if typing.get_origin(hint) is list or (len(args) == 2 and args[1] is Ellipsis):
        return [args[0]] * count
    return list(args)


def _is_sequence(hint: Any) -> bool:
    return typing.get_origin(hint) in (tuple, list)


def _format(hint: Any, value: Any, *, in_tuple: bool) -> str:
    if _is_sequence(hint):
        if len(value) == 0:
            return _EMPTY_TUPLE
        text = ",".join(_format(h, v, in_tuple=True) for h, v in zip(_element_hints(hint, len(value)), value))
        return f"({text})" if in_tuple else text
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
        return value.replace("\\", "\\\\").replace(",", "\\,").replace("(", "\\(").replace(")", "\\)")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    raise TypeError(f"cannot put a {type(value).__name__} in a URL")


def parse_value(hint: Any, text: str, allowed: Constraint | None = None) -> Any:
    """Parse one query text by the field's type hint and declared constraint; ValueError saying why not.

    `allowed` decides for `Options` (the option whose text matches, any other refused with the
    allowed values), for an `Interval` (an integer for ``Integral``, a float for ``Real``) and
    for the items of `Items`; ranges are the config's to check when it is built.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    options, optional = _options(hint)
    if optional and text == "":
        return None
    if optional and len(options) == 1 and options[0] is str and not isinstance(allowed, Options):
        if text == _EMPTY_STR:
            return ""
        return text[1:] if text.startswith("\\") else text
    errors = []
    for option in options:
        try:
            return _parse(option, text, in_tuple=False, allowed=allowed)
        except ValueError as exc:
            errors.append(str(exc))
    raise ValueError(errors[0] if len(errors) == 1 else "; ".join(errors))


def _parse(hint: Any, text: str, *, in_tuple: bool, allowed: Constraint | None = None) -> Any:
    if isinstance(allowed, Options) and not _is_sequence(hint):
        return _choose(allowed, text, in_tuple=in_tuple)
    if isinstance(allowed, Interval) and hint in (Any, int, float):
        hint = int if allowed.integer else (int if hint is int else float)  # the declared kind decides
    origin = typing.get_origin(hint)
    if origin in (tuple, list):
        if in_tuple:
            if text == _EMPTY_TUPLE:
                text = ""
            elif text.startswith("(") and text.endswith(")"):
                text = text[1:-1]
            else:
                raise ValueError("write a tuple inside a tuple in parentheses")
        items = [] if text in (_EMPTY_TUPLE, "") else _split(text)
        args = typing.get_args(hint)
        fixed = args and origin is tuple and not (len(args) == 2 and args[1] is Ellipsis)
        if fixed and len(items) != len(args):
            raise ValueError(f"give {len(args)} comma-separated values, got {len(items)}")
        item = allowed.item if isinstance(allowed, Items) else None
        if args:
            values = [_parse(h, t, in_tuple=True, allowed=item) for h, t in zip(_element_hints(hint, len(items)), items)]
        else:
            values = [_unescape(t) for t in items]
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


def _choose(allowed: Options, text: str, *, in_tuple: bool) -> Any:
    """The option written as `text` (a number option also matches the same number written
    otherwise: ``1e-3`` for 0.001); ValueError listing the options, as the constraint words them."""
    for choice in allowed.values:
        if choice is not None and _format(type(choice), choice, in_tuple=in_tuple) == text:
            return choice
    numbers = [c for c in allowed.values if isinstance(c, (int, float)) and not isinstance(c, bool)]
    if numbers and len(text) <= _MAX_NUMBER_CHARS:
        try:
            number = float(text)
        except ValueError:
            number = None
        for choice in numbers:
            if number == choice:
                return choice
    raise ValueError(f"not allowed; choose {allowed.describe()}")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses and not escaped, keeping the escapes for `_unescape`."""
    items, current, escaped, depth = [], [], False, 0
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
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


def in_url(cls: type[Config], name: str) -> bool:
    """Whether a link may carry setting `name` of `cls` (a field declared ``in_url=False`` may not)."""
    top = name.split(".", 1)[0]
    return all(f.metadata.get("in_url", True) for f in dataclasses.fields(cls) if f.name == top)


def _emit(config: Config, prefix: str, params: dict[str, str]) -> None:
    hints = _hints(type(config))
    for f in dataclasses.fields(config):
        if not f.metadata.get("in_url", True):
            continue
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
    hints, allowed = _hints(cls), cls.constraints()
    fields = [f.name for f in dataclasses.fields(cls)]
    if prefix:
        for key in params:
            if key.startswith(prefix) and key[len(prefix):].split(".", 1)[0] not in fields:
                notes.append(f"{key}: {cls.__name__} has no such setting (any more); ignored")
    changes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in fields:
        key, hint, current = prefix + name, hints[name], getattr(base, name)
        if not in_url(cls, name) and not notes.strict:  # the command line (strict) may set it
            if key in params:
                notes.append(f"{key}: not a link setting (the server chooses it); ignored")
            continue
        configs = _config_options(hint)
        if configs:
            value = _nested(configs, hint, current, params, key, notes)
            if value is not current:
                changes[name], sources[name] = value, key
            continue
        if key not in params:
            continue
        try:
            value = parse_value(hint, params[key], allowed.get(name))
        except ValueError as exc:
            notes.fallback(f"{key}={params[key]!r}: {exc}", current)
            continue
        if not _same(value, current):
            changes[name], sources[name] = value, key
    if not changes:
        return base
    try:
        return dataclasses.replace(base, **changes)
    except (ValueError, TypeError, OverflowError):
        pass
    config = base
    for name, value in changes.items():
        try:
            config = dataclasses.replace(config, **{name: value})
        except (ValueError, TypeError, OverflowError) as exc:
            key = sources[name]
            if isinstance(exc, FieldError) and exc.name.split(".")[0] == name:  # it names its setting: say it by its path from the top
                why = str(exc.within(prefix[:-1]) if prefix else exc)
            elif isinstance(exc, FieldError):  # another setting refuses this value: say which value is not used
                why = f"{key}={params.get(key, _show(value))!r}: {exc.within(prefix[:-1]) if prefix else exc}"
            else:
                why = f"{key}={params.get(key, _show(value))!r}: {exc}"
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


# ----------------------------------------------------------------------------- settings by dotted name


def lookup(cls: type[Config], name: str) -> tuple[Any, Constraint | None]:
    """The type hint and declared constraint of a dotted setting name of `cls`.

    Names go through nested configs (``schedule.name``) and into tuple items by position
    (``start.0``, the way `flatten` with ``split_lists`` names them). KeyError when `cls` has
    no such setting.
    """
    hint: Any = cls
    allowed: Constraint | None = None
    for part in name.split("."):
        configs = _config_options(hint)
        options, _ = _options(hint)
        if configs:
            owner = next((c for c in configs if part in {f.name for f in dataclasses.fields(c)}), None)
            if owner is None:
                raise KeyError(name)
            hint, allowed = _hints(owner)[part], owner.constraints().get(part)
        elif len(options) == 1 and _is_sequence(options[0]) and part.isdigit():
            items = _element_hints(options[0], int(part) + 1)
            if int(part) >= len(items):
                raise KeyError(name)
            hint, allowed = items[int(part)], allowed.item if isinstance(allowed, Items) else None
        else:
            raise KeyError(name)
    return hint, allowed


def parse_setting(cls: type[Config], name: str, text: str) -> Any:
    """One dotted setting of `cls` read from query text (a nested config's name gives its class name).

    KeyError for a name `cls` does not have; ValueError saying why the text does not fit.
    """
    hint, allowed = lookup(cls, name)
    configs = _config_options(hint)
    if not configs:
        return parse_value(hint, text, allowed)
    names = [c.__name__ for c in configs]
    if text in names or (text == "" and _options(hint)[1]):
        return text or None
    raise ValueError(f"not one of {', '.join(names)}")


# ----------------------------------------------------------------------------- the one flattener


def flatten(data: Mapping[str, Any], *, split_lists: bool = False, whole: Iterable[str] = ()) -> dict[str, Any]:
    """A `to_dict()` mapping with nested configs as dotted keys (a nested class name under the bare key).

    With `split_lists` each list item gets a numbered key too (``start.0``, ``start.1``: one
    widget each), except the lists named in `whole`. `unflatten` is the inverse.
    """
    flat: dict[str, Any] = {}
    _flatten_into(flat, data, "", split_lists, set(whole))
    return flat


def _flatten_into(flat: dict[str, Any], data: Mapping[str, Any], prefix: str, split_lists: bool, whole: set[str]) -> None:
    for name, value in data.items():
        path = prefix + name
        if name == "__config__":
            flat[prefix[:-1] or name] = value
        elif isinstance(value, Mapping):
            _flatten_into(flat, value, path + ".", split_lists, whole)
        elif isinstance(value, list) and split_lists and path not in whole:
            _flatten_into(flat, {str(i): item for i, item in enumerate(value)}, path + ".", split_lists, whole)
        else:
            flat[path] = value


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of `flatten`: dotted keys back into nested dicts (a bare key beside dotted ones
    is the nested config's class name), numbered parts back into lists."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {} if part not in node else {"__config__": node[part]}
            node = node[part]
        if isinstance(node.get(leaf), dict):
            node[leaf]["__config__"] = value
        else:
            node[leaf] = value
    return _lists(tree)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[str(i)]) for i in range(len(node))]
    return {k: _lists(v) for k, v in node.items()}


# ----------------------------------------------------------------------------- config differences


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
