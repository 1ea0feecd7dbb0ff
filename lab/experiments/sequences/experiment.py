"""Sequences lab: sentiment of sentences, read by a bag of words, a mean of embeddings, an RNN, a GRU or an LSTM.

It makes the course's closing NLP example real: ``Tokenizer(num_words=1000, oov_token="<OOV>")``,
``pad_sequences(maxlen, padding="post", truncating="post")``, an embedding, an LSTM, one sigmoid
unit, binary cross-entropy and Adam; on sentences the project generates (`grammar`), so each
kind of sentence (plain, negated, contrast, long) shows what each model can learn.

One Step per epoch with ``train/loss``, ``val/loss``, ``train/accuracy``, ``val/accuracy``
(`lab.torch_training`), ``lr``, the validation accuracy per kind present (``val/<kind>/accuracy``)
and ``grad/norm_max``: the largest gradient norm over the epoch's batches, before clipping. Every
batch's norm is kept in the artifacts (``grad_norms``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

from lab.budget import TORCH_STEP
from lab.config import field
from lab.constraints import Boolean, Interval, Options, Text
from lab.optim import OFFERED
from lab.optim_settings import OptimizerSettings, lr_field, optimizer_field, schedule_field
from lab.presets import Preset
from lab.schedules import ScheduleConfig
from lab.stopping import Divergence, Rule
from lab.stopping.config import StoppingConfig, StoppingOn

MODELS = ("bow", "mean", "rnn", "gru", "lstm")
MODEL_LABELS = {"bow": "bag of words + logistic regression", "mean": "mean of embeddings", "rnn": "plain RNN (tanh)",
                "gru": "GRU", "lstm": "LSTM"}
RECURRENT = ("rnn", "gru", "lstm")
DATASETS = ("generated", "csv")
#: The torch labs' mini-batch optimizers.
OPTIMIZERS = OFFERED["classifier"]
MONITORS = ("val/loss", "val/accuracy", "train/loss", "train/accuracy")
#: Diverged: a mean cross-entropy ten times a coin flip's (ln 2).
DIVERGE_ABOVE = 10 * math.log(2)
#: Early stopping as the page opens: once validation accuracy has not improved for 3 epochs, back to its best epoch.
DEFAULT_STOPPING = StoppingConfig(enabled=True, monitor="val/accuracy", patience=3)


@dataclass(frozen=True)
class SequenceConfig(OptimizerSettings):
    """The sentences, the tokenizer, the model and its training (the optimizer's settings: `OptimizerSettings`).

    The shares of negated, contrast and long sentences are each 0 to 1; plain sentences are the rest. Where
    the three add up to more than 1 there are no plain ones and the three keep their proportions.
    """

    lab: ClassVar[str] = "sequences"
    step_unit: ClassVar[str] = "epochs"

    dataset: str = field("generated", help="generated (the project's grammar) or csv (uploaded text and 0/1 label)",
                         allowed=Options(DATASETS))
    n_sentences: int = field(2000, help="generated sentences (train and validation together)", allowed=Interval(Integral, 100, 20_000))
    negated: float = field(0.3, help="share of negated sentences (not, never, hardly)", allowed=Interval(Real, 0, 1))
    contrast: float = field(0.15, help="share of contrast sentences (the clause after 'but' decides)", allowed=Interval(Real, 0, 1))
    long: float = field(0.15, help="share of long sentences (filler clauses after the deciding one)", allowed=Interval(Real, 0, 1))
    noise: float = field(0.0, help="share of labels flipped at random", allowed=Interval(Real, 0, 0.5))
    text_column: str = field("text", help="csv: the column holding the sentences", allowed=Text(80, example="text"))
    label_column: str = field("label", help="csv: the column holding the 0/1 labels", allowed=Text(80, example="label"))
    max_len: int = field(16, help="words kept per sentence (pad_sequences maxlen; long sentences fill it)",
                         allowed=Interval(Integral, 4, 64))
    num_words: int = field(1000, help="vocabulary cap (Tokenizer num_words; index 1 is the OOV token)",
                           allowed=Interval(Integral, 3, 20_000))
    model: str = field("lstm", help="model: " + ", ".join(MODELS), allowed=Options(MODELS))
    embedding: int = field(16, help="embedding size", allowed=Interval(Integral, 1, 256))
    hidden: int = field(32, help="hidden units of the recurrent layer", allowed=Interval(Integral, 1, 256))
    layers: int = field(1, help="stacked recurrent layers", allowed=Interval(Integral, 1, 4))
    bidirectional: bool = field(False, help="read the sentence both ways (recurrent models)", allowed=Boolean())
    dropout: float = field(0.0, help="dropout on the embeddings and on what the output layer reads", allowed=Interval(Real, 0, 0.9))
    clip: float | None = field(None, help="clip the gradient's norm to this value before each step (None: off)",
                               allowed=Interval(Real, 0, 1e6, closed="right"))
    weight_decay: float = field(0.0, help="L2 weight decay given to the optimizer (decoupled for adamw and lion); 0 = none",
                                allowed=Interval(Real, 0, 1))
    optimizer: str = optimizer_field(OPTIMIZERS)
    lr: float = lr_field(0.01)
    schedule: ScheduleConfig = schedule_field()
    batch_size: int = field(32, help="mini-batch size", allowed=Interval(Integral, 1, 1024))
    epochs: int = field(20, help="most epochs to train", allowed=Interval(Integral, 1, 500))
    stopping: StoppingConfig = field(DEFAULT_STOPPING, help="early stopping on one of " + ", ".join(MONITORS),
                                     allowed=StoppingOn(MONITORS))
    seed: int = field(0, help="seed of the sentences, the split, the weights, the shuffles and dropout",
                      allowed=Interval(Integral, 0, 2**31 - 1))
    threads: int = field(1, help="torch threads during the run (1 is fastest for a model this small)", allowed=Interval(Integral, 1, 64),
                         in_url=False)

    def rules(self) -> list[Rule]:
        """The divergence guard on train/loss, then early stopping when it is on."""
        return [Divergence("train/loss", DIVERGE_ABOVE), *self.stopping.rules()]

    def parameters(self) -> int:
        """The model's weights for a full vocabulary of `num_words` rows."""
        if self.model == "bow":
            return self.num_words + 1
        e, h = self.embedding, self.hidden
        if self.model == "mean":
            return self.num_words * e + e + 1
        gates = {"rnn": 1, "gru": 3, "lstm": 4}[self.model]
        dirs = 2 if self.bidirectional else 1
        recurrent = sum(dirs * gates * h * ((e if i == 0 else h * dirs) + h + 2) for i in range(self.layers))
        return self.num_words * e + recurrent + h * dirs + 1

    def work(self) -> int:
        """Epochs x (training sentences x words x weights per word + batches x the cost of a torch step).

        A word costs the recurrent weights once (the embedding is a lookup); a CSV counts at the generated size.
        """
        rows = int(self.n_sentences * 0.8)
        per_word = self.parameters() - (self.num_words * self.embedding if self.model != "bow" else 0)
        return self.epochs * (rows * self.max_len * per_word + -(-rows // self.batch_size) * TORCH_STEP)

    @property
    def budget(self) -> int:
        return self.epochs

    def experiment(self, data: Any = None) -> Any:
        """The run; `data` is the uploaded CSV (bytes, text, a file or a DataFrame) for dataset='csv'."""
        from lab.experiments.sequences.engine import SequenceTrainer

        return SequenceTrainer(self, data)


_NO_STOPPING = DEFAULT_STOPPING.replace(enabled=False)
#: What the page opens on: the course's LSTM on 2,000 generated sentences of at most 16 words.
DEFAULT_VIEW = SequenceConfig()
#: Plain and negated sentences only. A bag of words reads the polarity word and cannot undo it with "not":
#: plain sentences pass 95%, negated ones stay at or below a coin's 50% (seeds 0-2); an LSTM gets both right.
_NEGATION = dict(n_sentences=1000, negated=0.25, contrast=0.0, long=0.0, stopping=_NO_STOPPING)
#: 60% long sentences: the deciding clause, then filler up to 24 words. In 8 epochs the LSTM reads them
#: (its forget gates start open) where the plain RNN stays at chance on them.
_LONG = dict(n_sentences=1000, negated=0.0, contrast=0.0, long=0.6, max_len=24, batch_size=16, epochs=8, stopping=_NO_STOPPING)
#: SGD at lr 30 on a plain RNN over sentences up to 24 words: without clipping the gradient norm jumps to tens or
#: hundreds and the loss blows up in the first epoch; clipped to 0.1 the same run learns the plain sentences.
_EXPLODE = dict(model="rnn", optimizer="sgd", lr=30.0, n_sentences=1000, negated=0.0, contrast=0.0, long=0.3, max_len=24,
                epochs=5, stopping=_NO_STOPPING)

PRESETS: dict[str, Preset] = {
    "bow_negation": Preset(
        "A bag of words cannot read 'not'",
        "A bag of words sees 'not' and 'good' but not their order: it gets the plain sentences right and the "
        "negated ones no better than a coin (it reads 'good' in 'not good').",
        SequenceConfig(model="bow", lr=0.05, epochs=30, **_NEGATION),
    ),
    "lstm_negation": Preset(
        "An LSTM learns negation",
        "The same sentences read in order: the LSTM gets the negated sentences right too.",
        SequenceConfig(model="lstm", epochs=10, **_NEGATION),
    ),
    "rnn_forgets": Preset(
        "A plain RNN forgets across long sentences",
        "The deciding word comes first, then filler up to 24 words: by the end a plain RNN has forgotten it, "
        "and its accuracy on the long sentences stays near a coin's.",
        SequenceConfig(model="rnn", **_LONG),
    ),
    "lstm_remembers": Preset(
        "An LSTM remembers",
        "The same long sentences: the LSTM's cell carries the deciding word across the filler.",
        SequenceConfig(model="lstm", **_LONG),
    ),
    "explode": Preset(
        "Exploding gradients",
        "A plain RNN trained by SGD at lr 30 without clipping: the gradient norm spikes and the run diverges.",
        SequenceConfig(**_EXPLODE),
    ),
    "clipped": Preset(
        "Clipping tames them",
        "The same run with the gradient's norm clipped to 0.1 before each step: it trains.",
        SequenceConfig(clip=0.1, **_EXPLODE),
    ),
}
