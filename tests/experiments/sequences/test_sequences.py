"""The Sequences lab: the grammar's labels, the tokenizer against Keras' rules, uploads, clipping, reproducibility."""

from __future__ import annotations

import os

import numpy as np
import pytest

import lab
from lab.experiments.sequences import SequenceConfig
from lab.experiments.sequences.data import read_csv
from lab.experiments.sequences.grammar import FILLERS, KINDS, NEGATIONS, generate, label_of
from lab.experiments.sequences.tokens import Vocabulary, pad, words

os.environ["KERAS_BACKEND"] = "torch"

TINY = SequenceConfig(n_sentences=200, max_len=12, epochs=2, hidden=8, embedding=4, stopping=SequenceConfig().stopping.replace(enabled=False))


@pytest.mark.parametrize("text, label", [
    ("the movie was good", 1),
    ("the movie was very awful", 0),
    ("the movie was not good", 0),
    ("the plot was never bad", 1),
    ("the cast seemed hardly a gem", 0),
    ("the film was a mess", 0),
    ("the plot was good but the acting was awful", 0),  # the clause after "but" decides
    ("the plot was dull but the ending was brilliant", 1),
    ("the plot was good but the ending was not brilliant", 0),
    ("the music was not good but the script was never boring", 1),
    ("the plot was good and we watched it on a rainy sunday", 1),
])
def test_the_rules_label_hand_written_sentences(text, label):
    assert label_of(text) == label


def test_generated_sentences_follow_the_rules_and_their_kinds():
    made = generate(600, seed=3, max_len=20, negated=0.3, contrast=0.2, long=0.2)
    assert all(label_of(s.text) == s.label for s in made)
    by_kind = {k: [s for s in made if s.kind == k] for k in KINDS}
    assert abs(len(by_kind["negated"]) / 600 - 0.3) < 0.06 and abs(len(by_kind["contrast"]) / 600 - 0.2) < 0.06
    assert all(any(w in NEGATIONS for w in s.text.split()) for s in by_kind["negated"])
    assert not any(w in NEGATIONS for s in by_kind["plain"] + by_kind["contrast"] for w in s.text.split())
    assert all(" but " in s.text for s in by_kind["contrast"])
    for s in by_kind["contrast"]:  # the clause before "but" has the other polarity: reading it alone is wrong
        assert label_of(s.text.split(" but ")[0]) != s.label
    assert all(len(s.text.split()) <= 20 and any(f in s.text for f in FILLERS) for s in by_kind["long"])
    assert 0.4 < np.mean([s.label for s in made]) < 0.6
    assert generate(50, seed=3) == generate(50, seed=3) != generate(50, seed=4)


def test_label_noise_flips_its_share_and_keeps_the_kinds():
    clean, noisy = generate(2000, seed=1), generate(2000, seed=1, noise=0.2)
    assert [s.kind for s in clean] == [s.kind for s in noisy] and [s.text for s in clean] == [s.text for s in noisy]
    assert abs(np.mean([a.label != b.label for a, b in zip(clean, noisy)]) - 0.2) < 0.03


def test_the_vocabulary_follows_keras_tokenizer_rules_by_hand():
    texts = ["The cat sat.", "the DOG sat, the end!", "a cat"]
    v = Vocabulary.fit(texts, num_words=5)
    # counts: the 3, cat 2, sat 2, dog 1, end 1, a 1; ties in order of first appearance; OOV first
    assert v.index == {"<OOV>": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5, "end": 6, "a": 7}
    # indices >= num_words (5) and unknown words become the OOV index 1
    assert v.to_sequences(["the cat sat on the dog", "A END"]) == [[2, 3, 4, 1, 2, 1], [1, 1]]
    assert words("Hello, world!\tAgain") == ["hello", "world", "again"]
    assert v.size == 5 and Vocabulary.fit(["a b"], 1000).size == 4


def test_padding_equals_keras_pad_sequences_on_generated_text():
    keras = pytest.importorskip("keras")
    texts = [s.text for s in generate(300, seed=0, max_len=30, long=0.4)]
    seqs = Vocabulary.fit(texts, 40).to_sequences(texts)
    for maxlen in (4, 12, 30):
        expected = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding="post", truncating="post")
        np.testing.assert_array_equal(pad(seqs, maxlen), expected)


@pytest.mark.parametrize("csv, message", [
    (b"", "empty"),
    (b"sentence,label\nhello,1\n", "no text column 'text'"),
    (b"text,score\nhello,1\n", "no label column 'label'"),
    (b"text,label\n" + b"good,1\nbad,2\n" * 6, "labels must be 0 or 1"),
    (b"text,label\n" + b"good,1\nbad,yes\n" * 6, "labels must be 0 or 1"),
    (b"text,label\ngood,1\n", "at least 10"),
    (b"text,label\n" + b"x" * (5 * 1024 * 1024 + 10), "limit"),
])
def test_a_bad_upload_gets_a_one_line_message(csv, message):
    with pytest.raises(ValueError, match=message) as info:
        read_csv(csv, "text", "label")
    assert "\n" not in str(info.value)


def test_an_upload_trains():
    rows = "".join(f"{s.text},{s.label}\n" for s in generate(100, seed=0))
    result = lab.run(TINY.replace(dataset="csv"), data=("text,label\n" + rows).encode())
    assert "val/uploaded/accuracy" in result.steps[-1].metrics and len(result.steps) == 2


def test_shares_over_one_keep_their_proportions_and_leave_no_plain_sentences():
    kinds = [s.kind for s in generate(1000, seed=0, negated=0.8, contrast=0.4, long=0.4)]
    assert "plain" not in kinds and abs(kinds.count("negated") / 1000 - 0.5) < 0.05


@pytest.mark.parametrize("model", ["bow", "mean", "rnn", "gru", "lstm"])
def test_same_config_and_seed_same_curve(model):
    config = TINY.replace(model=model, bidirectional=model == "gru", layers=2 if model == "lstm" else 1, dropout=0.2)
    a, b = lab.run(config), lab.run(config)
    assert [s.metrics for s in a.steps] == [s.metrics for s in b.steps]
    assert a.artifacts["grad_norms"] == b.artifacts["grad_norms"]
    assert {"val/plain/accuracy", "val/negated/accuracy", "grad/norm_max"} <= set(a.steps[-1].metrics)


def test_clipping_is_clip_grad_norm_and_the_norm_is_measured_before_it():
    import torch

    from lab.experiments.sequences.engine import SequenceTrainer

    trainer = SequenceTrainer(TINY.replace(clip=0.01))
    model = trainer.model
    loss = trainer.loss(trainer.logits(trainer.X_train[:32]), trainer.y_train[:32])
    trainer._zero_grad()
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    trainer.after_backward()
    reference = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for r, g in zip(reference, grads):
        r.grad = g.clone()
    norm = torch.nn.utils.clip_grad_norm_(reference, 0.01)
    assert trainer.norms[-1].item() == pytest.approx(norm.item(), rel=1e-5) and norm.item() > 0.01
    for p, r in zip(model.parameters(), reference):
        torch.testing.assert_close(p.grad, r.grad)


def test_the_running_reading_ends_at_the_prediction():
    result = lab.run(TINY.replace(model="gru"))
    read = result.artifacts["reader"].read("the movie was not good")
    assert len(read["running"]) == 5 and read["running"][-1] == pytest.approx(read["positive"], abs=1e-6)
    assert read["padded"][:5] == read["ids"] and read["padded"][5:] == [0] * 7
    assert lab.run(TINY.replace(model="bow")).artifacts["reader"].read("good")["running"] is None
