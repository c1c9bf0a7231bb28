"""`lstm train --resume` ends with exactly the weights of an uninterrupted run, whether the run
stopped at an epoch boundary or in the middle of an epoch (a real SIGINT, in-process and in a
subprocess)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from lstm_cli.checkpoint import load_checkpoint
from lstm_cli.engine.tagger import SequenceTagger
from tests.support import wait_for

from .helpers import (
    assert_same_weights,
    lstm_command,
    subprocess_env,
    tiny_config_dict,
    write_config,
    write_tiny_data,
)


def metrics_epochs(run: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()]


def resume_argv(stderr: str) -> list[str]:
    """The arguments of the `lstm train ... --resume` command an interrupted run printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip().startswith("lstm train")]
    assert lines, f"no resume command printed:\n{stderr}"
    argv = shlex.split(lines[-1])
    assert argv[-1] == "--resume"
    return argv[1:]


def assert_same_divergence_reference(run_a: Path, run_b: Path) -> None:
    """The divergence guard's reference (train/divergence.py) is carried across a resume."""
    a, b = (load_checkpoint(run / "checkpoints" / "last").meta["train_state"]
            for run in (run_a, run_b))
    assert (a["reference_loss_sum"], a["reference_steps"]) == \
        (b["reference_loss_sum"], b["reference_steps"])


def test_resume_after_an_epoch_matches_an_uninterrupted_run(tiny, cli):
    whole, split = tiny["dir"] / "whole", tiny["dir"] / "split"
    assert cli("train", tiny["config"], "--out", whole, "-q", "--set", "train.epochs=3").code == 0
    assert cli("train", tiny["config"], "--out", split, "-q", "--set", "train.epochs=1").code == 0
    assert cli("train", tiny["config"], "--out", split, "-q", "--set", "train.epochs=3",
               "--resume").code == 0
    assert_same_weights(whole, split)
    assert_same_weights(whole, split, "best")
    assert_same_divergence_reference(whole, split)
    assert metrics_epochs(split) == [1, 2, 3]
    assert "resuming" in (split / "train.log").read_text()


@pytest.mark.parametrize("overrides", [[], ["--set", "train.ema=0.9", "--set",
                                             "train.optimizer.lazy=true"],
                                       ["--set", "train.ema_epochs=1.5", "--set",
                                        "train.ema_bias_correction=true", "--set",
                                        "train.optimizer.lazy=true", "--set",
                                        "train.schedule.warmup_epochs=0.5"]],
                         ids=["plain", "lazy-rows-and-average", "epoch-horizon-corrected"])
def test_sigint_mid_epoch_then_resume_matches_an_uninterrupted_run(tiny, cli, monkeypatch,
                                                                   overrides):
    """A real SIGINT, sent from inside the 7th batch (epoch 2, batch 2 of 5)."""
    whole, broken = tiny["dir"] / "whole", tiny["dir"] / "broken"
    assert cli("train", tiny["config"], "--out", whole, "-q", *overrides).code == 0

    original, calls = SequenceTagger.loss_and_grads, []

    def interrupting(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 7:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SequenceTagger, "loss_and_grads", interrupting)
    result = cli("train", tiny["config"], "--out", broken, "-q", *overrides)
    assert result.code == 130
    assert len(calls) == 7                                  # stopped after the current batch
    state = load_checkpoint(broken / "checkpoints" / "last").meta["train_state"]
    assert (state["epoch"], state["batch"]) == (1, 2)
    assert metrics_epochs(broken) == [1]

    monkeypatch.setattr(SequenceTagger, "loss_and_grads", original)
    argv = resume_argv(result.err)
    assert cli(*argv).code == 0
    assert_same_weights(whole, broken)
    assert_same_weights(whole, broken, "best")
    assert_same_divergence_reference(whole, broken)
    assert metrics_epochs(broken) == [1, 2]


def test_a_checkpoint_from_before_the_divergence_guard_resumes(tiny, cli):
    """Its config lacks train.divergence_factor (the default applies) and its loop state the
    guard's reference (measured anew from the resumed updates)."""
    run = tiny["dir"] / "old"
    assert cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=1").code == 0
    meta_path = run / "checkpoints" / "last" / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["config"]["train"]["divergence_factor"]
    del meta["train_state"]["reference_loss_sum"], meta["train_state"]["reference_steps"]
    meta_path.write_text(json.dumps(meta))
    result = cli("train", tiny["config"], "--out", run, "-q", "--set", "train.epochs=2",
                 "--resume")
    assert result.code == 0, result.err
    assert metrics_epochs(run) == [1, 2]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_to_a_training_subprocess_then_resume(tmp_path, cli, signum):
    """Stop a real `python -m lstm_cli train` once its first checkpoint exists: exit 130, the
    resume command on stderr, a loadable `last`; resuming ends with the uninterrupted weights."""
    data = write_tiny_data(tmp_path / "data", train=100)
    config = write_config(tmp_path / "config.yaml", tiny_config_dict(
        data, train={"epochs": 3, "batch_size": 2}))
    run, whole = tmp_path / "run", tmp_path / "whole"
    with (tmp_path / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(lstm_command("train", config, "--out", run, "-q"),
                                   cwd=tmp_path, env=subprocess_env(), stderr=stderr,
                                   stdout=subprocess.DEVNULL)
        try:
            wait_for(run / "checkpoints" / "last" / "meta.json", process,
                     log=tmp_path / "stderr.txt")
            process.send_signal(signum)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    err = (tmp_path / "stderr.txt").read_text()
    assert code == 130, err
    assert "Traceback" not in err
    assert not (run / ".lock").exists()
    state = load_checkpoint(run / "checkpoints" / "last").meta["train_state"]
    assert state["epoch"] >= 1

    assert cli("train", config, "--out", whole, "-q").code == 0
    argv = resume_argv(err)
    result = cli(*argv)
    assert result.code == 0, result.err
    assert_same_weights(whole, run)
    assert metrics_epochs(run) == [1, 2, 3]
