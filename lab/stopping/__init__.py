"""When a run stops, and why: the rules, the one early-stopping config, and the libraries' conventions.

- `rules`: small policy objects, ``update(step) -> Decision | None`` and ``reset()``;
- `config`: `StoppingConfig`, the early-stopping settings a lab config nests;
- `conventions`: what Keras, Lightning and scikit-learn would each decide on the same curve.
"""

from lab.records import Decision, Kind, Role
from lab.stopping.rules import (
    Divergence,
    EarlyStopping,
    NeverStop,
    Rule,
    StepBudget,
    Tolerance,
    budget_decision,
    cancelled_decision,
    count,
    singular,
)

__all__ = [
    "Decision", "Divergence", "EarlyStopping", "Kind", "NeverStop", "Role", "Rule", "StepBudget", "Tolerance",
    "budget_decision", "cancelled_decision", "count", "singular",
]
