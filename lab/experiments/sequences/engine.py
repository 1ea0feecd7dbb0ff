"""The Sequences lab's torch engine: the shared epoch loop (`lab.torch_training`) over padded sentences.

What is the lab's own: the tokenizer fitted on the training sentences, the model (`models`),
binary cross-entropy on one logit, the gradient's norm measured at every batch before clipping
it (`after_backward`, ``clip_grad_norm_``'s arithmetic on the one flat gradient), the validation
accuracy per sentence kind, and a `Reader` that the page asks about a typed sentence.
There is no test split: the lessons are read on the validation sentences (`final` reports them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lab.epochs import Split, batches, finite_metrics
from lab.experiments.sequences.data import Sentences, load
from lab.experiments.sequences.models import build
from lab.experiments.sequences.tokens import Vocabulary, pad, words
from lab.records import Step
from lab.stopping import Decision
from lab.torch_training import TorchTrainer
from lab.torch_utils import threads

#: The most wrong validation sentences the artifacts list.
MAX_WRONG = 50


class Reader:
    """A trained model and its tokenizer, reading one sentence at a time (plain numbers out)."""

    def __init__(self, model: torch.nn.Module, vocab: Vocabulary, maxlen: int, n_threads: int) -> None:
        self.model, self.vocab, self.maxlen, self.threads = model, vocab, maxlen, n_threads

    def tokens(self, text: str) -> dict[str, Any]:
        """The sentence's words, their indices and the padded row the model reads."""
        ids = self.vocab.to_sequences([text])[0]
        return {"words": words(text), "ids": ids, "padded": pad([ids], self.maxlen)[0].tolist(),
                "shown": [self.vocab.word(i) for i in ids]}

    def read(self, text: str) -> dict[str, Any]:
        """The probability that `text` is positive and, for a unidirectional recurrent model, after each word."""
        tokens = self.tokens(text)
        row = torch.as_tensor([tokens["padded"]], dtype=torch.long)
        self.model.eval()
        with threads(self.threads), torch.inference_mode():
            p = torch.sigmoid(self.model(row)).item()
            n = max(1, min(len(tokens["ids"]), self.maxlen))
            running = self.model.running(row[:, :n])
        return {**tokens, "positive": p, "running": None if running is None else running[0].tolist()}


class SequenceTrainer(TorchTrainer):
    def __init__(self, config: Any, data: Any = None) -> None:
        self.splits = load(config, data)
        train, val = self.splits.train, self.splits.val
        self.vocab = Vocabulary.fit(train.texts, config.num_words)
        X_train, X_val = (pad(self.vocab.to_sequences(s.texts), config.max_len) for s in (train, val))
        split = Split(X_train, train.labels, X_val, val.labels, X_val, val.labels)
        self.kinds = list(dict.fromkeys(val.kinds.tolist()))
        self.kind_masks = {k: torch.as_tensor(val.kinds == k) for k in self.kinds}
        self.clip = config.clip
        self.norms: list[torch.Tensor] = []
        super().__init__(config, split, lambda generator: build(config, self.vocab.size, generator))

    def inputs(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(X), dtype=torch.long)

    def labels(self, y: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.array(y), dtype=torch.float32)

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(z, y)

    def correct(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (z > 0) == (y > 0.5)

    def after_backward(self) -> None:
        """Keep the gradient's norm, then scale it to at most `clip` (``clip_grad_norm_``: coefficient clip / (norm + 1e-6))."""
        grad = self.stepped[0].grad
        norm = torch.linalg.vector_norm(grad)
        self.norms.append(norm)
        if self.clip is not None:
            grad.mul_(torch.clamp(self.clip / (norm + 1e-6), max=1.0))

    def steps(self) -> Iterator[Step]:
        per_epoch = len(batches(len(self.y_train), self.config.batch_size))
        for step in super().steps():
            epoch_norms = torch.stack(self.norms[-per_epoch:])
            metrics = {**step.metrics, **self.kind_accuracy(), "grad/norm_max": epoch_norms.max().item()}
            yield Step(step.step, finite_metrics(metrics))

    def kind_accuracy(self) -> dict[str, float]:
        """Validation accuracy per sentence kind, in eval mode."""
        self.model.eval()
        with threads(self.config.threads), torch.inference_mode():
            right = self.correct(self.logits(self.X_val), self.y_val).float()
            values = torch.stack([right[mask].mean() for mask in self.kind_masks.values()]).tolist()
        self.model.train()
        return {f"val/{kind}/accuracy": v for kind, v in zip(self.kinds, values)}

    def artifacts(self, decision: Decision) -> dict[str, Any]:
        common, z_val = self.final()
        val: Sentences = self.splits.val
        p = torch.sigmoid(z_val).tolist()
        wrong = [{"sentence": t, "kind": k, "label": int(y), "positive": round(q, 3)}
                 for t, k, y, q in zip(val.texts, val.kinds.tolist(), val.labels.tolist(), p) if (q > 0.5) != (y == 1)]
        per_batch = len(batches(len(self.y_train), self.config.batch_size))
        norms = torch.stack(self.norms).tolist() if self.norms else []
        return {
            **common,
            "kinds": self.kind_accuracy(),
            "wrong": wrong[:MAX_WRONG], "n_wrong": len(wrong),
            "grad_norms": {"step": [i / per_batch for i in range(len(norms))], "norm": norms},
            "vocabulary": len(self.vocab.index), "sample": Reader(self.model, self.vocab, self.config.max_len, 1).tokens(val.texts[0]),
            "reader": Reader(self.model, self.vocab, self.config.max_len, self.config.threads),
        }
