"""Optimizers written out as the formulas teach them, following torch.optim's conventions.

Every update here acts on each coordinate independently, using only arithmetic and
``** 0.5``. So the same code runs on float64 numpy arrays of any shape (the public use,
held to ``torch.optim`` by the tests) and on plain Python floats, which the 2-D descent lab
uses because a float update costs a fraction of a numpy call on a 2-element array.

Each optimizer keeps its state (moment estimates, step count) and returns the new params
from ``step(params, grad)``; ``reset()`` forgets the state. ``FORMULA`` is the update as
implemented, in LaTeX, for the page to show.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lab.validation import check_bool, check_choice, check_number


class Optimizer:
    """Base class: validated hyperparameters, state, and one `step`."""

    name: ClassVar[str] = ""
    FORMULA: ClassVar[str] = ""

    def __init__(self, lr: float) -> None:
        check_number("lr", lr, 0, low_open=True)
        self.lr = lr
        self.reset()

    def reset(self) -> None:
        self.t = 0

    def step(self, params: Any, grad: Any) -> Any:
        raise NotImplementedError

    def hyper(self) -> dict[str, Any]:
        """The hyperparameters, as keyword arguments for `make`."""
        return {"lr": self.lr}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.hyper().items())})"


class SGD(Optimizer):
    """Gradient descent, with optional heavy-ball or Nesterov momentum and L2 weight decay."""

    name = "sgd"
    FORMULA = (
        r"g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad "
        r"b_t = \mu b_{t-1} + g_t\ (b_1 = g_1),\quad "
        r"\theta_t = \theta_{t-1} - \eta\,(\text{nesterov}\ ?\ g_t + \mu b_t : b_t)"
    )

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
        check_number("momentum", momentum, 0, 1, high_open=True)
        check_bool("nesterov", nesterov)
        check_number("weight_decay", weight_decay, 0)
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; allowed: momentum in (0, 1)")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        super().__init__(lr)

    def hyper(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov, "weight_decay": self.weight_decay}

    def reset(self) -> None:
        super().reset()
        self.buf = None

    def step(self, params: Any, grad: Any) -> Any:
        g = grad + self.weight_decay * params if self.weight_decay else grad
        if self.momentum:
            self.buf = g if self.buf is None else self.momentum * self.buf + g
            g = g + self.momentum * self.buf if self.nesterov else self.buf
        self.t += 1
        return params - self.lr * g


class Adagrad(Optimizer):
    """Each coordinate's step shrinks with the sum of its squared gradients."""

    name = "adagrad"
    FORMULA = r"s_t = s_{t-1} + g_t^2,\quad \theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}"

    def __init__(self, lr: float, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        check_number("eps", eps, 0, low_open=True)
        check_number("weight_decay", weight_decay, 0)
        self.eps, self.weight_decay = eps, weight_decay
        super().__init__(lr)

    def hyper(self) -> dict[str, Any]:
        return {"lr": self.lr, "eps": self.eps, "weight_decay": self.weight_decay}

    def reset(self) -> None:
        super().reset()
        self.sum = 0.0

    def step(self, params: Any, grad: Any) -> Any:
        g = grad + self.weight_decay * params if self.weight_decay else grad
        self.t += 1
        self.sum = self.sum + g * g
        return params - self.lr * (g / (self.sum**0.5 + self.eps))


class RMSprop(Optimizer):
    """A running average of squared gradients scales each step (torch's alpha = 0.99)."""

    name = "rmsprop"
    FORMULA = (
        r"v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\quad "
        r"b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{v_t} + \epsilon},\quad \theta_t = \theta_{t-1} - \eta\, b_t"
    )

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        check_number("alpha", alpha, 0, 1, high_open=True)
        check_number("eps", eps, 0, low_open=True)
        check_number("momentum", momentum, 0, 1, high_open=True)
        check_number("weight_decay", weight_decay, 0)
        self.alpha, self.eps, self.momentum, self.weight_decay = alpha, eps, momentum, weight_decay
        super().__init__(lr)

    def hyper(self) -> dict[str, Any]:
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "momentum": self.momentum, "weight_decay": self.weight_decay}

    def reset(self) -> None:
        super().reset()
        self.square_avg = 0.0
        self.buf = 0.0

    def step(self, params: Any, grad: Any) -> Any:
        g = grad + self.weight_decay * params if self.weight_decay else grad
        self.t += 1
        self.square_avg = self.alpha * self.square_avg + (1 - self.alpha) * g * g
        scaled = g / (self.square_avg**0.5 + self.eps)
        if self.momentum:
            self.buf = self.momentum * self.buf + scaled
            return params - self.lr * self.buf
        return params - self.lr * scaled


class Adam(Optimizer):
    """Bias-corrected running averages of the gradient and its square; L2 decay into the gradient."""

    name = "adam"
    decoupled: ClassVar[bool] = False
    FORMULA = (
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}"
    )

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas={betas!r} is not allowed; give two numbers in [0, 1)")
        check_number("betas[0]", betas[0], 0, 1, high_open=True)
        check_number("betas[1]", betas[1], 0, 1, high_open=True)
        check_number("eps", eps, 0, low_open=True)
        check_number("weight_decay", weight_decay, 0)
        self.betas, self.eps, self.weight_decay = (betas[0], betas[1]), eps, weight_decay
        super().__init__(lr)

    def hyper(self) -> dict[str, Any]:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay}

    def reset(self) -> None:
        super().reset()
        self.m = 0.0
        self.v = 0.0

    def step(self, params: Any, grad: Any) -> Any:
        b1, b2 = self.betas
        if self.weight_decay and self.decoupled:
            params = params * (1 - self.lr * self.weight_decay)
            g = grad
        else:
            g = grad + self.weight_decay * params if self.weight_decay else grad
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        step_size = self.lr / (1 - b1**self.t)
        denom = self.v**0.5 / (1 - b2**self.t) ** 0.5 + self.eps
        return params - step_size * (self.m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: the weights shrink by lr*wd before the Adam step."""

    name = "adamw"
    decoupled = True
    FORMULA = r"\theta \leftarrow \theta\,(1 - \eta\lambda),\ \text{then the Adam step on } g_t = \nabla f(\theta)"

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(lr, betas, eps, weight_decay)


#: Name -> (class, fixed settings). "gd" and "sgd" are the same update: "sgd" is meant to be
#: run with gradient noise (a mini-batch stands in), "gd" with the exact gradient.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "gd": (SGD, {}),
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}

LABELS = {
    "gd": "Gradient descent", "sgd": "SGD (noisy gradient)", "momentum": "Momentum", "nesterov": "Nesterov",
    "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
}


def make(name: str, **hyper: Any) -> Optimizer:
    """An optimizer by name; `hyper` overrides its defaults (lr is required)."""
    check_choice("optimizer", name, OPTIMIZERS)
    cls, fixed = OPTIMIZERS[name]
    return cls(**{**fixed, **hyper})
