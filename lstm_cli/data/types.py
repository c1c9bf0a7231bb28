"""The in-memory form of a dataset, shared by every reader, the batcher and the trainer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Example:
    """One sequence.

    tokens:   the words (token inputs); for dense data, a placeholder per frame (may be "").
    labels:   one gold label per position, or None (unlabelled input, CTC data).
    features: extra categorical input columns, name -> one value per position.
    frames:   real-valued inputs [length, D] for dense data, else None.
    target:   an unaligned label string (CTC), else None.
    label:    one label for the whole sequence (`model.output: last_softmax`), else None.
    value:    real-valued target of the whole sequence, [K] or a scalar (`regression`), else None.
    step_values: real-valued targets per position, [length, K] or [length] (`regression`, per
              step), else None.
    source:   where the sequence came from, `path:line` of its first line, for error messages.
    """

    tokens: list[str]
    labels: list[str] | None = None
    features: dict[str, list[str]] = field(default_factory=dict)
    frames: np.ndarray | None = None
    target: list[str] | None = None
    source: str = ""
    label: str | None = None
    value: np.ndarray | None = None
    step_values: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.tokens) if self.frames is None else int(self.frames.shape[0])
