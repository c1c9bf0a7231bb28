"""The divergence guard: training stops (`TrainingDiverged`, exit 3) when a batch's loss or
gradient norm is NaN/inf, or when its loss explodes while staying finite.

A finite explosion is a batch loss, per unit of the data (`OutputLayer.loss_per_unit`: per
step, so that batches of short and of long sequences compare), above `train.divergence_factor` times

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


class DivergenceGuard:
    """Judges each training step (see the module docstring); `num_scores` is the output
    layer's C, `last_dir` the `last` checkpoint the stop message points to."""

    def __init__(self, config: Config, num_scores: int, last_dir: Path,
                 log: Callable[[str], None]) -> None:
        self.config, self.last_dir, self.log = config, last_dir, log
        self.factor = config.train.divergence_factor
        self.output_layer = config.model.output_layer
        self.output_options = config.model.output_section()
        self.floor = math.log(num_scores) if self.output_layer.uniform_guess else 0.0

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
            scaled, unit = self.output_layer.loss_per_unit(loss, batch, **self.output_options)
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
