"""Optimizers written out as the formulas torch.optim implements, in torch's own order of operations.

Every update here acts on each coordinate independently, using only arithmetic and the helpers
below. So the same code runs on float64 numpy arrays of any shape (the public use, held to
``torch.optim`` by the tests) and on plain Python floats, which the 2-D descent lab uses because a
float update costs a fraction of a numpy call on a 2-element array.

Why `fma`: torch's CPU kernels (the AVX2/AVX512 builds) compute ``a.add(b, alpha=s)``,
``addcmul`` and ``lerp`` as one fused multiply-add, rounded once; ``addcdiv`` is
``p + (value * t1) / t2`` unfused. Written with two roundings, an update drifts from torch by an ulp
per step, and on curved problems (Rosenbrock) that drift grows past 1e-3 within a thousand steps.
A number divided by a tensor, ``s / t``, is ``t.reciprocal() * s`` in torch (two roundings), and is
written so here. With the same roundings, and torch's square root in place of `sqrt`, the
trajectories stay equal bit for bit (tests/test_optim.py).

Each optimizer declares its hyperparameters and their defaults in ``DEFAULTS``; what each allows is
declared once in `PARAMETERS`, which the labs' config fields read too (`lab.optim_settings`).

Each optimizer keeps its state (moment estimates, step count) and returns the new params from
``step(params, grad)``; ``reset()`` forgets the state. ``FORMULA`` is the update as implemented,
in LaTeX, for the page to show; ``g_t`` is the gradient (negated when ``maximize``) plus the L2
term where the optimizer adds one.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from lab.constraints import Boolean, Constraint, Interval, Items
from lab.validation import check_choice

_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitting constant for float64


def fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once, as torch's fused CPU kernels round it.

    Dekker's exact product (``a*b = p + e``) and Knuth's two-sum (``p + c = s + err``), then one
    final rounding of ``s + (err + e)``; where the splitting overflows (|a| or |b| near 1e300, or
    an infinite operand) the plain ``p + c`` stands.
    """
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    v = s - p
    r = s + (((p - (s - v)) + (c - v)) + e)
    if type(r) is float:
        return r if r == r else s
    return np.where(np.isnan(r), s, r)


def lerp(start: Any, end: Any, weight: float) -> Any:
    """torch's ``start.lerp_(end, weight)``: from the nearer end, so both halves keep precision."""
    if abs(weight) < 0.5:
        return fma(weight, end - start, start)
    return fma(start - end, 1 - weight, end)


def sqrt(x: Any) -> Any:
    """The correctly rounded square root of a state (a float or an array); NaN below 0, as torch gives.

    torch's float64 ``Tensor.sqrt`` (MKL's vector math on this build) is only faithful: one ulp off
    on about 1% of inputs. The tests put torch's in here to hold every other operation to torch
    bit for bit.
    """
    if type(x) is float:
        return math.sqrt(x) if x >= 0 else math.nan
    return np.sqrt(x)


def _decay(params: Any, grad: Any, lr: float, weight_decay: float, decoupled: bool, maximize: bool) -> tuple[Any, Any]:
    """``(params, g)`` after weight decay, in torch's order: the gradient negated when maximizing, then
    either the weights shrunk by ``lr * weight_decay`` (decoupled, as AdamW) or the L2 term added to it."""
    if weight_decay and decoupled:
        return params * (1 - lr * weight_decay), (-grad if maximize else grad)
    return params, _l2(grad, params, weight_decay, maximize)


def _maximum(a: Any, b: Any) -> Any:
    return max(a, b) if type(a) is float and type(b) is float else np.maximum(a, b)


def _sign(x: Any) -> Any:
    return float((x > 0) - (x < 0)) if type(x) is float else np.sign(x)


def _l2(grad: Any, params: Any, weight_decay: float, maximize: bool) -> Any:
    """The gradient the update uses: negated when maximizing, plus ``weight_decay * params`` (torch's order)."""
    g = -grad if maximize else grad
    return fma(weight_decay, params, g) if weight_decay else g


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter: what it allows and what it does, in words."""

    allowed: Constraint
    help: str


_UNIT = Interval(Real, 0, 1)
_DECAY = Interval(Real, 0, 1, closed="left")

#: Every hyperparameter of every optimizer here, declared once. The optimizers check their arguments
#: against it; the labs' config fields (`lab.optim_settings`), hence their widgets, links and sweeps,
#: read the same declaration. The bounds are the labs' (torch takes any weight decay >= 0).
PARAMETERS: dict[str, Hyperparameter] = {
    "lr": Hyperparameter(Interval(Real, 0, 100, closed="right"), "learning rate eta"),
    "momentum": Hyperparameter(_DECAY, "momentum mu: sgd's heavy ball or nesterov, rmsprop's on the scaled step"),
    "dampening": Hyperparameter(_UNIT, "sgd momentum: the share tau of each gradient left out of the buffer"),
    "nesterov": Hyperparameter(Boolean(), "sgd: look ahead along the momentum (needs momentum > 0, dampening 0)"),
    "alpha": Hyperparameter(_DECAY, "rmsprop: decay of the running average of squared gradients"),
    "centered": Hyperparameter(Boolean(), "rmsprop: divide by the running variance (mean square minus squared mean)"),
    "rho": Hyperparameter(_UNIT, "adadelta: decay of both running averages"),
    "betas": Hyperparameter(Items(_DECAY, 2, 2), "adam family: decays of the first and second moment averages; "
                                                  "lion: of the interpolation and of the momentum"),
    "amsgrad": Hyperparameter(Boolean(), "adam/adamw: divide by the largest second moment so far"),
    "momentum_decay": Hyperparameter(_UNIT, "nadam: psi, how fast the momentum warms up"),
    "decoupled_weight_decay": Hyperparameter(Boolean(), "nadam/radam: decay the weights apart from the gradient, as adamw"),
    "lr_decay": Hyperparameter(_UNIT, "adagrad: the lr at update t is lr / (1 + (t - 1) lr_decay)"),
    "initial_accumulator_value": Hyperparameter(Interval(Real, 0, 100), "adagrad: the starting sum of squared gradients"),
    "eps": Hyperparameter(Interval(Real, 0, 1, closed="right"), "added to the denominator, against division by zero"),
    "weight_decay": Hyperparameter(Interval(Real, 0, 10), "L2 penalty lambda (decoupled for adamw and lion)"),
    "maximize": Hyperparameter(Boolean(), "climb the objective instead of descending it"),
}


class Optimizer:
    """Base class: validated hyperparameters, state, and one `step`.

    A subclass declares its hyperparameters other than lr, in order, with their defaults, in
    `DEFAULTS`; each is checked against `PARAMETERS` and kept as an attribute of the same name.
    A check across hyperparameters goes in `check`.
    """

    name: ClassVar[str] = ""
    FORMULA: ClassVar[str] = ""
    DEFAULTS: ClassVar[dict[str, Any]] = {}
    #: The state and its start values (moment estimates start at 0).
    STATE: ClassVar[dict[str, Any]] = {}
    KEYS: ClassVar[tuple[str, ...]] = ("lr",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """`KEYS` and the signature ``(lr, *, <DEFAULTS>)`` (for help() and editors) from `DEFAULTS`."""
        super().__init_subclass__(**kwargs)
        cls.KEYS = ("lr", *cls.DEFAULTS)
        keyword = inspect.Parameter.KEYWORD_ONLY
        cls.__signature__ = inspect.Signature([inspect.Parameter("lr", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                                               *(inspect.Parameter(k, keyword, default=v) for k, v in cls.DEFAULTS.items())])

    def __init__(self, lr: float, **hyper: Any) -> None:
        unknown = [k for k in hyper if k not in self.DEFAULTS]
        if unknown:
            raise ValueError(f"{unknown[0]}={hyper[unknown[0]]!r} is not allowed for {type(self).__name__}; "
                             f"it takes lr, {', '.join(self.DEFAULTS)}")
        for key, value in {"lr": lr, **self.DEFAULTS, **hyper}.items():
            value = tuple(value) if isinstance(value, list) else value
            PARAMETERS[key].allowed.check(key, value)
            setattr(self, key, value)
        self.check()
        self.reset()

    def check(self) -> None:
        """Checks that span several hyperparameters (each one's own is checked before this)."""

    def reset(self) -> None:
        """Forget the state: the step count and each `STATE` entry back to its start value."""
        self.t = 0
        for name, start in self.STATE.items():
            setattr(self, name, start)

    def step(self, params: Any, grad: Any) -> Any:
        raise NotImplementedError

    def hyper(self) -> dict[str, Any]:
        """The hyperparameters, as keyword arguments for `make`."""
        return {k: getattr(self, k) for k in self.KEYS}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.hyper().items())})"


class SGD(Optimizer):
    """Gradient descent, with optional heavy-ball or Nesterov momentum, dampening and L2 weight decay."""

    name = "sgd"
    DEFAULTS = {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0, "maximize": False}
    STATE = {"buf": None}
    FORMULA = (
        r"g_t = \nabla f(\theta_{t-1}) + \lambda\theta_{t-1},\quad "
        r"b_t = \mu b_{t-1} + (1-\tau) g_t\ (b_1 = g_1),\quad "
        r"\theta_t = \theta_{t-1} - \eta\,(\text{nesterov}\ ?\ g_t + \mu b_t : b_t)"
    )

    def check(self) -> None:
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0; allowed: momentum in (0, 1), dampening 0")

    def step(self, params: Any, grad: Any) -> Any:
        g = _l2(grad, params, self.weight_decay, self.maximize)
        if self.momentum:
            self.buf = g if self.buf is None else fma(1 - self.dampening, g, self.buf * self.momentum)
            g = fma(self.momentum, self.buf, g) if self.nesterov else self.buf
        self.t += 1
        return fma(-self.lr, g, params)


class Adagrad(Optimizer):
    """Each coordinate's step shrinks with the sum of its squared gradients; the lr may decay with t."""

    name = "adagrad"
    DEFAULTS = {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10, "maximize": False}
    FORMULA = (
        r"s_t = s_{t-1} + g_t^2\ (s_0 = s_{\text{init}}),\quad \eta_t = \frac{\eta}{1 + (t-1)\,\delta},\quad "
        r"\theta_t = \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}"
    )

    def reset(self) -> None:
        super().reset()
        self.sum = float(self.initial_accumulator_value)

    def step(self, params: Any, grad: Any) -> Any:
        self.t += 1
        g = _l2(grad, params, self.weight_decay, self.maximize)
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        self.sum = fma(g, g, self.sum)
        return params + (-clr * g) / (sqrt(self.sum) + self.eps)


class RMSprop(Optimizer):
    """A running average of squared gradients scales each step (torch's alpha = 0.99); optionally
    centered (divided by the running variance instead) and with momentum on the scaled step."""

    name = "rmsprop"
    DEFAULTS = {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False, "maximize": False}
    STATE = {"square_avg": 0.0, "grad_avg": 0.0, "buf": 0.0}
    FORMULA = (
        r"v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\quad "
        r"\bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t\ (\text{centered; else } \bar g_t = 0),\quad "
        r"b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{v_t - \bar g_t^2} + \epsilon},\quad \theta_t = \theta_{t-1} - \eta\, b_t"
    )

    def step(self, params: Any, grad: Any) -> Any:
        self.t += 1
        g = _l2(grad, params, self.weight_decay, self.maximize)
        self.square_avg = fma((1 - self.alpha) * g, g, self.square_avg * self.alpha)
        if self.centered:
            self.grad_avg = lerp(self.grad_avg, g, 1 - self.alpha)
            avg = sqrt(fma(-self.grad_avg, self.grad_avg, self.square_avg)) + self.eps
        else:
            avg = sqrt(self.square_avg) + self.eps
        if self.momentum:
            self.buf = self.buf * self.momentum + g / avg
            return fma(-self.lr, self.buf, params)
        return params + (-self.lr * g) / avg


class Adam(Optimizer):
    """Bias-corrected running averages of the gradient and its square; L2 decay into the gradient;
    amsgrad divides by the largest second moment so far."""

    name = "adam"
    decoupled: ClassVar[bool] = False
    DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False}
    STATE = {"m": 0.0, "v": 0.0, "v_max": 0.0}
    FORMULA = (
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
        r"\hat v_t = \text{amsgrad}\ ?\ \max(\hat v_{t-1}, v_t) : v_t,\quad "
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}"
    )

    def step(self, params: Any, grad: Any) -> Any:
        b1, b2 = self.betas
        params, g = _decay(params, grad, self.lr, self.weight_decay, self.decoupled, self.maximize)
        self.t += 1
        self.m = lerp(self.m, g, 1 - b1)
        self.v = fma((1 - b2) * g, g, self.v * b2)
        v = self.v
        if self.amsgrad:
            v = self.v_max = _maximum(self.v_max, v)
        step_size = self.lr / (1 - b1**self.t)
        denom = sqrt(v) / (1 - b2**self.t) ** 0.5 + self.eps
        return params + (-step_size * self.m) / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: the weights shrink by lr*wd before the Adam step."""

    name = "adamw"
    decoupled = True
    DEFAULTS = {**Adam.DEFAULTS, "weight_decay": 0.01}
    FORMULA = (
        r"\theta \leftarrow \theta\,(1 - \eta\lambda),\ \text{then the Adam step on } g_t = \nabla f(\theta)"
        r"\ (\text{amsgrad: } \max(\hat v_{t-1}, v_t) \text{ in place of } v_t)"
    )


class Adamax(Optimizer):
    """Adam with the infinity norm: the second moment is a decaying maximum of |g|."""

    name = "adamax"
    DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "maximize": False}
    STATE = {"m": 0.0, "u": 0.0}
    FORMULA = (
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon),\quad "
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}"
    )

    def step(self, params: Any, grad: Any) -> Any:
        b1, b2 = self.betas
        g = _l2(grad, params, self.weight_decay, self.maximize)
        self.t += 1
        self.m = lerp(self.m, g, 1 - b1)
        self.u = _maximum(self.u * b2, abs(g) + self.eps)
        clr = self.lr / (1 - b1**self.t)
        return params + (-clr * self.m) / self.u


class NAdam(Optimizer):
    """Adam with Nesterov momentum: the step looks ahead with the next momentum coefficient, which warms
    up as ``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))``. Their running product is kept in float32, as torch
    keeps it (a float32 scalar tensor under torch's default dtype)."""

    name = "nadam"
    DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3, "decoupled_weight_decay": False,
                "maximize": False}
    STATE = {"m": 0.0, "v": 0.0, "mu_product": np.float32(1.0)}
    FORMULA = (
        r"\mu_t = \beta_1\,(1 - \tfrac12\, 0.96^{t\psi}),\quad m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad "
        r"v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad "
        r"\theta_t = \theta_{t-1} - \eta\,\Big(\frac{(1-\mu_t)\, g_t}{1 - \prod_{i\le t}\mu_i} + "
        r"\frac{\mu_{t+1}\, m_t}{1 - \prod_{i\le t+1}\mu_i}\Big) \Big/ \Big(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\Big)"
    )

    def step(self, params: Any, grad: Any) -> Any:
        b1, b2 = self.betas
        lr = self.lr
        self.t += 1
        t = self.t
        params, g = _decay(params, grad, lr, self.weight_decay, self.decoupled_weight_decay, self.maximize)
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * self.momentum_decay)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * self.momentum_decay)))
        self.mu_product = self.mu_product * np.float32(mu)
        product = float(self.mu_product)
        self.m = lerp(self.m, g, 1 - b1)
        self.v = fma((1 - b2) * g, g, self.v * b2)
        denom = sqrt(self.v / (1 - b2**t)) + self.eps
        params = params + ((-lr * (1.0 - mu) / (1.0 - product)) * g) / denom
        return params + (((-lr * mu_next) / (1.0 - product * mu_next)) * self.m) / denom


class RAdam(Optimizer):
    """Adam whose adaptive step is switched on, and rectified, once the variance of v_t is tractable
    (rho_t > 5); before that it is momentum SGD with the bias-corrected average."""

    name = "radam"
    DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "decoupled_weight_decay": False, "maximize": False}
    STATE = {"m": 0.0, "v": 0.0}
    FORMULA = (
        r"m_t, v_t \text{ as Adam},\quad \rho_\infty = \tfrac{2}{1-\beta_2} - 1,\quad "
        r"\rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t},\quad "
        r"\theta_t = \theta_{t-1} - \eta\,\frac{m_t}{1-\beta_1^t}\cdot\Big(\rho_t > 5\ ?\ "
        r"\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon}\, r_t : 1\Big),\quad "
        r"r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}"
    )

    def step(self, params: Any, grad: Any) -> Any:
        params, g = _decay(params, grad, self.lr, self.weight_decay, self.decoupled_weight_decay, self.maximize)
        (b1, b2), lr = self.betas, self.lr
        self.t += 1
        t = self.t
        self.m = lerp(self.m, g, 1 - b1)
        self.v = fma((1 - b2) * g, g, self.v * b2)
        bias_correction2 = 1 - b2**t
        m_hat = self.m / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2**t) / bias_correction2
        if rho_t <= 5.0:
            return params - m_hat * lr
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        adaptive = 1 / (sqrt(self.v) + self.eps) * bias_correction2**0.5  # torch's float / tensor: reciprocal, then times
        return params - m_hat * lr * adaptive * rect


class Adadelta(Optimizer):
    """Steps sized by the ratio of two running RMS: of past updates and of gradients (lr 1 is the paper's)."""

    name = "adadelta"
    DEFAULTS = {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "maximize": False}
    STATE = {"square_avg": 0.0, "acc_delta": 0.0}
    FORMULA = (
        r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad "
        r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad "
        r"u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2,\quad \theta_t = \theta_{t-1} - \eta\, \Delta_t"
    )

    def step(self, params: Any, grad: Any) -> Any:
        rho = self.rho
        self.t += 1
        g = _l2(grad, params, self.weight_decay, self.maximize)
        self.square_avg = fma((1 - rho) * g, g, self.square_avg * rho)
        delta = sqrt(self.acc_delta + self.eps) / sqrt(self.square_avg + self.eps) * g
        self.acc_delta = fma((1 - rho) * delta, delta, self.acc_delta * rho)
        return fma(-self.lr, delta, params)


class Lion(Optimizer):
    """EvoLved Sign Momentum (Chen et al. 2023): the step is lr times the sign of an interpolated
    momentum, so every coordinate moves by exactly lr; decoupled weight decay as in lion-pytorch."""

    name = "lion"
    DEFAULTS = {"betas": (0.9, 0.99), "weight_decay": 0.0}
    STATE = {"m": 0.0}
    FORMULA = (
        r"\theta \leftarrow \theta\,(1 - \eta\lambda),\quad "
        r"\theta_t = \theta - \eta\,\operatorname{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\quad "
        r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t"
    )

    def step(self, params: Any, grad: Any) -> Any:
        b1, b2 = self.betas
        self.t += 1
        params = params * (1.0 - self.lr * self.weight_decay)
        update = _sign(fma(1.0 - b1, grad, self.m * b1))
        self.m = fma(1.0 - b2, grad, self.m * b2)
        return fma(-self.lr, update, params)


#: Every optimizer the labs know, declared here once. Name -> (class, fixed settings). "gd" and
#: "sgd" are the same update: "sgd" is meant to be run with gradient noise (a mini-batch stands
#: in), "gd" with the exact gradient.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "gd": (SGD, {}),
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adadelta": (Adadelta, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
    "adamax": (Adamax, {}),
    "nadam": (NAdam, {}),
    "radam": (RAdam, {}),
    "lion": (Lion, {}),
}

LABELS = {
    "gd": "Gradient descent", "sgd": "SGD (noisy gradient)", "momentum": "Momentum", "nesterov": "Nesterov",
    "adagrad": "Adagrad", "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam", "adamw": "AdamW",
    "adamax": "Adamax", "nadam": "NAdam", "radam": "RAdam", "lion": "Lion",
}
#: The names where a chip has little room (the settings column's multiselect cuts "Gradient de…").
SHORT_LABELS = {**LABELS, "gd": "GD", "sgd": "SGD + noise"}

#: The hyperparameters each optimizer takes in the labs (keyword arguments of `make`; the fixed
#: settings aside). `maximize` and NAdam/RAdam's `decoupled_weight_decay` are library options only.
HYPER: dict[str, tuple[str, ...]] = {
    "gd": ("lr", "weight_decay"),
    "sgd": ("lr", "weight_decay"),
    "momentum": ("lr", "momentum", "dampening", "weight_decay"),
    "nesterov": ("lr", "momentum", "weight_decay"),
    "adagrad": ("lr", "lr_decay", "initial_accumulator_value", "eps", "weight_decay"),
    "rmsprop": ("lr", "alpha", "eps", "momentum", "centered", "weight_decay"),
    "adadelta": ("lr", "rho", "eps", "weight_decay"),
    "adam": ("lr", "betas", "eps", "amsgrad", "weight_decay"),
    "adamw": ("lr", "betas", "eps", "amsgrad", "weight_decay"),
    "adamax": ("lr", "betas", "eps", "weight_decay"),
    "nadam": ("lr", "betas", "eps", "momentum_decay", "weight_decay"),
    "radam": ("lr", "betas", "eps", "weight_decay"),
    "lion": ("lr", "betas", "weight_decay"),
}

#: The optimizers that take Adam's two moment decays `betas` with Adam's default (Lion's betas mean
#: something else and default to (0.9, 0.99)).
ADAM_FAMILY: tuple[str, ...] = ("adam", "adamw", "adamax", "nadam", "radam")

#: Mini-batch training has no exact gradient, so "gd" is not among its optimizers.
MINIBATCH: tuple[str, ...] = tuple(name for name in OPTIMIZERS if name != "gd")

#: The optimizers each lab offers. Regression leaves "sgd" out of its picker because there the
#: batch size is what makes the gradient noisy.
OFFERED: dict[str, tuple[str, ...]] = {
    "descent": tuple(OPTIMIZERS),
    "regression": tuple(name for name in OPTIMIZERS if name != "sgd"),
    "classifier": MINIBATCH,
    "cnn": MINIBATCH,
}


#: What "gd", "sgd", "momentum" and "nesterov" use of SGD's formula: each shows only its own terms
#: (the labs' weight decay aside, which the Optimizers page leaves at 0 for them).
_SGD_FORMULAS = {
    "gd": r"\theta_t = \theta_{t-1} - \eta\, \nabla f(\theta_{t-1})",
    "sgd": r"\theta_t = \theta_{t-1} - \eta\, \tilde g_t,\quad \tilde g_t = \nabla f(\theta_{t-1}) + \text{noise}",
    "momentum": (r"g_t = \nabla f(\theta_{t-1}),\quad b_t = \mu b_{t-1} + (1-\tau) g_t\ (b_1 = g_1),\quad "
                 r"\theta_t = \theta_{t-1} - \eta\, b_t"),
    "nesterov": (r"g_t = \nabla f(\theta_{t-1}),\quad b_t = \mu b_{t-1} + g_t\ (b_1 = g_1),\quad "
                 r"\theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t)"),
}


def formula(name: str) -> str:
    """The update `name` runs, in LaTeX: its class's `FORMULA`, narrowed to the terms the name uses."""
    check_choice("optimizer", name, OPTIMIZERS)
    return _SGD_FORMULAS.get(name) or OPTIMIZERS[name][0].FORMULA


def make(name: str, **hyper: Any) -> Optimizer:
    """An optimizer by name; `hyper` overrides its defaults (lr is required)."""
    check_choice("optimizer", name, OPTIMIZERS)
    cls, fixed = OPTIMIZERS[name]
    return cls(**{**fixed, **hyper})
