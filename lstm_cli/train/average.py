"""The exponential moving average of the weights that evaluation and the best checkpoint use.

After every optimiser step:  w̄ ← d·w̄ + (1 − d)·w.

The decay d is `train.ema` (per step), or comes from a horizon in epochs, `train.ema_epochs`
= H: d = 1 − 1/(H·S) with S optimiser steps per epoch, so the average spans the same share of
training whatever the dataset's size (`ema_decay`). Started from the initial weights w_0, after
t steps w̄_t = d^t·w_0 + (1 − d)·Σ_{i≤t} d^(t−i)·w_i: for t well below the horizon the initial
weights dominate. With bias correction (`train.ema_bias_correction`, as Adam corrects its
moments) the sum starts from zero instead and is read as w̄_t / (1 − d^t), a weighted mean of
the weights after steps 1 … t only (before any step, the weights themselves).

A parameter that a lazy optimiser updates row by row (an embedding table) is averaged lazily: a
row that kept the value w for k steps has w̄ ← d^k·w̄ + (1 − d^k)·w, the same sum as k single
steps, so each row is brought up to date only when it changes again (from a copy of its value
before the step) or when the averages are read, instead of at every step over the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np

from lstm_cli.config import TrainConfig
from lstm_cli.engine.backend import xp
from lstm_cli.errors import CheckpointError
from lstm_cli.train.optim import BlockScratch, blocks


class WeightAverage:
    """w̄ for every parameter in `params`; those named in `row_sparse` are averaged lazily, and
    `update` must then be told which of their rows the step changed (the others must not have).

    State per lazy parameter: `average` (each row's w̄ as of step `last[row]`) and `held`, the
    weights as of the last update (the value each row kept since `last[row]`).
    """

    def __init__(self, params: Mapping[str, np.ndarray], decay: float, *,
                 row_sparse: Iterable[str] = (), bias_correction: bool = False) -> None:
        self.params = params
        self.decay = decay
        self.bias_correction = bias_correction
        self.steps = 0
        self.average = {name: xp.zeros_like(value) if bias_correction else value.copy()
                        for name, value in params.items()}
        self.last = {name: xp.zeros(len(params[name]), dtype=np.int64) for name in row_sparse}
        self.held = {name: params[name].copy() for name in self.last}
        self._scratch = BlockScratch(1)

    def update(self, rows: Mapping[str, np.ndarray] | None = None) -> None:
        """Average in the weights after one more optimiser step; `rows[name]` lists the rows of
        each lazy parameter that the step changed."""
        missing = [name for name in self.last if rows is None or name not in rows]
        if missing:                                 # checked before anything changes
            raise ValueError(f"{', '.join(missing)} averaged lazily: update needs the rows "
                             "that changed")
        self.steps += 1
        decay = self.decay
        for name, value in self.params.items():
            if name not in self.last:
                for average, weight in blocks([self.average[name], value]):
                    scratch, = self._scratch.like(weight)
                    xp.multiply(weight, 1.0 - decay, out=scratch)
                    average *= decay
                    average += scratch
                continue
            changed = rows[name]
            new = value[changed]
            average = _caught_up(self.average[name][changed], self.held[name][changed], decay,
                                 self.steps - 1 - self.last[name][changed])  # to the last step
            average *= decay                                                 # ... and this one
            average += (1.0 - decay) * new
            self.average[name][changed] = average
            self.held[name][changed] = new
            self.last[name][changed] = self.steps

    def averaged(self) -> dict[str, np.ndarray]:
        """w̄ of every parameter as of the last update (lazy ones computed, the rest as kept;
        with bias correction, divided by 1 − d^t, and before any update the weights)."""
        if self.bias_correction and self.steps == 0:
            return {name: value.copy() for name, value in self.params.items()}
        out = dict(self.average)
        for name, last in self.last.items():
            out[name] = _caught_up(self.average[name].copy(), self.held[name], self.decay,
                                   self.steps - last)
        if self.bias_correction:
            scale = 1.0 - self.decay ** self.steps
            out = {name: (average / scale).astype(average.dtype, copy=False)
                   for name, average in out.items()}
        return out

    @contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Evaluate (or save) the model with w̄ in place of w; w is restored afterwards."""
        saved = {name: value.copy() for name, value in self.params.items()}
        for name, average in self.averaged().items():
            self.params[name][...] = average
        try:
            yield
        finally:
            for name, value in self.params.items():
                value[...] = saved[name]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays to checkpoint: `ema.<name>` (w̄ as kept), `ema_last.<name>` for lazy parameters
        and `ema_steps`. `held` is not saved: between steps it equals the weights."""
        state = {f"ema.{name}": average for name, average in self.average.items()}
        state.update({f"ema_last.{name}": last for name, last in self.last.items()})
        state["ema_steps"] = xp.array(self.steps, dtype=np.int64)
        return state

    def load_state_dict(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Restore `state_dict`'s arrays into an average built over the restored weights."""
        wanted = [f"ema.{name}" for name in self.average] + [f"ema_last.{name}"
                                                            for name in self.last]
        missing = [key for key in wanted if key not in arrays]
        if missing or (self.last and "ema_steps" not in arrays):
            raise CheckpointError("checkpoint has no weight average to match the config's "
                                  f"train.ema (missing: {', '.join(missing) or 'ema_steps'})")
        for name, average in self.average.items():
            average[...] = arrays[f"ema.{name}"]
        for name, last in self.last.items():
            last[...] = arrays[f"ema_last.{name}"]
        self.steps = int(arrays.get("ema_steps", 0))


def _caught_up(average: np.ndarray, held: np.ndarray, decay: float,
               steps: np.ndarray) -> np.ndarray:
    """average ← d^k·average + (1 − d^k)·held per row, k = steps[row]; in place, returned."""
    kept = xp.power(decay, steps).astype(average.dtype).reshape(-1, *(1,) * (average.ndim - 1))
    average *= kept
    average += (1 - kept) * held
    return average


def ema_decay(train: TrainConfig, steps_per_epoch: int) -> float | None:
    """The per-step decay of the weight average: `train.ema`, else 1 − 1/(H·S) for the horizon
    H = `train.ema_epochs` over S = `steps_per_epoch` optimiser steps (0 when H·S ≤ 1: no
    averaging), else None (no average)."""
    if train.ema is not None:
        return train.ema
    if train.ema_epochs is None:
        return None
    return 1.0 - 1.0 / max(train.ema_epochs * steps_per_epoch, 1.0)
