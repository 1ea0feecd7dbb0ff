"""Cost of one early-stopping decision: lab.stopping.EarlyStopping against Keras 3's callback.

Both judge the same 1,000-epoch validation curve (patience large enough that neither stops);
Keras runs on the torch backend, where each comparison is a tensor op. Also times a whole
synthetic Early-stopping lab run through `lab.run`. Prints medians of repeated runs and the ratio.

    python benchmarks/stopping.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lab  # noqa: E402
from benchmarks.timing import median_seconds  # noqa: E402
from lab.experiments.curve import CurveConfig, synthetic_curves  # noqa: E402
from lab.records import Step  # noqa: E402
from lab.stopping import EarlyStopping  # noqa: E402

REPEATS = 7
EPOCHS = 1000


class _Model:
    stop_training = False

    def get_weights(self):
        return []


def main() -> None:
    import keras
    import torch

    torch.set_num_threads(1)
    val, _ = synthetic_curves(CurveConfig(epochs=EPOCHS, onset=EPOCHS))
    values = val.tolist()
    steps = [Step(i, {"val/loss": v}) for i, v in enumerate(values)]

    def ours():
        rule = EarlyStopping("val/loss", patience=EPOCHS)
        for s in steps:
            rule.update(s)

    def theirs():
        callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS)
        callback.set_model(_Model())
        callback.on_train_begin()
        for i, v in enumerate(values):
            callback.on_epoch_end(i, {"val_loss": v})

    theirs()  # warm up the backend
    lab_s, keras_s = median_seconds(ours, REPEATS), median_seconds(theirs, REPEATS)
    print(f"{EPOCHS} decisions: lab.stopping.EarlyStopping median {lab_s * 1e3:.2f} ms "
          f"({lab_s / EPOCHS * 1e6:.2f} us/step); keras.callbacks.EarlyStopping (torch backend) median "
          f"{keras_s * 1e3:.2f} ms ({keras_s / EPOCHS * 1e6:.2f} us/step); keras/lab = {keras_s / lab_s:.1f}x")

    config = CurveConfig(epochs=EPOCHS, onset=EPOCHS // 2)
    run_s = median_seconds(lambda: lab.run(config, stopping=EarlyStopping("val/loss", patience=EPOCHS)), REPEATS)
    print(f"lab.run of a {EPOCHS}-epoch synthetic curve with EarlyStopping: median {run_s * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
