"""One training step, shared by the loop, the classic runner and bench/train_step.py."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lstm_cli.config import Config
from lstm_cli.data.batching import Batch
from lstm_cli.engine.tagger import SequenceTagger
from lstm_cli.train.average import WeightAverage, ema_decay
from lstm_cli.train.optim import clip_grad_norm, grad_norm, make_optimizer
from lstm_cli.train.options import optimizer_options


class Updater:
    """One training step for `tagger` under `config.train`: gradients, clipping, the optimiser
    (`optimizer`) and the weight average (`average`, None without `train.ema`)."""

    def __init__(self, config: Config, tagger: SequenceTagger, *,
                 steps_per_epoch: int | None = None) -> None:
        opt = config.train.optimizer
        self.tagger = tagger
        self.clip_norm = config.train.clip_norm
        self.params, self.grads = tagger.named_params(), tagger.named_grads()
        self.optimizer = make_optimizer(opt.name, self.params, frozen=tagger.frozen,
                                        weight_decay=config.train.weight_decay, lazy=opt.lazy,
                                        **optimizer_options(opt))
        row_sparse = [name for name in tagger.row_sparse_names()
                      if name in self.optimizer.trainable] if opt.lazy else []
        if config.train.ema_epochs is not None and steps_per_epoch is None:
            raise ValueError("train.ema_epochs needs the number of steps per epoch")
        decay = ema_decay(config.train, steps_per_epoch or 1)
        self.average = None if decay is None else WeightAverage(
            self.params, decay, row_sparse=row_sparse,
            bias_correction=config.train.ema_bias_correction)

    def step(self, batch: Batch, lr: float, rng: np.random.Generator, *,
             observe: Callable[[np.ndarray, Batch], None] | None = None
             ) -> tuple[float, float]:
        """Forward, backward and, when the loss and the gradient norm are finite, the update;
        returns both (the norm before clipping) for the caller to judge. `observe(scores,
        batch)` sees the scores between forward and backward (the classic tasks' statistics)."""
        loss = self.tagger.loss_and_grads(batch, rng=rng, observe=observe)
        rows = self.tagger.named_grad_rows()
        norm = clip_grad_norm(self.grads, self.clip_norm, rows) if self.clip_norm \
            else grad_norm(self.grads, rows)
        if math.isfinite(loss) and math.isfinite(norm):
            self.optimizer.step(self.grads, lr, rows)
            if self.average is not None:
                self.average.update(rows)
        return loss, norm
