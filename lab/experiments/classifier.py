"""Classifier lab: an MLP on scikit-learn's breast-cancer data, trained epoch by epoch.

One Step per epoch with ``train/loss``, ``val/loss``, ``train/accuracy``, ``val/accuracy``
(measured in eval mode on the whole split after the epoch; the loss is the data's binary
cross-entropy, without the L1 term), ``lr`` (the epoch's) and ``grad/norm``: the norm of the
full training-set gradient at the epoch's end weights (eval mode, L1 term included, weight
decay not), the quantity convergence theory watches go to zero.

Two engines train the same network: "torch" (``torch.nn`` + ``torch.optim``, float32, no
DataLoader: the training tensors are reshuffled with a seeded generator each epoch and
sliced) and "numpy" (forward and backward written out in `numpy_mlp`, float64, with
`lab.optim`'s optimizers, one per parameter array). The numpy engine supports every
option the torch one does, batch norm (batch statistics in training, running ones in eval)
and dropout (masks from its numpy generator) included; its gradients are held to torch
autograd's in tests/test_classifier.py. The positive class is *malignant*
(scikit-learn codes it 0; it is flipped so ROC and precision-recall are about finding it).
Split: stratified 60/20/20 train/val/test, seeded; the scaler is fit on train only.
A trailing batch of a single sample is skipped when batch norm is on (its variance is 0).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.presets import Preset
from lab.records import Step
from lab.schedules import ScheduleConfig
from lab.stopping import Decision
from lab.stopping_config import EpochStoppingFields
from lab.validation import check_bool, check_choice, check_number

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
ENGINES = ("torch", "numpy")
MONITORS = EpochStoppingFields.MONITORS
#: Diverged: a mean training cross-entropy ten times that of a coin flip (ln 2) is worse than useless
#: (blown-up weights; dead ReLUs with huge constant logits often sit there without reaching inf).
DIVERGE_ABOVE = 10 * math.log(2)
MAX_LAYERS = 5


@dataclass(frozen=True)
class ClassifierConfig(EpochStoppingFields, Config):
    """The network, its training, early stopping and the engine."""

    lab: ClassVar[str] = "classifier"
    DIVERGE_ABOVE: ClassVar[float] = DIVERGE_ABOVE

    hidden: tuple[int, ...] = field((16, 8), help="units per hidden layer (0 to 5 layers of 1 to 512 units)")
    activation: str = field("relu", help="hidden activation: " + ", ".join(ACTIVATIONS))
    batch_norm: bool = field(False, help="batch normalisation after each hidden Linear layer")
    dropout: float = field(0.0, help="dropout probability after each hidden activation, in [0, 0.9]")
    weight_decay: float = field(0.0, help="L2 weight decay given to the optimizer (decoupled for adamw)")
    l1: float = field(0.0, help="L1 penalty: l1 * sum |W| over the Linear weights, added to the loss")
    optimizer: str = field("adam", help="optimizer: " + ", ".join(OPTIMIZERS))
    lr: float = field(0.01, help="base learning rate")
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule over epochs (plateau watches val/loss)")
    batch_size: int = field(32, help="mini-batch size (1 to 1024)")
    epochs: int = field(200, help="most epochs to train")
    standardize: bool = field(True, help="standardise the features (StandardScaler fit on the training split)")
    engine: str = field("torch", help="torch (torch.nn, float32) or numpy (hand-written backprop, float64)")
    early_stopping: bool = field(True, help="stop when the monitored metric stops improving")
    stop_monitor: str = field("val/loss", help="metric early stopping watches: " + ", ".join(MONITORS))
    stop_patience: int = field(20, help="epochs without improvement before stopping")
    stop_min_delta: float = field(0.0, help="smallest change that counts as an improvement")
    restore_best: bool = field(True, help="at the end, go back to the weights of the best epoch")
    seed: int = field(0, help="seed of the split, the initial weights, the shuffles and dropout")
    threads: int = field(1, help="torch threads during the run (1 is fastest for a model this small)")

    def __post_init__(self) -> None:
        if not isinstance(self.hidden, tuple) or len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"hidden={self.hidden!r} is not allowed; give a tuple of 0 to {MAX_LAYERS} layer widths")
        for i, width in enumerate(self.hidden):
            check_number(f"hidden[{i}]", width, 1, 512, integer=True)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_bool("batch_norm", self.batch_norm)
        check_number("dropout", self.dropout, 0, 0.9)
        check_number("weight_decay", self.weight_decay, 0, 1)
        check_number("l1", self.l1, 0, 1)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_number("lr", self.lr, 0, 100, low_open=True)
        if not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(f"schedule={self.schedule!r} is not allowed; give a ScheduleConfig")
        check_number("batch_size", self.batch_size, 1, 1024, integer=True)
        if self.batch_norm and self.batch_size < 2:
            raise ValueError("batch_size=1 is not allowed with batch_norm=True (a batch of one has no variance); allowed: 2 to 1024")
        check_number("epochs", self.epochs, 1, 5000, integer=True)
        check_bool("standardize", self.standardize)
        check_choice("engine", self.engine, ENGINES)
        self.check_stopping_fields()
        check_number("seed", self.seed, 0, 2**31 - 1, integer=True)
        check_number("threads", self.threads, 1, 64, integer=True)

    def experiment(self) -> Any:
        data = split_data(self.seed, self.standardize)
        if self.engine == "numpy":
            return NumpyClassifier(self, data)
        from lab.experiments.torch_classifier import TorchClassifier

        return TorchClassifier(self, data)



@dataclass(frozen=True)
class Split:
    """Float64 arrays of the three splits; labels are 1 for malignant."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=1)
def _raw() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, 1.0 - y


@functools.lru_cache(maxsize=16)
def split_data(seed: int, standardize: bool) -> Split:
    """Stratified 60/20/20 split by `seed`; standardised with the training split's statistics."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = _raw()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed)
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (X_train, y_train, X_val, y_val, X_test, y_test)]
    for a in arrays:
        a.flags.writeable = False
    return Split(*arrays)


def batches(n: int, batch_size: int, batch_norm: bool) -> list[tuple[int, int]]:
    """(start, stop) of each mini-batch; a last batch of one sample is dropped under batch norm."""
    spans = [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    if batch_norm and len(spans) > 1 and spans[-1][1] - spans[-1][0] == 1:
        spans.pop()
    return spans


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def report_test(y_true: np.ndarray, logits: np.ndarray) -> dict[str, Any]:
    """Test metrics from sklearn.metrics on the predicted probabilities (threshold 0.5 for labels)."""
    from sklearn import metrics

    with np.errstate(all="ignore"):
        score = sigmoid(np.asarray(logits, dtype=np.float64))
    bad = int((~np.isfinite(score)).sum())
    score = np.nan_to_num(score, nan=0.5)
    pred = (score > 0.5).astype(float)
    fpr, tpr, _ = metrics.roc_curve(y_true, score)
    precision, recall, _ = metrics.precision_recall_curve(y_true, score)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, pred)),
        "roc_auc": float(metrics.roc_auc_score(y_true, score)),
        "average_precision": float(metrics.average_precision_score(y_true, score)),
        "log_loss": float(metrics.log_loss(y_true, np.clip(score, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "y_true": y_true.astype(int).tolist(),
        "y_score": score.tolist(),
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "pr": {"precision": precision.tolist(), "recall": recall.tolist()},
        "confusion": metrics.confusion_matrix(y_true, pred, labels=[0, 1]).tolist(),
        "non_finite_scores": bad,
    }


def _bce(z: np.ndarray, y: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _accuracy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((z > 0) == (y > 0.5)))


def finite(metrics: dict[str, float]) -> dict[str, float]:
    """Non-finite or overflowing values replaced by a cap (see `lab.torch_utils.finite_metrics`)."""
    cap = 1e12
    return {k: (v if np.isfinite(v) and abs(v) <= cap else cap) for k, v in metrics.items()}


class NumpyClassifier:
    """The "numpy" engine: `NumpyMLP` with `lab.optim` optimizers (one per parameter array)."""

    def __init__(self, config: ClassifierConfig, data: Split) -> None:
        from lab import optim
        from lab.experiments.numpy_mlp import NumpyMLP

        self.config, self.data = config, data
        self.rng = np.random.default_rng(config.seed)
        sizes = [data.X_train.shape[1], *config.hidden, 1]
        self.model = NumpyMLP(sizes, config.activation, config.batch_norm, config.dropout, self.rng)
        self.opts = {name: optim.make(config.optimizer, lr=config.lr, weight_decay=config.weight_decay)
                     for name in self.model.params}

    def steps(self):
        c, d, model = self.config, self.data, self.model
        policy = c.schedule.policy(c.lr, c.epochs)
        n = len(d.y_train)
        spans = batches(n, c.batch_size, c.batch_norm)
        for epoch in range(c.epochs):
            lr = policy.lr(epoch)
            for opt in self.opts.values():
                opt.lr = lr
            order = self.rng.permutation(n)
            X, y = d.X_train[order], d.y_train[order]
            with np.errstate(all="ignore"):
                for start, stop in spans:
                    _, grads = model.loss_and_grads(X[start:stop], y[start:stop], c.l1)
                    for name, g in grads.items():
                        model.params[name] = self.opts[name].step(model.params[name], g)
                _, full = model.loss_and_grads(d.X_train, d.y_train, c.l1, train=False)
                norm = np.sqrt(sum(float((g * g).sum()) for g in full.values()))
                z_train, z_val = model.logits(d.X_train), model.logits(d.X_val)
            metrics = {
                "train/loss": _bce(z_train, d.y_train), "val/loss": _bce(z_val, d.y_val),
                "train/accuracy": _accuracy(z_train, d.y_train), "val/accuracy": _accuracy(z_val, d.y_val),
                "lr": float(lr), "grad/norm": float(norm),
            }
            policy.observe(metrics["val/loss"])
            yield Step(epoch, finite(metrics))

    def snapshot(self) -> Any:
        return self.model.state()

    def restore(self, snap: Any) -> None:
        self.model.load_state(snap)

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        d = self.data
        with np.errstate(all="ignore"):
            z_val, z_test = self.model.logits(d.X_val), self.model.logits(d.X_test)
        return {
            "test": report_test(d.y_test, z_test),
            "val": {"loss": _bce(z_val, d.y_val), "accuracy": _accuracy(z_val, d.y_val)},
            "model": f"numpy MLP {[d.X_train.shape[1], *self.config.hidden, 1]}, {self.config.activation}"
                     f"{', batch norm' if self.config.batch_norm else ''}{f', dropout {self.config.dropout}' if self.config.dropout else ''}",
            "split": {"train": len(d.y_train), "val": len(d.y_val), "test": len(d.y_test)},
        }


_OVERFIT = ClassifierConfig(hidden=(64, 64), epochs=100, early_stopping=False)
_DEEP_SGD = dict(hidden=(32, 32, 32), optimizer="sgd", epochs=30, early_stopping=False)

PRESETS: dict[str, Preset] = {
    "overfit": Preset(
        "Overfitting without regularisation",
        "A wide network with no regularisation drives the training loss to zero while the validation "
        "loss turns upwards after a few epochs: it memorises the training set.",
        _OVERFIT,
    ),
    "early_stopping": Preset(
        "Early stopping rescues it",
        "The same network, stopped once the validation loss has not improved for 20 epochs and restored "
        "to its best epoch: the test log-loss is far lower than after training to the end.",
        _OVERFIT.replace(early_stopping=True, restore_best=True),
    ),
    "batch_norm_high_lr": Preset(
        "Batch norm tolerates a 10x larger learning rate",
        "SGD at lr 3 blows a plain deep ReLU network up; with batch normalisation the same lr trains well. "
        "Without batch norm, lr 0.3 is needed.",
        ClassifierConfig(lr=3.0, batch_norm=True, **_DEEP_SGD),
    ),
    "sigmoid_slow": Preset(
        "Sigmoid units learn slowly with SGD",
        "Stacked sigmoids squash the gradient (their slope is at most 1/4), so plain SGD barely moves "
        "a deep sigmoid network where ReLU reaches 95% validation accuracy in a few epochs.",
        ClassifierConfig(activation="sigmoid", lr=0.1, **_DEEP_SGD),
    ),
}
