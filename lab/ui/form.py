"""Widgets keyed by config field, so presets and links can set a whole page at once.

A page's widgets use keys ``"{prefix}.{field}"`` (nested configs and tuples flattened with
dots by `lab.share.flatten`: ``schedule.name``, ``start.0``). Their values live in
`st.session_state`; `init` puts a config's values there once, `apply` overwrites them (a
preset button's callback), and `build` turns them back into a validated config, or shows
the config's own `ValueError` message and returns None so the page keeps its last result.

The widget wrappers read the declared constraint of the field their key sets (`lab.ui.links.declaration`):
a range or a list of options a page gives is cut to what the field allows, and one it leaves out
is the declared one, so no widget offers a value the config would refuse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from lab.config import admits_none
from lab.constraints import Interval, Items, Options
from lab.share import flatten, unflatten
from lab.ui import budget, links
from lab.ui.text import plain


def key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}"


def widget_values(config: Any, whole: Iterable[str] = ()) -> dict[str, Any]:
    """A config's values by widget name (nested fields dotted, list items numbered unless `whole`)."""
    return flatten(config.to_dict(), split_lists=True, whole=whole)


def init(prefix: str, config: Any, whole: Iterable[str] = ()) -> None:
    """Put a config's values into the session once (widgets then read them by key), and declare its class."""
    links.declare(prefix, type(config))
    for name, value in widget_values(config, whole).items():
        st.session_state.setdefault(key(prefix, name), value)


def apply(prefix: str, config: Any, whole: Iterable[str] = ()) -> None:
    """Overwrite the page's widget values with a config's (for a preset's on_click)."""
    for name, value in widget_values(config, whole).items():
        st.session_state[key(prefix, name)] = value


def values(prefix: str, config_cls: Any, whole: Iterable[str] = ()) -> dict[str, Any]:
    """The widget values of a page as a nested dict shaped like ``config_cls().to_dict()``."""
    names = widget_values(config_cls(), whole)
    return unflatten({name: st.session_state.get(key(prefix, name), default) for name, default in names.items()})


def build(prefix: str, config_cls: Any, whole: Iterable[str] = (), **overrides: Any) -> Any | None:
    """The page's config from its widgets, or None after showing why it is not valid or (on a
    shared deployment) over its lab's work budget (`lab.ui.budget`)."""
    data = values(prefix, config_cls, whole)
    data.update(overrides)
    return checked(lambda: budget.within(config_cls.from_dict(data)), prefix)


def checked(make: Callable[[], Any], prefix: str | None = None) -> Any | None:
    """Call `make`; on ValueError show its message (it names the field) and return None.

    When the failing settings came from a link (see `lab.ui.links`), the page falls back to
    its defaults instead.
    """
    try:
        return make()
    except ValueError as exc:
        if prefix is not None:
            links.fallback(prefix, str(exc))
        st.error(f"These settings cannot run: {plain(exc)}. Showing the last result that ran.")
        return None


def store(key: str, value: Any) -> None:
    """Set a widget's stored value only if it changes.

    Any assignment, even of the same value, makes Streamlit send the value back to the browser,
    which overwrites what the user did while this run was going on (a key press on a slider is lost).
    """
    old = st.session_state.get(key)
    if old != value or type(old) is not type(value):
        st.session_state[key] = value


def allows(key: str, value: Any) -> bool:
    """Whether the field a widget key sets allows `value` (True for a widget of no declared field).

    A widget must not offer what the config refuses: the wrappers below keep their options and
    ranges to what this allows.
    """
    found = links.declaration(key)
    if found is None or found[1] is None:
        return True
    hint, allowed = found
    return (value is None and admits_none(hint)) or allowed.accepts(value)


def _interval(key: str) -> Interval | None:
    found = links.declaration(key)
    return found[1] if found is not None and isinstance(found[1], Interval) else None


def bounds(key: str, low: Any = None, high: Any = None, step: Any = None) -> tuple[Any, Any]:
    """A numeric widget's range: the page's `low`/`high` cut to the field's declared interval, which
    fills an end the page leaves open. An open end moves in by one (integers) or by `step` (reals)."""
    interval = _interval(key)
    if interval is None:
        return low, high
    given = [v for v in (low, high) if v is not None]
    integer = interval.integer or bool(given) and all(isinstance(v, int) for v in given)
    inward = 1 if integer else step
    if interval.low is not None:
        floor = math.ceil(interval.low) if integer else float(interval.low)
        if interval.low_open and floor == interval.low:
            floor = floor + inward if inward else math.nextafter(floor, math.inf)
        low = floor if low is None else max(low, floor)
    if interval.high is not None:
        ceiling = math.floor(interval.high) if integer else float(interval.high)
        if interval.high_open and ceiling == interval.high:
            ceiling = ceiling - inward if inward else math.nextafter(ceiling, -math.inf)
        high = ceiling if high is None else min(high, ceiling)
    kind = int if integer else float
    return (None if low is None else kind(low)), (None if high is None else kind(high))


def _clamp(key: str, low: Any, high: Any, widget: str, container: Any) -> None:
    """Move a stored number into [low, high] (a link or an old preset may hold any number); a value
    from the page's link that moves gets a note naming it, so a shared link never changes silently."""
    value = st.session_state.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        clamped = min(max(value, low if low is not None else value), high if high is not None else value)
        store(key, float(clamped) if isinstance(low if low is not None else high, float) else clamped)
        if clamped != value and links.from_link(key):
            side = "above" if value > clamped else "below"
            container.warning(plain(f"{key.partition('.')[2]}={value} is {side} the {widget}'s {clamped}: using {clamped}"))


def slider(label: str, min_value: Any = None, max_value: Any = None, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.slider` over the page's range cut to the field's declared one (see `bounds`), its stored value clamped first."""
    min_value, max_value = bounds(key, min_value, max_value, kwargs.get("step"))
    _clamp(key, min_value, max_value, "slider", container)
    return container.slider(label, min_value, max_value, key=key, **kwargs)


def number_input(label: str, min_value: Any = None, max_value: Any = None, *, key: str, container: Any = st,
                 **kwargs: Any) -> Any:
    """`st.number_input` over the page's range cut to the field's declared one, its stored value clamped first."""
    min_value, max_value = bounds(key, min_value, max_value, kwargs.get("step"))
    _clamp(key, min_value, max_value, "box", container)
    return container.number_input(label, min_value, max_value, key=key, **kwargs)


def choices(key: str, given: Iterable[Any] | None = None) -> list[Any]:
    """The choices a widget offers: those of the page's (`given`) the field allows, else the declared `Options`
    (of each item, for a multiselect over a tuple field)."""
    found = links.declaration(key)
    allowed = None if found is None else found[1]
    item = allowed.item if isinstance(allowed, Items) else None
    if given is None:
        declared = item or allowed
        if not isinstance(declared, Options):
            raise ValueError(f"the widget {key!r} needs its options: its field declares none")
        return list(declared.values)
    if item is not None:
        return [o for o in given if item.accepts(o)]
    return [o for o in given if allows(key, o)]


def select_slider(label: str, options: list[Any] | None = None, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.select_slider` over the options the field allows, its stored value first moved to the nearest one."""
    options = choices(key, options)
    value = st.session_state.get(key)
    if value not in options and options:
        numeric = [o for o in options if isinstance(o, (int, float))]
        if isinstance(value, (int, float)) and len(numeric) == len(options):
            st.session_state[key] = min(options, key=lambda o: abs(o - value))
        else:
            st.session_state[key] = options[0]
        if links.from_link(key):
            container.warning(plain(f"{key.partition('.')[2]}={value} is not on the slider: using {st.session_state[key]}"))
    return container.select_slider(label, options=options, key=key, **kwargs)


def selectbox(label: str, options: Any = None, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.selectbox` over the options the field allows (see `choices`); a stored value not among them
    is first reset to the first."""
    options = _reset(key, choices(key, options))
    return container.selectbox(label, options, key=key, **kwargs)


def radio(label: str, options: Any = None, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.radio` over the options the field allows; a stored value not among them is first reset to the first."""
    options = _reset(key, choices(key, options))
    return container.radio(label, options, key=key, **kwargs)


def multiselect(label: str, options: Any = None, *, key: str, container: Any = st, **kwargs: Any) -> Any:
    """`st.multiselect` over the options the field's items allow; the stored values are first cut down to them."""
    options = choices(key, options)
    value = st.session_state.get(key)
    if isinstance(value, (list, tuple)):
        store(key, [v for v in value if v in options])
    return container.multiselect(label, options, key=key, **kwargs)


def _reset(key: str, options: list[Any]) -> list[Any]:
    if st.session_state.get(key) not in options and options:
        st.session_state[key] = options[0]
    return options
