""""Try this" presets: a config that shows one lesson, and the lesson in words.

A preset's stopping rule, where it has one, is inside its config (``config.stopping``).

Each lab module keeps its presets in a ``PRESETS`` dict; pages offer them as buttons, and a
test per preset checks that running it shows the behaviour the lesson promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Preset:
    title: str
    lesson: str
    config: Any
