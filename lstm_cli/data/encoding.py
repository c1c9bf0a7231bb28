"""Examples -> integer arrays, done once per dataset (batching, done every epoch, only pads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lstm_cli.data.affixes import affix_function
from lstm_cli.data.types import Example
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import DataError


@dataclass
class EncodedExample:
    """One sequence as arrays of length T (its length).

    token_ids [T] int64; feature_ids name -> [T] int64 (feature columns, then the affix
    features derived from the tokens); frames [T, D] float64 or None;
    label_ids [T] int64 (-1 = ignored position) or None; target_ids [S] int64 (CTC) or None;
    with a character vocabulary, `tokens` (the raw strings) and their `char_ids`;
    label_id: the sequence's class id (`last_softmax`) or None; value [K] float64 (a real target
    of the whole sequence) or None; step_values [T, K] float64 (real targets per step) or None.
    """

    token_ids: np.ndarray
    feature_ids: dict[str, np.ndarray] = field(default_factory=dict)
    frames: np.ndarray | None = None
    label_ids: np.ndarray | None = None
    target_ids: np.ndarray | None = None
    tokens: list[str] | None = None
    char_ids: list[np.ndarray] | None = None
    label_id: int | None = None
    value: np.ndarray | None = None
    step_values: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.token_ids)


def encode_examples(examples: Sequence[Example], vocabs: Vocabs) -> list[EncodedExample]:
    """Encode every example; a DataError lists all labels never seen in training at once
    (naming the first sequence holding one), or names a sequence whose features differ."""
    _check_encodable(examples, vocabs, per_token_labels=True)
    cache = WordTypeCache(vocabs)
    return [encode_example(example, vocabs, cache=cache) for example in examples]


def unseen_gold_labels(examples: Sequence[Example], vocabs: Vocabs) -> dict[str, int]:
    """Per-token gold labels of `examples` never seen in training -> how many tokens hold
    each (sorted by label; empty when every label is known). Such tokens can only be scored
    as errors, as conlleval does. A sequence whose features differ from training's, or a CTC
    target or sequence label never seen, is still a DataError (no score could count them)."""
    _check_encodable(examples, vocabs, per_token_labels=False)
    unseen = set(vocabs.labels.unseen(label for example in examples
                                      for label in example.labels or ()))
    counts = Counter(label for example in examples for label in example.labels or ()
                     if label in unseen)
    return dict(sorted(counts.items()))


def _check_encodable(examples: Sequence[Example], vocabs: Vocabs, *,
                     per_token_labels: bool) -> None:
    """DataError for differing features or for labels never seen in training (per-token
    labels only when `per_token_labels`), naming the first sequence at fault."""
    unseen: set[str] = set()
    first_source = None
    for example in examples:
        labels = [*((example.labels or ()) if per_token_labels else ()),
                  *(example.target or ()), *_sequence_label(example)]
        new = vocabs.labels.unseen(labels)
        if new and first_source is None:
            first_source = example.source
        unseen.update(new)
        if example.features.keys() != vocabs.features.keys():
            raise DataError(f"expected the features {_names(vocabs.features)} of the training "
                            f"data, found {_names(example.features)}", path=example.source)
    vocabs.labels.check(unseen, source=first_source)


class WordTypeCache:
    """What the vocabularies make of a token string, computed once per distinct string: its
    token id, its affix feature ids (in `vocabs.affixes` order) and its character ids.

    Text repeats its words (a 28,000-token corpus has about 5,000 types), so encoding by type
    instead of by token does most of the string work once. It lives as long as the vocabularies
    it reads (the loaded model's); it is cleared before a sequence when it holds `max_types`
    strings, so memory stays bounded on any input.
    """

    def __init__(self, vocabs: Vocabs, max_types: int = 200_000) -> None:
        self.vocabs = vocabs
        self.max_types = max_types
        self.ids: dict[str, tuple[int, ...]] = {}        # token -> (token id, affix ids...)
        self.chars: dict[str, np.ndarray] = {}
        self.affixes = [(affix_function(name), vocab.id_of)
                        for name, vocab in vocabs.affixes.items()]

    def _add(self, token: str) -> tuple[int, ...]:
        vocabs = self.vocabs
        ids = (vocabs.tokens.id_of(token), *(id_of(value(token)) for value, id_of in self.affixes))
        self.ids[token] = ids
        if vocabs.chars is not None:
            self.chars[token] = vocabs.encode_chars(token)
        return ids

    def encode(self, tokens: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray],
                                                    list[np.ndarray] | None]:
        """(token ids [T], affix feature ids {name: [T]}, character ids per token or None)."""
        if len(self.ids) >= self.max_types:
            self.ids.clear()
            self.chars.clear()
        ids, add = self.ids, self._add
        rows = [ids.get(token) or add(token) for token in tokens]
        table = np.array(rows, dtype=np.int64).reshape(len(tokens), 1 + len(self.vocabs.affixes))
        affixes = {name: table[:, 1 + k].copy() for k, name in enumerate(self.vocabs.affixes)}
        chars = None if self.vocabs.chars is None else [self.chars[token] for token in tokens]
        return table[:, 0].copy(), affixes, chars


def encode_example(example: Example, vocabs: Vocabs, *,
                   cache: WordTypeCache | None = None) -> EncodedExample:
    """Encode one example (see `encode_examples` for the checks); with a `cache` of `vocabs`,
    the token, affix and character ids come from it (the same ids, found once per type)."""
    token_ids, affix_ids, char_ids = (cache or WordTypeCache(vocabs)).encode(example.tokens)
    return EncodedExample(
        token_ids=token_ids,
        feature_ids={**{name: vocab.encode(example.features[name])
                        for name, vocab in vocabs.features.items()}, **affix_ids},
        frames=None if example.frames is None else np.asarray(example.frames, dtype=np.float64),
        label_ids=None if example.labels is None
        else vocabs.labels.encode(example.labels, source=example.source),
        target_ids=None if example.target is None
        else vocabs.labels.encode(example.target, source=example.source),
        tokens=None if vocabs.chars is None else list(example.tokens),
        char_ids=char_ids,
        label_id=None if example.label is None
        else int(vocabs.labels.encode([example.label], source=example.source)[0]),
        value=None if example.value is None else _real_values(example.value, 1),
        step_values=None if example.step_values is None
        else _real_values(example.step_values, 2))


def _sequence_label(example: Example) -> tuple[str, ...]:
    return () if example.label is None else (example.label,)


def _real_values(values, ndim: int) -> np.ndarray:
    """float64 targets with a trailing K axis: a scalar becomes [1], [T] becomes [T, 1]."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(*array.shape, 1) if array.ndim == ndim - 1 else array


def _names(features: dict) -> str:
    return ", ".join(features) or "(none)"
