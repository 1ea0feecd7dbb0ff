"""The Sequences lab's torch models: each reads a batch of padded index rows and gives one logit a row.

- ``bow``: bag of words + logistic regression, Keras' ``texts_to_matrix(mode="binary")`` then one
  Linear layer. It sees which words occur, not their order: it cannot read "not".
- ``mean``: the mean of the words' embeddings (padding left out), then one Linear layer.
- ``rnn``, ``gru``, ``lstm``: embedding, then ``torch.nn.RNN`` (tanh) / ``GRU`` / ``LSTM``; the
  output layer reads the top layer's hidden state at the sentence's last word (not after the
  padding), forward and, when bidirectional, the backward direction's state at the first word.

Dropout (seeded masks, `lab.torch_utils.SeededDropout`) acts on the embeddings and on what the
output layer reads; torch's own inter-layer dropout would draw from the global RNG. Every weight
is drawn from the run's generator with torch's default distributions.
"""

from __future__ import annotations

import math

import torch

from lab.torch_utils import SeededDropout, keep_global_rng, seeded_init

RECURRENT = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


class SentenceModel(torch.nn.Module):
    def __init__(self, kind: str, vocab: int, embedding: int, hidden: int, layers: int, bidirectional: bool,
                 dropout: float, generator: torch.Generator) -> None:
        super().__init__()
        self.kind, self.vocab = kind, vocab
        self.drop = SeededDropout(dropout, generator)
        if kind == "bow":
            self.out = torch.nn.Linear(vocab, 1)
        else:
            self.embed = torch.nn.Embedding(vocab, embedding, padding_idx=0)
            width = embedding
            if kind in RECURRENT:
                self.rnn = RECURRENT[kind](embedding, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
                width = hidden * (2 if bidirectional else 1)
            self.out = torch.nn.Linear(width, 1)
        self.bidirectional = bidirectional and kind in RECURRENT
        self.hidden = hidden
        _seeded(self, generator)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(self.features(ids))).squeeze(1)

    def features(self, ids: torch.Tensor) -> torch.Tensor:
        """What the output layer reads, one row per sentence."""
        if self.kind == "bow":
            present = torch.zeros(ids.shape[0], self.vocab, dtype=torch.float32).scatter_(1, ids.long(), 1.0)
            present[:, 0] = 0.0
            return present
        real = ids != 0
        vectors = self.drop(self.embed(ids))
        if self.kind == "mean":
            return vectors.sum(1) / real.sum(1, keepdim=True).clamp(min=1)
        outputs, _ = self.rnn(vectors)
        last = (real.sum(1) - 1).clamp(min=0)
        forward = outputs[torch.arange(len(ids)), last, :self.hidden]
        if not self.bidirectional:
            return forward
        return torch.cat([forward, outputs[:, 0, self.hidden:]], 1)

    def running(self, ids: torch.Tensor) -> torch.Tensor | None:
        """The positive-so-far after each word of one sentence: sigmoid of the output layer applied to each step's
        hidden state (a unidirectional recurrent model only; None for the others)."""
        if self.kind not in RECURRENT or self.bidirectional:
            return None
        outputs, _ = self.rnn(self.embed(ids))
        return torch.sigmoid(self.out(outputs)).squeeze(-1)


def _seeded(model: SentenceModel, generator: torch.Generator) -> None:
    """torch's default initialisations, drawn from `generator`: N(0, 1) embeddings (padding row 0),
    U(-1/sqrt(hidden), 1/sqrt(hidden)) recurrent weights, Linear layers as `seeded_init`; an LSTM's forget
    gates start open (bias 1, Keras' ``unit_forget_bias=True``), so that it remembers from the first epoch."""
    with keep_global_rng(), torch.no_grad():
        seeded_init(model, generator)
        if hasattr(model, "embed"):
            model.embed.weight.normal_(generator=generator)
            model.embed.weight[0].zero_()
        if hasattr(model, "rnn"):
            bound = 1.0 / math.sqrt(model.hidden)
            for p in model.rnn.parameters():
                p.uniform_(-bound, bound, generator=generator)
            if model.kind == "lstm":  # Keras' unit_forget_bias: the forget gates' biases (torch's order i, f, g, o) sum to 1
                for name, p in model.rnn.named_parameters():
                    if name.startswith("bias_"):
                        p[model.hidden:2 * model.hidden] = 1.0 if name.startswith("bias_ih") else 0.0


def build(config, vocab: int, generator: torch.Generator) -> SentenceModel:
    """The config's model over a vocabulary of `vocab` rows."""
    with keep_global_rng():
        return SentenceModel(config.model, vocab, config.embedding, config.hidden, config.layers, config.bidirectional,
                             config.dropout, generator)
