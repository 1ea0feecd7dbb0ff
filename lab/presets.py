""""Try this" presets: a config (and stop rule) that shows one lesson, and the lesson in words.

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
    stopping: Any = None
