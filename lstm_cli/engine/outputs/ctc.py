"""Connectionist Temporal Classification (Graves et al., 2006): loss with gradient, and decoding.

Notation (time-major). Frame scores ``logits[t, b, :]`` over C symbols, one of which is the blank;
``y[t, k] = softmax(logits[t])[k]``. Sequence b has L = lengths[b] frames and the target
l = targets[b, :S] with S = target_lengths[b] (``targets`` is a padded (B, S_max) int array).
The extended target l' = (blank, l_1, blank, l_2, ..., l_S, blank) has 2S + 1 states s.
A frame path pi (one symbol per frame) aligns to l when collapsing repeats and then dropping blanks
gives l, and p(l | x) = sum over aligning pi of prod_t y[t, pi_t].

Frames t >= L are padding: they may hold garbage and never affect a loss, gradient or decode.
Every sequence must have L >= 1; S may be 0. All maths runs in the dtype of ``logits``.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.module import Module
from lstm_cli.engine.outputs.softmax import log_softmax

REDUCTIONS = ("sum", "mean", "none")


def _log_softmax(logits: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log y[t, k] = logits[t, k] - logsumexp_j logits[t, j], with padded frames zeroed first.

    Returns (log_probs (T, B, C), mask (T, B)).
    """
    T = logits.shape[0]
    lengths = xp.asarray(lengths, dtype=xp.int64)
    if xp.any(lengths < 1) or xp.any(lengths > T):
        raise ValueError(f"CTC lengths must lie in [1, {T}], got {lengths.tolist()}")
    mask = xp.arange(T)[:, None] < lengths[None, :]  # (T, B)
    logits = xp.where(mask[:, :, None], logits, 0).astype(logits.dtype, copy=False)
    return log_softmax(logits), mask


def _shift(x: np.ndarray, by: int) -> np.ndarray:
    """Shift along the last (state) axis: out[..., s] = x[..., s - by], -inf outside the range."""
    out = xp.full_like(x, -xp.inf)
    if by > 0:
        out[..., by:] = x[..., :-by]
    else:
        out[..., :by] = x[..., -by:]
    return out


def ctc_loss(
    logits: np.ndarray,
    lengths: np.ndarray,
    targets: np.ndarray,
    target_lengths: np.ndarray,
    *,
    blank: int = 0,
    reduction: str = "sum",
    zero_infinity: bool = False,
) -> tuple[float | np.ndarray, np.ndarray]:
    """CTC negative log-likelihood -log p(l | x) by forward-backward over l', and d loss / d logits.

    alpha[0, s] = y[0, l'_s] for s in {0, 1}, else 0
    alpha[t, s] = (alpha[t-1, s] + alpha[t-1, s-1] + [skip_s] alpha[t-1, s-2]) * y[t, l'_s]
    beta[L-1, s] = 1 for s in {2S, 2S-1}, else 0
    beta[t, s] = beta[t+1, s] y[t+1, l'_s] + beta[t+1, s+1] y[t+1, l'_{s+1}]
                 + [skip_{s+2}] beta[t+1, s+2] y[t+1, l'_{s+2}]
    p(l | x) = alpha[L-1, 2S] + alpha[L-1, 2S-1]
    where skip_s = (l'_s != blank and l'_s != l'_{s-2}); all of it in log space. Then
    d(-log p) / d logits[t, k] = y[t, k] - sum_{s: l'_s = k} alpha[t, s] beta[t, s] / p.

    reduction: "sum" over the batch, "mean" (as PyTorch: each loss divided by max(S, 1), then
    averaged over the batch), or "none" (losses (B,); d_logits[:, b] is then the gradient of
    loss b). An infeasible target (too long for L frames, counting the blanks that repeats need)
    has loss +inf, or 0 with ``zero_infinity``; its gradient is zero either way (PyTorch gives NaN
    without zero_infinity). Returns (loss, d_logits (T, B, C)), padded frames zero.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    log_probs, mask = _log_softmax(logits, lengths)
    T, B, C = log_probs.shape
    targets = xp.asarray(targets, dtype=xp.int64).reshape(B, -1)
    target_lengths = xp.asarray(target_lengths, dtype=xp.int64)
    target_mask = xp.arange(targets.shape[1])[None, :] < target_lengths[:, None]  # (B, S_max)
    if xp.any(targets[target_mask] == blank):
        raise ValueError(f"targets must not contain the blank symbol {blank}")
    batch = xp.arange(B)

    num_states = 2 * targets.shape[1] + 1
    ext = xp.full((B, num_states), blank, dtype=xp.int64)  # (B, 2S+1) extended targets l'
    ext[:, 1::2] = xp.where(target_mask, targets, blank)
    states = xp.arange(num_states)[None, :]
    state_mask = states < 2 * target_lengths[:, None] + 1  # (B, 2S+1)
    skip = xp.zeros_like(state_mask)  # skip[s]: may enter s from s-2 (l'_s not blank, no repeat)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    final = (states == 2 * target_lengths[:, None]) | (states == 2 * target_lengths[:, None] - 1)

    lp_ext = log_probs[:, batch[:, None], ext]  # (T, B, 2S+1) log y[t, l'_s]
    lp_ext = xp.where(state_mask, lp_ext, -xp.inf)
    alpha = xp.full_like(lp_ext, -xp.inf)
    beta = xp.full_like(lp_ext, -xp.inf)
    alpha[0, :, :2] = lp_ext[0, :, :2]
    for t in range(1, T):
        prev = alpha[t - 1]
        from_skip = xp.where(skip, _shift(prev, 2), -xp.inf)
        into = xp.logaddexp(xp.logaddexp(prev, _shift(prev, 1)), from_skip)
        alpha[t] = xp.where(mask[t][:, None], into + lp_ext[t], prev)
    end_beta = xp.where(final, 0, -xp.inf).astype(lp_ext.dtype)
    beta[T - 1] = end_beta
    for t in range(T - 2, -1, -1):
        nxt = beta[t + 1] + lp_ext[t + 1]
        to_skip = _shift(xp.where(skip, nxt, -xp.inf), -2)
        out = xp.logaddexp(xp.logaddexp(nxt, _shift(nxt, -1)), to_skip)
        beta[t] = xp.where(mask[t + 1][:, None], out, end_beta)
    last_blank = alpha[T - 1, batch, 2 * target_lengths]  # (B,)
    last_label = alpha[T - 1, batch, xp.maximum(2 * target_lengths - 1, 0)]
    log_p = xp.logaddexp(last_blank, xp.where(target_lengths > 0, last_label, -xp.inf))

    feasible = xp.isfinite(log_p)
    occupancy_states = xp.exp(alpha + beta - xp.where(feasible, log_p, 0)[:, None])  # (T, B, 2S+1)
    one_hot = xp.eye(C, dtype=log_probs.dtype)[ext]  # (B, 2S+1, C)
    occupancy = xp.matmul(occupancy_states.transpose(1, 0, 2), one_hot).transpose(1, 0, 2)
    keep = mask[:, :, None] & feasible[None, :, None]
    d_logits = xp.where(keep, xp.exp(log_probs) - occupancy, 0).astype(log_probs.dtype, copy=False)

    losses = -log_p
    if zero_infinity:
        losses = xp.where(feasible, losses, 0).astype(log_p.dtype, copy=False)
    if reduction == "none":
        return losses, d_logits
    if reduction == "sum":
        return float(losses.sum()), d_logits
    weights = (1.0 / (xp.maximum(target_lengths, 1) * B)).astype(log_probs.dtype)
    return float((losses * weights).sum()), d_logits * weights[None, :, None]


def ctc_greedy_decode(
    logits: np.ndarray, lengths: np.ndarray, *, blank: int = 0
) -> list[list[int]]:
    """Best-path decoding: pi_t = argmax_k logits[t, k], then collapse repeats and drop blanks.

    Accepts logits or log-probabilities (the argmax is the same). Returns one label list per
    sequence, in batch order.
    """
    best = xp.argmax(logits, axis=2)  # (T, B)
    T, B = best.shape
    mask = xp.arange(T)[:, None] < xp.asarray(lengths)[None, :]
    previous = xp.concatenate([xp.full((1, B), -1), best[:-1]])
    keep = mask & (best != blank) & (best != previous)
    return [best[keep[:, b], b].tolist() for b in range(B)]


def _log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) on Python floats, exact for -inf operands."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def ctc_prefix_beam_search(
    logits: np.ndarray, lengths: np.ndarray, *, blank: int = 0, beam_width: int = 10
) -> list[list[int]]:
    """Prefix beam search: the most probable label string argmax_l p(l | x), approximately.

    Each prefix l keeps log p_b(l) and log p_nb(l), the probability of frames 0..t yielding l
    and ending in a blank / in l's last label. With total(l) = p_b(l) + p_nb(l), at frame t:
        p_b(l)       += total(l) y[t, blank]
        p_nb(l)      += p_nb(l) y[t, l_last]                (repeat collapses into l)
        p_nb(l + k)  += total(l) y[t, k]   for k != l_last, k != blank
        p_nb(l + k)  += p_b(l) y[t, k]     for k == l_last  (a blank separates the repeat)
    after which only the ``beam_width`` prefixes with the largest total survive; extensions try
    only the ``beam_width`` most probable non-blank symbols of the frame. With a beam wide enough
    to keep every prefix and symbol this is exact. Accepts logits or log-probabilities
    (log_softmax is applied; it leaves log-probabilities unchanged). Loops over sequences: meant
    for decoding, not for the training hot path.
    """
    log_probs, _ = _log_softmax(xp.asarray(logits, dtype=xp.float64), lengths)
    decoded = []
    for b, length in enumerate(xp.asarray(lengths).tolist()):
        frames = log_probs[:length, b]  # (L, C)
        ranked_symbols = xp.argsort(-frames, axis=1, kind="stable")  # most probable first
        beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
        for frame, order in zip(frames.tolist(), ranked_symbols.tolist(), strict=True):
            candidates = [k for k in order if k != blank][:beam_width]
            grown: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
            for prefix, (p_blank, p_label) in beams.items():
                total = _log_add(p_blank, p_label)
                same = grown[prefix]
                same[0] = _log_add(same[0], total + frame[blank])
                if prefix:
                    same[1] = _log_add(same[1], p_label + frame[prefix[-1]])
                for k in candidates:
                    repeat = bool(prefix) and k == prefix[-1]
                    longer = grown[prefix + (k,)]
                    longer[1] = _log_add(longer[1], (p_blank if repeat else total) + frame[k])
            ranked = sorted(grown.items(), key=lambda item: -_log_add(*item[1]))
            beams = {prefix: (p[0], p[1]) for prefix, p in ranked[:beam_width]}
        decoded.append(list(next(iter(beams))))  # beams are ranked best first
    return decoded


class CTCOutput(Module):
    """Connectionist temporal classification: the scores have one more column than there are
    labels, the blank (last index), and the loss sums over every alignment of the target string.
    Decoding is best path (beam_width 1) or prefix beam search.
    """

    def __init__(self, num_labels: int, *, dtype=np.float32, reduction: str = "mean",
                 beam_width: int = 1) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.num_scores = num_labels + 1
        self.blank = num_labels
        self.reduction = reduction
        self.beam_width = beam_width

    def loss(self, scores: np.ndarray, batch) -> tuple[float, np.ndarray]:
        targets = xp.where(batch.target_ids >= 0, batch.target_ids, 0)
        if self.reduction == "mean_target_length":      # Σ_b loss_b / Σ_b |target_b|
            loss, d_scores = ctc_loss(scores, batch.lengths, targets, batch.target_lengths,
                                      blank=self.blank, reduction="sum")
            total = max(int(batch.target_lengths.sum()), 1)
            return float(loss) / total, d_scores / total
        loss, d_scores = ctc_loss(scores, batch.lengths, targets, batch.target_lengths,
                                  blank=self.blank, reduction=self.reduction)
        return float(loss), d_scores

    def decode(self, scores: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        if self.beam_width > 1:
            paths = ctc_prefix_beam_search(scores, lengths, blank=self.blank,
                                           beam_width=self.beam_width)
        else:
            paths = ctc_greedy_decode(scores, lengths, blank=self.blank)
        return [xp.asarray(path, dtype=np.int64) for path in paths]

    def probabilities(self, scores: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        probs = xp.exp(log_softmax(scores))
        return [probs[:length, b] for b, length in enumerate(lengths)]
