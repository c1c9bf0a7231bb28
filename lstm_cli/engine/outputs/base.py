"""What every output layer shares: the length mask, the kinds of targets, and the base class
through which a layer describes itself to the layers above.

The data, inference, predict, baseline, gradcheck and export code never switch on an output's
name: they ask the layer (or its class, before one is built) what it needs and gives.

- `targets` (a `Targets`): which gold it is trained against, where the data layer keeps it and
  what `decode` gives back (labels per step, an unaligned label string, one class per sequence,
  real values per sequence or per step).
- `windows`: whether `data.window` may cut the sequences it reads.
- `exportable`: whether PyTorch's nn.Linear followed by an argmax reproduces it (`lstm export`).
- `config_section`: the `model.<section>` of the config whose keys are its keyword options.
- `class_weighted`: whether it takes `model.class_weights`.
- `tolerance` (real targets only): how close a value must come to its target to be correct.
- `loss_per_unit(loss, batch, **options)`: the loss on a scale that does not grow with sequence
  length or batch size, and what it is per; `uniform_guess`: whether ln C, the loss of a uniform
  guess over its C scores, is a floor for it (train/divergence.py compares losses on these).
- `random_targets(rng, lengths)`: gold for the tiny random problem of `lstm gradcheck`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lstm_cli.engine.backend import xp
from lstm_cli.engine.module import Module

Array = np.ndarray


def length_mask(lengths: Array, steps: int, *, check: str | None = None) -> tuple[Array, Array]:
    """lengths as int64 (B,) and mask (T, B): mask[t, b] = t < lengths[b].

    With `check` (the layer's name for the message), every length must lie in [1, steps]."""
    lengths = xp.asarray(lengths, dtype=xp.int64)
    if check is not None and (xp.any(lengths < 1) or xp.any(lengths > steps)):
        raise ValueError(f"{check} must lie in [1, {steps}], got {lengths.tolist()}")
    return lengths, xp.arange(steps)[:, None] < lengths[None, :]


@dataclass(frozen=True)
class Targets:
    """One kind of gold an output layer is trained against.

    name           how reports and messages call it
    example_field  the `Example` field the readers fill with it (`data/types.py`)
    batch_field    the `Batch` field the layer's loss reads (`data/batching.py`)
    report         which evaluation scores it: labels (aligned, conlleval-style), strings
                   (label error rate), classes (one per sequence) or values (real)
    token_labels   one label per input token: written one token per line, cut into windows and
                   stitched back, scored against the most-frequent-tag baseline
    per_sequence   one target per sequence: the loss is a mean over sequences
    real           real values (K per target) rather than label ids
    required       every example must carry it (checked when the splits are loaded)
    description    what a reader must give, for error messages
    """

    name: str
    example_field: str
    batch_field: str
    report: str
    token_labels: bool = False
    per_sequence: bool = False
    real: bool = False
    required: bool = False
    description: str = ""

    def random(self, rng: np.random.Generator, lengths: Array, size: int) -> dict[str, Array]:
        """Random gold for a batch of `lengths` (sorted descending) as `Batch` fields: label ids
        below `size`, or `size` standard-normal values per target. A label string has 2 labels,
        1 in a sequence too short to align 2 (a repeat needs a blank between)."""
        lengths, mask = length_mask(lengths, int(max(lengths)))
        batch = len(lengths)
        if self.batch_field == "label_ids":
            labels = rng.integers(0, size, size=mask.shape)
            return {"label_ids": xp.where(mask, labels, -1)}
        if self.batch_field == "target_ids":
            target_lengths = xp.minimum(2, (lengths + 1) // 2)
            labels = rng.integers(0, size, size=(batch, 2))
            return {"target_ids": xp.where(xp.arange(2) < target_lengths[:, None], labels, -1),
                    "target_lengths": target_lengths}
        if self.batch_field == "sequence_label_ids":
            return {"sequence_label_ids": rng.integers(0, size, size=batch)}
        if self.batch_field == "sequence_values":
            return {"sequence_values": rng.standard_normal((batch, size))}
        values = rng.standard_normal((*mask.shape, size))
        return {self.batch_field: xp.where(mask[..., None], values, 0.0)}


STEP_LABELS = Targets("labels per step", "labels", "label_ids", "labels", token_labels=True)
LABEL_STRING = Targets("a label string", "target", "target_ids", "strings")
SEQUENCE_LABEL = Targets(
    "a label per sequence", "label", "sequence_label_ids", "classes", per_sequence=True,
    required=True,
    description="a label for the whole sequence (JSONL \"label\", dense 'seq_labels')")
SEQUENCE_VALUES = Targets(
    "values per sequence", "value", "sequence_values", "values", per_sequence=True, real=True,
    required=True,
    description="a target for the whole sequence (JSONL \"value\", dense 'seq_targets')")
STEP_VALUES = Targets(
    "values per step", "step_values", "step_values", "values", real=True, required=True,
    description="per-step targets (JSONL \"values\", dense 'step_targets')")


class OutputLayer(Module):
    """An output layer: `num_scores` scores per step in, `loss(scores, batch) -> (loss,
    d_scores)`, `decode(scores, lengths)` and `probabilities(scores, lengths)` out; the class
    and instance attributes below describe it (see the module notes)."""

    targets: Targets = STEP_LABELS
    windows: ClassVar[bool] = True
    exportable: ClassVar[bool] = False
    config_section: ClassVar[str | None] = None
    class_weighted: ClassVar[bool] = False
    tolerance: float | None = None
    loss_unit: ClassVar[str] = "step"
    uniform_guess: ClassVar[bool] = True
    num_scores: int
    num_labels: int

    @classmethod
    def targets_for(cls, **options) -> Targets:
        """The targets a layer built with these keyword options is trained against."""
        return cls.targets

    @classmethod
    def loss_per_unit(cls, loss: float, batch, **options) -> tuple[float, str]:
        """The loss of `batch` per `loss_unit` (a layer whose loss is reduced otherwise
        rescales it), and that unit; `options` are the layer's keyword options."""
        return loss, cls.loss_unit

    def random_targets(self, rng: np.random.Generator, lengths: Array) -> dict[str, Array]:
        """Random gold for a batch of `lengths`, as the `Batch` fields the loss reads."""
        size = self.num_scores if self.targets.real else self.num_labels
        return self.targets.random(rng, lengths, size)
