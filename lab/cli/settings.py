"""What the commands share: settings as ``field=value`` words, and Ctrl-C that ends a run cleanly."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from lab.share import from_query


def parse_settings(cls: type, settings: Sequence[str]) -> Any:
    """A config from ``field=value`` words; ValueError naming each bad or unknown field."""
    params: dict[str, str] = {}
    for word in settings:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ValueError(f"{word!r}: write settings as field=value")
        if key in params:
            raise ValueError(f"{key} is given twice")
        params[key] = value
    config, _ = from_query(cls, params, strict=True)
    return config


def catch_interrupt(cancel: threading.Event, err: TextIO):
    """First Ctrl-C ends the run as "cancelled" (still saved); a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\nstopping after this step (Ctrl-C again to abort)", file=err)

    return signal.signal(signal.SIGINT, handler)


def within_limit(note: str | None, no_limit: bool) -> None:
    """Refuse work past the lab's limit (`lab.budget`'s note) unless ``--no-limit`` was given."""
    if note is not None and not no_limit:
        raise ValueError(f"{note}; add --no-limit to run it anyway")
