"""Vocabularies: strings <-> integer ids, deterministic, saved in checkpoints as plain JSON data.

`Vocab` (tokens, feature values) reserves 0 = `<pad>` and 1 = `<unk>`; `LabelVocab` (output
labels) has neither. The label `IGNORE_LABEL` ("") marks a position that is neither trained nor
scored (e.g. context positions of a window); it encodes to -1, like padding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstm_cli.data.affixes import affix_values, is_affix_name
from lstm_cli.data.normalize import normalizer
from lstm_cli.data.types import Example
from lstm_cli.errors import DataError

PAD = "<pad>"
UNK = "<unk>"
IGNORE_LABEL = ""
IGNORE_ID = -1
WORD_START = "<w>"      # the character encoder reads <w> c_1 … c_n </w>
WORD_END = "</w>"


class Vocab:
    """Token ids: `<pad>` = 0, `<unk>` = 1, then `words` in the order given.

    Every token is normalised (`lowercase`, `digits`: see `normalize.py`) before it is counted,
    looked up or added. `counts` holds the training counts from `build` (not saved by `to_dict`).
    The first `trained` words after <pad> and <unk> are the ones given at construction (for
    `build`: the training words); `extend` appends others (e.g. pretrained vectors' words).
    """

    pad_id = 0
    unk_id = 1

    def __init__(self, words: Iterable[str] = (), *, lowercase: bool = False,
                 digits: bool = False) -> None:
        self.lowercase = lowercase
        self.digits = digits
        self.normalize = normalizer(lowercase=lowercase, digits=digits)
        self.words: list[str] = [PAD, UNK]
        self.ids: dict[str, int] = {PAD: self.pad_id, UNK: self.unk_id}
        self.counts: dict[str, int] = {}
        self.extend(words)
        self.trained = len(self.words) - 2

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, min_count: int = 1,
              lowercase: bool = False, digits: bool = False) -> Vocab:
        """Words seen at least `min_count` times, by descending count, then alphabetically.

        Empty strings (the placeholder tokens of dense data) are not counted.
        """
        normalize = normalizer(lowercase=lowercase, digits=digits)
        counts = Counter(normalize(token) for tokens in sequences for token in tokens if token)
        kept = sorted((word for word, count in counts.items() if count >= min_count),
                      key=lambda word: (-counts[word], word))
        vocab = cls(kept, lowercase=lowercase, digits=digits)
        vocab.counts = dict(counts)
        return vocab

    def extend(self, words: Iterable[str]) -> int:
        """Append the (normalised) words not yet known, in the order given; return how many."""
        before = len(self.words)
        for word in map(self.normalize, words):
            if word not in self.ids:
                self.ids[word] = len(self.words)
                self.words.append(word)
        return len(self.words) - before

    def id_of(self, token: str) -> int:
        """The id of one token; `unk_id` if unknown."""
        return self.ids.get(self.normalize(token), self.unk_id)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Ids [len(tokens)] int64; unknown tokens get `unk_id`."""
        return np.fromiter(map(self.id_of, tokens), dtype=np.int64, count=len(tokens))

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, token: str) -> bool:
        return self.normalize(token) in self.ids

    def is_trained(self, token: str) -> bool:
        """Whether the token (normalised) is one of the `trained` words (ids 2 … trained + 1)."""
        return 2 <= self.ids.get(self.normalize(token), self.pad_id) < 2 + self.trained

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data from which `from_dict` rebuilds the same ids."""
        return {"words": self.words[2:], "lowercase": self.lowercase, "digits": self.digits,
                "trained": self.trained}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        """Inverse of `to_dict`."""
        vocab = cls(data["words"], lowercase=data["lowercase"], digits=data["digits"])
        vocab.trained = data.get("trained", vocab.trained)
        return vocab


class LabelVocab:
    """Label ids 0..n-1 over the sorted label strings; `IGNORE_LABEL` encodes to -1."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.labels: list[str] = sorted(set(labels) - {IGNORE_LABEL})
        self.ids: dict[str, int] = {label: i for i, label in enumerate(self.labels)}

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]]) -> LabelVocab:
        """Every label occurring in `sequences`."""
        return cls(label for labels in sequences for label in labels)

    def unseen(self, labels: Iterable[str]) -> list[str]:
        """The sorted distinct labels of `labels` that this vocabulary lacks."""
        return sorted(set(labels) - self.ids.keys() - {IGNORE_LABEL})

    def check(self, labels: Iterable[str], *, source: str | None = None) -> None:
        """Raise DataError listing every label of `labels` never seen in training."""
        unseen = self.unseen(labels)
        if unseen:
            raise DataError(f"expected only labels seen in training ({', '.join(self.labels)}), "
                            f"found {len(unseen)} never seen: {', '.join(unseen)}", path=source)

    def encode(self, labels: Sequence[str], *, source: str | None = None) -> np.ndarray:
        """Ids [len(labels)] int64 (-1 for `IGNORE_LABEL`); DataError on an unseen label."""
        self.check(labels, source=source)
        return np.fromiter((self.ids.get(label, IGNORE_ID) for label in labels), dtype=np.int64,
                           count=len(labels))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Label strings for `ids`."""
        return [self.labels[i] for i in ids]

    def __len__(self) -> int:
        return len(self.labels)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for `from_dict`."""
        return {"labels": list(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelVocab:
        """Inverse of `to_dict`."""
        return cls(data["labels"])


@dataclass
class Vocabs:
    """Everything a model needs to turn Examples into ids: token, feature and label vocabularies.

    `labels` covers per-position labels, CTC target symbols (a CTC output layer adds its
    blank itself) and whole-sequence labels (`Example.label`). `affixes` holds the values of
    the word-form features derived from tokens (`affixes.py`), name -> vocabulary. A word longer
    than `max_word_chars` reaches the character encoder as its first and last characters only.
    """

    tokens: Vocab
    labels: LabelVocab
    features: dict[str, Vocab] = field(default_factory=dict)
    chars: Vocab | None = None
    affixes: dict[str, Vocab] = field(default_factory=dict)
    max_word_chars: int | None = None

    @classmethod
    def build(cls, examples: Sequence[Example], *, min_count: int = 1, lowercase: bool = False,
              digits: bool = False, chars: bool = False, affixes: Sequence[str] = (),
              affix_min_count: int = 1, max_word_chars: int | None = None) -> Vocabs:
        """Vocabularies of the training `examples`; `min_count` and normalisation apply to
        tokens only (feature values are kept whole, every value counted). With `chars`, also
        the characters of the raw tokens (case kept), plus the word start/end markers. Each
        affix feature named in `affixes` keeps the values seen `affix_min_count` times."""
        if max_word_chars is not None and max_word_chars < 2:
            raise ValueError("max_word_chars must be at least 2")
        names = examples[0].features.keys() if examples else ()
        char_vocab = None
        if chars:
            char_vocab = Vocab.build(list(token) for e in examples for token in e.tokens)
            char_vocab.extend([WORD_START, WORD_END])
        unknown = [name for name in affixes if not is_affix_name(name)]
        if unknown:
            raise ValueError(f"not affix features: {', '.join(unknown)}")
        return cls(
            tokens=Vocab.build((e.tokens for e in examples), min_count=min_count,
                               lowercase=lowercase, digits=digits),
            labels=LabelVocab.build([*(e.labels for e in examples if e.labels is not None),
                                     *(e.target for e in examples if e.target is not None),
                                     *([e.label] for e in examples if e.label is not None)]),
            features={name: Vocab.build(e.features[name] for e in examples) for name in names},
            chars=char_vocab,
            affixes={name: Vocab.build((affix_values(name, e.tokens) for e in examples),
                                       min_count=affix_min_count) for name in affixes},
            max_word_chars=max_word_chars)

    def encode_chars(self, token: str) -> np.ndarray:
        """Character ids of `<w> token </w>` (unknown characters get `unk_id`); a token longer
        than `max_word_chars` keeps its first ⌈m/2⌉ and last ⌊m/2⌋ characters."""
        ids = self.chars.ids
        limit = self.max_word_chars
        if limit is not None and len(token) > limit:
            token = token[:(limit + 1) // 2] + token[len(token) - limit // 2:]
        return np.array([ids[WORD_START], *(ids.get(c, Vocab.unk_id) for c in token),
                         ids[WORD_END]], dtype=np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for `from_dict`."""
        return {"tokens": self.tokens.to_dict(), "labels": self.labels.to_dict(),
                "features": {name: vocab.to_dict() for name, vocab in self.features.items()},
                "chars": None if self.chars is None else self.chars.to_dict(),
                "affixes": {name: vocab.to_dict() for name, vocab in self.affixes.items()},
                "max_word_chars": self.max_word_chars}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabs:
        """Inverse of `to_dict`."""
        chars = data.get("chars")
        return cls(tokens=Vocab.from_dict(data["tokens"]),
                   labels=LabelVocab.from_dict(data["labels"]),
                   features={name: Vocab.from_dict(d) for name, d in data["features"].items()},
                   chars=None if chars is None else Vocab.from_dict(chars),
                   affixes={name: Vocab.from_dict(d)
                            for name, d in data.get("affixes", {}).items()},
                   max_word_chars=data.get("max_word_chars"))
