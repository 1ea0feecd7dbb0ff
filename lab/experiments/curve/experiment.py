"""Early-stopping lab: a train/validation loss pair, synthetic or uploaded, for a stop rule to judge.

The lab trains nothing. It replays a pair of loss curves epoch by epoch (step = 0-based epoch,
as Keras counts), so the user's `EarlyStopping` alone decides where the run ends, and the
artifacts keep the whole curve so the page can draw what came after the stop.

The synthetic curve is what overfitting looks like: both losses fall as
``floor + A e^(-decay t)``; from the ``onset`` epoch on, validation loss climbs by ``rise`` per
epoch while training loss keeps falling; Gaussian noise on top (``noise`` on validation, a third
of it on training) makes single epochs bump up and down, which is what patience is for. Without
noise the validation minimum is at the onset whenever the fall there is slower than the rise
(``A decay e^(-decay onset) <= rise``), otherwise a little later.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lab.config import Config, field
from lab.constraints import FieldError, Interval, Options, Text
from lab.presets import Preset
from lab.records import Step, history_frame
from lab.stopping import Decision, EarlyStopping
from lab.stopping.config import StoppingConfig, StoppingOn
from lab.uploads import read_numeric_csv, short_name

#: Start-to-floor height and floor of the synthetic losses (a 10-class cross-entropy starts near 2.3).
HEIGHT, FLOOR = 2.0, 0.35
#: The most epochs a curve may have (synthetic or uploaded).
MAX_EPOCHS = 20_000
VAL, TRAIN = "val/loss", "train/loss"
SOURCES = ("synthetic", "upload")
#: The metric early stopping watches here (the lab judges validation loss).
MONITORS = (VAL,)
_VAL_NAMES = ("val_loss", "val/loss", "validation_loss", "valid_loss", "val")
_TRAIN_NAMES = ("loss", "train_loss", "train/loss", "training_loss", "train")
_INDEX_NAMES = ("epoch", "epochs", "step", "steps", "iteration")


@dataclass(frozen=True)
class CurveConfig(Config):
    """A loss curve for early stopping to judge: synthetic (seeded) or uploaded."""

    lab: ClassVar[str] = "curve"

    source: str = field("synthetic", help="'synthetic' (generated from the fields below) or 'upload' (your CSV or table)",
                        allowed=Options(SOURCES))
    epochs: int = field(100, help="number of synthetic epochs, 5 to 20000",
                        allowed=Interval(Integral, 5, MAX_EPOCHS, searched=(50, 400)))
    noise: float = field(0.03, help="standard deviation of the epoch-to-epoch noise on validation loss, 0 to 1",
                         allowed=Interval(Real, 0, 1))
    onset: int = field(40, help="epoch at which overfitting starts (validation loss begins to rise), 0 to epochs",
                       allowed=Interval(Integral, 0, MAX_EPOCHS, searched=(10, 80)))
    decay: float = field(0.08, help="how fast the loss falls: rate of e^(-decay * epoch), in (0, 2]",
                         allowed=Interval(Real, 0, 2, closed="right"))
    rise: float = field(0.01, help="how much validation loss climbs per epoch after the onset, 0 to 0.5", allowed=Interval(Real, 0, 0.5))
    seed: int = field(0, help="random seed of the noise; the same seed gives the same curve", allowed=Interval(Integral, 0, 2**32 - 1))
    val_column: str | None = field(None, help="uploaded column with validation loss (None: a column named like val_loss)",
                                   allowed=Text(example="val_loss"))
    train_column: str | None = field(None, help="uploaded column with training loss (None: a column named like loss, if any)",
                                     allowed=Text(example="loss"))
    stopping: StoppingConfig = field(StoppingConfig(), help="the early-stopping rule judging the curve (off: the run replays it all)",
                                     allowed=StoppingOn(MONITORS))

    def check(self) -> None:
        """Across fields: onset <= epochs; a column name, when given, is not blank."""
        if self.onset > self.epochs:
            raise FieldError("onset", self.onset, f"is past the last epoch; allowed: an integer in [0, epochs={self.epochs}]")
        for name in ("val_column", "train_column"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise FieldError(name, value, "is not allowed; give a column name or None")

    def rules(self) -> list[EarlyStopping]:
        """The early-stopping rule, when it is on (the curve itself never diverges: it is replayed)."""
        return self.stopping.rules()

    def work(self) -> int:
        """Epochs of the curve (an upload is bounded by its reader)."""
        return self.epochs

    @property
    def budget(self) -> int | None:
        return self.epochs if self.source == "synthetic" else None

    def experiment(self, data: Any = None) -> CurveExperiment:
        if self.source == "synthetic":
            if data is not None:
                raise ValueError("source='synthetic' takes no data; set source='upload' to judge your own curve")
            val, train = synthetic_curves(self)
            return CurveExperiment(val, train, [])
        if data is None:
            raise ValueError("source='upload' needs the data: lab.run(config, data=<CSV bytes, DataFrame or dict>)")
        frame, notes = curve_from_data(data, self.val_column, self.train_column)
        train = frame[TRAIN].to_numpy() if TRAIN in frame else None
        return CurveExperiment(frame[VAL].to_numpy(), train, notes)


def synthetic_curves(config: CurveConfig) -> tuple[np.ndarray, np.ndarray]:
    """Validation and training loss per epoch (see the module doc for the shape)."""
    rng = np.random.default_rng(config.seed)
    t = np.arange(config.epochs, dtype=float)
    fall = HEIGHT * np.exp(-config.decay * t)
    past = np.maximum(t - config.onset, 0.0)
    noise = abs(config.noise)  # -0.0 is in range, but numpy refuses a scale whose sign bit is set
    val = FLOOR + fall + config.rise * past + rng.normal(0.0, noise, config.epochs)
    train = FLOOR * (0.8 - 0.4 * (1.0 - np.exp(-past / 30.0))) + fall + rng.normal(0.0, noise / 3, config.epochs)
    return np.maximum(val, 1e-3), np.maximum(train, 1e-3)


class CurveExperiment:
    """Replays the curves; the 'model' is the epoch reached, which restore_best can go back to."""

    def __init__(self, val: np.ndarray, train: np.ndarray | None, notes: list[str]) -> None:
        self.val, self.train, self.notes = val, train, notes
        self.epoch: int | None = None
        self.restored: int | None = None

    def steps(self):
        val = self.val.tolist()
        if self.train is None:
            for epoch, v in enumerate(val):
                self.epoch = epoch
                yield Step(epoch, {VAL: v})
            return
        for epoch, (v, tr) in enumerate(zip(val, self.train.tolist())):
            self.epoch = epoch
            yield Step(epoch, {TRAIN: tr, VAL: v})

    def snapshot(self) -> int | None:
        return self.epoch

    def restore(self, snap: int | None) -> None:
        self.restored = snap

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        """The whole curves (long table: step, metric, value; and plain lists `val`, `train`),
        where the run stopped, the epoch restored (if any) and the true minimum of validation loss."""
        steps = [Step(i, {VAL: float(v)}) for i, v in enumerate(self.val)]
        if self.train is not None:
            steps = [Step(i, {TRAIN: float(tr), **s.metrics}) for (i, tr), s in zip(enumerate(self.train), steps)]
        best = int(np.argmin(self.val))
        return {
            "curves": history_frame(steps),
            "val": self.val.tolist(),
            "train": None if self.train is None else self.train.tolist(),
            "stop_step": decision.step,
            "best_step": decision.best_step,
            "restored_step": self.restored,
            "val_min_step": best,
            "val_min": float(self.val[best]),
            "notes": list(self.notes),
        }


def curve_from_csv(raw: bytes | str, val_column: str | None = None,
                   train_column: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """An uploaded CSV as a frame with `val/loss` (and `train/loss` if found), one row per epoch; and notes.

    Raises ValueError with a message for the user when the file is unusable or a named column
    is missing (the message lists the columns there are).
    """
    frame, notes = read_numeric_csv(raw, max_rows=MAX_EPOCHS)
    return _pick(frame, val_column, train_column, notes)


def curve_from_data(data: Any, val_column: str | None = None,
                    train_column: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Like `curve_from_csv`, for CSV bytes or text, a pandas DataFrame or a dict of columns."""
    if isinstance(data, (bytes, str)):
        return curve_from_csv(data, val_column, train_column)
    if isinstance(data, dict):
        try:
            data = pd.DataFrame(data)
        except ValueError as exc:
            raise ValueError(f"the columns cannot form a table ({exc})") from exc
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data of type {type(data).__name__} is not a curve; give CSV bytes, a DataFrame or a dict")
    frame = data.copy()
    frame.columns = [str(c) for c in frame.columns]
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    numeric = numeric.loc[:, numeric.notna().any()]
    if numeric.shape[1] == 0:
        raise ValueError("the table has no numeric column")
    notes: list[str] = []
    if len(numeric) > MAX_EPOCHS:
        raise ValueError(f"the table has {len(numeric)} rows; at most {MAX_EPOCHS} are allowed")
    return _pick(numeric, val_column, train_column, notes)


def _pick(frame: pd.DataFrame, val_column: str | None, train_column: str | None,
          notes: list[str]) -> tuple[pd.DataFrame, list[str]]:
    columns = [str(c) for c in frame.columns]
    val = _choose(columns, val_column, _VAL_NAMES, "val", "val_column", required=True)
    if train_column is not None and train_column == val:
        raise ValueError(f"train_column={train_column!r} is the validation column too; name another column")
    train = _choose([c for c in columns if c != val], train_column, _TRAIN_NAMES, "train", "train_column", required=False)
    picked = {VAL: frame[val]} if train is None else {TRAIN: frame[train], VAL: frame[val]}
    out = pd.DataFrame(picked).apply(pd.to_numeric, errors="coerce").astype(float)
    finite = np.isfinite(out.to_numpy()).all(axis=1)
    if not finite.all():
        notes = [*notes, f"dropped {int((~finite).sum())} row(s) with missing or infinite losses"]
    out = out[finite].reset_index(drop=True)
    if len(out) < 2:
        raise ValueError(f"column {val!r} has {len(out)} usable value(s); a curve needs at least 2")
    used = f"validation loss from column {val!r}" + ("" if train is None else f", training loss from {train!r}")
    return out, [*notes, used]


def _choose(columns: list[str], named: str | None, known: tuple[str, ...], prefix: str, field_name: str,
            *, required: bool) -> str | None:
    available = ", ".join(map(short_name, columns)) if columns else "(none)"
    if named is not None:
        if named not in columns:
            raise ValueError(f"{field_name}={named!r}: there is no numeric column of that name; available: {available}")
        return named
    lower = {c.lower(): c for c in columns}
    for name in known:
        if name in lower:
            return lower[name]
    for c in columns:
        if c.lower().startswith(prefix):
            return c
    candidates = [c for c in columns if c.lower() not in _INDEX_NAMES]
    if required and len(candidates) == 1:
        return candidates[0]
    if required:
        raise ValueError(f"cannot tell which column is the validation loss; set {field_name} to one of: {available}")
    return None


#: The rule the Early stopping page opens with (a CurveConfig's own default is off: the run replays the whole curve).
DEFAULT_STOPPING = StoppingConfig(enabled=True, patience=5)


def _rule(**settings: Any) -> StoppingConfig:
    """Early stopping on validation loss, as Keras' callback starts (no restore unless asked)."""
    return StoppingConfig(enabled=True, restore_best=settings.pop("restore_best", False), **settings)


PRESETS: dict[str, Preset] = {
    "impatient": Preset(
        "Patience 0 stops at the first bump",
        "With patience 0 the first noisy epoch that is not a new best ends the run, long before the "
        "validation loss reaches its real minimum.",
        CurveConfig(stopping=_rule(patience=0)),
    ),
    "patient": Preset(
        "Patience 10 finds the minimum",
        "Ten epochs of patience ride out the noise; the run stops after the minimum and restore_best "
        "goes back to the best epoch, which is the lowest validation loss of the whole curve.",
        CurveConfig(stopping=_rule(patience=10, restore_best=True)),
    ),
    "min_delta": Preset(
        "min_delta too large stops while still improving",
        "A min_delta of 0.05 asks more of each epoch than the curve gives once it slows down: the run "
        "stops while validation loss is still falling, well above the minimum it would have reached.",
        CurveConfig(stopping=_rule(patience=3, min_delta=0.05)),
    ),
    "baseline": Preset(
        "A baseline never reached stops at patience",
        "With a baseline of 0.3, below anything this curve reaches, no improvement resets the wait: "
        "the run ends at the first epoch that fails to improve once patience epochs have passed "
        "(counted from epoch 0), much earlier than the same patience without a baseline.",
        CurveConfig(stopping=_rule(patience=5, baseline=0.3)),
    ),
}
