"""The config's optimiser and schedule sections as the keyword options of `make_optimizer` and
`make_schedule` (each name takes only its own keys)."""

from __future__ import annotations

from typing import Any

from lstm_cli.config import Config, OptimizerConfig


def schedule_options(config: Config, steps_per_epoch: int) -> dict[str, Any]:
    """`make_schedule`'s options: the schedule's name, the base rate, warm-up (in steps:
    `warmup_steps`, or `warmup_epochs` × `steps_per_epoch` rounded) and its own keys (cosine
    also needs `train.epochs`)."""
    schedule = config.train.schedule
    by_name = {"step": ("step_size", "gamma"), "exponential": ("gamma",),
               "cosine": ("min_lr",)}
    options = {key: getattr(schedule, key) for key in by_name.get(schedule.name, ())}
    if schedule.name == "cosine":
        options["total_epochs"] = config.train.epochs
    return {"name": schedule.name, "lr": config.train.optimizer.lr,
            "warmup_steps": schedule.warmup_steps
            or round(schedule.warmup_epochs * steps_per_epoch), **options}


def optimizer_options(opt: OptimizerConfig) -> dict[str, Any]:
    """`make_optimizer`'s options for the optimiser named in `opt`: only the keys it uses."""
    by_name = {"momentum": ("momentum",), "nesterov": ("momentum",), "rmsprop": ("rho", "eps"),
               "adam": ("beta1", "beta2", "eps"), "adamw": ("beta1", "beta2", "eps")}
    return {key: getattr(opt, key) for key in by_name.get(opt.name, ())}
