"""The training loop: `train(config, run_dir)` and everything it writes into the run directory.

    run_dir/config.yaml          the fully resolved config
    run_dir/metrics.jsonl        one JSON object per epoch
    run_dir/train.log            everything the run logged
    run_dir/checkpoints/last/    after every epoch (and on interruption, mid-epoch)
    run_dir/checkpoints/best/    whenever the dev metric improves
    run_dir/report.json, .md     the best checkpoint evaluated on test (else dev)

Determinism: three Generators spawned from `config.seed` drive initialisation, data order and
dropout; their states are saved in `last`, with the batch position inside the epoch, so
`--resume` ends with exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lstm_cli import fsutil
from lstm_cli.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from lstm_cli.config import Config
from lstm_cli.data.batching import iter_batches
from lstm_cli.data.encoding import EncodedExample, encode_examples, unseen_gold_labels
from lstm_cli.data.prepare import Splits, load_splits
from lstm_cli.data.vocab import Vocabs
from lstm_cli.errors import LstmError
from lstm_cli.eval.report import unseen_labels_text, write_report
from lstm_cli.inference import evaluate
from lstm_cli.metric_registry import higher_is_better
from lstm_cli.model import (
    FORMAT_DATA,
    TrainedModel,
    build_model,
    model_from_checkpoint,
    model_meta,
)
from lstm_cli.train.divergence import DivergenceGuard
from lstm_cli.train.lock import RunLock
from lstm_cli.train.metrics_log import (
    append_metrics,
    epoch_line,
    flat_keys,
    metric_value,
    read_metrics,
    truncate_metrics,
)
from lstm_cli.train.options import schedule_options
from lstm_cli.train.prepare import (
    format_data,
    prepare_training_data,
    training_examples,
    word_dropout_table,
)
from lstm_cli.train.runlog import RunLog, stop_on_signals
from lstm_cli.train.schedule import Schedule, make_schedule
from lstm_cli.train.step import Updater


class TrainingInterrupted(Exception):
    """SIGINT/SIGTERM arrived; the `last` checkpoint holds the state after the current batch."""

    def __init__(self, run_dir: Path, epoch: int, batch: int) -> None:
        self.run_dir, self.epoch, self.batch = run_dir, epoch, batch
        super().__init__(f"interrupted in epoch {epoch} after batch {batch}")


@dataclass
class TrainResult:
    run_dir: Path
    report: dict[str, Any]
    best_epoch: int
    best_metric: float | None
    epochs: int
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LoopState:
    """Everything besides weights and optimiser slots that a resumed run needs."""

    epoch: int = 0                 # completed epochs
    batch: int = 0                 # batches done inside epoch `epoch` (0 at an epoch boundary)
    step: int = 0                  # optimiser updates so far
    best_metric: float | None = None
    best_epoch: int = 0
    best_tie_metric: float | None = None  # the best epoch's early_stopping.tie_metric
    bad_epochs: int = 0
    epoch_loss: float = 0.0        # running sums of the unfinished epoch
    epoch_tokens: int = 0
    epoch_seconds: float = 0.0
    last_finite_loss: float | None = None
    reference_loss_sum: float = 0.0  # the divergence guard's reference: the first updates'
    reference_steps: int = 0         # losses (train/divergence.py)
    rng: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def train(config: Config, run_dir: str | Path, *, resume: bool = False,
          log: RunLog | None = None) -> TrainResult:
    """Train `config` into `run_dir` (created if needed) and return the final report."""
    run_dir = Path(run_dir)
    log = log or RunLog(None, progress=False)
    _check_writable(run_dir)
    # NaN/inf are caught once per batch by the divergence guard, which says what to do; numpy's
    # own warnings about them would only print engine source lines.
    with RunLock(run_dir) as lock, threadpool_limits(config.train.threads), \
            np.errstate(over="ignore", under="ignore", invalid="ignore"):
        log.open(run_dir / "train.log")
        try:
            if lock.warning:
                log(lock.warning)
            return _train_locked(config, run_dir, resume, log)
        finally:
            log.close()


def _check_writable(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / f".write-test-{os.getpid()}"      # two trainers starting together
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise LstmError(f"cannot write to the run directory ({error.strerror})",
                        path=run_dir) from None


def _train_locked(config: Config, run_dir: Path, resume: bool, log: RunLog) -> TrainResult:
    run = _Run.resume(config, run_dir, log) if resume else _Run.start(config, run_dir, log)
    run.prepare()
    with stop_on_signals() as stop_requested:
        while run.state.epoch < config.train.epochs:
            epoch, lr, seconds = run.train_epoch(stop_requested)
            if not run.end_epoch(epoch, lr, seconds):
                break
            if stop_requested():
                log(f"interrupted: saved {run.last_dir} after epoch {epoch}")
                raise TrainingInterrupted(run_dir, epoch, 0)
    return _final_report(run_dir, run.best_dir, run.splits, run.state, run.history, log)


@dataclass
class _Run:
    """One training run's moving parts: built by `start` (a fresh model) or `resume` (from
    `checkpoints/last`), made ready by `prepare`, then driven epoch by epoch."""

    config: Config
    run_dir: Path
    log: RunLog
    trained: TrainedModel
    splits: Splits
    state: LoopState
    checkpoint: Checkpoint | None
    order_rng: np.random.Generator
    dropout_rng: np.random.Generator
    updater: Updater = field(init=False)
    guard: DivergenceGuard = field(init=False)
    schedule: Schedule = field(init=False)
    train_encoded: list[EncodedExample] = field(init=False)
    history: list[dict[str, Any]] = field(init=False)
    metric: str = field(init=False)

    @property
    def last_dir(self) -> Path:
        return self.run_dir / "checkpoints" / "last"

    @property
    def best_dir(self) -> Path:
        return self.run_dir / "checkpoints" / "best"

    @classmethod
    def start(cls, config: Config, run_dir: Path, log: RunLog) -> _Run:
        """A fresh model from `config.seed`: three Generators for initialisation, data order
        and dropout."""
        init_rng, order_rng, dropout_rng = (np.random.default_rng(seq) for seq in
                                            np.random.SeedSequence(config.seed).spawn(3))
        if (run_dir / "checkpoints" / "last").exists() or (run_dir / "metrics.jsonl").exists():
            raise LstmError("the run directory already holds a run", path=run_dir,
                            hint="use --resume to continue it, or choose another --out")
        splits, vocabs, pretrained, frame_dim = prepare_training_data(config, log, init_rng)
        tagger = build_model(config, vocabs, rng=init_rng, frame_dim=frame_dim,
                             pretrained=pretrained)
        data = format_data(config)
        trained = TrainedModel(config, vocabs, tagger, frame_dim,
                               {FORMAT_DATA: data} if data else {})
        return cls(config, run_dir, log, trained, splits, LoopState(), None, order_rng,
                   dropout_rng)

    @classmethod
    def resume(cls, config: Config, run_dir: Path, log: RunLog) -> _Run:
        """The model, loop state and Generators saved in `checkpoints/last`."""
        _, order_rng, dropout_rng = (np.random.default_rng(seq) for seq in
                                     np.random.SeedSequence(config.seed).spawn(3))
        last_dir = run_dir / "checkpoints" / "last"
        checkpoint = load_checkpoint(last_dir)
        trained = model_from_checkpoint(checkpoint)
        _check_resumable(config, trained.config.to_dict(), last_dir)
        trained.config = config
        state = LoopState(**checkpoint.meta["train_state"])
        splits = load_splits(config, warn=log)
        order_rng.bit_generator.state = state.rng["order"]
        dropout_rng.bit_generator.state = state.rng["dropout"]
        log(f"resuming {run_dir} after epoch {state.epoch}, batch {state.batch}")
        truncate_metrics(run_dir / "metrics.jsonl", state.epoch)
        return cls(config, run_dir, log, trained, splits, state, checkpoint, order_rng,
                   dropout_rng)

    def prepare(self) -> None:
        """Check dev/test labels, write config.yaml, build the updater (restoring optimiser
        and average state on resume), the guard, the schedule and the encoded training data."""
        config, trained, splits = self.config, self.trained, self.splits
        for name in ("dev", "test"):                 # bad features: an error now, not later
            if getattr(splits, name):
                _warn_unseen_labels(name, getattr(splits, name), trained.vocabs, self.log)
        fsutil.atomic_write_text(self.run_dir / "config.yaml", config.to_yaml())
        tagger = trained.tagger
        train_examples = training_examples(config, splits)
        self.train_encoded = encode_examples(train_examples, trained.vocabs)
        steps_per_epoch = math.ceil(len(self.train_encoded) / config.train.batch_size)
        self.updater = Updater(config, tagger, steps_per_epoch=steps_per_epoch)
        checkpoint = self.checkpoint
        if checkpoint is not None and checkpoint.optimizer_state is not None:
            self.updater.optimizer.load_state_dict(*checkpoint.optimizer_state)
        if self.updater.average is not None and checkpoint is not None:
            self.updater.average.load_state_dict(checkpoint.extra_arrays)
        self.guard = DivergenceGuard(config, tagger.output.num_scores, self.last_dir, self.log)
        self.schedule = make_schedule(schedule_options(config, steps_per_epoch))
        tagger.word_dropout = word_dropout_table(config, trained.vocabs, train_examples)
        self.metric = config.train.early_stopping.metric if splits.dev else "train_loss"
        self.log(f"training on {len(splits.train)} sequences ({splits.sources['train']}), dev "
                 f"{len(splits.dev) if splits.dev else 0}, test "
                 f"{len(splits.test) if splits.test else 0}; "
                 f"{sum(p.size for p in self.updater.params.values()):,} parameters; model "
                 f"selection by {self.metric}")
        self.history = read_metrics(self.run_dir / "metrics.jsonl")

    def train_epoch(self, stop_requested: Callable[[], bool]) -> tuple[int, float, float]:
        """The rest of the current epoch's batches (all of them, unless resumed mid-epoch);
        returns the epoch, its last learning rate and its seconds. A stop request saves `last`
        and raises TrainingInterrupted after the current batch."""
        config, state, log = self.config, self.state, self.log
        epoch = state.epoch + 1
        if state.batch == 0:
            state.rng["order_epoch_start"] = self.order_rng.bit_generator.state
        else:
            self.order_rng.bit_generator.state = state.rng["order_epoch_start"]
        batches = list(iter_batches(self.train_encoded, config.train.batch_size, shuffle=True,
                                    rng=self.order_rng, bucket=config.train.bucket))
        bar = log.bar(len(self.train_encoded), f"epoch {epoch}/{config.train.epochs}")
        bar.update(sum(b.size for b in batches[:state.batch]))
        lr = self.schedule.lr_at(state.epoch, state.step)
        started = time.perf_counter()
        for index in range(state.batch, len(batches)):
            batch = batches[index]
            lr = self.schedule.lr_at(state.epoch, state.step)
            loss, norm = self.updater.step(batch, lr, self.dropout_rng)
            if self.guard.check(state, epoch, loss, norm, batch):
                state.step += 1
                state.last_finite_loss = loss
                tokens = int(batch.mask.sum())
                state.epoch_loss += loss * tokens
                state.epoch_tokens += tokens
            state.batch = index + 1
            bar.update(batch.size)
            elapsed = state.epoch_seconds + time.perf_counter() - started
            bar.set_postfix(loss=f"{state.epoch_loss / max(state.epoch_tokens, 1):.4f}",
                            tok_s=f"{state.epoch_tokens / max(elapsed, 1e-9):.0f}")
            if stop_requested() and state.batch < len(batches):
                state.epoch_seconds = elapsed
                bar.close()
                self.save(self.last_dir, None)
                log(f"interrupted: saved {self.last_dir} (epoch {epoch}, batch {state.batch})")
                raise TrainingInterrupted(self.run_dir, epoch, state.batch)
        bar.close()
        return epoch, lr, state.epoch_seconds + time.perf_counter() - started

    def end_epoch(self, epoch: int, lr: float, seconds: float) -> bool:
        """Evaluate on dev, append the epoch's record, save `best` (when the metric improved)
        and `last`; returns False when early stopping ends the run."""
        state, metric = self.state, self.metric
        train_loss = state.epoch_loss / max(state.epoch_tokens, 1)
        record: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss,
                                  "dev": self.evaluate_dev(),
                                  "lr": lr, "seconds": round(seconds, 3),
                                  "train_tokens_per_s": round(
                                      state.epoch_tokens / max(seconds, 1e-9), 1)}
        value = metric_value(record["dev"], metric) if self.splits.dev else train_loss
        tie_metric = self.config.train.early_stopping.tie_metric if self.splits.dev else None
        tie_value = metric_value(record["dev"], tie_metric) if tie_metric else None
        improved = improves(value, tie_value, state, metric, tie_metric)
        state.epoch, state.batch = epoch, 0
        state.epoch_loss, state.epoch_tokens, state.epoch_seconds = 0.0, 0, 0.0
        if improved:
            state.best_metric, state.best_epoch, state.bad_epochs = value, epoch, 0
            state.best_tie_metric = tie_value
        elif epoch > patience_start(self.config):
            state.bad_epochs += 1
        append_metrics(self.run_dir / "metrics.jsonl", record)
        self.history.append(record)
        if improved:
            self.save(self.best_dir, record, averaged=True)
        self.save(self.last_dir, record)
        self.log(epoch_line(record, metric, value, improved))
        patience = self.config.train.early_stopping.patience
        if patience is not None and state.bad_epochs >= patience:
            self.log(f"early stopping: {metric} has not improved for {patience} epochs")
            return False
        return True

    def save(self, directory: Path, metrics: dict[str, Any] | None, *,
             averaged: bool = False) -> None:
        """Write a checkpoint; `averaged` stores the EMA weights as the model's (for `best`)."""
        state, ema, updater = self.state, self.updater.average, self.updater
        state.rng = {"order_epoch_start": state.rng.get("order_epoch_start"),
                     "order": self.order_rng.bit_generator.state,
                     "dropout": self.dropout_rng.bit_generator.state}
        extra = None if ema is None else ema.state_dict()
        save_checkpoint(directory, params=ema.averaged() if averaged and ema else updater.params,
                        optimizer_state=updater.optimizer.state_dict(), extra_arrays=extra,
                        meta={**model_meta(self.trained), "train_state": state.to_dict(),
                              "metrics": metrics})

    def evaluate_dev(self) -> dict[str, Any] | None:
        """The dev report (of the averaged weights with `train.ema`), or None without dev."""
        dev, ema = self.splits.dev, self.updater.average
        if not dev:
            return None
        if ema is None:
            return evaluate(self.trained, dev)
        with ema.swapped_in():
            return evaluate(self.trained, dev)


def _warn_unseen_labels(name: str, examples, vocabs: Vocabs, log: RunLog) -> None:
    """Warn once about gold labels of a dev or test split never seen in training: they are
    scored as errors (`inference.evaluate`), not refused."""
    unseen = unseen_gold_labels(examples, vocabs)
    if unseen:
        log(f"warning: the {name} data holds {len(unseen)} label(s) never seen in training: "
            f"{unseen_labels_text(unseen)}; the model cannot predict them, so they are scored "
            "as errors")


def better(value: float, than: float, metric: str) -> bool:
    """Whether `value` of `metric` is strictly better than `than` (higher or lower is better
    as the metric says)."""
    return value > than if higher_is_better(metric) else value < than


def improves(value: float, tie_value: float | None, state: LoopState, metric: str,
             tie_metric: str | None) -> bool:
    """Whether an epoch with `metric` = `value` (and `tie_metric` = `tie_value`) beats the best
    so far: a strictly better `metric`, or, with a tie metric, an equal `metric` and a strictly
    better `tie_value`. Without one, the first of equal epochs stays the best."""
    if state.best_metric is None or better(value, state.best_metric, metric):
        return True
    if tie_metric is None or tie_value is None or value != state.best_metric:
        return False
    return state.best_tie_metric is None or better(tie_value, state.best_tie_metric, tie_metric)


def patience_start(config: Config) -> int:
    """The last epoch that early stopping's patience does not count: `min_epochs`, or the
    weight average's horizon in whole epochs (`train.ema_epochs`, rounded up) if later."""
    train = config.train
    horizon = math.ceil(train.ema_epochs) if train.ema_epochs is not None else 0
    return max(train.early_stopping.min_epochs, horizon)


def _check_resumable(config: Config, saved: dict[str, Any], last_dir: Path) -> None:
    """Resuming may lengthen training (`train.epochs`), nothing else. `saved` is the run's
    config as loaded (keys added since it was written hold their defaults)."""
    now, before = flat_keys(config.to_dict()), flat_keys(saved)
    differences = [key for key, value in now.items()
                   if key != "train.epochs" and value != before.get(key)]
    if differences:
        raise LstmError(f"the config differs from the one of the run being resumed "
                        f"({', '.join(differences[:5])})", path=last_dir,
                        hint="resume with the run's own config.yaml")


def _final_report(run_dir: Path, best_dir: Path, splits: Splits, state: LoopState,
                  history: list[dict[str, Any]], log: RunLog) -> TrainResult:
    best = model_from_checkpoint(load_checkpoint(best_dir, training_state=False))
    name = "test" if splits.test else "dev" if splits.dev else "train"
    examples = {"test": splits.test, "dev": splits.dev, "train": splits.train}[name]
    report = evaluate(best, examples)
    report["checkpoint"] = str(best_dir)
    report["data"] = splits.sources.get(name, name)
    report["split"] = name
    report["best_epoch"] = state.best_epoch
    write_report(report, run_dir, title=f"{run_dir.name}: best checkpoint on {name}")
    log(f"best epoch {state.best_epoch}; report on {name} written to {run_dir / 'report.json'}")
    return TrainResult(run_dir, report, state.best_epoch, state.best_metric, state.epoch,
                       history)
