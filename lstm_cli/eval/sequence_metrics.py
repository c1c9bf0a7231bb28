"""Metrics for sequence-level outputs and for the next-symbol criterion of the LSTM papers.

- `evaluate_classes`: one gold and one predicted class per sequence (`last_softmax`);
- `evaluate_values`: real-valued targets (`regression`), with a tolerance for "correct";
- `allowed_mask`, `symbols_ranked_first`, `strings_solved`, `consecutive_correct`: Hochreiter &
  Schmidhuber's (1997) criterion for grammar prediction — a step is predicted correctly when
  the outputs of all grammatical next symbols are the most active ones, i.e. the allowed set is
  exactly the top-|allowed| outputs — and the scores built on it (strings solved; Gers et al.'s
  (2000) number of consecutive correct predictions on a continual stream).

Conventions as in `metrics.py`: fractions in [0, 1], gold before prediction, no file I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstm_cli.eval.metrics import (
    evaluate_labels,
    mean_absolute_error,
    mean_squared_error,
    within_tolerance,
)
from lstm_cli.eval.scores import ratio


def evaluate_classes(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict:
    """The report of `evaluate_labels` over one-label sequences, plus `accuracy` (the fraction of
    sequences whose class is right; equal to `token_accuracy` and `sequence_accuracy` here).
    No chunk scheme is applied: classes are not spans."""
    report = evaluate_labels([[g] for g in gold], [[p] for p in pred], labels, scheme=None)
    report["accuracy"] = report["token_accuracy"]
    return report


def evaluate_values(gold: Sequence[np.ndarray], pred: Sequence[np.ndarray],
                    tolerance: float) -> dict:
    """The report for real-valued targets, one array per sequence ((K,) or (length, K)).

    Keys: `mse`, `mae` (over all values), `within_tolerance` (fraction of values with
    |error| <= tolerance), `sequence_accuracy` (fraction of sequences whose every value is within
    tolerance), `tolerance`, `num_sequences`, `num_values`.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sequences but {len(pred)} predicted")
    flat_gold = [np.asarray(g, dtype=np.float64).reshape(-1) for g in gold]
    flat_pred = [np.asarray(p, dtype=np.float64).reshape(-1) for p in pred]
    all_gold = np.concatenate(flat_gold) if flat_gold else np.zeros(0)
    all_pred = np.concatenate(flat_pred) if flat_pred else np.zeros(0)
    correct = sum(bool(np.all(np.abs(p - g) <= tolerance))
                  for g, p in zip(flat_gold, flat_pred, strict=True))
    return {
        "mse": mean_squared_error(all_gold, all_pred),
        "mae": mean_absolute_error(all_gold, all_pred),
        "within_tolerance": within_tolerance(all_gold, all_pred, tolerance),
        "sequence_accuracy": ratio(correct, len(gold)),
        "tolerance": tolerance,
        "num_sequences": len(gold),
        "num_values": int(all_gold.size),
    }


def allowed_mask(allowed: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """bool (length, C): `mask[t, k]` says whether `labels[k]` is allowed after step t. A step
    whose allowed symbols are not all in `labels` (never a target in training) gets no entry, so
    it can never count as predicted correctly."""
    index = {label: i for i, label in enumerate(labels)}
    mask = np.zeros((len(allowed), len(labels)), dtype=bool)
    for t, symbols in enumerate(allowed):
        if all(symbol in index for symbol in symbols):
            mask[t, [index[symbol] for symbol in symbols]] = True
    return mask


def symbols_ranked_first(probs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per step (bool [length]): are the allowed symbols exactly the top-|allowed| outputs?

    probs (length, C); allowed (length, C) bool from `allowed_mask`. Equivalently, the lowest
    output of an allowed symbol is strictly above the highest output of every other symbol (a
    tie counts as wrong); a step with nothing allowed is wrong.
    """
    lowest_allowed = np.where(allowed, probs, np.inf).min(axis=1)
    highest_other = np.where(allowed, -np.inf, probs).max(axis=1)
    return allowed.any(axis=1) & (lowest_allowed > highest_other)


def strings_solved(probs: Sequence[np.ndarray], allowed: Sequence[np.ndarray]) -> list[bool]:
    """Per string: is every step predicted correctly (`symbols_ranked_first`)? The 1997
    embedded Reber criterion; its mean is the fraction of strings solved."""
    return [bool(symbols_ranked_first(p, a).all()) for p, a in zip(probs, allowed, strict=True)]


def consecutive_correct(correct: np.ndarray) -> int:
    """How many steps are right from the start before the first wrong one (all, if none is)."""
    wrong = np.flatnonzero(~np.asarray(correct, dtype=bool))
    return int(wrong[0]) if wrong.size else len(correct)
