"""Faults never lose work: SIGKILL at random moments, divergence, a second trainer, an
unwritable run directory, a full disk, a torn metrics line.

(SIGINT and SIGTERM to a training subprocess, with exact resume, are in tests/cli/test_resume.py.)
"""

from __future__ import annotations

import errno
import json
import math
import os
import random
import re
import signal
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from lstm_cli import fsutil
from lstm_cli.checkpoint import load_checkpoint
from lstm_cli.engine.tagger import SequenceTagger
from tests.support import wait_for

from .helpers import GOOD_DEV, GOOD_TRAIN, REPO_ROOT, config_yaml, start_subprocess

# 5 training batches an epoch: GOOD_TRAIN repeated 5 times (20 sequences), batch size 4.
FIVE_BATCHES = {"train.batch_size": 4, "train.epochs": 2}


def write_run_files(directory: Path, **overrides) -> Path:
    """train.txt, dev.txt and c.yaml (absolute paths) in `directory`; returns c.yaml."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "train.txt").write_text(GOOD_TRAIN * 5)
    (directory / "dev.txt").write_text(GOOD_DEV)
    config = directory / "c.yaml"
    config.write_text(config_yaml(**{"data.train": str(directory / "train.txt"),
                                     "data.dev": str(directory / "dev.txt"), **overrides}))
    return config


def inject(monkeypatch, at_call: int, *, loss: float | None = None,
           grad: float | None = None) -> list[int]:
    """Make the `at_call`-th training batch report `loss` or put `grad` in a gradient."""
    original, calls = SequenceTagger.loss_and_grads, []

    def patched(self, *args, **kwargs):
        calls.append(1)
        value = original(self, *args, **kwargs)
        if len(calls) == at_call:
            if grad is not None:                 # in a dense gradient: a row-sparse one is
                sparse = self.row_sparse_names()  # only read in the rows its ids name
                next(g for n, g in self.named_grads().items() if n not in sparse).flat[0] = grad
            if loss is not None:
                value = loss
        return value

    monkeypatch.setattr(SequenceTagger, "loss_and_grads", patched)
    return calls


# --- SIGKILL ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_loadable_checkpoint(tmp_path, cli):
    """Trainers that save two checkpoints every few milliseconds, killed with SIGKILL at seeded
    random moments: `checkpoints/last` (or the `.last.old` a swap leaves) always loads, and the
    run resumes."""
    rng = random.Random(8)
    runs = []
    for attempt in range(4):
        directory = tmp_path / f"attempt{attempt}"
        config = write_run_files(directory, **{"train.epochs": 100000, "train.batch_size": 32})
        (directory / "train.txt").write_text(GOOD_TRAIN)          # one batch an epoch
        with (directory / "stderr.txt").open("w") as stderr:
            process = start_subprocess("train", config, "--out", directory / "run", "-q",
                                       cwd=directory, stdout=subprocess.DEVNULL, stderr=stderr)
        runs.append((config, directory / "run", process))
    try:
        for _, run, process in runs:
            wait_for(run / "checkpoints" / "last" / "meta.json", process,
                     log=run.parent / "stderr.txt")
            time.sleep(rng.uniform(0.0, 0.4))
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        for _, _, process in runs:
            if process.poll() is None:
                process.kill()
    for _, run, _ in runs:
        for name in ("last", "best"):
            checkpoint = load_checkpoint(run / "checkpoints" / name)
            assert checkpoint.meta["train_state"]["epoch"] >= 1
            assert all(np.isfinite(value).all() for value in checkpoint.params.values())

    config, run, _ = runs[0]
    epoch = load_checkpoint(run / "checkpoints" / "last").meta["train_state"]["epoch"]
    result = cli("train", config, "--out", run, "-q", "--resume",
                 "--set", f"train.epochs={epoch + 1}")
    assert result.code == 0, result.err
    assert "stale lock" in (run / "train.log").read_text()
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == list(range(1, epoch + 2))
    assert not list((run / "checkpoints").glob(".last.tmp-*"))


# --- divergence ------------------------------------------------------------------------------


def test_a_nan_loss_stops_with_exit_3_naming_epoch_step_and_causes(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path)
    inject(monkeypatch, at_call=2, loss=math.nan)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3, result.output
    message = result.err
    assert "diverged at epoch 1, step 2: loss nan" in message, message
    assert "last finite loss" in message
    for cause in ("train.optimizer.lr", "train.clip_norm", "model.forget_bias",
                  "train.on_nonfinite: skip_batch"):
        assert cause in message
    assert "Traceback" not in message
    assert not (tmp_path / "run" / ".lock").exists()


def test_infinite_weights_stop_with_exit_3_and_no_numpy_warnings(tmp_path, cli, monkeypatch):
    """Infinite output weights make every score inf or NaN on any IEEE machine: the guard
    reports the NaN loss, and numpy's warnings about it do not leak."""
    config = write_run_files(tmp_path)
    original = SequenceTagger.loss_and_grads

    def broken(self, *args, **kwargs):
        self.named_params()["classifier.weight"][...] = math.inf
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SequenceTagger, "loss_and_grads", broken)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3, result.output
    assert "diverged at epoch 1, step 1: loss nan" in result.err
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], \
        "numpy warnings leaked past the divergence guard"


def test_an_exploding_finite_loss_stops_with_exit_3(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES)
    calls = inject(monkeypatch, at_call=4, loss=1e30)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3, result.output
    assert re.search(r"diverged at epoch 1, step 4: loss 1e\+30 per step, above "
                     r"train.divergence_factor 100 times [\d.]+ \(the first updates' mean, at "
                     r"least ln C\) \(last finite loss: [\d.]+\)", result.err), result.err
    assert "raise train.divergence_factor (now 100)" in result.err
    assert "no checkpoint was written yet" in result.err and "Traceback" not in result.err
    assert len(calls) == 4


def test_skip_batch_does_not_skip_an_exploding_loss(tmp_path, cli, monkeypatch):
    """Skipping cannot undo the updates that made the loss explode (train/divergence.py)."""
    config = write_run_files(tmp_path, **FIVE_BATCHES, **{"train.on_nonfinite": "skip_batch"})
    inject(monkeypatch, at_call=7, loss=1e30)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3
    assert "epoch 2, step 7: loss 1e+30" in result.err
    assert "on_nonfinite" not in result.err


def test_a_null_divergence_factor_lets_a_finite_loss_grow(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES)
    inject(monkeypatch, at_call=7, loss=1e30)
    result = cli("train", config, "--out", tmp_path / "run", "-q",
                 "--set", "train.divergence_factor=null")
    assert result.code == 0, result.err


def test_the_quick_start_with_a_huge_learning_rate_stops_with_exit_3(tmp_path, cli,
                                                                    monkeypatch):
    """Whether the weights one update of lr 1e30 makes give a NaN or a finite loss near 1e30
    depends on the CPU's kernels; the guard stops either, at the second update."""
    monkeypatch.chdir(REPO_ROOT)
    result = cli("train", "configs/quickstart.yaml", "--set", "train.optimizer.lr=1e30",
                 "--out", tmp_path / "run", "-q")
    assert result.code == 3, result.output
    assert "diverged at epoch 1, step 2: loss " in result.err


def test_divergence_in_epoch_2_keeps_the_last_good_checkpoint(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES)
    calls = inject(monkeypatch, at_call=7, loss=math.nan)           # epoch 2, batch 2
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3
    assert "epoch 2, step 7" in result.err
    last = tmp_path / "run" / "checkpoints" / "last"
    assert str(last) in result.err
    assert load_checkpoint(last).meta["train_state"]["epoch"] == 1
    assert len(calls) == 7


def test_a_non_finite_gradient_norm_is_caught(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES)
    inject(monkeypatch, at_call=3, grad=math.inf)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 3
    assert "epoch 1, step 3: gradient norm" in result.err


def test_skip_batch_skips_the_bad_batch_and_finishes(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES, **{"train.on_nonfinite": "skip_batch"})
    inject(monkeypatch, at_call=7, loss=math.inf)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 0, result.err
    log = (tmp_path / "run" / "train.log").read_text()
    assert "epoch 2, step 7" in log and "batch skipped" in log
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoints" / "last")
    assert checkpoint.meta["train_state"]["step"] == 9             # 10 batches, 1 skipped
    assert all(np.isfinite(value).all() for value in checkpoint.params.values())


def test_skip_batch_skips_a_non_finite_gradient_and_finishes(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES, **{"train.on_nonfinite": "skip_batch"})
    inject(monkeypatch, at_call=2, grad=math.nan)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 0, result.err
    log = (tmp_path / "run" / "train.log").read_text()
    assert "gradient norm nan at epoch 1, step 2; batch skipped" in log
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoints" / "last")
    assert checkpoint.meta["train_state"]["step"] == 9
    assert all(np.isfinite(value).all() for value in checkpoint.params.values())


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_trainer_on_the_same_run_directory_is_refused(tmp_path, cli):
    config = write_run_files(tmp_path, **{"train.epochs": 100000, "train.batch_size": 32})
    run = tmp_path / "run"
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        first = start_subprocess("train", config, "--out", run, "-q", cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_for(run / "checkpoints" / "last" / "meta.json", first, log=log)
        for extra in ([], ["--resume"]):
            second = cli("train", config, "--out", run, "-q", *extra)
            assert second.code == 2
            assert f"another lstm process (pid {first.pid}) is training into {run}" in second.err
            assert ".lock" in second.err                    # the hint: what to delete if stale
        first.send_signal(signal.SIGTERM)                    # the first one is unharmed
        assert first.wait(timeout=60) == 130, log.read_text()
        assert "--resume" in log.read_text()
    finally:
        if first.poll() is None:
            first.kill()
    assert not (run / ".lock").exists()
    load_checkpoint(run / "checkpoints" / "last")


# --- the file system -------------------------------------------------------------------------


def test_an_unwritable_run_directory_is_reported_before_training(tmp_path, cli):
    config = write_run_files(tmp_path)
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("running as a user whom chmod does not stop (root)")
        result = cli("train", config, "--out", parent / "run")
        assert result.code == 2
        assert "cannot write to the run directory" in result.err and str(parent) in result.err
        assert "epoch" not in result.err
    finally:
        parent.chmod(0o700)


def test_a_run_directory_that_is_a_file_is_reported_before_training(tmp_path, cli):
    config = write_run_files(tmp_path)
    (tmp_path / "run").write_text("not a folder")
    result = cli("train", config, "--out", tmp_path / "run")
    assert result.code == 2
    assert "cannot write to the run directory" in result.err and "run" in result.err
    assert "epoch" not in result.err


def test_a_full_disk_while_saving_keeps_the_previous_checkpoint(tmp_path, cli, monkeypatch):
    config = write_run_files(tmp_path, **FIVE_BATCHES)
    checkpoints = tmp_path / "run" / "checkpoints"
    original = fsutil.write_synced

    def filling_up(path, data):
        if (checkpoints / "last" / "meta.json").exists():       # from epoch 2's saves on
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        original(path, data)

    monkeypatch.setattr(fsutil, "write_synced", filling_up)
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 2, result.output
    assert "No space left on device" in result.err and "Traceback" not in result.err
    assert load_checkpoint(checkpoints / "last").meta["train_state"]["epoch"] == 1
    assert load_checkpoint(checkpoints / "best").meta["train_state"]["epoch"] == 1
    assert sorted(path.name for path in checkpoints.iterdir()) == ["best", "last"]


def test_resume_survives_a_torn_last_metrics_line(tmp_path, cli):
    config = write_run_files(tmp_path)
    run = tmp_path / "run"
    assert cli("train", config, "--out", run, "-q").code == 0
    with (run / "metrics.jsonl").open("a") as metrics:
        metrics.write('{"epoch": 2, "train_lo')                 # a crash mid-append
    result = cli("train", config, "--out", run, "-q", "--resume", "--set", "train.epochs=2")
    assert result.code == 0, result.err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]


def test_unseen_dev_labels_are_warned_about_once_before_the_first_epoch(tmp_path, cli):
    config = write_run_files(tmp_path)
    (tmp_path / "dev.txt").write_text(GOOD_DEV + "bbc\tB-ORG\n\n")
    result = cli("train", config, "--out", tmp_path / "run", "-q")
    assert result.code == 0, result.err                 # scored as errors, not refused
    log = (tmp_path / "run" / "train.log").read_text()
    assert log.count("never seen in training") == 1
    assert log.index("B-ORG (1 token)") < log.index("epoch 1:")
