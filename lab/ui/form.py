"""Widgets keyed by config field, so presets and links can set a whole page at once.

A page's widgets use keys ``"{prefix}.{field}"`` (nested configs and fixed-length tuples
flattened with dots: ``schedule.name``, ``start.0``). Their values live in
`st.session_state`; `init` puts a config's values there once, `apply` overwrites them (a
preset button's callback), and `build` turns them back into a validated config, or shows
the config's own `ValueError` message and returns None so the page keeps its last result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st


def flatten(data: dict[str, Any], whole: Iterable[str] = (), prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as dotted keys; names in `whole` stay as one value."""
    flat: dict[str, Any] = {}
    whole = set(whole)
    for name, value in data.items():
        if name == "__config__":
            continue
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten(value, whole, f"{path}."))
        elif isinstance(value, list) and path not in whole:
            for i, item in enumerate(value):
                flat[f"{path}.{i}"] = item
        else:
            flat[path] = value
    return flat


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `flatten`: dotted keys back into nested dicts, numbered parts into lists."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(tree)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(k.isdigit() for k in node):
        return [_lists(node[str(i)]) for i in range(len(node))]
    return {k: _lists(v) for k, v in node.items()}


def key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}"


def init(prefix: str, config: Any, whole: Iterable[str] = ()) -> None:
    """Put a config's values into the session once (widgets then read them by key)."""
    for name, value in flatten(config.to_dict(), whole).items():
        st.session_state.setdefault(key(prefix, name), value)


def apply(prefix: str, config: Any, whole: Iterable[str] = ()) -> None:
    """Overwrite the page's widget values with a config's (for a preset's on_click)."""
    for name, value in flatten(config.to_dict(), whole).items():
        st.session_state[key(prefix, name)] = value


def values(prefix: str, config_cls: Any, whole: Iterable[str] = ()) -> dict[str, Any]:
    """The widget values of a page as a nested dict shaped like ``config_cls().to_dict()``."""
    names = flatten(config_cls().to_dict(), whole)
    return unflatten({name: st.session_state.get(key(prefix, name), default) for name, default in names.items()})


def build(prefix: str, config_cls: Any, whole: Iterable[str] = (), **overrides: Any) -> Any | None:
    """The page's config from its widgets, or None after showing why it is not valid."""
    data = values(prefix, config_cls, whole)
    data.update(overrides)
    return checked(lambda: config_cls.from_dict(data))


def checked(make: Callable[[], Any]) -> Any | None:
    """Call `make`; on ValueError show its message (it names the field) and return None."""
    try:
        return make()
    except ValueError as exc:
        st.error(f"These settings cannot run: {exc}. Showing the last result that ran.")
        return None
