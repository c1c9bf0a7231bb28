"""The divergence guard: training stops (`TrainingDiverged`, exit 3) when a batch's loss or
gradient norm is NaN/inf, or when its loss explodes while staying finite.

A finite explosion is a batch loss, per unit of the data (`loss_per_unit`: per step, so that
batches of short and of long sequences compare), above `train.divergence_factor` times

    reference = max(mean loss per unit of the first REFERENCE_STEPS updates, ln C)

where ln C is the loss of a uniform guess over the output's C scores (softmax, CRF,
last_softmax; C + 1 with CTC's blank); regression's squared error has no such scale, so its
reference is the first updates' mean alone. Each of those first updates is checked against
the mean of the ones before it, so a run that explodes at its second update is caught. The
running sum and count live in the loop's state and are checkpointed, so a resumed run checks
exactly as an uninterrupted one.

`train.on_nonfinite: skip_batch` skips a batch whose loss or gradient norm is NaN/inf: that can
come from one batch alone, and the update is not applied. A finite explosion has no such
counterpart: a batch's loss is measured before its update, so an exploded loss reports weights
that earlier updates already broke; skipping it would leave them broken, every later batch would
be skipped too, and the run would end with a model that only looks trained. It always stops;
`train.divergence_factor: null` turns the check off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from lstm_cli.config import Config
from lstm_cli.data.batching import Batch
from lstm_cli.errors import LstmError

REFERENCE_STEPS = 10
"""How many of the first updates the reference loss is the mean of."""


class TrainingDiverged(LstmError):
    """A non-finite loss or gradient norm with `train.on_nonfinite: stop`, or a finite loss
    above `train.divergence_factor` times the reference."""


class GuardState(Protocol):
    """The loop-state fields the guard reads and keeps (see `loop.LoopState`)."""

    step: int
    last_finite_loss: float | None
    reference_loss_sum: float
    reference_steps: int


def loss_per_unit(config: Config, loss: float, batch: Batch) -> tuple[float, str]:
    """The batch loss on a scale that does not grow with sequence length or batch size, and
    the unit it is per: CRF's per-sequence loss and CTC's `sum` become per step; softmax is
    per step already, CTC's `mean` and `mean_target_length` per target label, last_softmax per
    sequence, regression per value."""
    model = config.model
    if model.output == "crf":
        return loss * batch.size / int(batch.mask.sum()), "step"
    if model.output == "ctc":
        if model.ctc.reduction == "sum":
            return loss / int(batch.mask.sum()), "step"
        return loss, "target label"
    unit = {"softmax": "step", "last_softmax": "sequence", "regression": "value"}[model.output]
    return loss, unit


class DivergenceGuard:
    """Judges each training step (see the module docstring); `num_scores` is the output
    layer's C, `last_dir` the `last` checkpoint the stop message points to."""

    def __init__(self, config: Config, num_scores: int, last_dir: Path,
                 log: Callable[[str], None]) -> None:
        self.config, self.last_dir, self.log = config, last_dir, log
        self.factor = config.train.divergence_factor
        self.floor = 0.0 if config.model.output == "regression" else math.log(num_scores)

    def check(self, state: GuardState, epoch: int, loss: float, norm: float,
              batch: Batch) -> bool:
        """True when the step counts (its update was applied), False when a non-finite batch
        is skipped; raises TrainingDiverged when the run must stop. Keeps the reference in
        `state` up to date."""
        where = f"epoch {epoch}, step {state.step + 1}"
        if not (math.isfinite(loss) and math.isfinite(norm)):
            what = f"loss {loss}" if not math.isfinite(loss) else f"gradient norm {norm}"
            if self.config.train.on_nonfinite == "skip_batch":
                self.log(f"warning: {what} at {where}; batch skipped "
                         f"(train.on_nonfinite: skip_batch)")
                return False
            self._stop(state, where, what, "or set train.on_nonfinite: skip_batch")
        if self.factor is not None:
            scaled, unit = loss_per_unit(self.config, loss, batch)
            if state.reference_steps:
                reference = max(state.reference_loss_sum / state.reference_steps, self.floor)
                if scaled > self.factor * reference:
                    basis = "the first updates' mean" + (", at least ln C" if self.floor else "")
                    self._stop(state, where, f"loss {scaled:.6g} per {unit}, above "
                               f"train.divergence_factor {self.factor:g} times {reference:.6g} "
                               f"({basis})",
                               f"or raise train.divergence_factor (now {self.factor:g})")
            if state.reference_steps < REFERENCE_STEPS:
                state.reference_loss_sum += scaled
                state.reference_steps += 1
        return True

    def _stop(self, state: GuardState, where: str, what: str, last_resort: str) -> None:
        config = self.config.train
        kept = f"the last good checkpoint is {self.last_dir}" if self.last_dir.exists() else \
            "no checkpoint was written yet"
        raise TrainingDiverged(
            f"training diverged at {where}: {what} (last finite loss: "
            f"{state.last_finite_loss}); {kept}",
            hint=f"lower train.optimizer.lr (now {config.optimizer.lr}), set or lower "
                 f"train.clip_norm (now {config.clip_norm}), check model.forget_bias, "
                 f"{last_resort}")
