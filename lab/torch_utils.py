"""Small torch helpers the neural-network labs share: thread count, optimizers by name, lr per epoch.

The optimizer names are the ones `lab.optim` uses, so a page's optimizer picker means the
same update whether the numpy formulas or ``torch.optim`` run it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Mapping

import torch

from lab.validation import check_choice

#: Names shared with `lab.optim` (mini-batch training has no exact-gradient "gd").
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")

#: Reported in place of a non-finite or overflowing metric, so a diverged run's last point can be drawn.
METRIC_CAP = 1e12


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)``, restoring the previous count after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """A ``torch.optim`` optimizer by `lab.optim`'s name, with the same fixed settings.

    "momentum" and "nesterov" are SGD with momentum 0.9; "adamw" gets `weight_decay` as given
    (not torch's 0.01 default), so weight_decay=0 means no decay for every name. Adam and AdamW
    use the fused CPU kernel, measurably faster on small models (see benchmarks/classifier.py).
    """
    check_choice("optimizer", name, OPTIMIZERS)
    params = list(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Put `lr` into every param group (what an LRPolicy decides for the coming epoch)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def finite_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """Metrics with every NaN, infinity or value beyond `METRIC_CAP` replaced by the cap.

    A diverged run's loss overflows to inf or NaN; the Divergence rule stops the run at that
    epoch either way, and the capped value keeps the history's last point drawable.
    """
    return {k: (v if math.isfinite(v) and abs(v) <= METRIC_CAP else METRIC_CAP) for k, v in metrics.items()}


def clone_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A deep copy of a module's state_dict (weights and buffers such as batch-norm statistics)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def seeded_init(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-initialise Linear/Conv weights like torch's defaults, drawing from `generator`.

    torch's ``reset_parameters`` uses the global RNG; this draws the same distributions
    (uniform with bound 1/sqrt(fan_in) for weights and biases: kaiming_uniform with a=sqrt(5))
    from a seeded generator, so a run never touches global random state.
    """
    for m in module.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            fan_in = m.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in)
            with torch.no_grad():
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)


def keep_global_rng() -> contextlib.AbstractContextManager:
    """A block after which torch's global RNG is as before (module constructors draw from it)."""
    return torch.random.fork_rng(devices=[])


class SeededDropout(torch.nn.Module):
    """Inverted dropout drawing its masks from a given generator (torch's Dropout uses the global RNG)."""

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"

