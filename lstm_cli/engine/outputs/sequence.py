"""One class per sequence: softmax over scores pooled across the sequence's real steps.

For sequence b of length L = lengths[b] with step scores s_t (C,), the pooled scores are

    last   z = s_{L-1}                       (what the 1997 experiments read: the final output)
    mean   z = (1/L) Σ_{t<L} s_t
    max    z_c = max_{t<L} s_{t,c}           (per class; ties go to the earliest step)

and p(y | x) = softmax(z). The loss is the (optionally class-weighted) mean cross-entropy over
the batch against `batch.sequence_label_ids` (B,). Pooling happens on the scores, after the
linear layer, so the recurrent stack and the classifier are shared with per-step outputs; for
`mean` that equals pooling the hidden states. Steps t >= L are padding: they may hold garbage and
never affect a loss, gradient or decode.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.module import Module
from lstm_cli.engine.outputs.softmax import log_softmax, softmax_cross_entropy

Array = np.ndarray
POOLS = ("last", "mean", "max")


def pool_scores(scores: Array, lengths: Array,
                pool: str) -> tuple[Array, Callable[[Array], Array]]:
    """Pooled scores (B, C) and the function taking ∂L/∂pooled (B, C) to ∂L/∂scores (T, B, C),
    zero at padded steps."""
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    steps, batch, _ = scores.shape
    lengths = xp.asarray(lengths, dtype=xp.int64)
    if xp.any(lengths < 1) or xp.any(lengths > steps):
        raise ValueError(f"lengths must lie in [1, {steps}], got {lengths.tolist()}")
    columns = xp.arange(batch)
    mask = (xp.arange(steps)[:, None] < lengths[None, :])[..., None]       # (T, B, 1)
    if pool == "last":
        pooled = scores[lengths - 1, columns]                               # (B, C)

        def backward(d_pooled: Array) -> Array:
            d_scores = xp.zeros_like(scores)
            d_scores[lengths - 1, columns] = d_pooled
            return d_scores
    elif pool == "mean":
        scale = (1.0 / lengths).astype(scores.dtype)[:, None]                # (B, 1)
        pooled = xp.where(mask, scores, 0).sum(axis=0) * scale

        def backward(d_pooled: Array) -> Array:
            return xp.where(mask, (d_pooled * scale)[None], 0).astype(scores.dtype)
    else:
        best = xp.where(mask, scores, -xp.inf).argmax(axis=0)               # (B, C) step index
        pooled = xp.take_along_axis(scores, best[None], axis=0)[0]

        def backward(d_pooled: Array) -> Array:
            d_scores = xp.zeros_like(scores)
            xp.put_along_axis(d_scores, best[None], d_pooled[None], axis=0)
            return d_scores

    return pooled, backward


class LastSoftmaxOutput(Module):
    """Sequence classification: p(y | x) = softmax(pool(s_0 … s_{L-1})); see the module notes."""

    def __init__(self, num_labels: int, *, dtype=np.float32, pool: str = "last",
                 class_weights: list[float] | None = None) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        self.num_labels = self.num_scores = num_labels
        self.pool = pool
        self.class_weights = None if class_weights is None else xp.asarray(class_weights, dtype)

    def loss(self, scores: Array, batch) -> tuple[float, Array]:
        """Mean cross-entropy of the pooled scores against `batch.sequence_label_ids` (B,)."""
        if batch.sequence_label_ids is None:
            raise ValueError("last_softmax needs one label per sequence (Example.label)")
        pooled, backward = pool_scores(scores, batch.lengths, self.pool)
        labels = xp.asarray(batch.sequence_label_ids)[None]                 # (1, B)
        loss, d_pooled = softmax_cross_entropy(pooled[None], labels, xp.ones(labels.shape, bool),
                                               self.class_weights)
        return loss, backward(d_pooled[0])

    def decode(self, scores: Array, lengths: Array) -> list[Array]:
        """The most probable class of each sequence, as a length-1 array (batch order)."""
        best = pool_scores(scores, lengths, self.pool)[0].argmax(axis=-1)
        return [best[b:b + 1] for b in range(len(lengths))]

    def probabilities(self, scores: Array, lengths: Array) -> list[Array]:
        """p(y | x) per sequence, as a (1, C) array (batch order)."""
        probs = xp.exp(log_softmax(pool_scores(scores, lengths, self.pool)[0]))
        return [probs[b:b + 1] for b in range(len(lengths))]
