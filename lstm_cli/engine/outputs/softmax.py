"""Per-step softmax over labels with masked, optionally class-weighted cross-entropy."""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.module import Module

Array = np.ndarray


def log_softmax(scores: Array) -> Array:
    """log p = s − max s − log Σ exp(s − max s), over the last axis."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax_cross_entropy(scores: Array, labels: Array, mask: Array,
                          class_weights: Array | None = None) -> tuple[float, Array]:
    """Mean cross-entropy over real steps and its gradient w.r.t. the scores.

        L = Σ_{t,b real} w_y · −log p(y_tb | s_tb) / Σ_{t,b real} w_y          (w ≡ 1 by default)
        ∂L/∂s_tb = w_y (p_tb − onehot(y_tb)) / Σ w_y,   0 at padded steps
    """
    real = scores[mask]                                    # (N, C) real steps only
    gold = labels[mask]
    log_p = log_softmax(real)
    weights = xp.ones(len(gold), dtype=scores.dtype) if class_weights is None \
        else class_weights[gold].astype(scores.dtype)
    total = weights.sum()
    if total == 0:
        return 0.0, xp.zeros_like(scores)
    rows = xp.arange(len(gold))
    loss = float(-(weights * log_p[rows, gold]).sum() / total)
    d_real = xp.exp(log_p)
    d_real[rows, gold] -= 1
    d_real *= (weights / total)[:, None]
    d_scores = xp.zeros_like(scores)
    d_scores[mask] = d_real
    return loss, d_scores


class SoftmaxOutput(Module):
    """Independent per-step labels: p(y_t | x) = softmax(s_t)."""

    def __init__(self, num_labels: int, *, dtype=np.float32,
                 class_weights: list[float] | None = None) -> None:
        super().__init__()
        self.num_labels = self.num_scores = num_labels
        self.class_weights = None if class_weights is None else xp.asarray(class_weights, dtype)

    def loss(self, scores: Array, batch) -> tuple[float, Array]:
        """Mean cross-entropy against `batch.label_ids` over real, scored steps (id ≥ 0)."""
        scored = batch.mask & (batch.label_ids >= 0)
        return softmax_cross_entropy(scores, batch.label_ids, scored, self.class_weights)

    def decode(self, scores: Array, lengths: Array) -> list[Array]:
        """argmax label per real step, one array per sequence (batch order)."""
        best = scores.argmax(axis=-1)
        return [best[:length, b] for b, length in enumerate(lengths)]

    def probabilities(self, scores: Array, lengths: Array) -> list[Array]:
        probs = xp.exp(log_softmax(scores))
        return [probs[:length, b] for b, length in enumerate(lengths)]
