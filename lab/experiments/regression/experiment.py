"""Regression lab: linear regression trained by gradient descent, against its closed form.

The model is ``y ≈ X w + b``. As in the textbook, the bias is the weight of a constant-1
column: ``X_b = [1, X]``, ``theta = [b, w]``, and the gradient of the mean squared error on
a batch of m rows is written out,

    grad = 2/m * X_b^T (X_b theta - y).

The yardstick is the least-squares optimum ``theta*`` of the (scaled) training split,
computed once with ``numpy.linalg.lstsq``. Because the MSE is a quadratic with Hessian
``2 G`` (``G = X_b^T X_b / n``), the gap to it is exactly

    MSE(theta) - MSE(theta*) = (theta - theta*)^T G (theta - theta*),

which is how ``gap/optimum`` is computed: non-negative and accurate down to the last digit,
where subtracting two nearly equal losses would show rounding noise on a log axis.

Steps are epochs, numbered as Keras does: step 0 holds the metrics after the first epoch.
Every step records ``train/loss`` (MSE on the whole training split after the epoch),
``val/loss``, ``gap/optimum``, ``grad/norm`` (full-batch gradient) and ``lr`` (the lr the
epoch used).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.constraints import FieldError, Interval, Items, Nested, Options
from lab.experiments.regression.data import SCALINGS, diabetes, regression_data_from_csv, split_and_scale, synthetic
from lab.optim import ADAM_FAMILY, OPTIMIZERS, make
from lab.presets import Preset
from lab.records import Step
from lab.schedules import ScheduleConfig
from lab.stopping import Decision, Divergence, Rule, Tolerance
from lab.stopping.config import StoppingConfig, StoppingOn

DATASETS = ("synthetic", "diabetes", "csv")
#: The metrics every step records; early stopping may watch any of them (all are lower-is-better).
METRICS = ("train/loss", "val/loss", "gap/optimum", "grad/norm")
MAX_FEATURES = 200


#: The fixed cost of one update (numpy calls), in multiply-adds of a gradient (for `RegressionConfig.work`).
UPDATE_COST = 500


@dataclass(frozen=True)
class RegressionConfig(Config):
    """One training run of linear regression by gradient descent."""

    lab: ClassVar[str] = "regression"

    dataset: str = field("synthetic", help="synthetic (make_regression), diabetes (bundled with scikit-learn) or csv (uploaded)",
                         allowed=Options(DATASETS))
    n_samples: int = field(500, help="synthetic: number of rows", allowed=Interval(Integral, 10, 100_000))
    n_features: int = field(10, help="synthetic: number of features", allowed=Interval(Integral, 1, MAX_FEATURES))
    noise: float = field(10.0, help="synthetic: standard deviation of the noise added to y", allowed=Interval(Real, 0, 1000))
    effective_rank: int | None = field(None, help="synthetic: approximate rank of X, small = ill-conditioned (None: well-conditioned)",
                                       allowed=Interval(Integral, 1, MAX_FEATURES))
    feature_spread: float = field(0.0, help="synthetic: decades between the smallest and the largest feature scale",
                                  allowed=Interval(Real, 0, 6))
    target: str = field("", help="csv: the column to predict (empty: the last numeric column)")
    scaling: str = field("standard", help="feature scaling fit on the training split: none, minmax or standard",
                         allowed=Options(SCALINGS))
    batch_size: int | None = field(None, help="rows per update: None = full batch (GD), 1 = SGD, else mini-batch",
                                   allowed=Interval(Integral, 1, 100_000))
    optimizer: str = field("gd", help="update rule: " + ", ".join(OPTIMIZERS), allowed=Options(OPTIMIZERS))
    lr: float = field(0.1, help="learning rate (the schedule's starting value)", allowed=Interval(Real, 0, 100, closed="right"))
    momentum: float = field(0.9, help="momentum and nesterov: momentum factor", allowed=Interval(Real, 0, 1, closed="left"))
    betas: tuple[float, float] = field((0.9, 0.999), help="adam, adamw, adamax, nadam, radam: decay rates of the two moment estimates",
                                       allowed=Items(Interval(Real, 0, 1, closed="left"), 2, 2))
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule over the epochs", allowed=Nested(ScheduleConfig))
    epochs: int = field(100, help="passes over the training split (the step budget)", allowed=Interval(Integral, 1, 100_000))
    val_fraction: float = field(0.2, help="share of the rows held out for validation", allowed=Interval(Real, 0.05, 0.5))
    stopping: StoppingConfig = field(StoppingConfig(), help="early stopping on a recorded metric", allowed=StoppingOn(METRICS))
    tol: float = field(1e-8, help="converged once gap/optimum (the training MSE above the least-squares optimum's) is at or below this",
                       allowed=Interval(Real, 0, None))
    divergence_threshold: float = field(1e10, help="the run counts as diverged once train/loss passes this",
                                        allowed=Interval(Real, 0, 1e300, closed="right"))
    seed: int = field(0, help="seed of the data, the split and the batch order", allowed=Interval(Integral, 0, 2**32 - 1))

    def check(self) -> None:
        """Across fields: effective_rank <= n_features; nesterov needs momentum > 0."""
        if self.effective_rank is not None and self.effective_rank > self.n_features:
            raise FieldError("effective_rank", self.effective_rank,
                             f"is out of range; allowed: an integer in [1, n_features={self.n_features}]")
        if not isinstance(self.target, str):
            raise FieldError("target", self.target, "is not allowed; give a column name (empty: the last numeric column)")
        if self.optimizer == "nesterov" and self.momentum == 0:
            raise FieldError("momentum", self.momentum, "is not allowed with optimizer='nesterov'; allowed: momentum in (0, 1)")

    def experiment(self, data: Any = None) -> RegressionExperiment:
        """The run; `data` is the uploaded CSV (bytes, text, a file or a DataFrame) for dataset='csv'."""
        return RegressionExperiment(self, data)

    def rules(self) -> list[Rule]:
        """The divergence guard on train/loss, convergence to the closed-form optimum, then early stopping when it is on."""
        converged = Tolerance("gap/optimum", self.tol, what="the gap to the least-squares optimum (gap/optimum)")
        return [Divergence("train/loss", self.divergence_threshold), converged, *self.stopping.rules()]

    def work(self) -> int:
        """Epochs x (rows x (features + 1) + updates x the cost of an update).

        Rows x (features + 1) are the multiply-adds of the gradients of an epoch; an update costs
        `UPDATE_COST` more (numpy's fixed cost per call). The diabetes data has 442 rows and 10
        features; an uploaded CSV counts at the synthetic size.
        """
        rows, features = (442, 10) if self.dataset == "diabetes" else (self.n_samples, self.n_features)
        updates = 1 if self.batch_size is None else -(-rows // self.batch_size)
        return self.epochs * (rows * (features + 1) + updates * UPDATE_COST)

    @property
    def budget(self) -> int:
        return self.epochs

    def optimizer_hyper(self) -> dict[str, Any]:
        """Keyword arguments for `lab.optim.make`: the lr and the settings this optimizer uses."""
        hyper: dict[str, Any] = {"lr": self.lr}
        if self.optimizer in ("momentum", "nesterov"):
            hyper["momentum"] = self.momentum
        if self.optimizer in ADAM_FAMILY:
            hyper["betas"] = self.betas
        return hyper


def load_data(config: RegressionConfig, data: Any = None) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """``(X, y, feature_names, notes)`` for the config's dataset (unsplit, unscaled)."""
    notes: list[str] = []
    if config.dataset == "csv":
        if data is None:
            raise ValueError("dataset='csv' needs the uploaded file: pass it as lab.run(config, data=...)")
        if hasattr(data, "to_csv"):
            data = data.to_csv(index=False).encode()
        return regression_data_from_csv(data, config.target)
    if data is not None:
        notes.append(f"the uploaded data is not used: dataset={config.dataset!r}")
    if config.dataset == "diabetes":
        X, y, names = diabetes()
    else:
        X, y, names = synthetic(config.n_samples, config.n_features, config.noise, config.effective_rank,
                                config.feature_spread, config.seed)
    return X, y, names, notes


def with_bias_column(X: np.ndarray) -> np.ndarray:
    """``X_b = [1, X]``: the bias becomes the weight of a constant-1 column (theta[0])."""
    return np.ascontiguousarray(np.column_stack([np.ones(len(X)), X]))


def mse_gradient(X_b: np.ndarray, y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The textbook gradient of the mean squared error: 2/m X_b^T (X_b theta - y)."""
    return (2.0 / len(y)) * (X_b.T @ (X_b @ theta - y))


_LARGEST = sys.float_info.max


class RegressionExperiment:
    """Prepares the data and the closed-form optimum once; `steps()` trains epoch by epoch."""

    def __init__(self, config: RegressionConfig, data: Any = None) -> None:
        self.config = config
        X, y, self.feature_names, self.notes = load_data(config, data)
        split = split_and_scale(X, y, config.val_fraction, config.scaling, config.seed)
        self.X_train, self.X_val = with_bias_column(split.X_train), with_bias_column(split.X_val)
        self.y_train, self.y_val = split.y_train, split.y_val
        with np.errstate(all="ignore"):
            self.theta_star = np.linalg.lstsq(self.X_train, self.y_train, rcond=None)[0]
            residual = self.X_train @ self.theta_star - self.y_train
            self.optimum_mse = float(residual @ residual / len(self.y_train))
            self.gram = self.X_train.T @ self.X_train / len(self.y_train)
        # Column-major copies: numpy's matrix-vector products over the whole split (the
        # full-batch gradient and the metrics of every epoch) run about 25% faster on them.
        self._X_train_f, self._X_val_f = np.asfortranarray(self.X_train), np.asfortranarray(self.X_val)
        self.theta = np.zeros(self.X_train.shape[1])
        self.policy = config.schedule.policy(config.lr, config.epochs)

    def hessian_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the MSE's Hessian 2G on the training split, ascending."""
        return np.linalg.eigvalsh(2.0 * self.gram)

    def max_stable_lr(self) -> float:
        """Full-batch gradient descent converges for lr below 2 / lambda_max(Hessian)."""
        return float(2.0 / self.hessian_eigenvalues()[-1])

    def snapshot(self) -> np.ndarray:
        return self.theta.copy()

    def restore(self, snap: np.ndarray) -> None:
        self.theta = snap.copy()

    def steps(self):
        cfg = self.config
        X, y, Xv, yv = self._X_train_f, self.y_train, self._X_val_f, self.y_val
        n, nv = len(y), len(yv)
        batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
        opt = make(cfg.optimizer, **cfg.optimizer_hyper())
        policy = self.policy = cfg.schedule.policy(cfg.lr, cfg.epochs)
        rng = np.random.default_rng(cfg.seed)
        theta_star, gram = self.theta_star, self.gram
        # A batch whose squared-error sum passes this proves the whole training MSE is past the
        # divergence threshold: the epoch stops there, before the numbers can overflow.
        batch_limit = cfg.divergence_threshold * n
        with np.errstate(all="ignore"):
            grad = mse_gradient(X, y, self.theta)
            for epoch in range(cfg.epochs):
                lr = policy.lr(epoch)
                opt.lr = lr
                if batch == n:
                    self.theta = opt.step(self.theta, grad)
                else:
                    self.theta = self._epoch(opt, rng, batch, batch_limit)
                theta = self.theta
                residual = X @ theta - y
                train = float(residual @ residual) / n
                grad = (2.0 / n) * (X.T @ residual)
                val_residual = Xv @ theta - yv
                val = float(val_residual @ val_residual) / nv
                diff = theta - theta_star
                gap = float(diff @ gram @ diff)
                grad_norm = math.sqrt(grad @ grad)
                metrics = {"train/loss": train, "val/loss": val, "gap/optimum": gap, "grad/norm": grad_norm, "lr": lr}
                if not math.isfinite(train + val + gap + grad_norm):
                    metrics = _finite(metrics)
                policy.observe(val)
                yield Step(epoch, metrics)

    def _epoch(self, opt: Any, rng: np.random.Generator, batch: int, batch_limit: float) -> np.ndarray:
        """One pass over the training rows in a fresh random order, one update per batch."""
        order = rng.permutation(len(self.y_train))
        X, y = self.X_train[order], self.y_train[order]
        theta = self.theta
        if batch == 1:
            # The same gradient with m = 1, x a row: 2 x (x . theta - y). Scalars instead of
            # 1-row matrices make a per-row update nearly twice as fast.
            for x, target in zip(X, y):
                residual = x @ theta - target
                if not residual * residual <= batch_limit:
                    break
                theta = opt.step(theta, (2.0 * residual) * x)
            return theta
        for start in range(0, len(y), batch):
            Xb, yb = X[start:start + batch], y[start:start + batch]
            residual = Xb @ theta - yb
            if not residual @ residual <= batch_limit:
                break
            theta = opt.step(theta, (2.0 / len(yb)) * (Xb.T @ residual))
        return theta

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        theta, star = self.theta, self.theta_star
        with np.errstate(all="ignore"):
            y_pred = self.X_val @ theta
        eigen = self.hessian_eigenvalues()
        return {
            "optimum": {"weights": star[1:].tolist(), "bias": float(star[0]), "train_mse": self.optimum_mse},
            "weights": theta[1:].tolist(),
            "bias": float(theta[0]),
            "feature_names": list(self.feature_names),
            "y_true": self.y_val.tolist(),
            "y_pred": y_pred.tolist(),
            "hessian_eigenvalues": eigen.tolist(),
            "max_stable_lr": float(2.0 / eigen[-1]),
            "condition_number": float(eigen[-1] / eigen[0]) if eigen[0] > 0 else None,
            "lr_cuts": self.policy.cuts,
            "n_train": len(self.y_train),
            "n_val": len(self.y_val),
            "notes": list(self.notes),
        }


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    """A diverged step's metrics without non-finite values: an overflowed train/loss is recorded
    as the largest float (so the divergence rule still fires and charts get a number); other
    non-finite metrics are left out of the step."""
    clean = {k: v for k, v in metrics.items() if math.isfinite(v)}
    if "train/loss" not in clean:
        clean["train/loss"] = _LARGEST
    return clean


PRESETS: dict[str, Preset] = {
    "no_scaling": Preset(
        title="No scaling: gradient descent crawls",
        lesson=(
            "The ten features span three decades of scale, so the loss is a long, narrow valley: "
            "the largest stable lr is set by the largest feature, and along the smallest ones it "
            "barely moves. After 200 epochs at just under that lr the gap to the optimum has hardly "
            "shrunk. Switch scaling to standard: the largest stable lr becomes about 0.8 and the gap "
            "falls to rounding error within the same 200 epochs."
        ),
        config=RegressionConfig(feature_spread=3.0, scaling="none", lr=0.001, epochs=200),
    ),
    "sgd_batch_1": Preset(
        title="Batch size 1: noisy but cheap per step",
        lesson=(
            "With one row per update an epoch makes 400 small steps instead of one, so the gap "
            "falls within a couple of epochs, where full-batch descent at the same lr is still far "
            "off. The price is noise: each step follows one row's gradient, so train/loss jumps up "
            "about as often as down once it nears the optimum, and never settles on it at a "
            "constant lr."
        ),
        config=RegressionConfig(batch_size=1, lr=0.002, epochs=30),
    ),
    "too_large_lr": Preset(
        title="Too large a learning rate diverges",
        lesson=(
            "Full-batch descent on a quadratic converges only for lr below 2 / (largest "
            "curvature), about 0.84 here. At lr = 1 every step overshoots the valley floor by "
            "more than it corrects, the loss grows by a constant factor per epoch, and the run "
            "stops with 'diverged' once train/loss passes the threshold."
        ),
        config=RegressionConfig(lr=1.0, epochs=100),
    ),
    "momentum_edge": Preset(
        title="Momentum: the same lr is stable again",
        lesson=(
            "lr = 1 is past gradient descent's edge 2/λmax ≈ 0.84 (the preset before this one diverges "
            "there). With momentum μ = 0.5 the heavy ball's edge moves to 2(1 + μ)/λmax ≈ 1.26, so the "
            "same lr converges. The stability map below shows it for every lr and μ: at lr = 1 the "
            "bottom row (μ = 0) is red, and the cross (this run) sits in the green."
        ),
        config=RegressionConfig(optimizer="momentum", lr=1.0, momentum=0.5, epochs=100),
    ),
    "early_stopping": Preset(
        title="Early stopping on a small, noisy dataset",
        lesson=(
            "45 training rows, 40 features and heavy noise: descent first learns the signal, then "
            "fits the noise, and the validation loss turns back up while the training loss keeps "
            "falling. Early stopping on val/loss with patience 20 stops soon after the turn and "
            "restores the weights of the best epoch, which predict new rows far better than the "
            "weights of the last one."
        ),
        config=RegressionConfig(n_samples=60, n_features=40, noise=50.0, val_fraction=0.25, lr=0.2, epochs=2000,
                                stopping=StoppingConfig(enabled=True, patience=20, restore_best=True)),
    ),
}
