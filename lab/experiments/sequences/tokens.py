"""Words to padded index sequences, by the rules of Keras' ``Tokenizer`` and ``pad_sequences``.

The course's example reads ``Tokenizer(num_words=1000, oov_token="<OOV>")`` then
``pad_sequences(maxlen=20, padding="post", truncating="post")``. Keras 3 no longer ships the
Tokenizer, so its rules are written out here (from ``keras.preprocessing.text.Tokenizer``):

- a text is lower-cased, Keras' punctuation `FILTERS` become spaces, and it is split on spaces;
- words are counted over the fitted texts in order of first appearance; the index is 1 for the
  OOV token, then 2, 3, ... for the words by count, most frequent first, ties in order of first
  appearance (a stable sort);
- `to_sequences` keeps an index below `num_words` and writes the OOV index (1) for any other
  word, known or not; 0 is left for padding.

`pad` follows ``keras.utils.pad_sequences``: every row `maxlen` long, 0 after the words (post
padding), a longer row cut after its first `maxlen` words (post truncation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

OOV = "<OOV>"
#: Keras' default ``filters``: each becomes a space.
FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_TABLE = str.maketrans({c: " " for c in FILTERS})


def words(text: str) -> list[str]:
    """Keras' ``text_to_word_sequence``: lower-cased, filters to spaces, split, empty pieces dropped."""
    return [w for w in str(text).lower().translate(_TABLE).split(" ") if w]


@dataclass(frozen=True)
class Vocabulary:
    """A fitted tokenizer: `index` maps every word seen to its Keras index (OOV is 1)."""

    index: dict[str, int]
    num_words: int

    @classmethod
    def fit(cls, texts: Iterable[str], num_words: int) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(words(text))  # a Counter keeps the order of first appearance, as Keras' OrderedDict
        ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)  # stable: ties keep that order
        return cls({w: i for i, w in enumerate([OOV, *(w for w, _ in ranked if w != OOV)], start=1)}, num_words)

    def to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        return [[i if i < self.num_words else 1 for i in (self.index.get(w, 1) for w in words(t))] for t in texts]

    def word(self, i: int) -> str:
        """The word an index stands for ("" for padding, the OOV token for 1 and any index the cap drops)."""
        if i == 0:
            return ""
        return self._words[i] if 1 < i < min(self.num_words, len(self._words)) else OOV

    @property
    def _words(self) -> list[str]:
        return ["", *self.index]

    @property
    def size(self) -> int:
        """Rows an embedding of this vocabulary needs: the indices below `num_words` that occur, and 0."""
        return min(self.num_words, len(self.index) + 1)


def pad(sequences: Sequence[Sequence[int]], maxlen: int) -> np.ndarray:
    """``keras.utils.pad_sequences(sequences, maxlen, padding="post", truncating="post")`` (int32)."""
    out = np.zeros((len(sequences), maxlen), dtype=np.int32)
    for row, seq in zip(out, sequences):
        kept = list(seq)[:maxlen]
        row[:len(kept)] = kept
    return out
