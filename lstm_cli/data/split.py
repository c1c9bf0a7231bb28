"""Deterministic train/dev/test splits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from lstm_cli.errors import ConfigError

T = TypeVar("T")
DEFAULT_FRACTIONS = {"train": 0.8, "dev": 0.1, "test": 0.1}


def split_examples(items: Sequence[T], fractions: Mapping[str, float] | None = None,
                   seed: int = 0) -> dict[str, list[T]]:
    """Shuffle `items` with `np.random.default_rng(seed)` and cut them into parts of the given
    fractions (name -> fraction, summing to 1; default 80/10/10 train/dev/test).

    Part boundaries are the rounded cumulative fractions, so sizes are within one of the exact
    share and the parts cover every item once. Same items, fractions and seed: same split.
    """
    fractions = dict(DEFAULT_FRACTIONS if fractions is None else fractions)
    shares = np.array(list(fractions.values()), dtype=np.float64)
    if not fractions or (shares < 0).any() or abs(shares.sum() - 1.0) > 1e-6:
        raise ConfigError(f"expected non-negative split fractions summing to 1, found {fractions}")
    order = np.random.default_rng(seed).permutation(len(items))
    bounds = np.rint(np.cumsum(shares) * len(items)).astype(int)
    bounds[-1] = len(items)
    starts = np.concatenate([[0], bounds[:-1]])
    return {name: [items[i] for i in order[start:stop]]
            for name, start, stop in zip(fractions, starts, bounds, strict=True)}
