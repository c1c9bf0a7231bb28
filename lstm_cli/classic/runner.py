"""Train classic tasks online until the paper's criterion says solved, and tabulate the runs.

`run_trial(task, cell, seed, budget)` is one run: the task's config with the cell swapped in
(`CELLS`), a model from `build_model`, and an online loop — draw a minibatch of fresh sequences,
forward, let the trial judge the batch, backward, clip, one optimiser step — until the trial's
stopping rule holds or `budget` training sequences have been seen. A run whose loss or gradient
turns non-finite stops there, unsolved, with `diverged` in its detail. `run_classic` runs every
task × cell × seed; `summarise` folds the runs into one row per task and cell.

Three Generators spawned from the seed drive initialisation, data and dropout, so a run is
reproducible. The learning rate is `train.optimizer.lr`, constant: the epoch-based
`train.schedule` and `train.epochs` do not apply to online training, and `train.ema_epochs`
(a horizon in epochs) is refused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli.classic.tasks import TASKS, Task
from lstm_cli.config import Config, config_from_dict
from lstm_cli.data.batching import make_batch
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import ConfigError
from lstm_cli.model import build_model
from lstm_cli.train.step import Updater

CELLS: dict[str, list[str]] = {
    "lstm": ["model.cell=lstm", "model.peepholes=false"],
    "lstm-peephole": ["model.cell=lstm", "model.peepholes=true"],
    "gru": ["model.cell=gru"],
    "rnn": ["model.cell=rnn"],
    "lstm-nfg": ["model.cell=lstm", "model.peepholes=false", "model.variant=NFG"],
}
"""Cell variants as `--set` overrides of a task's config. The LSTM variants have forget gates,
except `lstm-nfg` (Greff et al.'s "no forget gate", the cell of 1997 that Gers et al. (2000)
showed to fail on continual Reber)."""


@dataclass
class RunResult:
    """One task × cell × seed: solved within the budget?, sequences seen (until solved, else
    the whole budget), wall time, and the trial's final numbers."""

    task: str
    cell: str
    seed: int
    solved: bool
    sequences: int
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def task_config(task: Task, cell: str, seed: int, overrides: Iterable[str] = ()) -> Config:
    """The task's config with `cell` swapped in, `seed` set, and extra `--set` overrides."""
    if cell not in CELLS:
        raise ConfigError(f"unknown cell {cell!r}", hint=f"choose from {', '.join(CELLS)}")
    config = config_from_dict(task.config, [*CELLS[cell], f"seed={seed}", *overrides])
    if config.train.ema_epochs is not None:
        raise ConfigError("train.ema_epochs counts epochs, and a classic task trains online, "
                          "without epochs", hint="set train.ema (the decay per step) instead")
    return config


def run_trial(task: Task, cell: str, seed: int, budget: int, *, paper_scale: bool = False,
              overrides: Iterable[str] = ()) -> RunResult:
    """Train `task` with `cell` from `seed` until solved or `budget` sequences were seen."""
    config = task_config(task, cell, seed, overrides)
    init_seq, data_seq, dropout_seq = np.random.SeedSequence(seed).spawn(3)
    trial = task.trial(np.random.default_rng(data_seq), paper_scale=paper_scale)
    dropout_rng = np.random.default_rng(dropout_seq)
    vocabs = Vocabs.build(trial.vocab_examples)
    first = trial.vocab_examples[0]
    frame_dim = 0 if first.frames is None else int(first.frames.shape[1])
    tagger = build_model(config, vocabs, rng=np.random.default_rng(init_seq),
                         frame_dim=frame_dim)
    updater = Updater(config, tagger)
    lr = config.train.optimizer.lr

    def observe(scores: np.ndarray, batch) -> None:
        trial.observe(tagger, scores, batch)

    seen, solved, diverged = 0, False, False
    started = time.perf_counter()
    with threadpool_limits(config.train.threads), \
            np.errstate(over="ignore", under="ignore", invalid="ignore"):
        while seen < budget and not solved:
            examples = trial.draw(config.train.batch_size)
            batch = make_batch(trial.encode(examples, vocabs))
            loss, norm = updater.step(batch, lr, dropout_rng, observe=observe)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                diverged = True                    # a failed run, not a failed table
                break
            seen += trial.sequences(examples)
            solved = trial.solved(tagger, vocabs, seen)
    detail = {**trial.detail(), **({"diverged": True} if diverged else {})}
    return RunResult(task.name, cell, seed, solved, seen,
                     round(time.perf_counter() - started, 2), detail)


def run_classic(tasks: Iterable[str], cells: Iterable[str], seeds: int, *,
                budget: int | None = None, paper_scale: bool = False,
                overrides: Iterable[str] = (),
                progress: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Every task × cell × seed (seeds 0 .. seeds-1); `budget` overrides each task's default
    (or, with `paper_scale`, its paper-scale) budget of training sequences."""
    tasks, cells, overrides = list(tasks), list(cells), list(overrides)
    for name in tasks:
        if name not in TASKS:
            raise ConfigError(f"unknown classic task {name!r}",
                              hint=f"choose from {', '.join(TASKS)}")
    for cell in cells:
        if cell not in CELLS:
            raise ConfigError(f"unknown cell {cell!r}", hint=f"choose from {', '.join(CELLS)}")
    results = []
    for name in tasks:
        task = TASKS[name]
        limit = budget or (task.paper_budget if paper_scale else task.default_budget)
        for cell in cells:
            for seed in range(seeds):
                result = run_trial(task, cell, seed, limit, paper_scale=paper_scale,
                                   overrides=overrides)
                results.append(result)
                if progress is not None:
                    progress(result)
    return results


def summarise(results: Iterable[RunResult]) -> list[dict[str, Any]]:
    """One row per task and cell, in first-seen order: `runs`, `solved` (how many), `fraction`,
    `sequences` (median, min and max over the solved runs; None if none), `seconds` (mean wall
    time per run), `budget` (sequences seen by an unsolved run, if any) and `score` (the median
    over runs of the trials' headline number at the end, e.g. test strings solved)."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for result in results:
        groups.setdefault((result.task, result.cell), []).append(result)
    rows = []
    for (task, cell), runs in groups.items():
        solved = [run.sequences for run in runs if run.solved]
        unsolved = [run.sequences for run in runs if not run.solved]
        rows.append({
            "task": task, "cell": cell, "runs": len(runs), "solved": len(solved),
            "fraction": len(solved) / len(runs),
            "sequences": None if not solved else {
                "median": int(np.median(solved)), "min": min(solved), "max": max(solved)},
            "seconds": round(float(np.mean([run.seconds for run in runs])), 2),
            "budget": max(unsolved) if unsolved else None,
            "score": _headline(runs),
        })
    return rows


def _headline(runs: list[RunResult]) -> dict[str, Any] | None:
    """{name, median} of the first number in the runs' details, or None without details."""
    names = [next(iter(run.detail)) for run in runs if run.detail]
    if not names:
        return None
    return {"name": names[0],
            "median": float(np.median([run.detail[names[0]] for run in runs if run.detail]))}
