"""Small torch helpers the neural-network labs share: thread count, optimizers by name, lr per epoch.

The optimizers are `lab.optim`'s (names, classes, fixed settings), so a page's optimizer picker
means the same update whether the numpy formulas or ``torch.optim`` run it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from lab import optim
from lab.validation import check_choice


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)``, restoring the previous count after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float, **hyper: Any) -> torch.optim.Optimizer:
    """The ``torch.optim`` twin of `lab.optim.make(name, lr=lr, **hyper)`: the class of the same name, the same
    fixed settings, `hyper` (the names are torch's) over them.

    "momentum" and "nesterov" are SGD with momentum 0.9; a weight decay not given is torch's default
    (0.01 for "adamw", 0 otherwise). Adam and AdamW
    use the fused CPU kernel, measurably faster on small models (see benchmarks/classifier.py).
    torch.optim has no Lion: "lion" is `Lion` below.
    """
    check_choice("optimizer", name, optim.MINIBATCH)
    cls, fixed = optim.OPTIMIZERS[name]
    fused = {"fused": True} if issubclass(cls, optim.Adam) else {}
    torch_cls = Lion if cls is optim.Lion else getattr(torch.optim, cls.__name__)
    return torch_cls(list(params), lr=lr, **{**fixed, **hyper}, **fused)


class Lion(torch.optim.Optimizer):
    """`lab.optim.Lion` for torch parameters, in lion-pytorch's order of operations (held to it by the tests).

    Per parameter: ``p *= 1 - lr*wd``; ``p -= lr * sign(beta1*m + (1-beta1)*g)``; ``m = beta2*m + (1-beta2)*g``.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - torch.optim's signature
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, wd, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                p.mul_(1.0 - lr * wd)
                p.add_(exp_avg.mul(beta1).add_(p.grad, alpha=1.0 - beta1).sign_(), alpha=-lr)
                exp_avg.mul_(beta2).add_(p.grad, alpha=1.0 - beta2)
        return loss


def flatten_parameters(module: torch.nn.Module) -> torch.nn.Parameter:
    """One flat parameter whose slices are `module`'s parameters, and whose gradient's slices are theirs.

    autograd still computes every layer's gradient, each into its slice of ``flat.grad`` (a
    backward pass adds in place into an existing gradient), so an optimizer over ``[flat]``
    updates the whole network in one kernel call instead of one call per tensor: the same
    elementwise arithmetic, the same weights bit for bit. Zero ``flat.grad`` before each backward
    instead of setting the parameters' gradients to None (that would cut them loose from it).
    """
    params = list(module.parameters())
    flat = torch.nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
    flat.grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        n = p.numel()
        p.data = flat.data[offset : offset + n].view_as(p)
        p.grad = flat.grad[offset : offset + n].view_as(p)
        offset += n
    return flat


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Put `lr` into every param group (what an LRPolicy decides for the coming epoch)."""
    for group in optimizer.param_groups:
        group["lr"] = lr


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

