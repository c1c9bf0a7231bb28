"""Linear-chain CRF output layer: negative log-likelihood with analytic gradients, and decoding.

Notation (time-major, as in the rest of the engine). For sequence b of length L = lengths[b] with
tags y_0 .. y_{L-1} over C classes, emission scores E[t, b, :] and parameters
``transitions[i, j]`` (score of tag i followed by tag j), ``start[j]`` and ``end[j]``:

    s(y) = start[y_0] + sum_{t<L} E[t, y_t] + sum_{1<=t<L} transitions[y_{t-1}, y_t] + end[y_{L-1}]
    p(y | x) = exp(s(y)) / Z,   log Z = logsumexp over all C^L tag sequences of s(y)

Positions t >= L are padding: they may hold garbage and never affect a loss, gradient or decode.
Every sequence must have L >= 1. All maths runs in the dtype of ``emissions`` (float32 or float64).

Hard constraints: ``allowed = (allowed_transitions [C, C], allowed_start [C], allowed_end [C])``,
boolean masks. A forbidden move has its score replaced by ``FORBIDDEN`` (a large negative finite
constant rather than -inf, so that no inf - inf = NaN can ever appear); its gradient is zero.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.outputs.base import STEP_LABELS, OutputLayer, length_mask

FORBIDDEN = -1e4
"""Score given to a forbidden move; exp(FORBIDDEN) underflows to 0 in float32 and float64."""

Allowed = tuple[np.ndarray, np.ndarray, np.ndarray]


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """log sum_i exp(x_i) along ``axis``, computed as m + log sum_i exp(x_i - m), m = max_i x_i.

    The shift keeps every exp(x_i - m) <= 1, so nothing overflows.
    """
    m = x.max(axis=axis, keepdims=True)
    return (xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m).squeeze(axis=axis)


def _prepare(
    emissions: np.ndarray,
    lengths: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    allowed: Allowed | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate, cast the parameters to the emissions' dtype, zero the padding, apply constraints.

    Returns (emissions, lengths, mask [T, B], transitions, start, end).
    """
    lengths, mask = length_mask(lengths, emissions.shape[0], check="CRF lengths")  # (T, B)
    dtype = emissions.dtype
    emissions = xp.where(mask[:, :, None], emissions, 0).astype(dtype, copy=False)
    transitions, start, end = (xp.asarray(p, dtype=dtype) for p in (transitions, start, end))
    if allowed is not None:
        transitions, start, end = (
            xp.where(ok, p, FORBIDDEN).astype(dtype, copy=False)
            for ok, p in zip(allowed, (transitions, start, end), strict=True)
        )
    return emissions, lengths, mask, transitions, start, end


def _forward_backward(
    emissions: np.ndarray,
    mask: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward and backward log-messages of a prepared (padding-free) batch.

    alpha[0, j] = start[j] + E[0, j]
    alpha[t, j] = logsumexp_i(alpha[t-1, i] + transitions[i, j]) + E[t, j]      1 <= t < L
    beta[L-1, i] = end[i]
    beta[t, i]   = logsumexp_j(transitions[i, j] + E[t+1, j] + beta[t+1, j])    t < L-1
    log Z        = logsumexp_j(alpha[L-1, j] + end[j])

    At padded steps alpha carries alpha[L-1] forward and beta holds ``end``, so that
    alpha[T-1] = alpha[L-1] and beta[L-1] = end without indexing by length.
    Returns alpha, beta (T, B, C) and log_z (B,).
    """
    T, B, C = emissions.shape
    alpha = xp.empty_like(emissions)
    beta = xp.empty_like(emissions)
    alpha[0] = start + emissions[0]
    for t in range(1, T):
        step = _logsumexp(alpha[t - 1][:, :, None] + transitions, axis=1) + emissions[t]  # (B, C)
        alpha[t] = xp.where(mask[t][:, None], step, alpha[t - 1])
    beta[T - 1] = end
    for t in range(T - 2, -1, -1):
        step = _logsumexp(transitions + (emissions[t + 1] + beta[t + 1])[:, None, :], axis=2)
        beta[t] = xp.where(mask[t + 1][:, None], step, end)
    log_z = _logsumexp(alpha[T - 1] + end, axis=1)
    return alpha, beta, log_z


def crf_nll(
    emissions: np.ndarray,
    tags: np.ndarray,
    lengths: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    allowed: Allowed | None = None,
) -> tuple[float, dict[str, np.ndarray]]:
    """Summed negative log-likelihood sum_b (log Z_b - s_b(y_b)) and its analytic gradients.

    emissions (T, B, C); tags (T, B) int; lengths (B,). With node and edge marginals
        p[t, j]     = exp(alpha[t, j] + beta[t, j] - log Z)
        xi[t, i, j] = exp(alpha[t-1, i] + transitions[i, j] + E[t, j] + beta[t, j] - log Z)
    the gradients are expected minus observed counts:
        d emissions[t, j]    = p[t, j] - [y_t = j]                (zero at padding)
        d transitions[i, j]  = sum_{b, 1<=t<L} xi[t, i, j] - #{t: y_{t-1} = i, y_t = j}
        d start[j]           = sum_b p[0, j] - #{b: y_0 = j}
        d end[j]             = sum_b p[L-1, j] - #{b: y_{L-1} = j}
    Returns (loss_sum, grads) with grads keyed "emissions", "transitions", "start", "end", in the
    dtype of ``emissions``; the caller divides by its batch size or token count.
    """
    emissions, lengths, mask, transitions, start, end = _prepare(
        emissions, lengths, transitions, start, end, allowed
    )
    T, B, C = emissions.shape
    batch = xp.arange(B)
    last = lengths - 1
    tags = xp.where(mask, tags, 0).astype(xp.int64)  # (T, B); padding tags may be garbage
    alpha, beta, log_z = _forward_backward(emissions, mask, transitions, start, end)

    gold_emission = xp.take_along_axis(emissions, tags[:, :, None], axis=2)[:, :, 0]  # (T, B)
    gold_transition = transitions[tags[:-1], tags[1:]] * mask[1:]  # (T-1, B)
    gold_score = (
        start[tags[0]]
        + gold_emission.sum(axis=0)
        + gold_transition.sum(axis=0)
        + end[tags[last, batch]]
    )
    loss_sum = float(xp.sum(log_z - gold_score))

    node = xp.exp(alpha + beta - log_z[:, None]) * mask[:, :, None]  # (T, B, C)
    observed = xp.eye(C, dtype=emissions.dtype)[tags] * mask[:, :, None]  # (T, B, C) one-hot
    d_emissions = node - observed
    d_transitions = xp.zeros_like(transitions)
    for t in range(1, T):
        edge_log = (
            alpha[t - 1][:, :, None]
            + transitions
            + (emissions[t] + beta[t] - log_z[:, None])[:, None, :]
        )  # (B, C, C)
        d_transitions += xp.exp(edge_log[mask[t]]).sum(axis=0)
    d_transitions -= xp.einsum("tbi,tbj->ij", observed[:-1], observed[1:])  # gold moves
    grads = {
        "emissions": d_emissions,
        "transitions": d_transitions,
        "start": node[0].sum(axis=0) - observed[0].sum(axis=0),
        "end": node[last, batch].sum(axis=0) - observed[last, batch].sum(axis=0),
    }
    if allowed is not None:
        for key, ok in zip(("transitions", "start", "end"), allowed, strict=True):
            grads[key] = xp.where(ok, grads[key], 0).astype(emissions.dtype, copy=False)
    return loss_sum, grads


def crf_marginals(
    emissions: np.ndarray,
    lengths: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    allowed: Allowed | None = None,
) -> np.ndarray:
    """Posterior tag marginals p(y_t = j | x) = exp(alpha[t, j] + beta[t, j] - log Z), (T, B, C).

    Each valid row sums to 1; padded rows are 0. Meant for ``--probs`` output.
    """
    emissions, _, mask, transitions, start, end = _prepare(
        emissions, lengths, transitions, start, end, allowed
    )
    alpha, beta, log_z = _forward_backward(emissions, mask, transitions, start, end)
    return xp.exp(alpha + beta - log_z[:, None]) * mask[:, :, None]


def crf_viterbi(
    emissions: np.ndarray,
    lengths: np.ndarray,
    transitions: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    allowed: Allowed | None = None,
) -> list[np.ndarray]:
    """Highest-scoring tag sequence argmax_y s(y) of each sequence, by max-product recursion.

    delta[0, j] = start[j] + E[0, j]
    delta[t, j] = max_i(delta[t-1, i] + transitions[i, j]) + E[t, j],  back[t, j] = its argmax i
    y_{L-1} = argmax_j(delta[L-1, j] + end[j]),  y_{t-1} = back[t, y_t]
    Returns one int64 array of length lengths[b] per sequence b, in batch order.
    At padded steps back[t] is the identity, so backtracking from T-1 passes through unchanged.
    """
    emissions, lengths, mask, transitions, start, end = _prepare(
        emissions, lengths, transitions, start, end, allowed
    )
    T, B, C = emissions.shape
    batch = xp.arange(B)
    back = xp.empty((T, B, C), dtype=xp.int64)
    back[0] = xp.arange(C)
    delta = start + emissions[0]  # (B, C)
    for t in range(1, T):
        scores = delta[:, :, None] + transitions  # (B, C_prev, C)
        back[t] = xp.where(mask[t][:, None], scores.argmax(axis=1), xp.arange(C))
        delta = xp.where(mask[t][:, None], scores.max(axis=1) + emissions[t], delta)
    path = xp.empty((T, B), dtype=xp.int64)
    path[T - 1] = xp.argmax(delta + end, axis=1)
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, batch, path[t]]
    return [path[: lengths[b], b].copy() for b in range(B)]


class CRFOutput(OutputLayer):
    """A linear-chain CRF over the label scores: p(y | x) ∝ exp(start[y_1] + Σ_t s_t[y_t]
    + Σ_t transitions[y_{t−1}, y_t] + end[y_T]). The loss is the mean over sequences of
    −log p(y | x); decoding is Viterbi. `allowed` (transitions [C, C], start [C], end [C] boolean
    masks) forbids moves in training and decoding alike; the config's `model.crf.constraints`
    derives them from the label scheme.
    """

    targets = STEP_LABELS
    config_section = "crf"

    @classmethod
    def loss_per_unit(cls, loss: float, batch, **options) -> tuple[float, str]:
        """The loss is a mean over sequences: per step, it is loss · B / Σ lengths."""
        return loss * batch.size / int(batch.mask.sum()), "step"

    def __init__(self, num_labels: int, *, dtype=np.float32,
                 allowed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__()
        self.num_labels = self.num_scores = num_labels
        self.allowed = allowed
        self.add_param("transitions", xp.zeros((num_labels, num_labels), dtype=dtype))
        self.add_param("start", xp.zeros(num_labels, dtype=dtype))
        self.add_param("end", xp.zeros(num_labels, dtype=dtype))

    def _crf_params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.params["transitions"], self.params["start"], self.params["end"]

    def loss(self, scores: np.ndarray, batch) -> tuple[float, np.ndarray]:
        loss_sum, grads = crf_nll(scores, batch.label_ids, batch.lengths, *self._crf_params(),
                                  allowed=self.allowed)
        count = len(batch.lengths)
        for name in ("transitions", "start", "end"):
            xp.divide(grads[name], count, out=self.grads[name], casting="unsafe")
        return loss_sum / count, grads["emissions"] / count

    def decode(self, scores: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        return crf_viterbi(scores, lengths, *self._crf_params(), allowed=self.allowed)

    def probabilities(self, scores: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
        marginals = crf_marginals(scores, lengths, *self._crf_params(), allowed=self.allowed)
        return [marginals[:length, b] for b, length in enumerate(lengths)]
