"""Settings in the page address: opening a link restores every setting and the seed.

A page's settings are its widget values under ``"{prefix}.{name}"`` (see `lab.ui.form`); the
URL holds those that differ from the defaults as ``?name=value``. On a session's first run,
`restore` reads them back (each parsed by the type of its default); an unknown or unreadable
parameter is ignored with a visible note, and settings that cannot run together fall back to
the defaults with a note (`fallback`). `publish` keeps the URL in step with the widgets.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from lab.ui.runs import WS_PARAM

_RESERVED = {WS_PARAM}


def _defaults_key(prefix: str) -> str:
    return f"_links_{prefix}_defaults"


def encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(encode(v) for v in value)
    return str(value)


def decode(text: str, default: Any) -> Any:
    """`text` read as the type of `default`; ValueError when it cannot be."""
    if isinstance(default, bool):
        if text not in ("1", "0", "true", "false"):
            raise ValueError("not 1 or 0")
        return text in ("1", "true")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float) or default is None:
        if default is None and text == "":
            return None
        value = float(text)
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if isinstance(default, list):
        return [item for item in text.split(",") if item] if text else []
    return text


def _settings(prefix: str) -> dict[str, Any]:
    names = st.session_state.get(_defaults_key(prefix), {})
    return {name: st.session_state.get(f"{prefix}.{name}") for name in names}


def restore(prefix: str) -> None:
    """After the page put its defaults in place, before its widgets: apply the URL's settings
    (once per session), or a pending fall-back to the defaults."""
    pending = st.session_state.pop(f"{prefix}._fallback", None)
    if pending is not None:
        names, message = pending
        defaults = st.session_state.get(_defaults_key(prefix), {})
        for name in names:
            st.session_state[f"{prefix}.{name}"] = defaults[name]
        st.warning(f"The settings in this link cannot run ({message}); showing the defaults instead.")
    key = _defaults_key(prefix)
    if key in st.session_state:
        return
    defaults = {k[len(prefix) + 1:]: v for k, v in st.session_state.items()
                if isinstance(k, str) and k.startswith(f"{prefix}.") and "._" not in k and ".preset." not in k}
    st.session_state[key] = defaults
    notes, applied = [], []
    for name, text in st.query_params.items():
        if name in _RESERVED:
            continue
        if name not in defaults:
            notes.append(f"ignored the unknown setting '{name}'")
            continue
        try:
            st.session_state[f"{prefix}.{name}"] = decode(text, defaults[name])
            applied.append(name)
        except ValueError as exc:
            notes.append(f"ignored '{name}={text}' ({exc}); kept the default")
    st.session_state[f"{prefix}._from_link"] = applied
    if notes:
        st.warning("This link is out of date: " + "; ".join(notes) + ".")


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
    wanted = {name: encode(value) for name, value in _settings(prefix).items() if value != defaults[name]}
    if WS_PARAM in st.query_params:
        wanted[WS_PARAM] = st.query_params[WS_PARAM]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
