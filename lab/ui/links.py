"""Settings in the page address: opening a link restores every setting and the seed.

A page's settings are its widget values under ``"{prefix}.{name}"`` (see `lab.ui.form`); the
URL holds those that differ from the defaults as ``?name=value``, written and read by the one
codec, `lab.share`: a name that is a field of the page's declared config (``batch_size``,
``schedule.name``, ``start.0``; in the Optimizers race ``adam.lr``, a field of the config declared
for ``opt.adam``) is read by that field's type hint and declared constraint, so ``batch_size=1``
is the integer 1, an empty value is None where the field allows it, and an unknown choice is
refused by name. A tuple split over numbered widgets (``start.0``, ``start.1``) also takes the
codec's comma list under the bare name (``start=0.5,-1.0``), as the Runs page writes it. A page
widget that is no config field (the race's ``optimizers``) is read by the type of its default.

On a session's first run `restore` reads the URL back; an unknown or unreadable parameter is
ignored with a visible note, and settings that cannot run together fall back to the defaults
with a note (`fallback`). `publish` keeps the URL in step with the widgets.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from lab import share
from lab.constraints import Constraint
from lab.stopping.config import current_setting
from lab.ui.runs import WS_PARAM
from lab.ui.text import plain

_RESERVED = {WS_PARAM}


def _defaults_key(prefix: str) -> str:
    return f"_links_{prefix}_defaults"


def declare(prefix: str, config_cls: type) -> None:
    """Say which config class the widgets under `prefix` set (`lab.ui.form.init` does it for a page)."""
    st.session_state[f"{prefix}._config"] = config_cls


def _declared(prefix: str) -> type | None:
    return st.session_state.get(f"{prefix}._config")


def _hint_of(default: Any) -> Any:
    """The type a page-only widget holds, from its default (a list holds texts)."""
    return list[Any] if isinstance(default, list) else type(default)


def owner(key: str) -> tuple[type, str] | None:
    """The declared config class a widget key sets a field of, and the field's dotted name in it
    (``"reg.schedule.every"`` -> (RegressionConfig, ``"schedule.every"``)); None for a widget of no field.

    The longest declared prefix that has the name wins (the Optimizers race declares ``opt.adam``
    beside the page's ``opt``).
    """
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        cls = _declared(".".join(parts[:cut]))
        if cls is not None:
            try:
                share.lookup(cls, ".".join(parts[cut:]))
            except KeyError:
                continue
            return cls, ".".join(parts[cut:])
    return None


def declaration(key: str) -> tuple[Any, Constraint | None] | None:
    """The type hint and declared constraint of the field a widget key sets (see `owner`), or None."""
    found = owner(key)
    return None if found is None else share.lookup(*found)


def _linkable(prefix: str, name: str) -> bool:
    """Whether a link may carry the widget `name` (not a field declared ``in_url=False``)."""
    found = owner(f"{prefix}.{name}")
    return found is None or share.in_url(*found)


def _text_box(owner: tuple[type, str], value: Any) -> bool:
    """A text widget standing in for a field that is no text (hidden layers typed as "16,8")."""
    return isinstance(value, str) and str not in share.hint_options(share.lookup(*owner)[0])


def encode(prefix: str, name: str, value: Any) -> str:
    """One widget value as URL text, by its config field where it has one."""
    found = owner(f"{prefix}.{name}")
    if found is None or _text_box(found, value):
        return share.format_value(_hint_of(value), value)
    return share.format_value(share.lookup(*found)[0], value)


def decode(prefix: str, name: str, text: str, default: Any) -> Any:
    """URL text as the value the widget holds; ValueError saying why it does not fit."""
    found = owner(f"{prefix}.{name}")
    if found is None:
        value = share.parse_value(_hint_of(default), text)
    elif _text_box(found, default):
        return text  # the config reads it when it is built (and says why, if it cannot)
    else:
        value = share.parse_setting(*found, text)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a finite number")
    return list(value) if isinstance(value, tuple) and isinstance(default, list) else value


def settings(prefix: str) -> dict[str, Any]:
    """The page's settings (the widget values a link holds) by name."""
    names = st.session_state.get(_defaults_key(prefix), {})
    return {name: st.session_state.get(f"{prefix}.{name}") for name in names}


def _items(name: str, defaults: dict[str, Any]) -> list[str]:
    """The numbered widgets a tuple field is split over (``start`` -> ``start.0``, ``start.1``)."""
    items = []
    while f"{name}.{len(items)}" in defaults:
        items.append(f"{name}.{len(items)}")
    return items


def _read(prefix: str, name: str, text: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """The widget values one parameter sets (KeyError for a name the page does not have)."""
    items, found = _items(name, defaults), owner(f"{prefix}.{name}")
    if not items or found is None:
        if name not in defaults:
            raise KeyError(name)
        return {name: decode(prefix, name, text, defaults[name])}
    value = share.parse_setting(*found, text)
    if value is None or len(value) != len(items):
        raise ValueError(f"give {len(items)} comma-separated values")
    return dict(zip(items, value))


def restore(prefix: str) -> None:
    """After the page put its defaults in place, before its widgets: apply the URL's settings
    (once per session), or a pending fall-back to the defaults."""
    pending = st.session_state.pop(f"{prefix}._fallback", None)
    if pending is not None:
        names, message = pending
        defaults = st.session_state.get(_defaults_key(prefix), {})
        for name in names:
            st.session_state[f"{prefix}.{name}"] = defaults[name]
        st.warning(f"The settings in this link cannot run ({plain(message)}); showing the defaults instead.")
    key = _defaults_key(prefix)
    if key in st.session_state:
        return
    defaults = {k[len(prefix) + 1:]: v for k, v in st.session_state.items()
                if isinstance(k, str) and k.startswith(f"{prefix}.") and "._" not in k and ".preset." not in k}
    st.session_state[key] = defaults
    notes, applied = [], []
    for given, text in st.query_params.items():
        if given in _RESERVED:
            continue
        name = current_setting(given)  # a link from before early stopping was nested
        if not _linkable(prefix, name):
            notes.append(f"ignored '{given}' (not a link setting: the server chooses it)")
            continue
        try:
            values = _read(prefix, name, text, defaults)
        except KeyError:
            notes.append(f"ignored the unknown setting '{given}'")
            continue
        except ValueError as exc:
            notes.append(f"ignored '{given}={text}' ({exc}); kept the default")
            continue
        for widget, value in values.items():
            st.session_state[f"{prefix}.{widget}"] = value
        applied += list(values)
    st.session_state[f"{prefix}._from_link"] = applied
    if notes:
        st.warning("This link is out of date: " + plain("; ".join(notes)) + ".")


def from_link(key: str) -> bool:
    """Whether widget `key` took its value from the page's link in this run (the run that applied it)."""
    prefix, _, name = key.partition(".")
    return name in st.session_state.get(f"{prefix}._from_link", ())


def fallback(prefix: str, message: str) -> None:
    """If the settings that failed came from a link, rerun with the defaults (and say so then).

    Widgets already drawn in this run cannot change value, hence the rerun; `restore` applies it.
    """
    applied = st.session_state.pop(f"{prefix}._from_link", None)
    if applied:
        st.session_state[f"{prefix}._fallback"] = (applied, message)
        st.rerun()


def publish(prefix: str) -> None:
    """Put the settings that differ from the defaults (and the workspace) in the URL."""
    defaults = st.session_state.get(_defaults_key(prefix))
    if defaults is None:
        return
    st.session_state.pop(f"{prefix}._from_link", None)
    wanted = {name: encode(prefix, name, value) for name, value in settings(prefix).items()
              if value != defaults[name] and _linkable(prefix, name)}
    if WS_PARAM in st.query_params:
        wanted[WS_PARAM] = st.query_params[WS_PARAM]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
