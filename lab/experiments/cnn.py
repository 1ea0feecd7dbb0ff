"""CNN lab: a two-block convolutional network on scikit-learn's 8x8 digits, epoch by epoch.

One Step per epoch (the Step index is the epoch) with ``train/loss``, ``train/accuracy``,
``val/loss``, ``val/accuracy`` (eval mode, whole split, never augmented), ``lr`` and
``batch/loss_last`` (the training loss of the epoch's last mini-batch, for a live view of
the noisy per-batch curve). Every batch's training loss is kept in
``artifacts["batch_loss"]`` as ``{"epoch": [...], "loss": [...]}`` where epoch is fractional
(batch i of B in epoch e is at e + (i + 1) / B).

The network: [Conv 3x3 (or k x k, same padding) -> BatchNorm? -> ReLU -> MaxPool 2] twice
(8x8 -> 4x4 -> 2x2), flatten, dropout, Linear to 10 classes. Pixels are scaled to [0, 1].
Augmentation shifts each training image by -1, 0 or +1 pixel in each direction (zeros fill
in), drawn afresh every epoch from the run's seeded generator. Split: stratified 60/20/20.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lab.config import Config, field
from lab.presets import Preset
from lab.schedules import ScheduleConfig
from lab.stopping_config import EpochStoppingFields
from lab.validation import check_bool, check_choice, check_number

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
MONITORS = EpochStoppingFields.MONITORS
KERNELS = (1, 3, 5)
#: Diverged: a mean training cross-entropy ten times that of a uniform guess (ln 10) is worse than
#: useless; a blown-up ReLU network often sits there (dead units, huge constant logits) without reaching inf.
DIVERGE_ABOVE = 10 * math.log(10)


@dataclass(frozen=True)
class CNNConfig(EpochStoppingFields, Config):
    """The network, its training and early stopping."""

    lab: ClassVar[str] = "cnn"
    DIVERGE_ABOVE: ClassVar[float] = DIVERGE_ABOVE

    channels: tuple[int, int] = field((16, 32), help="channels of the two conv blocks (1 to 128 each)")
    kernel_size: int = field(3, help="convolution kernel size: 1, 3 or 5 (same padding)")
    batch_norm: bool = field(False, help="batch normalisation after each convolution")
    dropout: float = field(0.0, help="dropout probability before the last layer, in [0, 0.9]")
    augment: bool = field(False, help="shift training images by up to 1 pixel, fresh each epoch")
    optimizer: str = field("adam", help="optimizer: " + ", ".join(OPTIMIZERS))
    lr: float = field(0.003, help="base learning rate")
    schedule: ScheduleConfig = field(ScheduleConfig(), help="learning-rate schedule over epochs (plateau watches val/loss)")
    batch_size: int = field(32, help="mini-batch size (1 to 1024)")
    epochs: int = field(40, help="most epochs to train")
    early_stopping: bool = field(True, help="stop when the monitored metric stops improving")
    stop_monitor: str = field("val/loss", help="metric early stopping watches: " + ", ".join(MONITORS))
    stop_patience: int = field(5, help="epochs without improvement before stopping")
    stop_min_delta: float = field(0.0, help="smallest change that counts as an improvement")
    restore_best: bool = field(True, help="at the end, go back to the weights of the best epoch")
    seed: int = field(0, help="seed of the split, the initial weights, the shuffles, augmentation and dropout")
    threads: int = field(1, help="torch threads during the run")

    def __post_init__(self) -> None:
        if not isinstance(self.channels, tuple) or len(self.channels) != 2:
            raise ValueError(f"channels={self.channels!r} is not allowed; give two channel counts, e.g. (16, 32)")
        for i, c in enumerate(self.channels):
            check_number(f"channels[{i}]", c, 1, 128, integer=True)
        check_choice("kernel_size", self.kernel_size, KERNELS)
        check_bool("batch_norm", self.batch_norm)
        check_number("dropout", self.dropout, 0, 0.9)
        check_bool("augment", self.augment)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_number("lr", self.lr, 0, 100, low_open=True)
        if not isinstance(self.schedule, ScheduleConfig):
            raise ValueError(f"schedule={self.schedule!r} is not allowed; give a ScheduleConfig")
        check_number("batch_size", self.batch_size, 1, 1024, integer=True)
        check_number("epochs", self.epochs, 1, 1000, integer=True)
        self.check_stopping_fields()
        check_number("seed", self.seed, 0, 2**31 - 1, integer=True)
        check_number("threads", self.threads, 1, 64, integer=True)

    def experiment(self) -> Any:
        from lab.experiments.torch_cnn import TorchCNN

        return TorchCNN(self, split_digits(self.seed))



@dataclass(frozen=True)
class Digits:
    """Images (N, 8, 8) scaled to [0, 1] and integer labels, per split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=16)
def split_digits(seed: int) -> Digits:
    """Stratified 60/20/20 split of load_digits by `seed`."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 8, 8)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed)
    arrays = [np.ascontiguousarray(a) for a in (X_train, y_train, X_val, y_val, X_test, y_test)]
    for a in arrays:
        a.flags.writeable = False
    return Digits(*arrays)


PRESETS: dict[str, Preset] = {
    "augment": Preset(
        "Augmentation narrows the train/validation gap",
        "Shifting each training image by up to a pixel every epoch means the network never sees the same "
        "picture twice: the validation loss stays close to the training loss instead of drifting above it.",
        CNNConfig(augment=True, epochs=20, early_stopping=False),
    ),
    "batch_norm_fast": Preset(
        "Batch norm and a higher learning rate converge in fewer epochs",
        "With batch normalisation the network takes lr 0.01 in its stride and passes 97% validation "
        "accuracy in an epoch or two, where the plain network at lr 0.003 needs several.",
        CNNConfig(batch_norm=True, lr=0.01, epochs=10, early_stopping=False),
    ),
    "too_few_channels": Preset(
        "Too few channels underfit",
        "Two channels per block cannot hold what tells ten digits apart: even the training accuracy "
        "stays far below what 16 and 32 channels reach in the same epochs.",
        CNNConfig(channels=(2, 2), epochs=10, early_stopping=False),
    ),
}
