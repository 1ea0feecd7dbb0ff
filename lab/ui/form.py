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
    return checked(lambda: config_cls.from_dict(data), prefix)


def checked(make: Callable[[], Any], prefix: str | None = None) -> Any | None:
    """Call `make`; on ValueError show its message (it names the field) and return None.

    When the failing settings came from a link (see `lab.ui.links`), the page falls back to
    its defaults instead.
    """
    try:
        return make()
    except ValueError as exc:
        if prefix is not None:
            from lab.ui import links

            links.fallback(prefix, str(exc))
        st.error(f"These settings cannot run: {exc}. Showing the last result that ran.")
        return None


def store(key: str, value: Any) -> None:
    """Set a widget's stored value only if it changes.

    Any assignment, even of the same value, makes Streamlit send the value back to the browser,
    which overwrites what the user did while this run was going on (a key press on a slider is lost).
    """
    old = st.session_state.get(key)
    if old != value or type(old) is not type(value):
        st.session_state[key] = value


def slider(label: str, min_value: Any, max_value: Any, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.slider` whose stored value is first clamped into range (a link or an old preset may hold any number)."""
    value = st.session_state.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        clamped = min(max(value, min_value), max_value)
        store(key, type(min_value)(clamped) if isinstance(min_value, float) else clamped)
    return container.slider(label, min_value, max_value, key=key, **kwargs)


def select_slider(label: str, options: list[Any], *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.select_slider` whose stored value is first moved to the nearest option."""
    value = st.session_state.get(key)
    if value not in options and options:
        numeric = [o for o in options if isinstance(o, (int, float))]
        if isinstance(value, (int, float)) and len(numeric) == len(options):
            st.session_state[key] = min(options, key=lambda o: abs(o - value))
        else:
            st.session_state[key] = options[0]
    return container.select_slider(label, options=options, key=key, **kwargs)


def selectbox(label: str, options: Any, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.selectbox` whose stored value is first reset to the first option if it is not one of them."""
    options = list(options)
    if st.session_state.get(key) not in options and options:
        st.session_state[key] = options[0]
    return container.selectbox(label, options, key=key, **kwargs)


def multiselect(label: str, options: Any, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.multiselect` whose stored values are first cut down to known options."""
    options = list(options)
    value = st.session_state.get(key)
    if isinstance(value, (list, tuple)):
        store(key, [v for v in value if v in options])
    return container.multiselect(label, options, key=key, **kwargs)


def radio(label: str, options: Any, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.radio` whose stored value is first reset to the first option if it is not one of them."""
    options = list(options)
    if st.session_state.get(key) not in options and options:
        st.session_state[key] = options[0]
    return container.radio(label, options, key=key, **kwargs)
