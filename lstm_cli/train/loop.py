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

import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from lstm_cli import fsutil
from lstm_cli.config import Config
from lstm_cli.data.batching import iter_batches
from lstm_cli.data.encoding import encode_examples, unseen_gold_labels
from lstm_cli.data.prepare import Splits, load_splits, window_spec
from lstm_cli.data.vectors import build_embedding_matrix, read_vectors
from lstm_cli.data.vocab import Vocabs
from lstm_cli.data.windows import make_windows
from lstm_cli.engine.tagger import SequenceTagger
from lstm_cli.errors import ConfigError, LstmError
from lstm_cli.eval.report import unseen_labels_text, write_report
from lstm_cli.inference import evaluate
from lstm_cli.model import TrainedModel, build_model, model_from_checkpoint, model_meta
from lstm_cli.train.average import WeightAverage, ema_decay
from lstm_cli.train.checkpoint import load_checkpoint, save_checkpoint
from lstm_cli.train.lock import RunLock
from lstm_cli.train.optim import clip_grad_norm, grad_norm, make_optimizer
from lstm_cli.train.schedule import make_schedule


class TrainingInterrupted(Exception):
    """SIGINT/SIGTERM arrived; the `last` checkpoint holds the state after the current batch."""

    def __init__(self, run_dir: Path, epoch: int, batch: int) -> None:
        self.run_dir, self.epoch, self.batch = run_dir, epoch, batch
        super().__init__(f"interrupted in epoch {epoch} after batch {batch}")


class TrainingDiverged(LstmError):
    """A non-finite loss or gradient norm with `train.on_nonfinite: stop`."""


class RunLog:
    """Where the loop reports: `train.log` always; stderr unless quiet; tqdm bars if `progress`."""

    def __init__(self, stream: TextIO | None, *, progress: bool = True) -> None:
        self.stream = stream
        self.progress = progress and stream is not None
        self.file: TextIO | None = None

    def open(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def __call__(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        if self.file is not None:
            self.file.write(f"{stamp} {message}\n")
            self.file.flush()
        if self.stream is not None:
            tqdm.write(message, file=self.stream)

    def bar(self, total: int, description: str) -> tqdm:
        return tqdm(total=total, desc=description, unit="seq", file=self.stream,
                    disable=not self.progress, leave=False, dynamic_ncols=True)


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
    bad_epochs: int = 0
    epoch_loss: float = 0.0        # running sums of the unfinished epoch
    epoch_tokens: int = 0
    epoch_seconds: float = 0.0
    last_finite_loss: float | None = None
    rng: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@contextmanager
def stop_on_signals() -> Iterator[Callable[[], bool]]:
    """Turn SIGINT/SIGTERM into a flag the loop checks after each batch (main thread only)."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, frame):
        if requested.is_set():                       # a second Ctrl-C stops at once
            signal.default_int_handler(signum, frame)
        requested.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield requested.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def metric_value(report: dict[str, Any], metric: str) -> float:
    """A dotted key of a report (`token_accuracy`, `entity.f1`, `loss`) as a float."""
    value: Any = report
    for part in metric.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"train.early_stopping.metric: the dev report has no "
                              f"'{metric}'", hint="use token_accuracy, sequence_accuracy, "
                              "entity.f1, label_error_rate or loss")
        value = value[part]
    if value is None:
        raise ConfigError(f"train.early_stopping.metric '{metric}' is not defined for these "
                          f"labels", hint="entity.f1 needs BIO/IOBES labels")
    return float(value)


def higher_is_better(metric: str) -> bool:
    return not any(word in metric for word in ("loss", "error", "mse", "mae"))


def prepare_training_data(config: Config, log: RunLog, rng: np.random.Generator
                          ) -> tuple[Splits, Vocabs, np.ndarray | None, int]:
    """Read the splits and build what a fresh model needs from the training data: the
    vocabularies, the pretrained embedding matrix (or None) and the frame width (0 for tokens)."""
    splits = load_splits(config, warn=log)
    data = config.data
    affixes = config.model.affixes
    frame_dim = 0 if splits.train[0].frames is None else int(splits.train[0].frames.shape[1])
    vocabs = Vocabs.build(splits.train, min_count=data.min_count, lowercase=data.lowercase,
                          digits=data.normalize_digits, chars=config.model.chars.dim > 0,
                          affixes=() if frame_dim else affixes.names(),
                          affix_min_count=affixes.min_count,
                          max_word_chars=config.model.chars.max_length)
    pretrained = None
    if config.model.embedding.pretrained:
        vectors = read_vectors(config.model.embedding.pretrained)
        vocabs.tokens.extend(vectors.words)
        pretrained, coverage = build_embedding_matrix(vocabs.tokens, vectors, rng)
        log(f"pretrained vectors {config.model.embedding.pretrained}: {coverage.describe()}")
    return splits, vocabs, pretrained, frame_dim


def word_dropout_table(config: Config, vocabs: Vocabs, examples) -> np.ndarray | None:
    """P(replace id by <unk>) per token id: α / (count + α) (`model.word_dropout_alpha`, Kiperwasser
    & Goldberg 2016) or a fixed `model.word_dropout` rate; never for <pad> and <unk>."""
    alpha, rate = config.model.word_dropout_alpha, config.model.word_dropout
    if not alpha and not rate:
        return None
    vocab = vocabs.tokens
    if alpha:
        counts = np.zeros(len(vocab))
        np.add.at(counts, np.concatenate([vocab.encode(e.tokens) for e in examples]), 1)
        table = alpha / (counts + alpha)
    else:
        table = np.full(len(vocab), rate)
    table[[vocab.pad_id, vocab.unk_id]] = 0.0
    return table


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
                                        **_optimizer_options(opt))
        row_sparse = [name for name in tagger.row_sparse_names()
                      if name in self.optimizer.trainable] if opt.lazy else []
        if config.train.ema_epochs is not None and steps_per_epoch is None:
            raise ValueError("train.ema_epochs needs the number of steps per epoch")
        decay = ema_decay(config.train, steps_per_epoch or 1)
        self.average = None if decay is None else WeightAverage(
            self.params, decay, row_sparse=row_sparse,
            bias_correction=config.train.ema_bias_correction)

    def step(self, batch, lr: float, rng: np.random.Generator) -> tuple[float, float]:
        """Forward, backward and, when the loss and the gradient norm are finite, the update;
        returns both (the norm before clipping) for the caller to judge."""
        loss = self.tagger.loss_and_grads(batch, rng=rng)
        rows = self.tagger.named_grad_rows()
        norm = clip_grad_norm(self.grads, self.clip_norm, rows) if self.clip_norm \
            else grad_norm(self.grads, rows)
        if math.isfinite(loss) and math.isfinite(norm):
            self.optimizer.step(self.grads, lr, rows)
            if self.average is not None:
                self.average.update(rows)
        return loss, norm


def _training_examples(config: Config, splits: Splits):
    spec = window_spec(config.data)
    if spec is None:
        return splits.train
    return [window.example for window in make_windows(splits.train, spec)]


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
    init_seq, order_seq, dropout_seq = np.random.SeedSequence(config.seed).spawn(3)
    init_rng = np.random.default_rng(init_seq)
    order_rng = np.random.default_rng(order_seq)
    dropout_rng = np.random.default_rng(dropout_seq)
    last_dir, best_dir = run_dir / "checkpoints" / "last", run_dir / "checkpoints" / "best"
    state = LoopState()
    if resume:
        checkpoint = load_checkpoint(last_dir)
        _check_resumable(config, checkpoint.meta["config"], last_dir)
        trained = model_from_checkpoint(checkpoint)
        trained.config = config
        state = LoopState(**checkpoint.meta["train_state"])
        splits = load_splits(config, warn=log)
        order_rng.bit_generator.state = state.rng["order"]
        dropout_rng.bit_generator.state = state.rng["dropout"]
        log(f"resuming {run_dir} after epoch {state.epoch}, batch {state.batch}")
        _truncate_metrics(run_dir / "metrics.jsonl", state.epoch)
    else:
        if (last_dir.exists() or (run_dir / "metrics.jsonl").exists()):
            raise LstmError("the run directory already holds a run", path=run_dir,
                            hint="use --resume to continue it, or choose another --out")
        splits, vocabs, pretrained, frame_dim = prepare_training_data(config, log, init_rng)
        tagger = build_model(config, vocabs, rng=init_rng, frame_dim=frame_dim,
                             pretrained=pretrained)
        trained = TrainedModel(config, vocabs, tagger, frame_dim)
        checkpoint = None
    for name in ("dev", "test"):                   # bad features: an error now, not after epoch 1
        if getattr(splits, name):
            _warn_unseen_labels(name, getattr(splits, name), trained.vocabs, log)
    fsutil.atomic_write_text(run_dir / "config.yaml", config.to_yaml())
    tagger = trained.tagger
    train_examples = _training_examples(config, splits)
    train_encoded = encode_examples(train_examples, trained.vocabs)
    steps_per_epoch = math.ceil(len(train_encoded) / config.train.batch_size)
    updater = Updater(config, tagger, steps_per_epoch=steps_per_epoch)
    optimizer, ema, params = updater.optimizer, updater.average, updater.params
    if checkpoint is not None and checkpoint.optimizer_state is not None:
        optimizer.load_state_dict(*checkpoint.optimizer_state)
    if ema is not None and checkpoint is not None:
        ema.load_state_dict(checkpoint.extra_arrays)
    schedule = make_schedule(_schedule_options(config, steps_per_epoch))
    tagger.word_dropout = word_dropout_table(config, trained.vocabs, train_examples)
    dev = splits.dev
    metric = config.train.early_stopping.metric if dev else "train_loss"
    better = higher_is_better(metric)
    log(f"training on {len(splits.train)} sequences ({splits.sources['train']}), dev "
        f"{len(dev) if dev else 0}, test {len(splits.test) if splits.test else 0}; "
        f"{sum(p.size for p in params.values()):,} parameters; model selection by {metric}")
    history = read_metrics(run_dir / "metrics.jsonl")
    first_counted_epoch = patience_start(config)

    def save(directory: Path, metrics: dict[str, Any] | None, *, averaged: bool = False) -> None:
        """Write a checkpoint; `averaged` stores the EMA weights as the model's (for `best`)."""
        state.rng = {"order_epoch_start": state.rng.get("order_epoch_start"),
                     "order": order_rng.bit_generator.state,
                     "dropout": dropout_rng.bit_generator.state}
        extra = None if ema is None else ema.state_dict()
        save_checkpoint(directory, params=ema.averaged() if averaged and ema else params,
                        optimizer_state=optimizer.state_dict(), extra_arrays=extra,
                        meta={**model_meta(trained), "train_state": state.to_dict(),
                              "metrics": metrics})

    def evaluate_dev() -> dict[str, Any] | None:
        if not dev:
            return None
        if ema is None:
            return evaluate(trained, dev)
        with ema.swapped_in():
            return evaluate(trained, dev)

    with stop_on_signals() as stop_requested:
        while state.epoch < config.train.epochs:
            epoch = state.epoch + 1
            if state.batch == 0:
                state.rng["order_epoch_start"] = order_rng.bit_generator.state
            else:
                order_rng.bit_generator.state = state.rng["order_epoch_start"]
            batches = list(iter_batches(train_encoded, config.train.batch_size, shuffle=True,
                                        rng=order_rng, bucket=config.train.bucket))
            bar = log.bar(len(train_encoded), f"epoch {epoch}/{config.train.epochs}")
            bar.update(sum(b.size for b in batches[:state.batch]))
            lr = schedule.lr_at(state.epoch, state.step)
            started = time.perf_counter()
            for index in range(state.batch, len(batches)):
                batch = batches[index]
                lr = schedule.lr_at(state.epoch, state.step)
                loss, norm = updater.step(batch, lr, dropout_rng)
                if not (math.isfinite(loss) and math.isfinite(norm)):
                    _non_finite(config, log, epoch, state, loss, norm, last_dir)
                else:
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
                    save(last_dir, None)
                    log(f"interrupted: saved {last_dir} (epoch {epoch}, batch {state.batch})")
                    raise TrainingInterrupted(run_dir, epoch, state.batch)
            bar.close()
            seconds = state.epoch_seconds + time.perf_counter() - started
            train_loss = state.epoch_loss / max(state.epoch_tokens, 1)
            record: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss,
                                      "dev": evaluate_dev(),
                                      "lr": lr, "seconds": round(seconds, 3),
                                      "train_tokens_per_s": round(
                                          state.epoch_tokens / max(seconds, 1e-9), 1)}
            value = metric_value(record["dev"], metric) if dev else train_loss
            improved = state.best_metric is None or (
                value > state.best_metric if better else value < state.best_metric)
            state.epoch, state.batch = epoch, 0
            state.epoch_loss, state.epoch_tokens, state.epoch_seconds = 0.0, 0, 0.0
            if improved:
                state.best_metric, state.best_epoch, state.bad_epochs = value, epoch, 0
            elif epoch > first_counted_epoch:
                state.bad_epochs += 1
            _append_metrics(run_dir / "metrics.jsonl", record)
            history.append(record)
            if improved:
                save(best_dir, record, averaged=True)
            save(last_dir, record)
            log(_epoch_line(record, metric, value, improved))
            patience = config.train.early_stopping.patience
            if patience is not None and state.bad_epochs >= patience:
                log(f"early stopping: {metric} has not improved for {patience} epochs")
                break
            if stop_requested():
                log(f"interrupted: saved {last_dir} after epoch {epoch}")
                raise TrainingInterrupted(run_dir, epoch, 0)

    return _final_report(run_dir, best_dir, splits, state, history, log)


def _warn_unseen_labels(name: str, examples, vocabs: Vocabs, log: RunLog) -> None:
    """Warn once about gold labels of a dev or test split never seen in training: they are
    scored as errors (`inference.evaluate`), not refused."""
    unseen = unseen_gold_labels(examples, vocabs)
    if unseen:
        log(f"warning: the {name} data holds {len(unseen)} label(s) never seen in training: "
            f"{unseen_labels_text(unseen)}; the model cannot predict them, so they are scored "
            "as errors")


def patience_start(config: Config) -> int:
    """The last epoch that early stopping's patience does not count: `min_epochs`, or the
    weight average's horizon in whole epochs (`train.ema_epochs`, rounded up) if later."""
    train = config.train
    horizon = math.ceil(train.ema_epochs) if train.ema_epochs is not None else 0
    return max(train.early_stopping.min_epochs, horizon)


def _schedule_options(config: Config, steps_per_epoch: int) -> dict[str, Any]:
    schedule = config.train.schedule
    by_name = {"step": ("step_size", "gamma"), "exponential": ("gamma",),
               "cosine": ("min_lr",)}
    options = {key: getattr(schedule, key) for key in by_name.get(schedule.name, ())}
    if schedule.name == "cosine":
        options["total_epochs"] = config.train.epochs
    return {"name": schedule.name, "lr": config.train.optimizer.lr,
            "warmup_steps": schedule.warmup_steps
            or round(schedule.warmup_epochs * steps_per_epoch), **options}


def _optimizer_options(opt) -> dict[str, Any]:
    by_name = {"momentum": ("momentum",), "nesterov": ("momentum",), "rmsprop": ("rho", "eps"),
               "adam": ("beta1", "beta2", "eps"), "adamw": ("beta1", "beta2", "eps")}
    return {key: getattr(opt, key) for key in by_name.get(opt.name, ())}


def _non_finite(config: Config, log: RunLog, epoch: int, state: LoopState, loss: float,
                norm: float, last_dir: Path) -> None:
    what = f"loss {loss}" if not math.isfinite(loss) else f"gradient norm {norm}"
    where = f"epoch {epoch}, step {state.step + 1}"
    if config.train.on_nonfinite == "skip_batch":
        log(f"warning: {what} at {where}; batch skipped (train.on_nonfinite: skip_batch)")
        return
    kept = f"the last good checkpoint is {last_dir}" if last_dir.exists() else \
        "no checkpoint was written yet"
    raise TrainingDiverged(
        f"training diverged at {where}: {what} (last finite loss: {state.last_finite_loss}); "
        f"{kept}",
        hint=f"lower train.optimizer.lr (now {config.train.optimizer.lr}), set or lower "
             f"train.clip_norm (now {config.train.clip_norm}), check model.forget_bias, or "
             f"set train.on_nonfinite: skip_batch")


def _check_resumable(config: Config, saved: dict[str, Any], last_dir: Path) -> None:
    """Resuming may lengthen training (`train.epochs`), nothing else."""
    now, before = flat_keys(config.to_dict()), flat_keys(saved)
    differences = [key for key, value in now.items()
                   if key != "train.epochs" and value != before.get(key)]
    if differences:
        raise LstmError(f"the config differs from the one of the run being resumed "
                        f"({', '.join(differences[:5])})", path=last_dir,
                        hint="resume with the run's own config.yaml")


def flat_keys(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict as {dotted key: value} (`model.embedding.dim`)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            out.update(flat_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _append_metrics(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of metrics.jsonl; a torn last line (a full disk mid-append) is dropped."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    last = max((number for number, line in enumerate(lines, start=1) if line), default=0)
    records = []
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == last:
                break
            raise LstmError("expected one JSON object per line, found invalid JSON", path=path,
                            line=number) from None
    return records


def _truncate_metrics(path: Path, epochs: int) -> None:
    """Drop records of epochs the resumed checkpoint did not finish (a crash between writes)."""
    kept = [record for record in read_metrics(path) if record["epoch"] <= epochs]
    fsutil.atomic_write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))


def _epoch_line(record: dict[str, Any], metric: str, value: float, improved: bool) -> str:
    dev = "" if metric == "train_loss" else f"{metric} {value:.4f}, "
    line = (f"epoch {record['epoch']}: train_loss {record['train_loss']:.4f}, {dev}"
            f"{record['seconds']:.1f}s, {record['train_tokens_per_s']:.0f} tok/s")
    return line + (" (best)" if improved else "")


def _final_report(run_dir: Path, best_dir: Path, splits: Splits, state: LoopState,
                  history: list[dict[str, Any]], log: RunLog) -> TrainResult:
    best = model_from_checkpoint(load_checkpoint(best_dir))
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
