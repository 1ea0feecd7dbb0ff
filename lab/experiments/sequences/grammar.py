"""The sentences the Sequences lab learns from: a small grammar written here, labelled by its rules.

A sentence has one *deciding clause*, "subject verb [negation] [intensifier] word", where the
word is an adjective ("good", "awful") or a noun phrase ("a gem", "a mess") with a polarity.
Its label is that polarity, flipped by a negation ("not", "never", "hardly"). Each sentence is
one kind (`KINDS`):

- plain:    "the plot was very good"                         -> 1
- negated:  "the acting was not good"                        -> 0
- contrast: "the plot was dull but the ending was brilliant" -> 1 (the clause after "but" decides;
            the clause before it has the other polarity, so a model that reads the first clause is wrong)
- long:     a plain deciding clause, then neutral filler clauses ("and we watched it on a rainy
            sunday ...") up to `max_len` words: the deciding word ends up far from the end.

`generate` draws them with one seeded ``numpy`` generator: the same arguments give the same
sentences. Label noise flips a share of the labels after the rules have set them; the kind
stays. A bag of words cannot read the negated kind: "not good" and "not bad" hold the same
"not", and "good" must count for positive in the plain sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The kinds of sentence, in the order the lab reports them.
KINDS = ("plain", "negated", "contrast", "long")
SUBJECTS = ("the movie", "the film", "the plot", "the acting", "the story", "the music", "the ending", "the cast",
            "the script", "the show", "the dialogue", "the camera work")
VERBS = ("was", "is", "seemed", "felt", "looked")
INTENSIFIERS = ("very", "really", "truly", "quite", "so", "extremely")
NEGATIONS = ("not", "never", "hardly")
#: Adjectives and noun phrases by polarity (1 positive, 0 negative).
ADJECTIVES = {1: ("good", "great", "excellent", "wonderful", "brilliant", "fun", "lovely", "superb", "moving", "clever"),
              0: ("bad", "awful", "terrible", "boring", "dull", "poor", "weak", "horrible", "silly", "bland")}
NOUNS = {1: ("a gem", "a delight", "a triumph", "a masterpiece", "a joy"),
         0: ("a mess", "a disaster", "a bore", "a failure", "a letdown")}
#: Neutral clauses a long sentence carries after its deciding clause.
FILLERS = ("and we watched it on a rainy sunday", "after a long day at work", "in a small cinema near the station",
           "with a bag of popcorn and a cold drink", "while the rain kept falling outside", "and my brother came along too",
           "on the second night of the festival", "with the lights of the town below", "as the train went past the window",
           "and then we walked home through the park")


@dataclass(frozen=True)
class Sentence:
    text: str
    label: int
    kind: str


def clause(rng: np.random.Generator, polarity: int, negated: bool = False, intensify: float = 0.3) -> str:
    """One deciding clause whose *word* has `polarity`; negated, its meaning is the other one."""
    words = [SUBJECTS[rng.integers(len(SUBJECTS))], VERBS[rng.integers(len(VERBS))]]
    if negated:
        words.append(NEGATIONS[rng.integers(len(NEGATIONS))])
    if rng.random() < 0.25:
        words.append(NOUNS[polarity][rng.integers(len(NOUNS[polarity]))])
    else:
        if rng.random() < intensify:
            words.append(INTENSIFIERS[rng.integers(len(INTENSIFIERS))])
        words.append(ADJECTIVES[polarity][rng.integers(len(ADJECTIVES[polarity]))])
    return " ".join(words)


def label_of(text: str) -> int:
    """The label the rules give a sentence of this grammar: the last clause after "but" decides;
    its polarity word, flipped by a negation. ValueError for a clause with no polarity word."""
    deciding = text.split(" but ")[-1].split()
    polarity = {w: p for p, ws in ADJECTIVES.items() for w in ws}
    polarity.update({n.split()[1]: p for p, ns in NOUNS.items() for n in ns})
    for i, word in enumerate(deciding):
        if word in polarity:
            negated = any(w in NEGATIONS for w in deciding[:i])
            return polarity[word] ^ int(negated)
    raise ValueError(f"text={text!r} has no word with a polarity")


def sentence(rng: np.random.Generator, kind: str, max_len: int) -> Sentence:
    """One sentence of `kind`, labelled by the rules (`label_of` reads the same label back)."""
    label = int(rng.integers(2))
    if kind == "plain":
        text = clause(rng, label)
    elif kind == "negated":
        text = clause(rng, 1 - label, negated=True)
    elif kind == "contrast":
        text = f"{clause(rng, 1 - label, intensify=0.0)} but {clause(rng, label, intensify=0.0)}"
    else:
        text = _with_fillers(rng, clause(rng, label), max_len)
    return Sentence(text, label, kind)


def _with_fillers(rng: np.random.Generator, text: str, max_len: int) -> str:
    """`text` followed by filler clauses while the sentence stays within `max_len` words (at least one filler)."""
    words = text.split()
    for index in rng.permutation(len(FILLERS)):
        filler = FILLERS[index].split()
        if len(words) + len(filler) > max_len and len(words) > len(text.split()):
            break
        words += filler
    return " ".join(words[:max(max_len, len(text.split()) + 1)])


def generate(n: int, seed: int, *, max_len: int = 16, negated: float = 0.3, contrast: float = 0.15, long: float = 0.15,
             noise: float = 0.0) -> list[Sentence]:
    """`n` sentences; the kinds in the given shares (plain gets the rest), then `noise` of the labels flipped."""
    rng = np.random.default_rng(seed)
    shares = np.array([max(0.0, 1 - negated - contrast - long), negated, contrast, long])
    kinds = rng.choice(len(KINDS), size=n, p=shares / shares.sum())
    sentences = [sentence(rng, KINDS[k], max_len) for k in kinds]
    flips = rng.random(n) < noise
    return [Sentence(s.text, s.label ^ int(f), s.kind) for s, f in zip(sentences, flips)]
