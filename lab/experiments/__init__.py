"""One folder per lab, each with its config dataclass and the experiment it runs.

`LABS` maps a lab's short name to its config class as ``"module:Class"``, read from
`lab.registry`; `config_class` imports the class only when asked for, so listing the labs
does not import torch or gymnasium.
"""

from __future__ import annotations

import importlib
from typing import Any

from lab import registry

LABS: dict[str, str] = {lab.id: lab.config for lab in registry.LABS.values()}


def config_class(lab: str) -> Any:
    """The config class of a lab, by its short name."""
    if lab not in LABS:
        raise ValueError(f"lab={lab!r} is not known; choose one of {', '.join(sorted(LABS))}")
    module, name = LABS[lab].split(":")
    return getattr(importlib.import_module(module), name)


def config_from_dict(lab: str, data: dict[str, Any]) -> Any:
    """Rebuild a lab's config from `to_dict()` output."""
    return config_class(lab).from_dict(data)
