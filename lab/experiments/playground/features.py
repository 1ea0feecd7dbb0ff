"""The Playground's input features, each a toggle: x1, x2, x1², x2², x1·x2, sin x1, sin x2.

`FEATURES` declares each once: its field name, the label the page shows and how it is computed
from the coordinates. `FeatureConfig` is the toggles as a nested config, so the URL, the widgets
and the sweep space read them like any other field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lab.config import Config, field
from lab.constraints import Boolean, FieldError

#: name -> (label, function of the (N, 2) coordinates)
FEATURES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "x1": ("x₁", lambda X: X[:, 0]),
    "x2": ("x₂", lambda X: X[:, 1]),
    "x1_squared": ("x₁²", lambda X: X[:, 0] ** 2),
    "x2_squared": ("x₂²", lambda X: X[:, 1] ** 2),
    "x1_x2": ("x₁·x₂", lambda X: X[:, 0] * X[:, 1]),
    "sin_x1": ("sin x₁", lambda X: np.sin(X[:, 0])),
    "sin_x2": ("sin x₂", lambda X: np.sin(X[:, 1])),
}


@dataclass(frozen=True)
class FeatureConfig(Config):
    """Which features feed the network (at least one)."""

    x1: bool = field(True, help="the first coordinate", allowed=Boolean())
    x2: bool = field(True, help="the second coordinate", allowed=Boolean())
    x1_squared: bool = field(False, help="x1 squared", allowed=Boolean())
    x2_squared: bool = field(False, help="x2 squared", allowed=Boolean())
    x1_x2: bool = field(False, help="the product x1 x2", allowed=Boolean())
    sin_x1: bool = field(False, help="sin of x1", allowed=Boolean())
    sin_x2: bool = field(False, help="sin of x2", allowed=Boolean())

    def check(self) -> None:
        if not self.names:
            raise FieldError("x1", False, "is not allowed with every other feature off; switch on at least one input feature")

    @property
    def names(self) -> tuple[str, ...]:
        """The features switched on, in the declared order."""
        return tuple(name for name in FEATURES if getattr(self, name))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(FEATURES[name][0] for name in self.names)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The (N, F) inputs of the network from the (N, 2) coordinates."""
        return np.column_stack([FEATURES[name][1](X) for name in self.names])
