"""Real-valued outputs with a mean squared error: the scores are the predictions.

The linear layer's K scores per step are the predicted values ŷ_t (identity output). Against
targets y, over the N real positions of a batch (N = number of real steps with `per_step`, else
the batch size B, the last step of each sequence being its prediction):

    L = Σ_{n,k} (ŷ_nk − y_nk)² / (N K)              ∂L/∂ŷ_nk = 2 (ŷ_nk − y_nk) / (N K)

so the loss is the MSE the evaluation reports. Targets come from `batch.step_values` (T, B, K)
with `per_step`, else `batch.sequence_values` (B, K). Steps t >= lengths[b] are padding: they may
hold garbage and never affect a loss, gradient or prediction.
"""

from __future__ import annotations

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.outputs.base import (
    SEQUENCE_VALUES,
    STEP_VALUES,
    OutputLayer,
    Targets,
    length_mask,
)

Array = np.ndarray


class RegressionOutput(OutputLayer):
    """MSE against real targets, at every step (`per_step`) or at each sequence's last step; a
    predicted value counts as correct within `tolerance` of its target."""

    windows = False
    config_section = "regression"
    loss_unit = "value"
    uniform_guess = False

    def __init__(self, num_labels: int = 0, *, dtype=np.float32, size: int = 1,
                 per_step: bool = False, tolerance: float = 0.04) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.num_scores = size
        self.per_step = per_step
        self.tolerance = tolerance
        self.targets = self.targets_for(per_step=per_step)

    @classmethod
    def targets_for(cls, *, per_step: bool = False, **options) -> Targets:
        return STEP_VALUES if per_step else SEQUENCE_VALUES

    def loss(self, scores: Array, batch) -> tuple[float, Array]:
        lengths, mask = length_mask(batch.lengths, scores.shape[0])
        d_scores = xp.zeros_like(scores)
        if self.per_step:
            targets = self._targets(batch.step_values, "per-step targets (Example.step_values)",
                                    scores)                                   # (T, B, K)
            mask = mask[..., None]
            error = xp.where(mask, scores - targets, 0).astype(scores.dtype)
            count = int(lengths.sum()) * self.num_scores
            d_scores[...] = error * (2.0 / count)
        else:
            targets = self._targets(batch.sequence_values,
                                    "one target per sequence (Example.value)", scores)  # (B, K)
            columns = xp.arange(len(lengths))
            error = scores[lengths - 1, columns] - targets
            count = error.size
            d_scores[lengths - 1, columns] = error * (2.0 / count)
        return float((error ** 2).sum() / count), d_scores

    def _targets(self, values: Array | None, what: str, scores: Array) -> Array:
        if values is None:
            raise ValueError(f"regression{' per step' if self.per_step else ''} needs {what}")
        if values.shape[-1] != self.num_scores:
            raise ValueError(f"regression predicts {self.num_scores} values per target but the "
                             f"targets have {values.shape[-1]}")
        return xp.asarray(values, dtype=scores.dtype)

    def decode(self, scores: Array, lengths: Array) -> list[Array]:
        """Predicted values per sequence (batch order): (L, K) with `per_step`, else (K,)."""
        if self.per_step:
            return [scores[:length, b] for b, length in enumerate(lengths)]
        return [scores[length - 1, b] for b, length in enumerate(lengths)]

    def probabilities(self, scores: Array, lengths: Array) -> list[Array]:
        """There are no probabilities: the predicted values, as `decode` gives them."""
        return self.decode(scores, lengths)
