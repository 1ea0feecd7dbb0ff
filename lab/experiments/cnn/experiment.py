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

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

from lab.budget import TORCH_STEP
from lab.config import field
from lab.constraints import Boolean, Interval, Items, Options
from lab.experiments.cnn.data import split_digits
from lab.optim import OFFERED
from lab.optim_settings import OptimizerSettings, lr_field, optimizer_field, schedule_field
from lab.presets import Preset
from lab.schedules import ScheduleConfig
from lab.stopping import Divergence, Rule
from lab.stopping.config import StoppingConfig, StoppingOn, nest_flat_fields

OPTIMIZERS = OFFERED["cnn"]
#: The metrics early stopping may watch.
MONITORS = ("val/loss", "val/accuracy", "train/loss", "train/accuracy")
KERNELS = (1, 3, 5)
#: Diverged: a mean training cross-entropy ten times that of a uniform guess (ln 10) is worse than
#: useless; a blown-up ReLU network often sits there (dead units, huge constant logits) without reaching inf.
DIVERGE_ABOVE = 10 * math.log(10)
#: Early stopping as the page opens: on val/loss, patience 5, back to the best epoch.
DEFAULT_STOPPING = StoppingConfig(enabled=True, patience=5)


#: Images in the training split (60% of the 1,797 digits, `lab.epochs.stratified_split`), for `work`.
TRAIN_IMAGES = 1078


@dataclass(frozen=True)
class CNNConfig(OptimizerSettings):
    """The network, its training and early stopping. (The optimizer's settings: `OptimizerSettings`.)"""

    lab: ClassVar[str] = "cnn"
    step_unit: ClassVar[str] = "epochs"

    channels: tuple[int, int] = field((16, 32), help="channels of the two conv blocks (1 to 128 each)",
                                      allowed=Items(Interval(Integral, 1, 128), 2, 2))
    kernel_size: int = field(3, help="convolution kernel size: 1, 3 or 5 (same padding)", allowed=Options(KERNELS))
    batch_norm: bool = field(False, help="batch normalisation after each convolution", allowed=Boolean())
    dropout: float = field(0.0, help="dropout probability before the last layer, in [0, 0.9]", allowed=Interval(Real, 0, 0.9))
    augment: bool = field(False, help="shift training images by up to 1 pixel, fresh each epoch", allowed=Boolean())
    optimizer: str = optimizer_field(OPTIMIZERS)
    lr: float = lr_field(0.003)
    weight_decay: float = field(0.0, help="weight decay given to the optimizer (decoupled for adamw and lion); 0 = none",
                                allowed=Interval(Real, 0, 1))
    schedule: ScheduleConfig = schedule_field()
    batch_size: int = field(32, help="mini-batch size (1 to 1024)", allowed=Interval(Integral, 1, 1024))
    epochs: int = field(40, help="most epochs to train", allowed=Interval(Integral, 1, 1000))
    stopping: StoppingConfig = field(DEFAULT_STOPPING,
                                     help="early stopping on one of " + ", ".join(MONITORS), allowed=StoppingOn(MONITORS))
    seed: int = field(0, help="seed of the split, the initial weights, the shuffles, augmentation and dropout",
                      allowed=Interval(Integral, 0, 2**31 - 1))
    threads: int = field(1, help="torch threads during the run", allowed=Interval(Integral, 1, 64), in_url=False)

    def rules(self) -> list[Rule]:
        """The divergence guard on train/loss, then early stopping when it is on."""
        return [Divergence("train/loss", DIVERGE_ABOVE), *self.stopping.rules()]

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Runs saved before early stopping was nested kept it as flat fields."""
        return nest_flat_fields(data, DEFAULT_STOPPING)

    def work(self) -> int:
        """Epochs x (training images x multiply-adds per image + batches x the cost of a torch step).

        The training split has 1,078 of the 1,797 digits; each conv weight is used at every position
        of its block (8x8, then 4x4), the last Linear once; a step costs `lab.budget.TORCH_STEP`.
        """
        (c1, c2), k = self.channels, self.kernel_size * self.kernel_size
        per_image = 64 * k * c1 + 16 * k * c1 * c2 + 4 * c2 * 10
        return self.epochs * (TRAIN_IMAGES * per_image + -(-TRAIN_IMAGES // self.batch_size) * TORCH_STEP)

    @property
    def budget(self) -> int:
        return self.epochs

    def experiment(self) -> Any:
        from lab.experiments.cnn.torch_engine import TorchCNN

        return TorchCNN(self, split_digits(self.seed))



_NO_STOPPING = DEFAULT_STOPPING.replace(enabled=False)

PRESETS: dict[str, Preset] = {
    "augment": Preset(
        "Augmentation narrows the train/validation gap",
        "Shifting each training image by up to a pixel every epoch means the network never sees the same "
        "picture twice: the validation loss stays close to the training loss instead of drifting above it.",
        CNNConfig(augment=True, epochs=20, stopping=_NO_STOPPING),
    ),
    "batch_norm_fast": Preset(
        "Batch norm and a higher learning rate converge in fewer epochs",
        "With batch normalisation the network takes lr 0.01 in its stride and passes 97% validation "
        "accuracy by its third epoch, where the plain network at lr 0.003 needs twice as many.",
        CNNConfig(batch_norm=True, lr=0.01, epochs=10, stopping=_NO_STOPPING),
    ),
    "too_few_channels": Preset(
        "Too few channels underfit",
        "Two channels per block cannot hold what tells ten digits apart: even the training accuracy "
        "stays far below what 16 and 32 channels reach in the same epochs.",
        CNNConfig(channels=(2, 2), epochs=10, stopping=_NO_STOPPING),
    ),
}
