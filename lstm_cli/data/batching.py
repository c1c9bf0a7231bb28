"""Padded, time-major batches of encoded examples.

Columns of a Batch are sorted by length, longest first (the engine's time loop relies on it:
at step t the active columns are a prefix `[:, :k]`). `index[b]` says which input example column
b holds, so predictions can be put back in input order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_cli.data.encoding import EncodedExample
from lstm_cli.data.vocab import IGNORE_ID


@dataclass
class Batch:
    """B sequences padded to T = lengths[0] steps.

    token_ids       (T, B) int64, 0 (`<pad>`) past each length
    feature_ids     name -> (T, B) int64, 0 past each length
    frames          (T, B, D) float64, 0.0 past each length; None for token data
    label_ids       (T, B) int64, -1 past each length and at ignored positions; None if unlabelled
    lengths         (B,) int64, sorted descending
    mask            (T, B) bool, True where t < lengths[b]
    index           (B,) int64, column b holds input example index[b]
    target_ids      (B, S) int64 CTC targets, -1 past target_lengths[b]; None without targets
    target_lengths  (B,) int64 or None
    char_ids        (L, U) int64 characters of the U distinct words of the batch (time-major,
                    longest word first, 0 past char_lengths[u]); None without a char vocabulary
    char_lengths    (U,) int64, sorted descending
    word_index      (T, B) int64: which distinct word each token is, -1 past each length
    sequence_label_ids (B,) int64 one class per sequence (`last_softmax`); None without
    sequence_values (B, K) float64 one real target per sequence (`regression`); None without
    step_values     (T, B, K) float64 real targets per step, 0.0 past each length; None without
    """

    token_ids: np.ndarray
    feature_ids: dict[str, np.ndarray]
    frames: np.ndarray | None
    label_ids: np.ndarray | None
    lengths: np.ndarray
    mask: np.ndarray
    index: np.ndarray
    target_ids: np.ndarray | None = None
    target_lengths: np.ndarray | None = None
    char_ids: np.ndarray | None = None
    char_lengths: np.ndarray | None = None
    word_index: np.ndarray | None = None
    sequence_label_ids: np.ndarray | None = None
    sequence_values: np.ndarray | None = None
    step_values: np.ndarray | None = None

    @property
    def size(self) -> int:
        """B, the number of sequences."""
        return len(self.lengths)


def make_batch(examples: Sequence[EncodedExample], index: Sequence[int] | None = None) -> Batch:
    """One Batch of `examples` (reordered longest first, ties in input order); `index[i]` is
    recorded for examples[i] (default: i)."""
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i]))
    chosen = [examples[i] for i in order]
    index = np.arange(len(examples)) if index is None else np.asarray(index)
    lengths = np.array([len(example) for example in chosen], dtype=np.int64)
    steps = int(lengths[0])
    first = chosen[0]
    targets = None if first.target_ids is None else [e.target_ids for e in chosen]
    chars = None if first.char_ids is None else distinct_words(chosen, steps)
    return Batch(
        token_ids=_pad([e.token_ids for e in chosen], steps, 0),
        feature_ids={name: _pad([e.feature_ids[name] for e in chosen], steps, 0)
                     for name in first.feature_ids},
        frames=None if first.frames is None else _pad([e.frames for e in chosen], steps, 0.0),
        label_ids=None if first.label_ids is None
        else _pad([e.label_ids for e in chosen], steps, IGNORE_ID),
        lengths=lengths,
        mask=np.arange(steps)[:, None] < lengths[None, :],  # (T, B)
        index=index[order].astype(np.int64),
        target_ids=None if targets is None
        else _pad(targets, max(map(len, targets)), IGNORE_ID).T,  # (B, S)
        target_lengths=None if targets is None
        else np.array([len(t) for t in targets], dtype=np.int64),
        sequence_label_ids=None if first.label_id is None
        else np.array([e.label_id for e in chosen], dtype=np.int64),
        sequence_values=None if first.value is None else np.stack([e.value for e in chosen]),
        step_values=None if first.step_values is None
        else _pad([e.step_values for e in chosen], steps, 0.0),
        **(chars or {}))


def distinct_words(examples: Sequence[EncodedExample], steps: int) -> dict[str, np.ndarray]:
    """The distinct words of a batch with their characters, so a character encoder runs once
    per word type, not once per token: `char_ids`, `char_lengths`, `word_index` (see Batch)."""
    position: dict[str, int] = {}
    words: list[np.ndarray] = []
    word_index = np.full((steps, len(examples)), -1, dtype=np.int64)
    for column, example in enumerate(examples):
        for t, (token, char_ids) in enumerate(zip(example.tokens, example.char_ids, strict=False)):
            u = position.get(token)
            if u is None:
                u = position[token] = len(words)
                words.append(char_ids)
            word_index[t, column] = u
    lengths = np.array([len(chars) for chars in words], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    word_index = np.where(word_index >= 0, rank[np.maximum(word_index, 0)], -1)
    return {"char_ids": _pad([words[u] for u in order], int(lengths.max()), 0),
            "char_lengths": lengths[order], "word_index": word_index}


def iter_batches(examples: Sequence[EncodedExample], batch_size: int, *, shuffle: bool,
                 rng: np.random.Generator | None = None, bucket: bool = False,
                 bucket_batches: int = 50) -> Iterator[Batch]:
    """Yield batches covering `examples` once, each of `batch_size` (the last may be smaller).

    shuffle: visit examples in an order drawn from `rng` (required then).
    bucket:  within consecutive chunks of `bucket_batches * batch_size` examples (of the
             shuffled order, if shuffling), sort by length so each batch holds similar lengths
             and little padding; with shuffle, the batches are then visited in a random order.
    The same rng state gives the same batches.
    """
    if shuffle and rng is None:
        raise ValueError("iter_batches(shuffle=True) needs an rng")
    order = rng.permutation(len(examples)) if shuffle else np.arange(len(examples))
    if bucket:
        lengths = np.array([len(example) for example in examples])
        chunk = batch_size * bucket_batches
        order = np.concatenate([
            part[np.argsort(-lengths[part], kind="stable")]
            for part in np.split(order, range(chunk, len(order), chunk))])
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    if bucket and shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    for ids in batches:
        yield make_batch([examples[i] for i in ids], ids)


def _pad(sequences: Sequence[np.ndarray], steps: int, fill: float) -> np.ndarray:
    """(steps, B, *rest) array of `sequences` [length, *rest] laid out as columns."""
    first = np.asarray(sequences[0])
    out = np.full((steps, len(sequences), *first.shape[1:]), fill, dtype=first.dtype)
    for column, sequence in enumerate(sequences):
        out[:len(sequence), column] = sequence
    return out
