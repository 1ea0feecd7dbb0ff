"""The Sequences lab's data: generated sentences (`grammar`) or an uploaded CSV, split into train and validation.

An upload is a CSV with a text column and a 0/1 label column (names in the config). It is
refused, with a one-line message, when it is empty, too large (`lab.uploads.MAX_BYTES`, more
than `MAX_ROWS` rows), has no such text or label column, has labels other than 0 and 1, or has
fewer than `MIN_ROWS` sentences. Uploaded sentences are all of one kind, "uploaded".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lab.experiments.sequences.grammar import generate
from lab.uploads import read_header, short_name, upload_bytes

#: The share of the sentences held out for validation.
VAL_FRACTION = 0.2
MAX_ROWS = 20_000
MIN_ROWS = 10
UPLOADED = "uploaded"


@dataclass(frozen=True)
class Sentences:
    texts: list[str]
    labels: np.ndarray
    kinds: np.ndarray


@dataclass(frozen=True)
class Splits:
    train: Sentences
    val: Sentences


def load(config: Any, data: Any = None) -> Splits:
    """The config's sentences, split by a seeded shuffle (80% train, 20% validation)."""
    if config.dataset == "csv":
        if data is None:
            raise ValueError("dataset='csv' needs the uploaded file: pass it as lab.run(config, data=...)")
        every = read_csv(data, config.text_column, config.label_column)
    else:
        made = generate(config.n_sentences, config.seed, max_len=config.max_len, negated=config.negated,
                        contrast=config.contrast, long=config.long, noise=config.noise)
        every = Sentences([s.text for s in made], np.array([s.label for s in made]), np.array([s.kind for s in made]))
    order = np.random.default_rng([config.seed, 1]).permutation(len(every.texts))
    n_val = max(1, int(round(VAL_FRACTION * len(order))))
    return Splits(*(_take(every, part) for part in (order[n_val:], order[:n_val])))


def _take(s: Sentences, index: np.ndarray) -> Sentences:
    return Sentences([s.texts[i] for i in index], s.labels[index], s.kinds[index])


def read_csv(source: Any, text_column: str, label_column: str) -> Sentences:
    """An uploaded CSV's sentences and 0/1 labels; ValueError with a message for the user otherwise."""
    if hasattr(source, "to_csv"):
        source = source.to_csv(index=False).encode()
    raw = upload_bytes(source)
    header = read_header(raw)
    for role, name in (("text", text_column), ("label", label_column)):
        if name not in header:
            raise ValueError(f"the file has no {role} column {short_name(name)!r}; its columns are "
                             f"{', '.join(map(short_name, header[:10]))}{' ...' if len(header) > 10 else ''}")
    try:
        frame = pd.read_csv(io.BytesIO(raw), usecols=[text_column, label_column], dtype={text_column: str}, nrows=MAX_ROWS + 1)
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"the file is not a readable CSV ({type(exc).__name__})") from None
    if len(frame) > MAX_ROWS:
        raise ValueError(f"the file has more than {MAX_ROWS} rows; at most {MAX_ROWS} are allowed")
    frame = frame.dropna()
    labels = pd.to_numeric(frame[label_column], errors="coerce")
    if not labels.isin([0, 1]).all():
        bad = frame[label_column][~labels.isin([0, 1])].iloc[0]
        raise ValueError(f"the label column {short_name(label_column)!r} holds {short_name(str(bad))!r}; labels must be 0 or 1")
    if len(frame) < MIN_ROWS:
        raise ValueError(f"the file has {len(frame)} complete row(s); at least {MIN_ROWS} are needed")
    return Sentences(frame[text_column].astype(str).tolist(), labels.to_numpy(dtype=int), np.full(len(frame), UPLOADED))
