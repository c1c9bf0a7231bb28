"""Learning-rate schedules: pure functions of (epoch, step), so a resumed run needs no state.

`epoch` counts finished epochs (0 during the first) and `step` counts optimiser updates already
applied since the start of training (0 for the first update). The epoch decides the decay; the
step only drives the optional linear warmup, which scales the result by
min(1, (step + 1) / warmup_steps), so the first update already uses lr / warmup_steps.

Config (`make_schedule`): `{"name": ..., "lr": ..., "warmup_steps": 0, <options>}` with

    constant                                  lr
    step         step_size, gamma            lr * gamma^floor(epoch / step_size)
    exponential  gamma                        lr * gamma^epoch
    cosine       total_epochs, min_lr = 0     min_lr + (lr - min_lr) * (1 + cos(pi * e / T)) / 2,
                                              e = min(epoch, T), T = total_epochs
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from lstm_cli.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """Base: `lr_at` applies warmup to the subclass's per-epoch rate `_epoch_lr`."""

    name: ClassVar[str]
    lr: float
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ConfigError(f"{self.name} schedule: lr must be positive, got {self.lr}")
        if self.warmup_steps < 0:
            raise ConfigError(f"{self.name} schedule: warmup_steps must be >= 0, "
                              f"got {self.warmup_steps}")

    def lr_at(self, epoch: int, step: int) -> float:
        """The learning rate for the update made at (`epoch`, `step`), both counted from 0."""
        if epoch < 0 or step < 0:
            raise ValueError(f"epoch and step must be >= 0, got {epoch} and {step}")
        lr = self._epoch_lr(epoch)
        if step < self.warmup_steps:
            lr *= (step + 1) / self.warmup_steps
        return lr

    def _epoch_lr(self, epoch: int) -> float:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class ConstantSchedule(Schedule):
    """lr"""

    name = "constant"

    def _epoch_lr(self, epoch: int) -> float:
        return self.lr


@dataclass(frozen=True, kw_only=True)
class StepDecay(Schedule):
    """lr * gamma^floor(epoch / step_size)"""

    name = "step"
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.step_size < 1:
            raise ConfigError(f"step schedule: step_size must be >= 1, got {self.step_size}")
        _check_gamma(self.name, self.gamma)

    def _epoch_lr(self, epoch: int) -> float:
        return self.lr * self.gamma ** (epoch // self.step_size)


@dataclass(frozen=True, kw_only=True)
class ExponentialDecay(Schedule):
    """lr * gamma^epoch"""

    name = "exponential"
    gamma: float = 0.95

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_gamma(self.name, self.gamma)

    def _epoch_lr(self, epoch: int) -> float:
        return self.lr * self.gamma**epoch


@dataclass(frozen=True, kw_only=True)
class CosineDecay(Schedule):
    """min_lr + (lr - min_lr) * (1 + cos(pi * min(epoch, T) / T)) / 2 with T = total_epochs.

    Epoch T (one past the last of T epochs) would reach `min_lr`, as PyTorch's T_max does.
    """

    name = "cosine"
    total_epochs: int
    min_lr: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.total_epochs < 1:
            raise ConfigError(f"cosine schedule: total_epochs must be >= 1, "
                              f"got {self.total_epochs}")
        if not 0 <= self.min_lr <= self.lr:
            raise ConfigError(f"cosine schedule: min_lr must be in [0, lr], got {self.min_lr}")

    def _epoch_lr(self, epoch: int) -> float:
        progress = min(epoch, self.total_epochs) / self.total_epochs
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


def _check_gamma(name: str, gamma: float) -> None:
    if not 0 < gamma <= 1:
        raise ConfigError(f"{name} schedule: gamma must be in (0, 1], got {gamma}")


SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (ConstantSchedule, StepDecay, ExponentialDecay, CosineDecay)
}


def make_schedule(config: Mapping[str, Any]) -> Schedule:
    """Build a schedule from `{"name": ..., "lr": ..., **options}` (see the module docstring).

    `name` defaults to "constant". Unknown names or options, or a missing required option (`lr`;
`step_size` for step; `total_epochs` for cosine), raise ConfigError.
    """
    options = dict(config)
    name = options.pop("name", "constant")
    cls = SCHEDULES.get(name)
    if cls is None:
        raise ConfigError(f"unknown lr schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    accepted = [field.name for field in fields(cls)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ConfigError(f"lr schedule {name} has no option {', '.join(unknown)}; "
                          f"it accepts {', '.join(accepted)}")
    missing = [field.name for field in fields(cls)
               if field.default is MISSING and field.name not in options]
    if missing:
        raise ConfigError(f"lr schedule {name} needs {', '.join(missing)}")
    return cls(**options)
